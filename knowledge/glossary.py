"""The governed glossary: synonyms and abbreviations that widen a question at query time.

A rep asks about "BYOK" where the documents say "customer-managed keys", or about "Okta" where
they say "SAML single sign-on". Each entry names a term, its synonyms (the same thing said another
way: a question with any of them also searches for the others), related words (kinds of the thing,
such as the vendors of it: a question with one also searches for the term and its synonyms, not for the
other related words, and a passage about the term answers it: SAML single sign-on answers "Okta?") and
aspects (particular things asked about under the term: "BAA" under HIPAA, "RPO" under disaster
recovery, searched like related words, but only a passage naming the aspect itself answers: a HIPAA page
that never mentions a BAA does not say whether one is signed). Added words weigh less than the
question's own, so a document that uses the question's exact words still ranks first. The file is YAML validated on load
(`examples/governance/glossary.yaml`); it is applied to questions only, so editing it needs no re-index.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.governed import GovernedFileError, load_governed
from knowledge import lexical
from knowledge.lexical import Alternative, Expansion

DEFAULT_GLOSSARY = Path(__file__).resolve().parents[1] / "examples" / "governance" / "glossary.yaml"
SYNONYM_WEIGHT = 0.5  # of a question's own word; shared among a synonym's words
logger = logging.getLogger(__name__)


class GlossaryError(GovernedFileError):
    """The glossary file cannot be read or is invalid."""


def _searchable(phrases: list[str]) -> list[str]:
    for phrase in phrases:
        searched = lexical.words(phrase)
        if not searched:
            raise ValueError(f"'{phrase}' has no searchable word (only stop words or single letters)")
        written = phrase.split()
        if len(searched) == 1 and len(written) > 1 and searched[0] in {lexical.stem(word) for word in written}:
            # "own servers" searches as "server" alone, so any server would read as self-hosting; "how much" as
            # "much". ("log in" is one word, "login": a phrasal verb reads as its noun.)
            raise ValueError(
                f"'{phrase}' is searched as '{searched[0]}' alone (its other words are stop words), so every "
                f"question with that word would read as it: write the phrase another way, or leave it out"
            )
    return phrases


class Entry(BaseModel):
    """One term with the other ways people say it."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1, description="The term as the documents most often say it.")
    synonyms: list[str] = Field(default_factory=list, description="Abbreviations and other names for the same thing.")
    related: list[str] = Field(
        default_factory=list, description="Kinds of the thing (vendors, products): the term answers for them."
    )
    aspects: list[str] = Field(
        default_factory=list,
        description="Particular things asked about under the term (an agreement, a metric): found through it, "
        "answered only where named.",
    )

    @field_validator("term")
    @classmethod
    def _term_searchable(cls, term: str) -> str:
        return _searchable([term])[0]

    @field_validator("synonyms", "related", "aspects")
    @classmethod
    def _phrases_searchable(cls, phrases: list[str]) -> list[str]:
        return _searchable(phrases)


class GlossaryFile(BaseModel):
    """examples/governance/glossary.yaml."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    entries: list[Entry] = Field(default_factory=list)


class Glossary:
    """Finds the glossary's phrases in a question's words and says what each one adds."""

    def __init__(self, document: GlossaryFile) -> None:
        self.version = document.version
        # first word -> [(phrase words, alternatives)]
        self._phrases: dict[str, list[tuple[tuple[str, ...], list[Alternative]]]] = defaultdict(list)
        self._shorthand: dict[str, str] = {}
        for entry in document.entries:
            term = entry.term.lower()
            self._shorthand |= {synonym.lower(): term for synonym in entry.synonyms if _shortens(synonym.lower(), term)}
            # Spellings that stem alike ("audit log", "audit logs") are one phrase.
            same = list(dict.fromkeys(tuple(lexical.words(p)) for p in [entry.term, *entry.synonyms]))
            group = [(frozenset(words), SYNONYM_WEIGHT, False) for words in same]
            for words in same:
                self._phrases[words[0]].append((words, group))
            broader = [(terms, weight, True) for terms, weight, _ in group]
            for phrases, implied in ((entry.related, group), (entry.aspects, broader)):
                for words in dict.fromkeys(tuple(lexical.words(p)) for p in phrases):
                    if words not in same:
                        self._phrases[words[0]].append((words, [(frozenset(words), 1.0, False), *implied]))

    def shorthand(self) -> dict[str, str]:
        """Each other name that shortens a one-word term ("ppl": "people", "diff": "difference", "mgr":
        "manager"): what a reader knows the word as."""
        return dict(self._shorthand)

    def knows(self, phrase: str) -> bool:
        """Whether the glossary has `phrase` as a term or one of its other names ("DR", "SSO")."""
        return bool(self.expansions(lexical.words(phrase)))

    def expansions(self, words: list[str]) -> list[Expansion]:
        """(start, end, alternatives) for each phrase found; a phrase inside a longer one found is left out."""
        found: list[Expansion] = []
        for start, word in enumerate(words):
            for phrase, alternatives in self._phrases.get(word, []):
                end = start + len(phrase)
                if tuple(words[start:end]) == phrase:
                    found.append((start, end, alternatives))
        merged: dict[tuple[int, int], list[Alternative]] = {}
        for start, end, alternatives in found:
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in found):
                merged.setdefault((start, end), []).extend(alternatives)  # one phrase in two entries: one concept
        return [(start, end, alternatives) for (start, end), alternatives in merged.items()]


def _shortens(short: str, word: str) -> bool:
    """Whether `short` is `word` written short: a word of letters, its first letter, the rest of its letters in
    order ("ppl" of "people", "mgmt" of "management"), not another word for it ("fee" for "pricing")."""
    if not short.isalpha() or not word.isalpha() or len(short) >= len(word) or short[0] != word[0]:
        return False
    rest = iter(word)
    return all(letter in rest for letter in short)


EMPTY = Glossary(GlossaryFile(version="none"))


def load_glossary(path: Path) -> Glossary:
    """Read and validate a glossary file; a broken one is refused with one line naming the field."""
    return Glossary(load_governed(path, GlossaryFile, what="glossary", error=GlossaryError))


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The shipped glossary, loaded once; an install without the examples folder searches without one."""
    if not DEFAULT_GLOSSARY.exists():
        logger.warning("no glossary at %s: questions are searched without synonyms", DEFAULT_GLOSSARY)
        return EMPTY
    return load_glossary(DEFAULT_GLOSSARY)
