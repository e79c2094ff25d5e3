"""Does the knowledge base answer this question? The decision behind an honest "I don't know".

Retrieval always finds *something*: a question about ISO 27001 retrieves the page about SOC 2, one
about an uptime SLA retrieves the support SLA. What tells them apart is whether the passages hold what
the question is specifically about. Two signals, both measured against the corpus itself, and a check:

- **Coverage**: the share of the question's concepts one passage holds, each concept weighted by how
  specific it is in this corpus (inverse document frequency). A concept the corpus never mentions
  (`ISO 27001`, `Salesforce`, `RPO`) weighs as much as the rarest word, unless it is a misspelling of a
  corpus word (repaired), an abbreviation of one (`prod`, `vuln`), or an everyday word that is merely
  context ("huge", "worried": a single piece of the embedding model's general English vocabulary),
  which weighs little. So does what the question names only as its scene, where no passage holds it: a
  part that does not ask ("firewall team needs a list"), who the customer is ("Prospect (FinServ, ~40
  nodes)"), who asks ("Prospect in banking asks: ..."), a count of the asker's things (`asked.in_scene`),
  and the asker's customer itself ("prospect", "customer": `asked.asker`).
- **Closeness**: the cosine between the question (its misspellings of corpus words corrected) and the
  passage's nearest sentence (dense vectors).
- **The kind of answer**: a question that asks for an amount of money, an uptime figure, a rate, a
  duration ("how long are logs kept?"), a size ("max message size"), a count, or names a numbered standard
  or version ("SOC 1", "ISO 27701") is not answered by passages that state none (`lacking_answer`), however
  close they are;
  nor is one whose subject, or a glossary aspect it asks about ("SAML", "BAA"), no passage names.

The knowledge base answers when `coverage + CLOSENESS_WEIGHT * closeness` clears the floor for the mode in use
and nothing of the kind asked for, or asked about, is lacking (knowledge/asked.py). The floors were calibrated
on the development questions of public documentation sets (evals/corpora/) and the sample knowledge base's,
pooled. Over the dev splits of all twenty products' question sets and the sample knowledge base's questions
(283 unanswerable, 760 answerable), 0.64 abstains on 213 and refuses 37 (4.9%); 0.62 would abstain on 205 and
refuse 29, 0.66 abstain on 216 and refuse 40. The floor stays: an answer built from passages that do not hold
it misleads, while "I don't know" sends the rep to the people who know and records the gap. Figures in
docs/benchmarks.md. The concepts a question names that no passage holds are reported, so
"I don't know" can say what was not found.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from knowledge import lexical
from knowledge.asked import (
    asked_about,
    asker,
    asker_context,
    in_scene,
    lacking_answer,
    named_connection,
    numbered_standard,
    unanswered_subject,
)
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
MIN_INITIALS, MAX_INITIALS = 2, 4  # letters of an acronym read as a corpus name's initials
MIN_NAME_COUNT = 3  # times the corpus writes a name before an acronym is read as it
# A product's name written as one word with inner capitals ("CloudHub", "GrowthBook", "JetStream"): reps write
# its initials ("CH", "GB", "JS"). A code identifier ("UserInfo", "ConsoleIcons") is written far less often than
# the product's own name, hence the higher count.
MIN_CAMEL_NAME_COUNT = 50
NAME_OVER_ACRONYM = 3  # ... and as many times more often than it writes the acronym
SUPPLEMENT_SHARE = 0.5  # of the average concept weight: a concept no judged passage holds, worth a further one
# A word of letters alone: the letters of "2FA" or "k8s" are not a word to respell ("FA" is no "Full Access")
_WORD = re.compile(r"(?<![^\W_])[A-Za-z]+(?![^\W_])")


@dataclass
class Vocabulary:
    """What the corpus says: document frequency per index term, and its plain words for repairs."""

    document_frequency: Counter[str] = field(default_factory=Counter)
    pair_frequency: Counter[lexical.Pair] = field(default_factory=Counter)  # terms standing together
    documents: int = 0
    plain_words: set[str] = field(default_factory=set)
    names: Counter[str] = field(default_factory=Counter)  # capitalised phrases: "Enterprise Edition"
    camel_names: Counter[str] = field(default_factory=Counter)  # one word, inner capitals: "CloudHub"

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        vocabulary = cls()
        for text in texts:
            vocabulary.documents += 1
            tokens = lexical.tokens(text)
            vocabulary.document_frequency.update(set(tokens))
            vocabulary.pair_frequency.update(lexical.near_pairs(tokens))
            vocabulary.plain_words.update(w for w in lexical.plain_words(text) if len(w) >= MIN_ABBREVIATION)
            vocabulary.names.update(name for name in map(_as_name, _NAMED_PHRASE.findall(text)) if name)
            vocabulary.camel_names.update(_CAMEL_NAME.findall(text))
        return vocabulary

    @cached_property
    def _names_by_initials(self) -> dict[str, list[tuple[int, str]]]:
        by_initials: dict[str, list[tuple[int, str]]] = {}
        for name, count in self.names.items():
            initials = "".join(word[0] for word in re.split(r"[ -]", name)).lower()
            by_initials.setdefault(initials, []).append((count, name))
        for name, count in self.camel_names.items():
            if count >= MIN_CAMEL_NAME_COUNT:
                by_initials.setdefault("".join(filter(str.isupper, name)).lower(), []).append((count, name))
        return {initials: sorted(names, reverse=True) for initials, names in by_initials.items()}

    def spelled_out(self, acronym: str) -> str | None:
        """The corpus's name an acronym stands for, by its initials ("EE": "Enterprise Edition"), when the corpus
        writes the name out far more often than the acronym and no other name with those initials comes near."""
        if not MIN_INITIALS <= len(acronym) <= MAX_INITIALS:
            return None
        names = self._names_by_initials.get(acronym.lower(), [])
        if not names or names[0][0] < MIN_NAME_COUNT or (len(names) > 1 and names[0][0] < 2 * names[1][0]):
            return None
        written = self.document_frequency[lexical.stem(acronym.lower())]
        return names[0][1] if written * NAME_OVER_ACRONYM < names[0][0] else None  # the corpus writes it out

    @cached_property
    def _sorted_words(self) -> list[str]:
        return sorted(self.plain_words)

    @cached_property
    def _sorted_terms(self) -> list[str]:
        return sorted(self.document_frequency)

    def frequency(self, concept: Concept) -> int:
        """Chunks holding the concept (any of its alternatives, all of that alternative's terms)."""
        return max((self._frequency(alternative) for alternative in concept.alternatives if alternative), default=0)

    def _frequency(self, alternative: frozenset[str]) -> int:
        """Chunks holding all the alternative's terms; for a phrase, at most those where each of its words
        stands next to another of them (an upper bound: the pairs may be in different chunks)."""
        held = min(self.document_frequency[term] for term in alternative)
        if len(alternative) < 2 or not held:
            return held
        together = min(
            max(self.pair_frequency[lexical.pair(term, other)] for other in alternative if other != term)
            for term in alternative
        )
        return min(held, together)

    def idf(self, frequency: int) -> float:
        return math.log((self.documents + 1) / (frequency + 0.5))

    def respell(self, word: str) -> str | None:
        """The corpus word a word the corpus lacks is a misspelling of ("intergration": "integration")."""
        if not word.isalpha() or len(word) < MIN_TYPO_LENGTH or word in self.plain_words:
            return None
        if self.document_frequency[lexical.stem(word)]:
            return None  # another form of a corpus word, not a misspelling
        return self._misspelled(word)

    def _misspelled(self, word: str) -> str | None:
        """The corpus word `word` is a slip of the keys for: close, and no more than a letter longer or shorter
        ("attachmnts", "intergration"). A name the corpus lacks is not one of its words misspelled: "graphql"
        is not "graph"."""
        near = difflib.get_close_matches(word, self._sorted_words, n=3, cutoff=TYPO_CUTOFF)
        return next((candidate for candidate in near if abs(len(candidate) - len(word)) <= 1), None)

    def respelled(
        self, question: str, everyday: Callable[[str], bool], known: Callable[[str], bool] = lambda word: False
    ) -> str:
        """The question with its misspellings of corpus words corrected (a word of general English, like
        "annually" or "through", is no misspelling): what its meaning is compared with."""

        def corrected(match: re.Match[str]) -> str:
            word = match[0].lower()
            if _ACRONYM.fullmatch(match[0]):  # "HITRUST" is a name, not a misspelling of "trust"; "EE" may be
                if word in lexical.STOP_WORDS or known(match[0]):  # the corpus's "Enterprise Edition", but "IT"
                    return match[0]  # is "it" and the glossary's "DR" is disaster recovery
                return self.spelled_out(match[0]) or match[0]
            if word in lexical.STOP_WORDS or everyday(word):
                return match[0]
            return self.respell(word) or match[0]

        return _WORD.sub(corrected, question)

    def repair(self, word: str) -> str | None:
        """The corpus term a word the corpus lacks stands for: a misspelling or an abbreviation of it."""
        if not word.isalpha():
            return None  # "27001" is not a misspelling of "2001"
        if len(word) >= MIN_TYPO_LENGTH:
            near = self._misspelled(word)
            if near:
                return lexical.stem(near)
        if len(word) >= MIN_ABBREVIATION:
            word = word.removesuffix("s") if len(word) > MIN_ABBREVIATION else word  # "vulns"
            after = itertools.islice(self._sorted_terms, bisect.bisect_right(self._sorted_terms, word), None)
            longer = list(itertools.takewhile(lambda t: t.startswith(word), after))
            if longer:  # "prod": the commonest corpus term it begins ("product"), not the first in the alphabet
                return max(longer, key=lambda t: (self.document_frequency[t], -len(t)))
        return None


@dataclass(frozen=True)
class WeightedConcept:
    concept: Concept
    weight: float
    label: str  # the question's own words, to say what was not found
    unknown: bool  # specific, and absent from the whole corpus
    # For the scene a question sets ("firewall team needs a list"): what it weighs when no passage holds it. The
    # passages that hold it still count it whole; the ones that do not lose little.
    absent_weight: float | None = None


@dataclass(frozen=True)
class Support:
    """How well the best passage supports an answer, and what no passage holds."""

    coverage: float
    closeness: float | None
    missing: tuple[str, ...]  # the question's specific concepts no judged passage holds
    lacking: str | None = None  # the kind of answer the question asks for that no judged passage states

    def score(self) -> float:
        return self.coverage + CLOSENESS_WEIGHT * (self.closeness or 0.0)

    def answers(self) -> bool:
        if self.lacking is not None:
            return False  # "how much is it?" with no amount anywhere; "ISO 27701?" where only ISO 27001 is
        if self.coverage >= COMPLETE:
            return True  # one passage holds everything the question names ("BYOK?")
        if self.closeness is None:
            return self.score() >= FLOOR_LEXICAL
        near = self.closeness >= MIN_CLOSENESS or self.coverage >= STRONG_COVERAGE
        return near and self.score() >= FLOOR_HYBRID


class EverydayWords:
    """Is a word general English? One piece of the embedding model's word-piece vocabulary says so, and
    its place in that vocabulary (ordered by frequency) says how common it is. A word the pieces split
    ("sandbox", "lag") may still be one a reader knows: `frequent` holds the commonest spoken words
    (knowledge/english.py)."""

    def __init__(
        self,
        tokenize: Callable[[list[str]], list[list[int]]] | None,
        frequent: frozenset[str] = frozenset(),
        shorthand: Mapping[str, str] | None = None,
    ) -> None:
        self._tokenize = tokenize
        self._frequent = frequent
        self._shorthand = shorthand or {}  # chat shorthand ("ppl", "diff") read as the word it stands for
        self.knows_english = tokenize is not None  # without a vocabulary, every word looks specific

    def rank(self, word: str) -> int | None:
        """The word's frequency rank in general English, or None when it is not one common word."""
        word = self._shorthand.get(word.lower(), word)
        if self._tokenize is None or not word.isalpha():
            return None
        pieces = self._tokenize([word])[0]
        return pieces[0] if len(pieces) == 1 else None

    def general(self, word: str) -> bool:
        """Whether a reader knows the word without knowing the product: one word piece, or one of the
        commonest spoken words. What a question asks about is specific when it is not (knowledge/asked.py);
        the weighing keeps to the word pieces, so a rarer word ("escrow") still weighs as the subject."""
        frequent = self.knows_english and self._shorthand.get(word.lower(), word.lower()) in self._frequent
        return self.rank(word) is not None or frequent  # rank() reads shorthand as its word too

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
    acronyms = {lexical.stem(word.lower()) for word in _ACRONYM.findall(question)}
    weighted = []
    for concept in query.concepts:
        own = sorted(concept.alternatives[0])
        label = " ".join(dict.fromkeys(word for stem, word in spelled.items() if stem in own)) or " ".join(own)
        frequency = vocabulary.frequency(concept)
        unknown = False
        if frequency == 0:
            # A word written in capitals is a name: "HITRUST" is not a misspelling of "trust".
            repaired = _repaired(concept, spelled, vocabulary) if acronyms.isdisjoint(own) else None
            if repaired is not None:
                concept = Concept((*concept.alternatives, repaired), concept.broader)
                frequency = vocabulary.frequency(concept)
            elif (
                acronyms.isdisjoint(own)
                and all(everyday(spelled.get(term, term)) or _is_quantity(term) for term in own)
            ) or asker_context(label, question):
                # Context, not subject: "huge", "worried", a quantity ("50k", "6.4") a passage rarely repeats, or
                # the asker's own people ("Initech's team", "our CISO wants").
                weighted.append(WeightedConcept(concept, CONTEXT_WEIGHT * vocabulary.idf(0), label, False))
                continue
            else:
                unknown = True
        weight = vocabulary.idf(frequency)
        if not unknown and all(everyday.common(spelled.get(term, term)) for term in own):
            weight *= COMMON_WEIGHT
        if in_scene(label, question) or asker(label):  # the scene, not the subject: "Prospect (FinServ, ~40 nodes)"
            weighted.append(WeightedConcept(concept, weight, label, False, CONTEXT_WEIGHT * weight))
            continue
        weighted.append(WeightedConcept(concept, weight, label, unknown))
    return weighted


# Two to four capitalised words in a row, as documents write a product's or a feature's name.
_NAMED_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,3}\b")
_CAMEL_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b")


def _as_name(phrase: str) -> str | None:
    """A capitalised phrase without the sentence's first word it may begin with ("The Enterprise Edition",
    "Does Mattermost"), if a name of two words or more remains."""
    words = phrase.split()
    while words and words[0].lower() in lexical.STOP_WORDS:
        words = words[1:]
    return " ".join(words) if len(words) >= 2 else None


# A word the asker capitalised whole ("DORA", "ICT") is a name, never everyday English, whatever it spells.
_ACRONYM = re.compile(r"\b[A-Z]{2,10}\b")

# A quantity ("500", "50k", "6.4", "3x", "20%") or an ordinal ("a 2nd copy") is context; a bare number of
# four or more digits names something ("ISO 42001", "27001") and is not.
_QUANTITY = re.compile(r"^(?:\d{1,3}(?:,\d{3})*|\d+[.,]\d+|\d+(?:k|m|bn|x|%)|\d{1,2}(?:st|nd|rd|th))$")


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


def judge(
    concepts: Sequence[WeightedConcept],
    passages: Sequence[str],
    closeness: float | None,
    *,
    question: str = "",
    everyday: EverydayWords | None = None,
) -> Support:
    """The support the best of `passages` gives the question; `closeness` is the best cosine between the
    question and a sentence of theirs (None without dense vectors). With the `question`'s words, also whether
    the passages state the kind of answer it asks for (`lacking`)."""
    if not concepts or not passages or sum(c.weight for c in concepts) <= 0:
        return Support(0.0, closeness, tuple(c.label for c in concepts if c.unknown))
    english = everyday or EverydayWords(None)
    lacking = lacking_answer(question, passages, english) if question else None
    if lacking is None and question:
        lacking = next(
            (
                c.label
                for c in concepts
                if c.unknown and (named_connection(c.label, question) or numbered_standard(c.label))
            ),
            None,
        )
    founds = []
    for text in passages:
        tokens = lexical.tokens(text)
        present, near = set(tokens), lexical.near_pairs(tokens)
        founds.append({i for i, c in enumerate(concepts) if c.concept.named_in(present, near)})
    held: set[int] = set().union(*founds)
    weights = [
        c.absent_weight if c.absent_weight is not None and i not in held else c.weight for i, c in enumerate(concepts)
    ]
    total = sum(weights)
    best = max(sum(weights[i] for i in found) / total for found in founds)
    average = total / len(concepts)
    missing = tuple(
        c.label
        for i, c in sorted(enumerate(concepts), key=lambda pair: -weights[pair[0]])
        if i not in held and (c.unknown or weights[i] >= average)
    )
    if lacking is None and question and english.knows_english:
        lacking = unanswered_subject(question, missing, english)
    if lacking is None and question:
        # A glossary aspect ("SCIM", "BAA", "SAML") is answered only where it is named: the page on the term it
        # falls under (provisioning, HIPAA, single sign-on) does not say whether it is there.
        lacking = next(
            (
                c.label
                for i, c in enumerate(concepts)
                if c.concept.broader and i not in held and asked_about(question, c.label)
            ),
            None,
        )
    if lacking is not None:
        missing = (lacking, *(label for label in missing if label.lower() not in lacking.lower()))
    return Support(best, closeness, missing, lacking)


def supplements(
    concepts: Sequence[WeightedConcept], judged: Sequence[str], candidates: Sequence[str], most: int
) -> list[int]:
    """Which of `candidates` (passages ranked below the judged ones, best first) to add to an answer: at
    most `most`, each holding a concept of the question that no judged passage and no candidate added before
    it holds (one weighing at least SUPPLEMENT_SHARE of the average concept: not mere context). The fact a
    question turns on is sometimes in the eighth passage when the first five repeat its commoner words."""
    if most <= 0 or not concepts or not candidates:
        return []
    average = sum(c.weight for c in concepts) / len(concepts)
    held = {i for text in judged for i, c in enumerate(concepts) if c.concept.named_in(set(lexical.tokens(text)))}
    wanted = {i for i, c in enumerate(concepts) if i not in held and c.weight >= SUPPLEMENT_SHARE * average}
    chosen: list[int] = []
    for index, text in enumerate(candidates):
        if len(chosen) == most or not wanted:
            break
        found = {i for i in wanted if concepts[i].concept.named_in(set(lexical.tokens(text)))}
        if found:
            chosen.append(index)
            wanted -= found
    return chosen


def closeness(question_vector: Sequence[float], sentence_vectors: Sequence[Sequence[float]]) -> float:
    """The cosine between the question and its nearest sentence."""
    if not sentence_vectors:
        return 0.0
    question = np.asarray(question_vector, dtype=np.float32)
    vectors = np.asarray(sentence_vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1) * float(np.linalg.norm(question))
    cosines = (vectors @ question) / np.where(norms == 0, 1.0, norms)
    return float(cosines.max())
