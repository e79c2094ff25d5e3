"""Ingestion: read, chunk and index documents; re-ingesting touches only what changed."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from knowledge.chunking import chunk_document
from knowledge.loaders import UnreadableDocument, load
from knowledge.models import FileProblem, IngestSummary
from knowledge.store import KnowledgeStore

NOT_IN_KB_MARKER = "not part of the knowledge base"


def _files(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(file, root) pairs: folders recursively, minus hidden files, sidecars and index READMEs."""
    found: list[tuple[Path, Path]] = []
    for given in paths:
        given = given.resolve()
        root = given if given.is_dir() else given.parent
        candidates = sorted(given.rglob("*")) if given.is_dir() else [given]
        for path in candidates:
            relative = path.relative_to(root)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            if path.name.endswith(".meta.yaml"):
                continue
            if path.name.lower() == "readme.md":
                with path.open(encoding="utf-8", errors="replace") as handle:
                    if NOT_IN_KB_MARKER in handle.readline().lower():
                        continue
            found.append((path, root))
    return found


def ingest(paths: Iterable[Path], store: KnowledgeStore, *, progress: object | None = None) -> IngestSummary:
    """Index the files under `paths`. Unchanged chunks are left alone; chunks of changed documents
    are replaced and of documents gone from a folder removed. Bad files are reported, not fatal."""
    started = time.perf_counter()
    store.ensure()
    summary = IngestSummary()
    files = _files(paths)
    summary.files = len(files)
    roots = sorted({root for _, root in files} | {p.resolve() for p in paths if Path(p).is_dir()})
    stored = {str(root): store.chunks_by_path(str(root)) for root in roots}
    seen: dict[str, set[str]] = {str(root): set() for root in roots}
    task = progress.add_task("ingesting", total=len(files)) if progress is not None else None  # type: ignore[attr-defined]
    for path, root in files:
        key = str(root)
        try:
            document = load(path, root)
            chunks = chunk_document(document)
        except (UnreadableDocument, OSError) as exc:
            relative = path.relative_to(root).as_posix()
            reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
            summary.problems.append(FileProblem(path=relative, reason=reason))
            seen[key].add(relative)  # still there, just unreadable now: keep what was indexed
        else:
            summary.documents += 1
            seen[key].add(document.path)
            before = stored[key].get(document.path, set())
            new = {chunk.id: chunk.model_copy(update={"root": key}) for chunk in chunks}
            fresh = [chunk for chunk_id, chunk in new.items() if chunk_id not in before]
            store.upsert(fresh)
            stale = sorted(before - new.keys())
            store.delete(stale)
            if before:
                summary.updated += len(fresh)
            else:
                summary.added += len(fresh)
            summary.removed += len(stale)
            summary.unchanged += len(before & new.keys())
        if progress is not None:
            progress.advance(task)  # type: ignore[attr-defined]
    for key, documents in stored.items():
        for gone in sorted(documents.keys() - seen.get(key, set())):
            store.delete(sorted(documents[gone]))
            summary.removed += len(documents[gone])
    summary.seconds = time.perf_counter() - started
    return summary
