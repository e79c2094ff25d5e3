"""Lexical sparse vectors: BM25-style term weights computed here, IDF applied by Qdrant's modifier.

No model download: terms are lower-cased unicode words minus stop words, hashed to stable
31-bit ids (not Python's salted `hash`), so every process and replica computes the same vector.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache

K1 = 1.2
B = 0.75
AVERAGE_LENGTH = 180  # tokens per chunk in the sample knowledge base; a constant keeps vectors stable

_TOKEN = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*", re.UNICODE)
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you your
    yours we'd we'll we're they're it's let's also may might must shall per via vs etc""".split()
)


def _stem(token: str) -> str:
    """A light plural fold ("connectors" -> "connector"); heavier stemming hurt precision on product names."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    out = []
    for raw in _TOKEN.findall(text.lower()):
        if raw in STOP_WORDS or (len(raw) == 1 and not raw.isdigit()):
            continue
        out.append(_stem(raw))
        if any(sep in raw for sep in "-/."):  # "soc-2" also counts as "soc" and "2"
            out.extend(_stem(part) for part in re.split(r"[-/.]", raw) if part and part not in STOP_WORDS)
    return out


@lru_cache(maxsize=65536)
def term_id(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF


def document_vector(text: str) -> tuple[list[int], list[float]]:
    counts = Counter(tokens(text))
    length = sum(counts.values()) or 1
    norm = K1 * (1 - B + B * length / AVERAGE_LENGTH)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        index = term_id(term)
        weights[index] = weights.get(index, 0.0) + tf * (K1 + 1) / (tf + norm)
    indices = sorted(weights)
    return indices, [weights[i] for i in indices]


def query_vector(text: str) -> tuple[list[int], list[float]]:
    indices = sorted({term_id(term) for term in tokens(text)})
    return indices, [1.0] * len(indices)
