"""Does the knowledge base answer this question? The decision behind an honest "I don't know".

Retrieval always finds *something*: a question about ISO 27001 retrieves the page about SOC 2, one
about an uptime SLA retrieves the support SLA. What tells them apart is whether the passages hold what
the question is specifically about. Two signals, both measured against the corpus itself:

- **Coverage**: the share of the question's concepts one passage holds, each concept weighted by how
  specific it is in this corpus (inverse document frequency). A concept the corpus never mentions
  (`ISO 27001`, `Salesforce`, `RPO`) weighs as much as the rarest word, unless it is a misspelling of a
  corpus word (repaired), an abbreviation of one (`prod`, `vuln`), or an everyday word that is merely
  context ("huge", "worried": a single piece of the embedding model's general English vocabulary),
  which weighs little.
- **Closeness**: the cosine between the question and the passage's nearest sentence (dense vectors).

The knowledge base answers when `coverage + CLOSENESS_WEIGHT * closeness` clears the floor for the
mode in use. The floors were calibrated on the development questions of two public documentation sets
(evals/corpora/); figures in docs/benchmarks.md. The concepts a question names that no passage holds
are reported, so "I don't know" can say what was not found.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from knowledge import lexical
from knowledge.lexical import AnalyzedQuery, Concept

CLOSENESS_WEIGHT = 0.5
FLOOR_HYBRID = 0.64  # coverage + 0.5 x closeness
FLOOR_LEXICAL = 0.30  # coverage alone, when there are no dense vectors
COMPLETE = 0.999
MIN_CLOSENESS = 0.5  # below it no sentence is about the question's subject, whatever words they share,
STRONG_COVERAGE = 0.75  # unless one passage holds most of what the question names
CONTEXT_WEIGHT = 0.25  # of a concept's IDF, for an everyday word the corpus does not use
COMMON_WEIGHT = 0.5  # for one of the commonest English words ("much", "region", "possible")
COMMON_RANK = 5000  # the word-piece vocabulary is ordered by frequency: ids below this are the commonest words
TYPO_CUTOFF = 0.82  # difflib ratio for a misspelling of a corpus word
MIN_TYPO_LENGTH = 5
MIN_ABBREVIATION = 4
PASSAGES_JUDGED = 5

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_MIN_SENTENCE = 20  # characters: shorter lines are headings or table fragments


@dataclass
class Vocabulary:
    """What the corpus says: document frequency per index term, and its plain words for repairs."""

    document_frequency: Counter[str] = field(default_factory=Counter)
    documents: int = 0
    plain_words: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        vocabulary = cls()
        for text in texts:
            vocabulary.documents += 1
            vocabulary.document_frequency.update(set(lexical.tokens(text)))
            vocabulary.plain_words.update(w for w in lexical.plain_words(text) if len(w) >= MIN_ABBREVIATION)
        return vocabulary

    @cached_property
    def _sorted_words(self) -> list[str]:
        return sorted(self.plain_words)

    @cached_property
    def _sorted_terms(self) -> list[str]:
        return sorted(self.document_frequency)

    def frequency(self, concept: Concept) -> int:
        """Chunks holding the concept (any of its alternatives, all of that alternative's terms)."""
        return max(
            (
                min(self.document_frequency[term] for term in alternative)
                for alternative in concept.alternatives
                if alternative
            ),
            default=0,
        )

    def idf(self, frequency: int) -> float:
        return math.log((self.documents + 1) / (frequency + 0.5))

    def repair(self, word: str) -> str | None:
        """The corpus term a word the corpus lacks stands for: a misspelling or an abbreviation of it."""
        if not word.isalpha():
            return None  # "27001" is not a misspelling of "2001"
        if len(word) >= MIN_TYPO_LENGTH:
            near = difflib.get_close_matches(word, self._sorted_words, n=1, cutoff=TYPO_CUTOFF)
            if near:
                return lexical.stem(near[0])
        if len(word) >= MIN_ABBREVIATION:
            word = word.removesuffix("s") if len(word) > MIN_ABBREVIATION else word  # "vulns"
            longer = next((t for t in self._sorted_terms if t.startswith(word) and t != word), None)
            if longer is not None:
                return longer
        return None


@dataclass(frozen=True)
class WeightedConcept:
    concept: Concept
    weight: float
    label: str  # the question's own words, to say what was not found
    unknown: bool  # specific, and absent from the whole corpus


@dataclass(frozen=True)
class Support:
    """How well the best passage supports an answer, and what no passage holds."""

    coverage: float
    closeness: float | None
    missing: tuple[str, ...]  # the question's specific concepts no judged passage holds

    def score(self) -> float:
        return self.coverage + CLOSENESS_WEIGHT * (self.closeness or 0.0)

    def answers(self) -> bool:
        if self.coverage >= COMPLETE:
            return True  # one passage holds everything the question names ("BYOK?")
        if self.closeness is None:
            return self.score() >= FLOOR_LEXICAL
        near = self.closeness >= MIN_CLOSENESS or self.coverage >= STRONG_COVERAGE
        return near and self.score() >= FLOOR_HYBRID


class EverydayWords:
    """Is a word general English? One piece of the embedding model's word-piece vocabulary says so, and
    its place in that vocabulary (ordered by frequency) says how common it is."""

    def __init__(self, tokenize: Callable[[list[str]], list[list[int]]] | None) -> None:
        self._tokenize = tokenize

    def rank(self, word: str) -> int | None:
        """The word's frequency rank in general English, or None when it is not one common word."""
        if self._tokenize is None or not word.isalpha():
            return None
        pieces = self._tokenize([word])[0]
        return pieces[0] if len(pieces) == 1 else None

    def __call__(self, word: str) -> bool:
        return self.rank(word) is not None

    def common(self, word: str) -> bool:
        rank = self.rank(word)
        return rank is not None and rank < COMMON_RANK


def weigh(
    query: AnalyzedQuery, question: str, vocabulary: Vocabulary, everyday: EverydayWords
) -> list[WeightedConcept]:
    """Each concept of the question with its weight in the decision."""
    spelled = {lexical.stem(word): word for word in lexical.plain_words(question)}
    weighted = []
    for concept in query.concepts:
        own = sorted(concept.alternatives[0])
        label = " ".join(dict.fromkeys(word for stem, word in spelled.items() if stem in own)) or " ".join(own)
        frequency = vocabulary.frequency(concept)
        unknown = False
        if frequency == 0:
            repaired = _repaired(concept, spelled, vocabulary)
            if repaired is not None:
                concept = Concept((*concept.alternatives, repaired))
                frequency = vocabulary.frequency(concept)
            elif all(everyday(spelled.get(term, term)) or _is_quantity(term) for term in own):
                # Context, not subject: "huge", "worried", or a quantity ("50k", "6.4") a passage rarely repeats.
                weighted.append(WeightedConcept(concept, CONTEXT_WEIGHT * vocabulary.idf(0), label, False))
                continue
            else:
                unknown = True
        weight = vocabulary.idf(frequency)
        if not unknown and all(everyday.common(spelled.get(term, term)) for term in own):
            weight *= COMMON_WEIGHT
        weighted.append(WeightedConcept(concept, weight, label, unknown))
    return weighted


# A quantity ("500", "50k", "6.4", "3x", "20%") is context; a bare number of four or more digits names
# something ("ISO 42001", "27001") and is not.
_QUANTITY = re.compile(r"^(?:\d{1,3}(?:,\d{3})*|\d+[.,]\d+|\d+(?:k|m|bn|x|%))$")


def _is_quantity(term: str) -> bool:
    return bool(_QUANTITY.match(term))


def _repaired(concept: Concept, spelled: dict[str, str], vocabulary: Vocabulary) -> frozenset[str] | None:
    """The corpus terms a concept the corpus lacks stands for, when each of its words (or, for a compound,
    each of its parts) is a misspelling or an abbreviation of a corpus word."""
    for alternative in concept.alternatives:
        repaired = [vocabulary.repair(spelled.get(term, term)) for term in sorted(alternative)]
        if alternative and all(repaired):
            return frozenset(term for term in repaired if term)
    return None


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if len(s.strip()) >= _MIN_SENTENCE]


def judge(concepts: Sequence[WeightedConcept], passages: Sequence[str], closeness: float | None) -> Support:
    """The support the best of `passages` gives the question; `closeness` is the best cosine between the
    question and a sentence of theirs (None without dense vectors)."""
    total = sum(c.weight for c in concepts)
    if not concepts or not passages or total <= 0:
        return Support(0.0, closeness, tuple(c.label for c in concepts if c.unknown))
    best = 0.0
    held: set[int] = set()
    for text in passages:
        present = set(lexical.tokens(text))
        found = {i for i, c in enumerate(concepts) if c.concept.found_in(present)}
        held |= found
        best = max(best, sum(concepts[i].weight for i in found) / total)
    average = total / len(concepts)
    missing = tuple(
        c.label
        for i, c in sorted(enumerate(concepts), key=lambda pair: -pair[1].weight)
        if i not in held and (c.unknown or c.weight >= average)
    )
    return Support(best, closeness, missing)


def closeness(question_vector: Sequence[float], sentence_vectors: Sequence[Sequence[float]]) -> float:
    """The cosine between the question and its nearest sentence."""
    if not sentence_vectors:
        return 0.0
    question = np.asarray(question_vector, dtype=np.float32)
    sentences = np.asarray(sentence_vectors, dtype=np.float32)
    norms = np.linalg.norm(sentences, axis=1) * float(np.linalg.norm(question))
    cosines = (sentences @ question) / np.where(norms == 0, 1.0, norms)
    return float(cosines.max())
