"""Retrieval with a relevance floor: passages that answer the question, or nothing at all."""

from __future__ import annotations

import math
import threading
import time
from datetime import date, timedelta
from typing import Any

from core import metrics
from knowledge import lexical
from knowledge.glossary import default_glossary
from knowledge.models import Passage
from knowledge.store import KnowledgeStore

STALE_AFTER = timedelta(days=365)
# The relevance floor. A passage counts when it shares a good part of the question's concepts (a word,
# a compound's parts, or a glossary phrase that any of its synonyms satisfies: knowledge/lexical.py),
# or, for a short question, when its score shows it matched a rare term (IDF makes a term found
# in a handful of chunks worth about 4, one found everywhere under 1). Below both, matches are incidental ("the", a
# product name) and guessing from them is worse than saying nothing.
MIN_TERM_SHARE = 0.34
MIN_RARE_SCORE = 2.5
# With dense vectors a passage may also pass on meaning alone: cosine similarity to the question.
# An embedder may set its own `similarity_floor`: (cosine needed with the shared terms, cosine alone).
MIN_DENSE_SIMILARITY = 0.35
SHORT_QUESTION = 3  # concepts; a longer question must share more than one of them

# qdrant-client's local mode is not safe for concurrent use from several threads.
_local_lock = threading.Lock()


def _stale(updated_at: str | None, today: date) -> bool:
    if not updated_at:
        return False
    try:
        return date.fromisoformat(updated_at[:10]) < today - STALE_AFTER
    except ValueError:
        return False


def _matches(payload: dict, product: str | None, doc_type: str | None, updated_after: date | None) -> bool:
    if product and payload.get("product") != product:
        return False
    if doc_type and payload.get("doc_type") != doc_type:
        return False
    return not (updated_after and (payload.get("updated_at") or "")[:10] < updated_after.isoformat())


def _cosine(a: list[float] | None, b: Any) -> float:
    if not a or not b:
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _local_query(
    store: KnowledgeStore,
    query: str,
    limit: int,
    *,
    product: str | None,
    doc_type: str | None,
    updated_after: date | None,
    dense_query: list[float] | None = None,
    sparse_query: tuple[list[int], list[float]] | None = None,
) -> list:
    """Local mode evaluates filters in Python point by point, which costs more than the search itself:
    fetch a wider unfiltered page and filter it here; only a very selective filter goes to Qdrant."""
    vectors = {"dense_query": dense_query, "sparse_query": sparse_query}
    if not (product or doc_type or updated_after):
        return store.query(query, limit=limit * 3, **vectors)
    hits = [
        hit
        for hit in store.query(query, limit=limit * 40, **vectors)
        if _matches(hit.payload or {}, product, doc_type, updated_after)
    ]
    if len(hits) >= limit:
        return hits[: limit * 3]
    return store.query(
        query, limit=limit * 3, product=product, doc_type=doc_type, updated_after=updated_after, **vectors
    )


def search(store: KnowledgeStore, query: str, **options: Any) -> list[Passage]:
    """The best passages for `query`; an empty list means the knowledge base has nothing relevant."""
    started = time.perf_counter()
    try:
        return _search(store, query, **options)
    finally:
        mode = "hybrid" if store.embedder is not None else "lexical"
        metrics.RETRIEVAL_SECONDS.labels(mode).observe(time.perf_counter() - started)


def _search(
    store: KnowledgeStore,
    query: str,
    *,
    limit: int = 5,
    product: str | None = None,
    doc_type: str | None = None,
    updated_after: date | None = None,
    today: date | None = None,
) -> list[Passage]:
    analyzed = lexical.analyze(query, store.glossary or default_glossary())
    if not analyzed.concepts:
        return []
    needed = max(1, math.ceil(MIN_TERM_SHARE * len(analyzed.concepts)))
    today = today or date.today()
    dense_query = store.query_vector(query)
    sparse_query = analyzed.vector()
    with_terms, alone = getattr(store.embedder, "similarity_floor", (0.0, MIN_DENSE_SIMILARITY))
    if store.is_local:
        with _local_lock:
            hits = _local_query(
                store,
                query,
                limit,
                product=product,
                doc_type=doc_type,
                updated_after=updated_after,
                dense_query=dense_query,
                sparse_query=sparse_query,
            )
    else:
        hits = store.query(
            query,
            limit=limit * 3,
            product=product,
            doc_type=doc_type,
            updated_after=updated_after,
            dense_query=dense_query,
            sparse_query=sparse_query,
        )
    passages: list[Passage] = []
    answered = False  # with dense vectors: has one passage cleared the full floor?
    for hit in hits:
        payload = hit.payload or {}
        text = f"{payload.get('title', '')} {payload.get('section', '')} {payload.get('text', '')}"
        matched = analyzed.matched(lexical.tokens(text))
        if dense_query is None:
            rare_match = matched and hit.score >= MIN_RARE_SCORE and len(analyzed.concepts) <= SHORT_QUESTION
            relevant = matched >= needed or bool(rare_match)
            answered = answered or relevant
        else:
            # Fused scores are ranks, not evidence: judge by shared concepts and by meaning. The knowledge
            # base answers when one passage holds all the question names, or shares enough of it and is near
            # it in meaning, or is very near; then the ranking stands, minus passages with neither a shared
            # concept nor a near meaning.
            vector = (hit.vector or {}).get("dense") if isinstance(hit.vector, dict) else None
            similarity = _cosine(dense_query, vector)
            complete = matched == len(analyzed.concepts)  # holds everything the question names
            answered = answered or complete or (matched >= needed and similarity >= with_terms) or similarity >= alone
            relevant = matched >= 1 or similarity >= with_terms
        if not relevant or len(passages) == limit:
            continue
        passages.append(
            Passage(
                chunk_id=str(hit.id),
                title=payload.get("title", ""),
                section=payload.get("section", ""),
                source=payload.get("source", ""),
                path=payload.get("path", ""),
                text=payload.get("text", ""),
                score=float(hit.score),
                updated_at=payload.get("updated_at"),
                stale=_stale(payload.get("updated_at"), today),
                doc_type=payload.get("doc_type"),
                product=payload.get("product"),
            )
        )
    return passages if answered else []
