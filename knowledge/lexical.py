"""Lexical sparse vectors: BM25-style term weights computed here, IDF applied by Qdrant's modifier.

No model download: terms are lower-cased unicode words minus English stop words, folded to one
spelling (-ise/-ize) and stemmed with the Snowball English stemmer (PyStemmer), then hashed to
stable 31-bit ids (not Python's salted `hash`), so every process and replica computes the same
vector. A chunk's title and section path count more than its body (BM25F-style field weights):
a page titled "Single sign-on" is about SSO even where its text says "SAML" once.

A query's vector is its own terms, plus the synonyms a glossary adds at a lower weight
(`knowledge/glossary.py`); the glossary is applied at query time only, so editing it needs no re-index.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import Stemmer

# Recorded in every collection (knowledge/store.py): vectors made by another analyzer would not match.
ANALYZER = "snowball-en/fields-6"
K1 = 1.2
B = 0.75
AVERAGE_LENGTH = 180  # tokens per chunk in the sample knowledge base; a constant keeps vectors stable
TITLE_WEIGHT = 3.0  # a title term counts as this many body occurrences
SECTION_WEIGHT = 2.0  # a section-path (heading) term likewise

_TOKEN = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*", re.UNICODE)
_PARTS = re.compile(r"[-/.]")
# An acronym's plural, as written: "SLAs", "JWTs", "VPCs", "DPAs". The stemmer keeps the "s" of a word with no
# vowel before it, or with one right before it, so "SLAs" and "SLA" would be different terms.
_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,}\d?)s\b")
# British -ise/-isation spellings to -ize, before stemming ("organisation" and "organization" meet).
_SPELLING = re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$")
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you your
    yours we'd we'll we're they're it's let's also may might must shall per via vs etc us hey hi hello please pls
    thanks thank anyone somebody someone guys whats hows wheres whos dont doesnt cant don doesn isn aren wasn weren
    won wouldn shouldn couldn didn hasn haven hadn ve ll re need needs want wants got gonna wanna know tell really
    actually thru anything something still thing things stuff basically exactly q""".split()
)


# A small number inside a compound also as its word ("4-eyes": "four-eyes"), for the query only: the index keeps
# what the text says, and the question matches either spelling.
NUMBER_WORDS = dict(
    zip("1 2 3 4 5 6 7 8 9 10".split(), "one two three four five six seven eight nine ten".split(), strict=True)
)
SPELLED_NUMBER_WEIGHT = 0.5


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# Irregular verbs' past forms as their base, which the stemmer cannot reach: "how long are logs kept?" and
# "we keep logs for 14 days" ask and answer the same thing. Forms that are also common nouns or adjectives in
# product pages ("left", "bound", "lead", "saw", "fed") are not listed.
_IRREGULAR = {
    form: base
    for base, forms in {
        "keep": "kept",
        "hold": "held",
        "run": "ran",
        "send": "sent",
        "build": "built",
        "pay": "paid",
        "sell": "sold",
        "make": "made",
        "take": "took taken",
        "give": "gave given",
        "go": "went gone",
        "buy": "bought",
        "bring": "brought",
        "choose": "chose chosen",
        "write": "wrote written",
        "know": "knew known",
        "show": "shown",
        "begin": "began begun",
        "break": "broke broken",
        "catch": "caught",
        "drive": "drove driven",
        "fall": "fell fallen",
        "find": "found",
        "forget": "forgot forgotten",
        "grow": "grew grown",
        "hide": "hid hidden",
        "lose": "lost",
        "mean": "meant",
        "meet": "met",
        "see": "seen",
        "say": "said",
        "seek": "sought",
        "spend": "spent",
        "speak": "spoke spoken",
        "stand": "stood",
        "steal": "stole stolen",
        "teach": "taught",
        "think": "thought",
        "throw": "threw thrown",
        "understand": "understood",
        "wear": "wore worn",
        "withdraw": "withdrew withdrawn",
        "freeze": "froze frozen",
        "rewrite": "rewrote rewritten",
        "undo": "undid undone",
        "overwrite": "overwrote overwritten",
    }.items()
    for form in forms.split()
}


@lru_cache(maxsize=131072)
def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    return str(_stemmer().stemWord(_SPELLING.sub(r"iz\1", word)))


def _kept(word: str) -> bool:
    return word not in STOP_WORDS and (len(word) > 1 or word.isdigit())


@dataclass(frozen=True)
class Piece:
    """One word of the text as written: its index terms (a compound also as its parts) and its plain words."""

    terms: tuple[str, ...]
    words: tuple[str, ...]
    raw: str = ""  # as written, lower-cased


# A name written as one word with inner capitals ("IPAllowList", "ApplicationSet", "CloudHub") also as its parts:
# pages write the setting as code, reps write its words ("ip allow list").
_INNER_CAPITAL_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*(?:[a-z][A-Z]|[A-Z]{2}[a-z])[A-Za-z0-9]*(?![A-Za-z0-9])")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _camel_parts(text: str) -> dict[str, tuple[str, ...]]:
    """Each word of `text` written with inner capitals, lower-cased, to its parts' index terms."""
    found: dict[str, tuple[str, ...]] = {}
    for word in _INNER_CAPITAL_WORD.findall(text):  # one pass: most words have none
        parts = tuple(_stem(part.lower()) for part in _CAMEL_PART.findall(word) if _kept(part.lower()))
        if len(parts) > 1:
            found[word.lower()] = parts
    return found


def pieces(text: str) -> list[Piece]:
    out = []
    camel = _camel_parts(text)
    for raw in _TOKEN.findall(_singular(text)):
        if not _kept(raw):
            continue
        whole = _stem(raw)
        if not any(sep in raw for sep in "-/."):
            out.append(Piece((whole, *camel.get(raw, ())), (whole,), raw))
            continue
        parts = tuple(_stem(part) for part in _PARTS.split(raw) if part and _kept(part))
        out.append(Piece((whole, *parts), parts, raw))
    return out


# A phrasal verb as the noun documents also write ("back up" and "backup", "log in" and "login"): its particle is a
# stop word, so without this "roll back" and "back up" would both search as "back".
_PHRASAL = re.compile(
    r"\b(back|roll|fail|log|sign|set|check|opt)(?:s|ed|ing|ged|ging|ting|led|ling)?[ -]"
    r"(up|back|over|in|out)\b"
)
_PHRASAL_NOUNS = frozenset(
    {"backup", "rollback", "failover", "login", "logout", "signin", "signup", "signout", "setup", "checkout", "optout"}
)


# Two words joined by a slash, each of four letters or more, offer a choice ("roles/policies", "users/groups");
# "24/7", "CI/CD", "req/sec" and "cpu/ram" are names or units.
_EITHER = re.compile(r"[a-z]{4,}/[a-z]{4,}")


def _singular(text: str) -> str:
    """`text` lower-cased, each acronym's plural as the acronym and each phrasal verb as its noun."""
    lowered = _ACRONYM_PLURAL.sub(r"\1", text).lower()
    return _PHRASAL.sub(lambda m: m[1] + m[2] if m[1] + m[2] in _PHRASAL_NOUNS else m[0], lowered)


def stem(word: str) -> str:
    """A word's index term: lower-cased, one spelling, stemmed."""
    return _stem(word.lower())


def plain_words(text: str) -> list[str]:
    """The words as written (lower-cased, not stemmed), a compound also as its parts, stop words left out."""
    out = []
    for raw in _TOKEN.findall(_singular(text)):
        if _kept(raw):
            out.append(raw)
            if any(sep in raw for sep in "-/."):
                out.extend(part for part in _PARTS.split(raw) if part and _kept(part))
    return out


def tokens(text: str) -> list[str]:
    """Index terms in text order: each word stemmed; a compound ("soc-2", "24/7") also as its parts."""
    return [term for piece in pieces(text) for term in piece.terms]


def words(text: str) -> list[str]:
    """Stemmed plain words in order, compounds split ("self-hosted" and "self hosted" alike): for phrases."""
    return [word for piece in pieces(text) for word in piece.words]


@lru_cache(maxsize=65536)
def term_id(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big") & 0x7FFFFFFF


def document_vector(text: str, *, title: str = "", section: str = "") -> tuple[list[int], list[float]]:
    """BM25 term weights of a chunk; title and section terms weigh as several body occurrences."""
    counts: Counter[str] = Counter()
    length = 0
    for field_text, weight in ((text, 1.0), (title, TITLE_WEIGHT), (section, SECTION_WEIGHT)):
        terms = tokens(field_text)
        length += len(terms)
        for term in terms:
            counts[term] += weight
    norm = K1 * (1 - B + B * max(length, 1) / AVERAGE_LENGTH)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        index = term_id(term)
        weights[index] = weights.get(index, 0.0) + tf * (K1 + 1) / (tf + norm)
    indices = sorted(weights)
    return indices, [weights[i] for i in indices]


@dataclass(frozen=True)
class Concept:
    """One thing the question asks about, found in a passage that holds any one of its alternatives
    (each a set of terms): the word itself, a compound's parts, or a glossary synonym. A narrower name
    ("BAA", "RPO") also has `broader` alternatives, the glossary term it implies ("HIPAA", "disaster
    recovery"): they find the passages to read, but a passage that holds only them does not name it."""

    alternatives: tuple[frozenset[str], ...]
    broader: tuple[frozenset[str], ...] = ()

    def found_in(self, terms: set[str] | frozenset[str]) -> bool:
        return self.named_in(terms) or any(alternative and alternative <= terms for alternative in self.broader)

    def named_in(self, terms: set[str] | frozenset[str], near: set[Pair] | None = None) -> bool:
        """Whether the terms hold one of the concept's own alternatives; with `near` (the text's `near_pairs`),
        a phrase's words must also stand together: "business", "associated" and "agreement" scattered over a
        page do not name a business associate agreement."""
        return any(
            alternative and alternative <= terms and (near is None or _together(alternative, near))
            for alternative in self.alternatives
        )


PHRASE_WINDOW = 2  # tokens: a phrase's words in a text, a compound's parts between them at most
Pair = tuple[str, str]  # two distinct terms, in sorted order: which one came first does not matter


def pair(term: str, other: str) -> Pair:
    return (term, other) if term < other else (other, term)


def near_pairs(tokens: list[str], window: int = PHRASE_WINDOW) -> set[Pair]:
    """Each pair of distinct terms that stand within `window` tokens of each other in a text."""
    return {
        (term, other) if term < other else (other, term)  # pair(), inline: this runs over every indexed chunk
        for index, term in enumerate(tokens)
        for other in tokens[index + 1 : index + 1 + window]
        if other != term
    }


def _together(alternative: frozenset[str], near: set[Pair]) -> bool:
    """A one-word alternative always; a phrase when each of its words stands next to another of them."""
    return len(alternative) < 2 or all(
        any(pair(term, other) in near for other in alternative if other != term) for term in alternative
    )


# (first word, end word) of a phrase in the question's plain words, and its alternatives with their weights,
# each marked when it is the broader term a narrower name implies.
Alternative = tuple[frozenset[str], float, bool]
Expansion = tuple[int, int, list[Alternative]]


class Expander(Protocol):
    """What a glossary offers the query analyzer (`knowledge/glossary.py`)."""

    def expansions(self, words: list[str]) -> list[Expansion]: ...


@dataclass
class AnalyzedQuery:
    """A question's terms (weight 1), the glossary's additions (lower weights), and its concepts."""

    terms: dict[str, float] = field(default_factory=dict)
    concepts: list[Concept] = field(default_factory=list)

    def vector(self) -> tuple[list[int], list[float]]:
        weights: dict[int, float] = {}
        for term, weight in self.terms.items():
            index = term_id(term)
            weights[index] = max(weights.get(index, 0.0), weight)
        indices = sorted(weights)
        return indices, [weights[i] for i in indices]

    def matched(self, text_terms: Iterable[str]) -> int:
        """How many of the question's concepts a passage's terms cover."""
        present = set(text_terms)
        return sum(concept.found_in(present) for concept in self.concepts)


def analyze(text: str, glossary: Expander | None = None) -> AnalyzedQuery:
    """The question's terms and concepts, with what the glossary adds: a phrase it knows becomes one
    concept that any of its synonyms satisfies, and the synonyms join the vector at a lower weight,
    shared among their words."""
    query = AnalyzedQuery()
    found = pieces(text)
    for piece in found:
        for term in piece.terms:
            query.terms[term] = 1.0
    owner = [index for index, piece in enumerate(found) for _ in piece.words]  # word position -> piece
    flat = [word for piece in found for word in piece.words]
    covered: set[int] = set()
    seen: set[tuple[frozenset[str], ...]] = set()
    for start, end, alternatives in glossary.expansions(flat) if glossary is not None else []:
        inside = {owner[i] for i in range(start, end)}
        covered |= {i for i in inside if all(start <= j < end for j, o in enumerate(owner) if o == i)}
        concept = (frozenset(flat[start:end]), *(alternative for alternative, _, broad in alternatives if not broad))
        broader = tuple(alternative for alternative, _, broad in alternatives if broad and alternative not in concept)
        if concept not in seen:
            seen.add(concept)
            query.concepts.append(Concept(concept, broader))
        for alternative, weight, _ in alternatives:
            for term in alternative:
                query.terms[term] = max(query.terms.get(term, 0.0), weight / len(alternative))
    for index, piece in enumerate(found):
        concept = (frozenset(piece.terms[:1]), frozenset(piece.words))
        if _EITHER.fullmatch(piece.raw):  # "roles/policies": roles or policies, either one answers
            concept = (*concept, *(frozenset({word}) for word in piece.words))
        spelled = tuple(NUMBER_WORDS.get(word, word) for word in piece.words)
        if len(piece.words) > 1 and spelled != piece.words:  # "4-eyes" is "four-eyes"
            concept = (*concept, frozenset(spelled))
            for term in spelled:
                query.terms.setdefault(term, SPELLED_NUMBER_WEIGHT)
        if index not in covered and concept not in seen:
            seen.add(concept)
            query.concepts.append(Concept(concept))
    return query


def query_vector(text: str) -> tuple[list[int], list[float]]:
    """The question's own terms only (no glossary), each weight 1."""
    return analyze(text).vector()
