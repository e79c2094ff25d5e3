"""The knowledge collection in Qdrant: embedded local mode by default, a server or cluster by URL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from qdrant_client import QdrantClient, models

from knowledge import lexical
from knowledge.models import Chunk

COLLECTION = "knowledge"
LEXICAL = "lexical"
FILTER_FIELDS = {
    "product": models.PayloadSchemaType.KEYWORD,
    "doc_type": models.PayloadSchemaType.KEYWORD,
    "path": models.PayloadSchemaType.KEYWORD,
    "updated_at": models.PayloadSchemaType.DATETIME,
}


class KnowledgeStore:
    """One collection of chunks with a sparse lexical vector each; dense vectors join with an embedder."""

    def __init__(self, client: QdrantClient, collection: str = COLLECTION) -> None:
        self.client = client
        self.collection = collection

    def ensure(self) -> None:
        """Create the collection on first use (and, on a server, payload indexes for the filters)."""
        if self.client.collection_exists(self.collection):
            return
        self.client.create_collection(
            self.collection,
            vectors_config={},
            sparse_vectors_config={LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        if not self.is_local:
            for field, schema in FILTER_FIELDS.items():
                self.client.create_payload_index(self.collection, field_name=field, field_schema=schema)

    @property
    def is_local(self) -> bool:
        return getattr(self.client, "_client", None).__class__.__name__ == "QdrantLocal"

    def upsert(self, chunks: Iterable[Chunk]) -> int:
        points = []
        for chunk in chunks:
            indices, values = lexical.document_vector(f"{chunk.title} {chunk.section} {chunk.text}")
            points.append(
                models.PointStruct(
                    id=chunk.id,
                    vector={LEXICAL: models.SparseVector(indices=indices, values=values)},
                    payload=chunk.model_dump(exclude={"id"}),
                )
            )
        for start in range(0, len(points), 256):
            self.client.upsert(self.collection, points=points[start : start + 256], wait=True)
        return len(points)

    def delete(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=chunk_ids), wait=True)

    def chunks_by_path(self, root: str) -> dict[str, set[str]]:
        """{path: chunk ids} of what was ingested from `root` (what re-ingestion compares against)."""
        out: dict[str, set[str]] = {}
        for point in self._scroll(["path", "root"]):
            payload = point.payload or {}
            if payload.get("root") == root:
                out.setdefault(payload.get("path", ""), set()).add(str(point.id))
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
    ) -> list[Any]:
        indices, values = lexical.query_vector(text)
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
        return self.client.query_points(
            self.collection,
            query=models.SparseVector(indices=indices, values=values),
            using=LEXICAL,
            query_filter=models.Filter(must=conditions) if conditions else None,
            limit=limit,
            with_payload=True,
        ).points
