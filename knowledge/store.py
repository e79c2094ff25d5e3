"""The knowledge collection: chunks as lexical (and dense) vectors with their payload, in a vector engine.

The engine is Qdrant Edge embedded in the process by default, or a Qdrant server or cluster by URL
(`knowledge/engine.py`). This module decides what is stored and asked; the engines store and answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Set
from datetime import date
from typing import TYPE_CHECKING, Any

from knowledge import lexical
from knowledge.embeddings import NONE, TextEmbedder
from knowledge.engine import CollectionInfo, Conditions, Hit, StoredPoint, VectorEngine, VectorQuery
from knowledge.models import Chunk

if TYPE_CHECKING:
    from knowledge.glossary import Glossary

COLLECTION = "knowledge"
PREFETCH = 50  # candidates each retriever hands to the fusion
# HNSW candidates searched for the dense leg (Edge, a server): with it, hybrid top fives match exact
# search at 5k and 50k chunks (bench/knowledge_bench.py); below the indexing threshold search is exact.
HNSW_EF = 256
DOCUMENT_IDS = "relative-to-knowledge-root"  # how chunk paths are made; older collections made them per folder


class EmbeddingMismatch(RuntimeError):
    """The collection was built with another embedding model; mixing them would rank nonsense."""


class OutdatedDocumentIds(RuntimeError):
    """The collection's documents were identified per ingested folder; ingesting into it would duplicate them."""


class KnowledgeStore:
    """One collection of chunks: a sparse lexical vector each, plus a dense one when an embedder is set."""

    def __init__(
        self,
        engine: VectorEngine,
        collection: str = COLLECTION,
        embedder: TextEmbedder | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.engine = engine
        self.collection = collection
        self.embedder = embedder
        self.glossary = glossary  # None: the shipped glossary (knowledge/glossary.py), applied to questions
        self.revision = 0  # this process's writes so far: what derived caches (the vocabulary) check

    @property
    def model_name(self) -> str:
        return self.embedder.name if self.embedder else NONE

    @property
    def model_version(self) -> str | None:
        return getattr(self.embedder, "version", None)

    def _built_meta(self) -> dict[str, Any]:
        return self.engine.read_meta(self.collection) or {}

    def _check_index_versions(self) -> None:
        """Refuse vectors made by another version of the keyword analyzer or of the embedding model."""
        meta = self._built_meta()
        rebuild = "rebuild it with `lto ingest --rebuild PATH...` (every folder it should hold)"
        if meta.get("lexical_analyzer", "words-1") != lexical.ANALYZER:
            raise EmbeddingMismatch(
                f"the knowledge base was indexed by an earlier version of the keyword search: {rebuild}"
            )
        built_version = meta.get("embedding_version")
        if self.model_version is not None and built_version != self.model_version:
            raise EmbeddingMismatch(
                f"the knowledge base was built with embeddings '{self.model_name}' version {built_version or '(none)'} "
                f"but this install has version {self.model_version}: {rebuild}"
            )

    def built_with(self) -> str | None:
        """The embedding model the collection was built with (None: no collection yet)."""
        if not self.engine.exists(self.collection):
            return None
        meta = self.engine.read_meta(self.collection)
        return str(meta.get("embedding_model", NONE)) if meta is not None else NONE  # unrecorded: the first kind

    def ensure(self) -> None:
        """Create the collection on first use, or open it; refuse one built with another embedding model.
        Raises EngineBusy when another process holds the embedded knowledge base."""
        built = self.built_with()
        if built is not None:
            if built != self.model_name:
                raise EmbeddingMismatch(
                    f"the knowledge base was built with embeddings '{built}' but LTO_EMBEDDINGS is "
                    f"'{self.model_name}': rebuild it with `lto ingest --rebuild PATH...` (every folder it should "
                    f"hold), or set LTO_EMBEDDINGS={built}"
                )
            self._check_index_versions()
            self.engine.open(self.collection)
            return
        self.engine.create(self.collection, dense_size=self.embedder.dimensions if self.embedder else None)
        self._write_meta()

    def _write_meta(self) -> None:
        meta = {
            "embedding_model": self.model_name,
            "embedding_version": self.model_version,
            "lexical_analyzer": lexical.ANALYZER,
            "document_ids": DOCUMENT_IDS,
        }
        self.engine.write_meta(self.collection, meta)

    def check_document_ids(self) -> None:
        """Refuse a collection whose documents have per-folder ids (ingesting would duplicate them); an empty
        one is simply marked as using ids relative to the knowledge root. Call after `ensure()`."""
        if self._built_meta().get("document_ids") == DOCUMENT_IDS:
            return
        if self.count():
            raise OutdatedDocumentIds(
                "the knowledge base was built before documents had ids relative to the knowledge root: "
                "rebuild it once with `lto ingest --rebuild PATH...` (every folder it should hold)"
            )
        self._write_meta()

    def recreate(self) -> None:
        """Drop everything so the next ingest embeds with the configured model."""
        self.engine.drop(self.collection)
        self.ensure()

    def points(self, chunks: Sequence[Chunk]) -> list[StoredPoint]:
        return to_points(chunks, self.embedder)

    def write(self, points: Sequence[StoredPoint]) -> None:
        self.engine.upsert(self.collection, points)
        self.revision += 1

    def upsert(self, chunks: Iterable[Chunk]) -> int:
        points = self.points(list(chunks))
        self.write(points)
        return len(points)

    def delete(self, chunk_ids: list[str]) -> None:
        self.engine.delete(self.collection, chunk_ids)
        self.revision += 1

    def settle(self) -> None:
        """After an ingest: build the indexes (HNSW, merged segments) and make every write durable."""
        self.engine.settle(self.collection)

    def chunks_by_path(self, root: str, under: str = "") -> dict[str, set[str]]:
        """{path: chunk ids} of what was ingested under `root`, only paths equal to or beneath `under`
        when given (what re-ingestion compares against, and the only documents it may remove)."""
        out: dict[str, set[str]] = {}
        for point_id, payload in self.engine.scroll(self.collection, ["path", "root"]):
            path = payload.get("path", "")
            if payload.get("root") == root and (not under or path == under or path.startswith(under + "/")):
                out.setdefault(path, set()).add(point_id)
        return out

    def chunks_at(self, *, root: str, path: str, positions: Sequence[int]) -> list[tuple[str, dict[str, Any]]]:
        """(id, payload) of one document's chunks at these positions (knowledge/chunking.py numbers them)."""
        return self.engine.chunks_at(self.collection, root=root, path=path, positions=positions)

    def stats(self) -> dict[str, Any]:
        documents: set[str] = set()
        by_type: dict[str, int] = {}
        by_audience: dict[str, int] = {}
        chunks = 0
        for _, payload in self.engine.scroll(self.collection, ["path", "doc_type", "audience"]):
            chunks += 1
            documents.add(payload.get("path", ""))
            kind = payload.get("doc_type") or "unknown"
            by_type[kind] = by_type.get(kind, 0) + 1
            audience = payload.get("audience") or "unlabelled"
            by_audience[audience] = by_audience.get(audience, 0) + 1
        return {
            "collection": self.collection,
            "documents": len(documents),
            "chunks": chunks,
            "by_doc_type": by_type,
            "by_audience": by_audience,
        }

    def indexed_texts(self) -> Iterator[str]:
        """Every chunk's text as it was indexed (title, section path, body): what corpus statistics read."""
        for _, payload in self.engine.scroll(self.collection, ["title", "section", "text"]):
            yield f"{payload.get('title', '')}\n{payload.get('section', '')}\n{payload.get('text', '')}"

    def count(self) -> int:
        return self.engine.count(self.collection)

    def info(self) -> CollectionInfo:
        """The engine and the collection's size and indexes (readiness, `lto doctor`); never creates anything."""
        return self.engine.info(self.collection)

    def close(self) -> None:
        self.engine.close()

    def query(
        self,
        text: str,
        *,
        limit: int,
        product: str | None = None,
        doc_type: str | None = None,
        updated_after: date | None = None,
        audiences: Set[str] | None = None,
        dense_query: list[float] | None = None,
        sparse_query: tuple[list[int], list[float]] | None = None,
    ) -> list[Hit]:
        """The best `limit` chunks for `text`, filtered in the engine; `audiences` (None: all) limits who
        the chunks were written for."""
        sparse = sparse_query if sparse_query is not None else lexical.query_vector(text)
        if not sparse[0] or (audiences is not None and not audiences):
            return []
        dense = None
        if self.embedder is not None:
            dense = dense_query if dense_query is not None else self.embedder.embed_query(text)
        conditions = Conditions(
            product=product,
            doc_type=doc_type,
            updated_after=updated_after,
            audiences=frozenset(str(audience) for audience in audiences) if audiences is not None else None,
        )
        retrieval = VectorQuery(
            sparse=sparse,
            dense=dense,
            conditions=conditions,
            limit=limit,
            prefetch=PREFETCH,
            dense_weight=float(getattr(self.embedder, "fusion_weight", 1.0)),
            hnsw_ef=HNSW_EF,
        )
        return self.engine.query(self.collection, retrieval)

    def query_vector(self, text: str) -> list[float] | None:
        return self.embedder.embed_query(text) if self.embedder is not None else None


def to_points(chunks: Sequence[Chunk], embedder: TextEmbedder | None) -> list[StoredPoint]:
    """Chunks as an engine stores them: the lexical vector, the dense one when there is an embedder, the payload."""
    texts = [f"{chunk.title} {chunk.section} {chunk.text}" for chunk in chunks]
    dense = embedder.embed_documents(texts) if embedder is not None and texts else []
    return [
        StoredPoint(
            id=chunk.id,
            sparse=lexical.document_vector(chunk.text, title=chunk.title, section=chunk.section),
            dense=dense[index] if dense else None,
            payload=chunk.model_dump(mode="json", exclude={"id"}),
        )
        for index, chunk in enumerate(chunks)
    ]
