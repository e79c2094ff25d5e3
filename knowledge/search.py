"""Retrieval with a relevance floor: passages that answer the question, or nothing at all."""

from __future__ import annotations

import functools
import math
import threading
import time
import weakref
from collections.abc import Set
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core import metrics
from knowledge import answerability, asked, english, lexical
from knowledge.answerability import EverydayWords, Support, Vocabulary
from knowledge.glossary import default_glossary
from knowledge.models import DEFAULT_AUDIENCE, Passage
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
# Passages ranked below the first five that an answer may also draw on, each holding a specific concept of the
# question that none above it holds (answerability.supplements).
FURTHER_FOR_ANSWERS = 2
# An answer also reads the chunks beside the first passages (the one before and the one after, in the same
# document): the fact a question turns on is often in the next section of the page the search found ("the
# minimum setup" under "System requirements", below the section on self-hosting). They are read, never ranked.
BESIDE_FOR_ANSWERS = 5


def _stale(updated_at: str | None, today: date) -> bool:
    if not updated_at:
        return False
    try:
        return date.fromisoformat(updated_at[:10]) < today - STALE_AFTER
    except ValueError:
        return False


def _cosine(a: list[float] | None, b: Any) -> float:
    if not a or not b:
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@dataclass(frozen=True)
class Retrieval:
    """The passages that answer a question (none when the knowledge base does not), and why."""

    passages: list[Passage]
    support: Support | None  # None: nothing in the knowledge base even shares the question's words

    @property
    def missing(self) -> tuple[str, ...]:
        """What the question names that the knowledge base does not hold (for an honest "I don't know")."""
        return self.support.missing if self.support is not None else ()


def search(store: KnowledgeStore, query: str, **options: Any) -> list[Passage]:
    """The best passages for `query`; an empty list means the knowledge base has nothing relevant."""
    return retrieve(store, query, **options).passages


def retrieve(store: KnowledgeStore, query: str, **options: Any) -> Retrieval:
    """`search`, with the answerability decision's reasons."""
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
    audiences: Set[str] | None = None,
    today: date | None = None,
    further: int = 0,
    beside: int = 0,
) -> Retrieval:
    # Search for what was meant: a misspelling of a corpus word ("attachmnts") finds no term of its own, and an
    # acronym the corpus writes out ("EE": "Enterprise Edition") finds only the chunks that happen to use it.
    glossary = store.glossary or default_glossary()
    vocabulary, everyday = _vocabulary(store), _everyday_words()  # read once: the decision below needs them too
    meant = vocabulary.respelled(query, everyday, known=glossary.knows)
    analyzed = lexical.analyze(meant, glossary)
    if not analyzed.concepts:
        return Retrieval(passages=[], support=None)
    needed = max(1, math.ceil(MIN_TERM_SHARE * len(analyzed.concepts)))
    today = today or date.today()
    dense_query = store.query_vector(meant)
    sparse_query = analyzed.vector()
    with_terms, alone = getattr(store.embedder, "similarity_floor", (0.0, MIN_DENSE_SIMILARITY))
    # Every filter (audience included) is applied in the engine, on payload indexes.
    hits = store.query(
        meant,
        limit=(limit + further) * 3,
        product=product,
        doc_type=doc_type,
        updated_after=updated_after,
        audiences=audiences,
        dense_query=dense_query,
        sparse_query=sparse_query,
    )
    passages: list[Passage] = []
    beyond: list[Passage] = []  # relevant passages ranked below `limit`, for `further`
    located: dict[str, tuple[str, int]] = {}  # chunk id: (knowledge root, position in its document), for `beside`
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
        if not relevant or len(passages) + len(beyond) == limit + further:
            continue
        (passages if len(passages) < limit else beyond).append(_passage(str(hit.id), float(hit.score), payload, today))
        located[str(hit.id)] = (payload.get("root", ""), int(payload.get("position", 0)))
    if not answered and not passages:
        return Retrieval(passages=[], support=None)
    judged = passages[: answerability.PASSAGES_JUDGED]
    texts = [_judged_text(p) for p in judged]
    support, concepts = _support(store, meant, analyzed, judged, texts, dense_query, vocabulary, everyday)
    if not support.answers():
        return Retrieval(passages=[], support=support)
    chosen = answerability.supplements(concepts, texts, [_judged_text(p) for p in beyond], further)
    found = passages + [beyond[i] for i in chosen]
    near = _beside(store, found[:beside], located, taken={p.chunk_id for p in found}, audiences=audiences, today=today)
    return Retrieval(passages=found + near, support=support)


def _passage(chunk_id: str, score: float, payload: dict[str, Any], today: date) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        title=payload.get("title", ""),
        section=payload.get("section", ""),
        source=payload.get("source", ""),
        path=payload.get("path", ""),
        text=payload.get("text", ""),
        score=score,
        updated_at=payload.get("updated_at"),
        stale=_stale(payload.get("updated_at"), today),
        doc_type=payload.get("doc_type"),
        product=payload.get("product"),
        audience=payload.get("audience") or DEFAULT_AUDIENCE,
    )


def _beside(
    store: KnowledgeStore,
    around: list[Passage],
    located: dict[str, tuple[str, int]],
    *,
    taken: set[str],
    audiences: Set[str] | None,
    today: date,
) -> list[Passage]:
    """The chunks just before and after each of `around` in its document (`located`: where each chunk is), not
    already `taken`, in that order (scored 0: they were not retrieved, only read beside what was), for the
    audiences the search allowed."""
    wanted: list[tuple[str, str, int]] = []
    for passage in around:
        root, position = located[passage.chunk_id]
        wanted += [(root, passage.path, position - 1), (root, passage.path, position + 1)]
    near: dict[tuple[str, str, int], tuple[str, dict[str, Any]]] = {}
    for root, path in dict.fromkeys((root, path) for root, path, _ in wanted):
        positions = [position for r, p, position in wanted if (r, p) == (root, path) and position >= 0]
        for chunk_id, payload in store.chunks_at(root=root, path=path, positions=positions):
            near[(root, path, int(payload.get("position", -1)))] = (chunk_id, payload)
    out: list[Passage] = []
    for key in wanted:
        chunk_id, payload = near.get(key, ("", {}))
        allowed = audiences is None or (payload.get("audience") or DEFAULT_AUDIENCE) in audiences
        if chunk_id and chunk_id not in taken and allowed:
            taken.add(chunk_id)
            out.append(_passage(chunk_id, 0.0, payload, today))
    return out


def _judged_text(passage: Passage) -> str:
    """What the answer decision reads of a passage: its heading path says what it is about."""
    return f"{passage.title} {passage.section} {passage.text}"


def _support(
    store: KnowledgeStore,
    question: str,
    analyzed: lexical.AnalyzedQuery,
    judged: list[Passage],
    texts: list[str],
    question_vector: list[float] | None,
    vocabulary: Vocabulary,
    everyday: EverydayWords,
) -> tuple[Support, list[answerability.WeightedConcept]]:
    """How well the judged passages answer the question (knowledge/answerability.py); `question_vector` is
    the query's dense vector the search already computed (None without dense vectors); `texts` are the judged
    passages as the decision reads them (`_judged_text`); `vocabulary` and `everyday` are the corpus's and
    general English's words, as the search read them."""
    concepts = answerability.weigh(analyzed, question, vocabulary, everyday)
    closeness = None
    if store.embedder is not None and question_vector is not None:
        said = [sentence for p in judged for sentence in asked.sentences(p.text)]
        vectors = store.embedder.embed_documents(said) if said else []
        closeness = answerability.closeness(question_vector, vectors)
    return answerability.judge(concepts, texts, closeness, question=question, everyday=everyday), concepts


# The corpus vocabulary, per store: read once, again after this process wrote to the store, and again when
# the collection's size changed (checked at most every VOCABULARY_RECHECK seconds: another process may
# have ingested).
VOCABULARY_RECHECK = 60.0


@dataclass
class _CachedVocabulary:
    vocabulary: Vocabulary
    revision: int
    count: int
    checked: float


_vocabularies: weakref.WeakKeyDictionary[KnowledgeStore, _CachedVocabulary] = weakref.WeakKeyDictionary()
_vocabulary_lock = threading.Lock()


def _vocabulary(store: KnowledgeStore) -> Vocabulary:
    now = time.monotonic()
    with _vocabulary_lock:
        cached = _vocabularies.get(store)
        if cached is not None and cached.revision == store.revision:
            if now - cached.checked < VOCABULARY_RECHECK:
                return cached.vocabulary
            if store.count() == cached.count:
                cached.checked = now
                return cached.vocabulary
        count = store.count()
        vocabulary = Vocabulary.of(store.indexed_texts())
        _vocabularies[store] = _CachedVocabulary(vocabulary, store.revision, count, now)
        return vocabulary


@functools.cache
def _everyday_words() -> EverydayWords:
    """General English, as the shipped embedding model's word pieces know it (whatever model embeds), with the
    governed glossary's chat shorthand ("ppl", "diff") read as the words it shortens."""
    from knowledge.static_model import StaticModelMissing, shipped_model

    try:
        return EverydayWords(shipped_model().token_ids, english.frequent_words(), default_glossary().shorthand())
    except StaticModelMissing:
        return EverydayWords(None)
