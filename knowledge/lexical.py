"""Lexical sparse vectors: BM25-style term weights computed here, IDF applied by Qdrant's modifier.

No model download: terms are lower-cased unicode words minus stop words, with a light plural
fold, hashed to stable 31-bit ids (blake2b, not Python's salted `hash`), so every process and
replica computes the same vector. A document value is BM25's term-frequency saturation
(k1=1.2, b=0.75) against a fixed average length, so a chunk's vector never depends on the rest
of the corpus (re-ingesting an unchanged chunk gives the same vector); a query term weighs 1,
and `Modifier.IDF` on the collection multiplies in the inverse document frequency at search time.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache

K1 = 1.2
B = 0.75
# Tokens per chunk of the sample knowledge base (after stop words); a constant keeps vectors stable.
AVERAGE_LENGTH = 40
# Qdrant's local mode scores a sparse vector by walking both index lists in Python, point by point,
# so query time grows with the terms each chunk stores. Measured in bench/knowledge_bench.py: keeping
# the 64 strongest terms costs nothing on the sample questions and bounds the cost of long chunks.
MAX_TERMS = 64
# Terms of the title and heading path say what a chunk is about: they are kept first when pruning.
HEADING_BONUS = 1.0

_TOKEN = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*", re.UNICODE)
_SPLIT = re.compile(r"[-/.]")
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you your
    yours we'd we'll we're they're it's let's also may might must shall per via vs etc""".split()
)


def _stem(token: str) -> str:
    """A light plural fold ("connectors" -> "connector"); Porter-style stemming merged product and
    feature names on the sample questions and lost more than it found (see docs/benchmarks.md)."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Index terms of `text` in order, with repeats: lower-cased words, stop words dropped, plurals folded."""
    out = []
    for raw in _TOKEN.findall(text.lower()):
        if raw in STOP_WORDS or (len(raw) == 1 and not raw.isdigit()):
            continue
        out.append(_stem(raw))
        if _SPLIT.search(raw):  # "soc-2" also counts as "soc" and "2", "s/4hana" as "s" and "4hana"
            out.extend(_stem(part) for part in _SPLIT.split(raw) if part and part not in STOP_WORDS)
    return out


@lru_cache(maxsize=131072)
def term_id(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF


def document_vector(
    text: str, *, heading: str = "", max_terms: int | None = MAX_TERMS
) -> tuple[list[int], list[float]]:
    """(indices, values) of a chunk: `heading` (title and section) counts as part of the text and its
    terms are the last to be pruned when the chunk has more than `max_terms` distinct terms."""
    counts = Counter(tokens(heading) + tokens(text)) if heading else Counter(tokens(text))
    length = sum(counts.values()) or 1
    norm = K1 * (1 - B + B * length / AVERAGE_LENGTH)
    weights = {term: tf * (K1 + 1) / (tf + norm) for term, tf in counts.items()}
    if max_terms is not None and len(weights) > max_terms:
        in_heading = set(tokens(heading))
        # Without corpus statistics (they would make a chunk's vector depend on its neighbours),
        # rank by what the chunk itself says: heading terms, then frequency, then length as a
        # stand-in for rarity (long words are rarer), then the term for a stable order.
        ranked = sorted(
            weights,
            key=lambda term: (-(weights[term] + (HEADING_BONUS if term in in_heading else 0.0)), -len(term), term),
        )
        weights = {term: weights[term] for term in ranked[:max_terms]}
    by_id: dict[int, float] = {}
    for term, weight in weights.items():
        index = term_id(term)
        by_id[index] = by_id.get(index, 0.0) + weight  # a 31-bit collision merges two terms; rare and harmless
    indices = sorted(by_id)
    return indices, [round(by_id[i], 4) for i in indices]


def query_vector(text: str) -> tuple[list[int], list[float]]:
    """(indices, values) of a question: every distinct term weighs 1; Qdrant's IDF does the rest."""
    indices = sorted({term_id(term) for term in tokens(text)})
    return indices, [1.0] * len(indices)
