"""Qdrant Edge: the Qdrant engine embedded in this process, one shard folder per collection.

A shard is a real index (an inverted index for the sparse vectors, HNSW for dense ones, payload
indexes for filters), not a scan. It is held open by one process at a time (its write-ahead log is
locked; the WAL stays on, so writes survive a crash without `flush()`), so the process opens each
shard once and closes it on shutdown. Edge has no collections: what the store records about a
collection (embedding model, analyzer) lives in a JSON file beside the shard's folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

import qdrant_edge as edge

from knowledge.engine import (
    DENSE,
    INDEXED_FIELDS,
    LEXICAL,
    RRF_K,
    CollectionInfo,
    Conditions,
    EngineBusy,
    FieldType,
    Hit,
    StoredPoint,
    VectorQuery,
)

BATCH = 1024  # points per update operation
_SCHEMA = {FieldType.KEYWORD: edge.PayloadSchemaType.Keyword, FieldType.DATETIME: edge.PayloadSchemaType.Datetime}


class EdgeEngine:
    """Shard folders under `root` (QDRANT_PATH/edge), opened on first use and kept open until `close()`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"Qdrant Edge {version('qdrant-edge-py')} (embedded) at {root}"
        self._shards: dict[str, edge.EdgeShard] = {}
        self._opening = threading.Lock()  # tools search from worker threads; a shard must be opened once

    def _folder(self, collection: str) -> Path:
        return self.root / collection

    def _meta_file(self, collection: str) -> Path:
        return self.root / f"{collection}.meta.json"

    def exists(self, collection: str) -> bool:
        return collection in self._shards or (self._folder(collection) / "edge_config.json").exists()

    def open(self, collection: str) -> None:
        self._shard(collection)

    def _shard(self, collection: str) -> edge.EdgeShard:
        shard = self._shards.get(collection)
        if shard is not None:
            return shard
        with self._opening:
            if collection not in self._shards:
                self._shards[collection] = self._guarded(lambda: edge.EdgeShard.load(str(self._folder(collection))))
            return self._shards[collection]

    def _guarded(self, open_shard: Any) -> edge.EdgeShard:
        try:
            shard: edge.EdgeShard = open_shard()
        except Exception as exc:  # the binding raises a bare Exception; only the lock is ours to explain
            if "WouldBlock" in str(exc):
                raise EngineBusy(
                    f"the knowledge base at {self.root} is open in another process (a running `lto serve`, "
                    "`lto worker` or `lto ingest`): stop it first, or set QDRANT_URL to share a Qdrant server"
                ) from None
            raise
        return shard

    def create(self, collection: str, *, dense_size: int | None) -> None:
        folder = self._folder(collection)
        folder.mkdir(parents=True, exist_ok=True)
        vectors = {DENSE: edge.EdgeVectorParams(size=dense_size, distance=edge.Distance.Cosine)} if dense_size else {}
        config = edge.EdgeConfig(
            vectors=vectors, sparse_vectors={LEXICAL: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)}
        )
        with self._opening:
            shard = self._guarded(lambda: edge.EdgeShard.create(str(folder), config))
            for name, kind in INDEXED_FIELDS.items():
                shard.update(edge.UpdateOperation.create_field_index(name, _SCHEMA[kind]))
            self._shards[collection] = shard

    def drop(self, collection: str) -> None:
        with self._opening:
            shard = self._shards.pop(collection, None)
            if shard is not None:
                shard.close()
            self._meta_file(collection).unlink(missing_ok=True)
            shutil.rmtree(self._folder(collection), ignore_errors=True)

    def read_meta(self, collection: str) -> dict[str, Any] | None:
        try:
            meta = json.loads(self._meta_file(collection).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return dict(meta) if isinstance(meta, dict) else None

    def write_meta(self, collection: str, meta: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # Written whole or not at all: a crash leaves the previous record, never half of one.
        descriptor, temporary = tempfile.mkstemp(dir=self.root, prefix=f".{collection}.", suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(meta, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self._meta_file(collection))

    def upsert(self, collection: str, points: Sequence[StoredPoint]) -> None:
        shard = self._shard(collection)
        for start in range(0, len(points), BATCH):
            batch = [_point(point) for point in points[start : start + BATCH]]
            shard.update(edge.UpdateOperation.upsert_points(batch))

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        if ids:
            self._shard(collection).update(edge.UpdateOperation.delete_points(list(ids)))

    def scroll(self, collection: str, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        shard = self._shard(collection)
        offset: Any = None
        while True:
            records, offset = shard.scroll(
                edge.ScrollRequest(offset=offset, limit=512, with_payload=fields, with_vector=False)
            )
            for record in records:
                yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def chunks_at(
        self, collection: str, *, root: str, path: str, positions: Sequence[int]
    ) -> list[tuple[str, dict[str, Any]]]:
        if not positions:
            return []
        where = edge.Filter(
            must=[
                edge.FieldCondition(key="path", match=edge.MatchValue(path)),
                edge.FieldCondition(key="root", match=edge.MatchValue(root)),
                edge.FieldCondition(key="position", match=edge.MatchAny(sorted(set(positions)))),
            ]
        )
        records, _ = self._shard(collection).scroll(
            edge.ScrollRequest(limit=4 * len(positions), filter=where, with_payload=True, with_vector=False)
        )
        return [(str(record.id), dict(record.payload or {})) for record in records]

    def count(self, collection: str) -> int:
        return self._shard(collection).count(edge.CountRequest(exact=True))

    def query(self, collection: str, retrieval: VectorQuery) -> list[Hit]:
        shard = self._shard(collection)
        where = _filter(retrieval.conditions)
        sparse = edge.Query.Nearest(edge.SparseVector(*retrieval.sparse), using=LEXICAL)
        if retrieval.dense is None:
            request = edge.QueryRequest(limit=retrieval.limit, query=sparse, filter=where, with_payload=True)
        else:
            # Hybrid: each leg proposes candidates under the same filter, weighted reciprocal rank fusion orders them.
            legs = max(retrieval.prefetch, retrieval.limit)
            dense = edge.Query.Nearest(retrieval.dense, using=DENSE)
            request = edge.QueryRequest(
                limit=retrieval.limit,
                prefetches=[
                    edge.Prefetch(limit=legs, query=sparse, filter=where),
                    edge.Prefetch(
                        limit=legs, query=dense, filter=where, params=edge.SearchParams(hnsw_ef=retrieval.hnsw_ef)
                    ),
                ],
                query=_fusion(retrieval.dense_weight),
                with_payload=True,
                with_vector=[DENSE],
            )
        return [_hit(point) for point in shard.query(request)]

    def settle(self, collection: str) -> None:
        shard = self._shard(collection)
        shard.optimize()  # Edge has no background optimizer: build HNSW and merge segments now
        shard.flush()

    def info(self, collection: str) -> CollectionInfo:
        if not self.exists(collection):
            return CollectionInfo(engine=self.description, exists=False)
        details = self._shard(collection).info()
        return CollectionInfo(
            engine=self.description,
            exists=True,
            points=details.points_count,
            segments=details.segments_count,
            indexed_fields=sorted(details.payload_schema),
        )

    def close(self) -> None:
        with self._opening:
            for shard in self._shards.values():
                shard.close()
            self._shards.clear()


def _point(point: StoredPoint) -> edge.Point:
    vector: dict[str, Any] = {LEXICAL: edge.SparseVector(*point.sparse)}
    if point.dense is not None:
        vector[DENSE] = point.dense
    return edge.Point(point.id, vector, point.payload)


def _filter(conditions: Conditions) -> edge.Filter | None:
    must: list[Any] = []
    if conditions.product:
        must.append(edge.FieldCondition(key="product", match=edge.MatchValue(conditions.product)))
    if conditions.doc_type:
        must.append(edge.FieldCondition(key="doc_type", match=edge.MatchValue(conditions.doc_type)))
    if conditions.updated_after:
        after = edge.RangeDateTime(gte=conditions.updated_after.isoformat())
        must.append(edge.FieldCondition(key="updated_at", range=after))
    if conditions.audiences is not None:
        must.append(edge.FieldCondition(key="audience", match=edge.MatchAny(sorted(conditions.audiences))))
    return edge.Filter(must=must) if must else None


def _fusion(dense_weight: float) -> Any:
    """Weighted reciprocal rank fusion (typed Any: the stubs name `Fusion`, not its `Rrf` member)."""
    return edge.Fusion.Rrf(k=RRF_K, weights=[1.0, dense_weight])


def _hit(point: edge.ScoredPoint) -> Hit:
    vectors = point.vector if isinstance(point.vector, dict) else None
    dense = vectors.get(DENSE) if vectors else None
    return Hit(
        id=str(point.id),  # a uuid.UUID from Edge; the store's ids are strings
        score=float(point.score),
        payload=dict(point.payload or {}),
        vector={DENSE: cast(list[float], dense)} if isinstance(dense, list) else None,  # named, one vector each
    )
