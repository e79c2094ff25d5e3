"""A Qdrant server or cluster through qdrant-client (`QDRANT_URL`).

qdrant-client's local mode (`QdrantClient(path=...)`) speaks the same API and stands in for a
server in tests; it scores every point in Python, so it is never the embedded engine of a running
bot (that is Qdrant Edge, `knowledge/edge_engine.py`). What the store records about a collection
lives in a companion collection, `<name>_meta`, holding one point.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from knowledge.engine import (
    DENSE,
    INDEXED_FIELDS,
    LEXICAL,
    RRF_K,
    CollectionInfo,
    Conditions,
    FieldType,
    Hit,
    StoredPoint,
    VectorQuery,
)

META_ID = "00000000-0000-0000-0000-00000000c0de"
BATCH = 256  # points per request
_SCHEMA = {FieldType.KEYWORD: models.PayloadSchemaType.KEYWORD, FieldType.DATETIME: models.PayloadSchemaType.DATETIME}


class ClientEngine:
    """Collections on the Qdrant that `client` reaches."""

    def __init__(self, client: QdrantClient, *, where: str = "") -> None:
        self.client = client
        local = getattr(client, "_client", None).__class__.__name__ == "QdrantLocal"
        self.description = f"Qdrant at {where}" if where else ("qdrant-client local mode" if local else "Qdrant")
        self._local = local

    @staticmethod
    def _meta_collection(collection: str) -> str:
        return f"{collection}_meta"

    def exists(self, collection: str) -> bool:
        return self.client.collection_exists(collection)

    def open(self, collection: str) -> None:
        """A server needs nothing held open."""

    def create(self, collection: str, *, dense_size: int | None) -> None:
        vectors = {}
        if dense_size:
            vectors = {DENSE: models.VectorParams(size=dense_size, distance=models.Distance.COSINE)}
        self.client.create_collection(
            collection,
            vectors_config=vectors,
            sparse_vectors_config={LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        if not self._local:  # local mode has no payload indexes (it filters in Python)
            for name, kind in INDEXED_FIELDS.items():
                self.client.create_payload_index(collection, field_name=name, field_schema=_SCHEMA[kind])

    def drop(self, collection: str) -> None:
        for name in (collection, self._meta_collection(collection)):
            if self.client.collection_exists(name):
                self.client.delete_collection(name)

    def read_meta(self, collection: str) -> dict[str, Any] | None:
        meta_collection = self._meta_collection(collection)
        if not self.client.collection_exists(meta_collection):
            return None
        points = self.client.retrieve(meta_collection, ids=[META_ID], with_payload=True)
        return dict(points[0].payload or {}) if points else None

    def write_meta(self, collection: str, meta: dict[str, Any]) -> None:
        meta_collection = self._meta_collection(collection)
        if not self.client.collection_exists(meta_collection):
            self.client.create_collection(meta_collection, vectors_config={})
        point = models.PointStruct(id=META_ID, vector={}, payload=meta)
        self.client.upsert(meta_collection, points=[point], wait=True)

    def upsert(self, collection: str, points: Sequence[StoredPoint]) -> None:
        structs = [_struct(point) for point in points]
        for start in range(0, len(structs), BATCH):
            self.client.upsert(collection, points=structs[start : start + BATCH], wait=True)

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        if ids:
            self.client.delete(collection, points_selector=models.PointIdsList(points=list(ids)), wait=True)

    def scroll(self, collection: str, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = None
        while True:
            points, offset = self.client.scroll(
                collection, limit=512, offset=offset, with_payload=fields, with_vectors=False
            )
            for point in points:
                yield str(point.id), dict(point.payload or {})
            if offset is None:
                return

    def chunks_at(
        self, collection: str, *, root: str, path: str, positions: Sequence[int]
    ) -> list[tuple[str, dict[str, Any]]]:
        if not positions:
            return []
        where = models.Filter(
            must=[
                models.FieldCondition(key="path", match=models.MatchValue(value=path)),
                models.FieldCondition(key="root", match=models.MatchValue(value=root)),
                models.FieldCondition(key="position", match=models.MatchAny(any=sorted(set(positions)))),
            ]
        )
        points, _ = self.client.scroll(
            collection, scroll_filter=where, limit=4 * len(positions), with_payload=True, with_vectors=False
        )
        return [(str(point.id), dict(point.payload or {})) for point in points]

    def count(self, collection: str) -> int:
        return self.client.count(collection, exact=True).count

    def query(self, collection: str, retrieval: VectorQuery) -> list[Hit]:
        where = _filter(retrieval.conditions)
        sparse = models.SparseVector(indices=retrieval.sparse[0], values=retrieval.sparse[1])
        if retrieval.dense is None:
            response = self.client.query_points(
                collection, query=sparse, using=LEXICAL, query_filter=where, limit=retrieval.limit, with_payload=True
            )
            return [_hit(point) for point in response.points]
        legs = max(retrieval.prefetch, retrieval.limit)
        response = self.client.query_points(
            collection,
            prefetch=[
                models.Prefetch(query=sparse, using=LEXICAL, filter=where, limit=legs),
                models.Prefetch(
                    query=retrieval.dense,
                    using=DENSE,
                    filter=where,
                    limit=legs,
                    params=models.SearchParams(hnsw_ef=retrieval.hnsw_ef),
                ),
            ],
            query=_fusion(retrieval.dense_weight),
            limit=retrieval.limit,
            with_payload=True,
            with_vectors=[DENSE],
        )
        return [_hit(point) for point in response.points]

    def settle(self, collection: str) -> None:
        """A server optimizes in the background; writes were acknowledged with `wait=True`."""

    def info(self, collection: str) -> CollectionInfo:
        if not self.client.collection_exists(collection):
            return CollectionInfo(engine=self.description, exists=False)
        details = self.client.get_collection(collection)
        return CollectionInfo(
            engine=self.description,
            exists=True,
            points=details.points_count or 0,
            segments=details.segments_count if not self._local else None,
            indexed_fields=sorted(details.payload_schema or {}),
        )

    def close(self) -> None:
        self.client.close()


def _fusion(dense_weight: float) -> models.FusionQuery | models.RrfQuery:
    """Plain RRF when both legs weigh the same; weighted RRF otherwise."""
    if dense_weight == 1.0:
        return models.FusionQuery(fusion=models.Fusion.RRF)
    return models.RrfQuery(rrf=models.Rrf(k=RRF_K, weights=[1.0, dense_weight]))


def _struct(point: StoredPoint) -> models.PointStruct:
    vector: dict[str, Any] = {LEXICAL: models.SparseVector(indices=point.sparse[0], values=point.sparse[1])}
    if point.dense is not None:
        vector[DENSE] = point.dense
    return models.PointStruct(id=point.id, vector=vector, payload=point.payload)


def _filter(conditions: Conditions) -> models.Filter | None:
    must: list[models.Condition] = []
    if conditions.product:
        must.append(models.FieldCondition(key="product", match=models.MatchValue(value=conditions.product)))
    if conditions.doc_type:
        must.append(models.FieldCondition(key="doc_type", match=models.MatchValue(value=conditions.doc_type)))
    if conditions.updated_after:
        after = models.DatetimeRange(gte=conditions.updated_after)
        must.append(models.FieldCondition(key="updated_at", range=after))
    if conditions.audiences is not None:
        audiences = models.MatchAny(any=sorted(conditions.audiences))
        must.append(models.FieldCondition(key="audience", match=audiences))
    return models.Filter(must=must) if must else None


def _hit(point: models.ScoredPoint) -> Hit:
    dense = point.vector.get(DENSE) if isinstance(point.vector, dict) else None
    return Hit(
        id=str(point.id),
        score=float(point.score),
        payload=dict(point.payload or {}),
        vector={DENSE: list(dense)} if isinstance(dense, list) else None,  # type: ignore[arg-type]
    )
