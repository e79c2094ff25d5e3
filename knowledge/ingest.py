"""Ingestion: read, chunk and index documents; re-ingesting touches only what changed.

A document's id is its path relative to the knowledge root (POSIX separators), whatever was given:
the folder, a subfolder or the file itself, so ingesting any of them finds the same documents.
Only documents under the paths given (and ingested under the same root) can be removed, and only
when their file is gone or now refused. Files that leave the root, hidden files and anything that
looks like a secret are refused and reported (`knowledge/ingest_refusals.py`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge import ingest_refusals
from knowledge.chunking import chunk_document
from knowledge.loaders import UnreadableDocument, load
from knowledge.models import FileProblem, IngestSummary
from knowledge.store import KnowledgeStore

NOT_IN_KB_MARKER = "not part of the knowledge base"


class PathRefused(ValueError):
    """A path given to ingest cannot be taken (outside the knowledge root); the message says what to do."""


@dataclass(frozen=True)
class Target:
    """One path given to ingest, resolved: the folder its ids are relative to, and its own id."""

    path: Path
    base: Path
    id: str  # "" when the path is the base itself

    def id_of(self, path: Path) -> str:
        return path.relative_to(self.base).as_posix()


def _target(given: Path, root: Path | None) -> Target:
    path = given.resolve()
    if root is None:  # a one-off collection: each folder is its own root (a file's is its folder)
        base = path if path.is_dir() else path.parent
    else:
        base = root.resolve()
        if not base.is_dir():
            raise PathRefused(f"the knowledge root {root} is not a folder")
        if not path.is_relative_to(base):
            where = "links outside" if given.is_symlink() else "is outside"
            raise PathRefused(
                f"{given} {where} the knowledge root {base}: run from a folder that holds it, "
                "or pass --root DIR (or set LTO_KNOWLEDGE_ROOT)"
            )
    relative = path.relative_to(base).as_posix()
    return Target(path=path, base=base, id="" if relative == "." else relative)


def _is_index_readme(path: Path) -> bool:
    if path.name.lower() != "readme.md":
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        return NOT_IN_KB_MARKER in handle.readline().lower()


def _files(target: Target, problems: list[FileProblem]) -> Iterator[Path]:
    """The files to read under `target`, minus sidecars and index READMEs; refusals go to `problems`."""
    if not target.path.is_dir():
        candidates: Iterable[Path] = [target.path]
    else:
        candidates = _walk(target, problems)
    for path in candidates:
        if path.name.endswith(".meta.yaml"):
            continue
        reason = ingest_refusals.refusal(path, target.base)
        if reason is not None:
            problems.append(FileProblem(path=target.id_of(path), reason=reason))
        elif not _is_index_readme(path):
            yield path


def _walk(target: Target, problems: list[FileProblem]) -> Iterator[Path]:
    """Every file under a folder, in a stable order, never descending into refused folders."""

    def unreadable(exc: OSError) -> None:
        folder = Path(exc.filename)
        problems.append(FileProblem(path=target.id_of(folder) + "/", reason=exc.strerror or str(exc)))

    for folder, subfolders, names in os.walk(target.path, onerror=unreadable):
        here = Path(folder)
        kept = []
        for name in sorted(subfolders):
            reason = ingest_refusals.folder_refusal(here / name, target.base)
            if reason is None:
                kept.append(name)
            else:
                problems.append(FileProblem(path=target.id_of(here / name) + "/", reason=reason))
        subfolders[:] = kept
        yield from (here / name for name in sorted(names))


def check_paths(paths: Iterable[Path], *, root: Path | None) -> None:
    """Raise PathRefused when a path lies outside the knowledge root (before anything is written)."""
    for given in paths:
        _target(Path(given), root)


def ingest(
    paths: Iterable[Path], store: KnowledgeStore, *, root: Path | None = None, progress: object | None = None
) -> IngestSummary:
    """Index the files under `paths`, with ids relative to `root` (`lto ingest` always passes the knowledge
    root; without one each folder is its own root, for one-off collections). Unchanged chunks are left alone;
    chunks of changed documents are replaced, and of documents under `paths` that are gone or now refused
    removed. Bad files are reported, not fatal. Raises PathRefused for a path outside the root."""
    started = time.perf_counter()
    targets = [_target(Path(given), root) for given in paths]
    store.ensure()
    store.check_document_ids()
    summary = IngestSummary()
    refused: list[FileProblem] = []
    found: dict[tuple[str, str], Path] = {}
    for target in targets:
        for path in _files(target, refused):
            found.setdefault((str(target.base), target.id_of(path)), path)
    summary.problems = list({problem.path: problem for problem in refused}.values())
    summary.files = len(found) + sum(not problem.path.endswith("/") for problem in summary.problems)
    stored: dict[tuple[str, str], set[str]] = {}
    for base, under in {(str(target.base), target.id) for target in targets}:
        for document, chunk_ids in store.chunks_by_path(base, under=under).items():
            stored[(base, document)] = chunk_ids
    seen: set[tuple[str, str]] = set()
    task = progress.add_task("ingesting", total=len(found)) if progress is not None else None  # type: ignore[attr-defined]
    for (base, document_id), path in found.items():
        if _index(path, Path(base), stored.get((base, document_id), set()), store, summary):
            seen.add((base, document_id))
        if progress is not None:
            progress.advance(task)  # type: ignore[attr-defined]
    for key in sorted(stored.keys() - seen):
        store.delete(sorted(stored[key]))
        summary.removed += len(stored[key])
    store.settle()  # index what was written (HNSW, merged segments) and make it durable
    summary.seconds = time.perf_counter() - started
    return summary


def _index(path: Path, base: Path, before: set[str], store: KnowledgeStore, summary: IngestSummary) -> bool:
    """Index one file against the chunks it had; False when it is refused and must leave the index."""
    relative = path.relative_to(base).as_posix()
    try:
        document = load(path, base)
        chunks = chunk_document(document)
    except (UnreadableDocument, OSError) as exc:
        reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        summary.problems.append(FileProblem(path=relative, reason=reason))
        return True  # still there, just unreadable now: keep what was indexed
    secret = ingest_refusals.secret_in("\n".join([document.text, *map(str, document.meta.values())]))
    if secret is not None:
        summary.problems.append(FileProblem(path=relative, reason=secret))
        return False
    summary.documents += 1
    new = {chunk.id: chunk.model_copy(update={"root": str(base)}) for chunk in chunks}
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
    return True
