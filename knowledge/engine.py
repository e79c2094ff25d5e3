"""The vector engine under the knowledge store, and which one this process uses.

Two engines speak the same few operations: Qdrant Edge (`knowledge/edge_engine.py`), the Qdrant
engine embedded in this process and the default, and qdrant-client (`knowledge/client_engine.py`)
for a Qdrant server or cluster at `QDRANT_URL`. The store (`knowledge/store.py`) decides what a
chunk's vectors and payload are and what a query asks; an engine only stores and retrieves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from core.settings import Settings

LEXICAL = "lexical"
DENSE = "dense"
RRF_K = 2  # Qdrant's own default for reciprocal rank fusion; both engines use it, so rankings agree
EDGE_FOLDER = "edge"  # under QDRANT_PATH: one shard folder per collection


class FieldType(StrEnum):
    KEYWORD = "keyword"
    DATETIME = "datetime"


# Every payload field a query filters on, indexed in both engines.
INDEXED_FIELDS: dict[str, FieldType] = {
    "product": FieldType.KEYWORD,
    "doc_type": FieldType.KEYWORD,
    "audience": FieldType.KEYWORD,
    "path": FieldType.KEYWORD,
    "updated_at": FieldType.DATETIME,
}


class EngineBusy(RuntimeError):
    """Another process holds the embedded knowledge base open; the message says what to do."""


@dataclass(frozen=True)
class StoredPoint:
    """One chunk as the engine keeps it: a sparse lexical vector, a dense one when the store embeds, a payload."""

    id: str
    sparse: tuple[list[int], list[float]]
    dense: list[float] | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Conditions:
    """What a query is limited to; every field is payload-indexed (INDEXED_FIELDS)."""

    product: str | None = None
    doc_type: str | None = None
    updated_after: date | None = None
    audiences: frozenset[str] | None = None  # None: every audience


@dataclass(frozen=True)
class VectorQuery:
    """One query: the lexical leg always, the dense leg with an embedder, fused by weighted RRF."""

    sparse: tuple[list[int], list[float]]
    dense: list[float] | None
    conditions: Conditions
    limit: int
    prefetch: int  # candidates each leg hands to the fusion
    dense_weight: float = 1.0  # of the lexical leg's 1.0
    hnsw_ef: int = 256


@dataclass
class Hit:
    """A retrieved point: id, score, payload, and its dense vector when the query was hybrid."""

    id: str
    score: float
    payload: dict[str, Any]
    vector: dict[str, list[float]] | None = None


@dataclass(frozen=True)
class CollectionInfo:
    """What readiness and `lto doctor` report about one collection."""

    engine: str  # e.g. "Qdrant Edge 0.9.0 (embedded) at PATH"
    exists: bool
    points: int = 0
    segments: int | None = None
    indexed_fields: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if not self.exists:
            return f"{self.engine}; no knowledge base yet (run `lto ingest`)"
        parts = [f"{self.points} chunks"]
        if self.segments is not None:
            parts.append(f"{self.segments} segments")
        if self.indexed_fields:
            parts.append("indexed: " + ", ".join(self.indexed_fields))
        return f"{self.engine}; " + ", ".join(parts)


class VectorEngine(Protocol):
    """What the knowledge store needs of Qdrant, whichever way it is reached."""

    description: str

    def exists(self, collection: str) -> bool: ...

    def open(self, collection: str) -> None:
        """Hold an existing collection open for this process (an embedded engine locks its folder: a process
        that cannot have it hears so now, with EngineBusy, not halfway through its work)."""

    def create(self, collection: str, *, dense_size: int | None) -> None:
        """A collection with the lexical sparse vector (IDF), a dense one when sized, and INDEXED_FIELDS."""

    def drop(self, collection: str) -> None: ...

    def read_meta(self, collection: str) -> dict[str, Any] | None:
        """What the collection was built with (embedding model, analyzer); None when nothing was recorded."""

    def write_meta(self, collection: str, meta: dict[str, Any]) -> None: ...

    def upsert(self, collection: str, points: Sequence[StoredPoint]) -> None: ...

    def delete(self, collection: str, ids: Sequence[str]) -> None: ...

    def scroll(self, collection: str, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def chunks_at(
        self, collection: str, *, root: str, path: str, positions: Sequence[int]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The points of one document (ingested under `root`) at these chunk positions, in no set order."""

    def count(self, collection: str) -> int: ...

    def query(self, collection: str, retrieval: VectorQuery) -> list[Hit]: ...

    def settle(self, collection: str) -> None:
        """After a bulk write: build the indexes and make the writes durable."""

    def info(self, collection: str) -> CollectionInfo: ...

    def close(self) -> None: ...


def open_engine(settings: Settings) -> VectorEngine:
    """The engine the settings name: a Qdrant server at QDRANT_URL, else Qdrant Edge under QDRANT_PATH."""
    if settings.qdrant_url:
        from qdrant_client import QdrantClient

        from knowledge.client_engine import ClientEngine

        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = QdrantClient(url=settings.qdrant_url, api_key=key, timeout=10)
        return ClientEngine(client, where=settings.qdrant_url)
    from knowledge.edge_engine import EdgeEngine

    return EdgeEngine(edge_folder(settings.effective_qdrant_path))


def edge_folder(qdrant_path: Path) -> Path:
    return qdrant_path / EDGE_FOLDER


def local_mode_collection(qdrant_path: Path, collection: str) -> Path | None:
    """The folder of a collection qdrant-client's local mode (the embedded engine before Qdrant Edge) left
    under QDRANT_PATH, if there is one: its data must be rebuilt from the documents."""
    folder = qdrant_path / "collection" / collection
    return folder if (folder / "storage.sqlite").exists() else None


def local_mode_notice(qdrant_path: Path, collection: str, paths: Sequence[Path]) -> str:
    """What `lto ingest` says when it rebuilds, under Qdrant Edge, a knowledge base local mode left behind."""
    folder = local_mode_collection(qdrant_path, collection) or qdrant_path
    given = ", ".join(str(path) for path in paths)
    return (
        f"The knowledge base in {folder} was built by the earlier embedded engine (qdrant-client local mode), "
        f"which Qdrant Edge does not read: rebuilding it from the documents under {given}. Ingest every other "
        f"folder it held as well. The old folder is no longer used; delete it once the rebuild is complete."
    )
