"""The knowledge collection in Qdrant: embedded local mode by default, a server or cluster by URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from qdrant_client import QdrantClient, models

from knowledge import lexical
from knowledge.embeddings import NONE, TextEmbedder
from knowledge.models import Chunk

if TYPE_CHECKING:
    from knowledge.glossary import Glossary

COLLECTION = "knowledge"
LEXICAL = "lexical"
DENSE = "dense"
PREFETCH = 50  # candidates each retriever hands to the fusion
META_ID = "00000000-0000-0000-0000-00000000c0de"
DOCUMENT_IDS = "relative-to-knowledge-root"  # how chunk paths are made; older collections made them per folder
FILTER_FIELDS = {
    "product": models.PayloadSchemaType.KEYWORD,
    "doc_type": models.PayloadSchemaType.KEYWORD,
    "path": models.PayloadSchemaType.KEYWORD,
    "updated_at": models.PayloadSchemaType.DATETIME,
}


class EmbeddingMismatch(RuntimeError):
    """The collection was built with another embedding model; mixing them would rank nonsense."""


class OutdatedDocumentIds(RuntimeError):
    """The collection's documents were identified per ingested folder; ingesting into it would duplicate them."""


class KnowledgeStore:
    """One collection of chunks: a sparse lexical vector each, plus a dense one when an embedder is set."""

    def __init__(
        self,
        client: QdrantClient,
        collection: str = COLLECTION,
        embedder: TextEmbedder | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.client = client
        self.collection = collection
        self.embedder = embedder
        self.glossary = glossary  # None: the shipped glossary (knowledge/glossary.py), applied to questions

    @property
    def meta_collection(self) -> str:
        return f"{self.collection}_meta"

    @property
    def model_name(self) -> str:
        return self.embedder.name if self.embedder else NONE

    @property
    def model_version(self) -> str | None:
        return getattr(self.embedder, "version", None)

    def _built_meta(self) -> dict[str, Any]:
        if not self.client.collection_exists(self.meta_collection):
            return {}
        points = self.client.retrieve(self.meta_collection, ids=[META_ID], with_payload=True)
        return dict(points[0].payload or {}) if points else {}

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
        if not self.client.collection_exists(self.meta_collection):
            return NONE if self.client.collection_exists(self.collection) else None
        points = self.client.retrieve(self.meta_collection, ids=[META_ID], with_payload=True)
        return str(points[0].payload.get("embedding_model", NONE)) if points else NONE

    def ensure(self) -> None:
        """Create the collection on first use; refuse one built with another embedding model."""
        built = self.built_with()
        if built is not None:
            if built != self.model_name:
                raise EmbeddingMismatch(
                    f"the knowledge base was built with embeddings '{built}' but LTO_EMBEDDINGS is "
                    f"'{self.model_name}': rebuild it with `lto ingest --rebuild PATH...` (every folder it should "
                    f"hold), or set LTO_EMBEDDINGS={built}"
                )
            self._check_index_versions()
            return
        vectors = {}
        if self.embedder is not None:
            vectors = {DENSE: models.VectorParams(size=self.embedder.dimensions, distance=models.Distance.COSINE)}
        self.client.create_collection(
            self.collection,
            vectors_config=vectors,
            sparse_vectors_config={LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        self._write_meta()
        if not self.is_local:
            for field, schema in FILTER_FIELDS.items():
                self.client.create_payload_index(self.collection, field_name=field, field_schema=schema)

    def _write_meta(self) -> None:
        if not self.client.collection_exists(self.meta_collection):
            self.client.create_collection(self.meta_collection, vectors_config={})
        payload = {
            "embedding_model": self.model_name,
            "embedding_version": self.model_version,
            "lexical_analyzer": lexical.ANALYZER,
            "document_ids": DOCUMENT_IDS,
        }
        self.client.upsert(
            self.meta_collection, points=[models.PointStruct(id=META_ID, vector={}, payload=payload)], wait=True
        )

    def check_document_ids(self) -> None:
        """Refuse a collection whose documents have per-folder ids (ingesting would duplicate them); an empty
        one is simply marked as using ids relative to the knowledge root. Call after `ensure()`."""
        points = []
        if self.client.collection_exists(self.meta_collection):
            points = self.client.retrieve(self.meta_collection, ids=[META_ID], with_payload=True)
        if points and (points[0].payload or {}).get("document_ids") == DOCUMENT_IDS:
            return
        if self.count():
            raise OutdatedDocumentIds(
                "the knowledge base was built before documents had ids relative to the knowledge root: "
                "rebuild it once with `lto ingest --rebuild PATH...` (every folder it should hold)"
            )
        self._write_meta()

    def recreate(self) -> None:
        """Drop everything so the next ingest embeds with the configured model."""
        for name in (self.collection, self.meta_collection):
            if self.client.collection_exists(name):
                self.client.delete_collection(name)
        self.ensure()

    @property
    def is_local(self) -> bool:
        return getattr(self.client, "_client", None).__class__.__name__ == "QdrantLocal"

    def upsert(self, chunks: Iterable[Chunk]) -> int:
        chunks = list(chunks)
        texts = [f"{chunk.title} {chunk.section} {chunk.text}" for chunk in chunks]
        dense = self.embedder.embed_documents(texts) if self.embedder is not None and texts else []
        points = []
        for index, chunk in enumerate(chunks):
            indices, values = lexical.document_vector(chunk.text, title=chunk.title, section=chunk.section)
            vector: dict[str, Any] = {LEXICAL: models.SparseVector(indices=indices, values=values)}
            if dense:
                vector[DENSE] = dense[index]
            points.append(models.PointStruct(id=chunk.id, vector=vector, payload=chunk.model_dump(exclude={"id"})))
        for start in range(0, len(points), 256):
            self.client.upsert(self.collection, points=points[start : start + 256], wait=True)
        return len(points)

    def delete(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=chunk_ids), wait=True)

    def chunks_by_path(self, root: str, under: str = "") -> dict[str, set[str]]:
        """{path: chunk ids} of what was ingested under `root`, only paths equal to or beneath `under`
        when given (what re-ingestion compares against, and the only documents it may remove)."""
        out: dict[str, set[str]] = {}
        for point in self._scroll(["path", "root"]):
            payload = point.payload or {}
            path = payload.get("path", "")
            if payload.get("root") == root and (not under or path == under or path.startswith(under + "/")):
                out.setdefault(path, set()).add(str(point.id))
        return out

    def stats(self) -> dict[str, Any]:
        documents: set[str] = set()
        by_type: dict[str, int] = {}
        chunks = 0
        for point in self._scroll(["path", "doc_type"]):
            payload = point.payload or {}
            chunks += 1
            documents.add(payload.get("path", ""))
            kind = payload.get("doc_type") or "unknown"
            by_type[kind] = by_type.get(kind, 0) + 1
        return {"collection": self.collection, "documents": len(documents), "chunks": chunks, "by_doc_type": by_type}

    def _scroll(self, fields: list[str]) -> Iterator[Any]:
        offset = None
        while True:
            points, offset = self.client.scroll(
                self.collection, limit=512, offset=offset, with_payload=fields, with_vectors=False
            )
            yield from points
            if offset is None:
                return

    def count(self) -> int:
        return self.client.count(self.collection, exact=True).count

    def query(
        self,
        text: str,
        *,
        limit: int,
        product: str | None = None,
        doc_type: str | None = None,
        updated_after: date | None = None,
        dense_query: list[float] | None = None,
        sparse_query: tuple[list[int], list[float]] | None = None,
    ) -> list[Any]:
        indices, values = sparse_query if sparse_query is not None else lexical.query_vector(text)
        if not indices:
            return []
        conditions: list[Any] = []
        if product:
            conditions.append(models.FieldCondition(key="product", match=models.MatchValue(value=product)))
        if doc_type:
            conditions.append(models.FieldCondition(key="doc_type", match=models.MatchValue(value=doc_type)))
        if updated_after:
            conditions.append(
                models.FieldCondition(key="updated_at", range=models.DatetimeRange(gte=updated_after.isoformat()))
            )
        query_filter = models.Filter(must=conditions) if conditions else None
        sparse = models.SparseVector(indices=indices, values=values)
        if self.embedder is None:
            return self.client.query_points(
                self.collection, query=sparse, using=LEXICAL, query_filter=query_filter, limit=limit, with_payload=True
            ).points
        # Hybrid: each retriever proposes candidates, reciprocal rank fusion orders them.
        dense = dense_query if dense_query is not None else self.embedder.embed_query(text)
        return self.client.query_points(
            self.collection,
            prefetch=[
                models.Prefetch(query=sparse, using=LEXICAL, filter=query_filter, limit=max(PREFETCH, limit)),
                models.Prefetch(query=dense, using=DENSE, filter=query_filter, limit=max(PREFETCH, limit)),
            ],
            query=self._fusion(),
            limit=limit,
            with_payload=True,
            with_vectors=[DENSE],
        ).points

    def _fusion(self) -> Any:
        """Reciprocal rank fusion; a model that declares a weaker dense leg gets a weighted fusion."""
        weight = float(getattr(self.embedder, "fusion_weight", 1.0))
        if weight == 1.0:
            return models.FusionQuery(fusion=models.Fusion.RRF)
        return models.RrfQuery(rrf=models.Rrf(weights=[1.0, weight]))

    def query_vector(self, text: str) -> list[float] | None:
        return self.embedder.embed_query(text) if self.embedder is not None else None
