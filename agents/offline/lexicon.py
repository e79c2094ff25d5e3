"""The offline model's vocabulary (lexicon.yaml), validated and compiled once into name matchers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from deals.qualification import Compliance, Region

LEXICON = Path(__file__).with_name("lexicon.yaml")

# A name in running text: not glued to a letter or digit on either side ("SF" is not in "SFDC").
_BEFORE = r"(?<![\w])"
_AFTER = r"(?![\w])"
_PREPOSITION = r"\b(?:in|from|at|near|around|based in|offices? in|HQ in|located in)\s+(?:the\s+)?"


class LexiconFile(BaseModel):
    """The shape of lexicon.yaml; a bad entry fails on load, not as a silent miss later."""

    version: int
    regions: dict[Region, list[str]]
    region_groups: dict[str, list[Region]] = Field(default_factory=dict)
    regions_after_preposition: dict[Region, list[str]] = Field(default_factory=dict)
    case_sensitive: list[str] = Field(default_factory=list)
    compliance: dict[Compliance, list[str]]
    compliance_weak: dict[Compliance, list[str]] = Field(default_factory=dict)
    compliance_in_context: dict[Compliance, list[str]] = Field(default_factory=dict)
    competitors: dict[str, list[str]]
    integrations: dict[str, list[str]]
    identity_providers: dict[str, list[str]] = Field(default_factory=dict)
    identity_providers_in_context: dict[str, list[str]] = Field(default_factory=dict)
    products: dict[str, list[str]]
    products_in_context: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("compliance", "compliance_weak", "compliance_in_context", "products", "products_in_context")
    @classmethod
    def _patterns_compile(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        for pattern in (p for aliases in groups.values() for p in aliases):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad pattern {pattern!r}: {exc}") from None
        return groups

    @field_validator("products", "products_in_context")
    @classmethod
    def _skus(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = [sku for sku in groups if not re.fullmatch(r"HS-[A-Z]+", sku)]
        if bad:
            raise ValueError(f"not catalog SKUs: {bad}")
        return groups

    @model_validator(mode="after")
    def _one_meaning_per_name(self) -> LexiconFile:
        for category in ("competitors", "integrations"):
            owner: dict[str, str] = {}
            for canonical, aliases in getattr(self, category).items():
                for alias in [canonical, *aliases]:
                    key = _key(alias)
                    if owner.setdefault(key, canonical) != canonical:
                        raise ValueError(f"{category}: {alias!r} names both {owner[key]} and {canonical}")
        # An identity provider is never also an integration or a competitor: one field holds it.
        others = {
            _key(alias): canonical
            for category in ("competitors", "integrations")
            for canonical, aliases in getattr(self, category).items()
            for alias in [canonical, *aliases]
        }
        for group in (self.identity_providers, self.identity_providers_in_context):
            for canonical, aliases in group.items():
                for alias in [canonical, *aliases]:
                    if _key(alias) in others:
                        raise ValueError(f"identity_providers: {alias!r} is also {others[_key(alias)]}")
        return self


@dataclass(frozen=True)
class Mention:
    """A name found in the text and the canonical value(s) it stands for."""

    values: tuple[str, ...]
    start: int
    end: int
    text: str


def _key(name: str) -> str:
    return re.sub(r"[\s-]+", " ", name.casefold()).strip()


def _trie_pattern(words: list[str]) -> str:
    """One regex for many literal words, as a character trie: fast, and longest match first."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [(_char(char) + emit(child)) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A word may end here or go on: the longer reading is tried first (greedy `?`).
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _char(char: str) -> str:
    return r"[\s-]" if char in " -" else re.escape(char)


class NameMatcher:
    """Literal names (case-insensitive unless listed as case-sensitive) -> canonical values."""

    def __init__(
        self,
        names: dict[str, tuple[str, ...]],
        case_sensitive: set[str],
        after_preposition: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._exact = {name: values for name, values in names.items() if name in case_sensitive}
        self._folded = {_key(name): values for name, values in names.items() if name not in case_sensitive}
        folded_words = sorted({name.casefold() for name in names if name not in case_sensitive})
        exact_words = sorted(self._exact)
        alternatives = []
        if folded_words:
            alternatives.append(f"(?i:{_trie_pattern(folded_words)})")
        if exact_words:
            alternatives.append(_trie_pattern(exact_words))
        self._pattern = re.compile(f"{_BEFORE}(?:{'|'.join(alternatives)}){_AFTER}")
        self._after = after_preposition or {}
        self._after_pattern = (
            re.compile(f"(?i:{_PREPOSITION})(?P<name>{_trie_pattern(sorted(self._after))}){_AFTER}")
            if self._after
            else None
        )

    def find(self, text: str) -> list[Mention]:
        found: list[Mention] = []
        for match in self._pattern.finditer(text) if self._exact or self._folded else ():
            word = match.group(0)
            values = self._exact.get(word) or self._folded.get(_key(word))
            if values:
                found.append(Mention(values, match.start(), match.end(), word))
        if self._after_pattern:
            for match in self._after_pattern.finditer(text):
                found.append(Mention(self._after[match["name"]], match.start("name"), match.end(), match["name"]))
        return sorted(found, key=lambda m: m.start)


class PatternMatcher:
    """Regular-expression aliases (compliance, products), one named group per canonical value."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self._values = {f"c{index}": value for index, value in enumerate(groups)}
        parts = [
            f"(?P<c{index}>{'|'.join(f'(?:{a})' for a in aliases)})" for index, aliases in enumerate(groups.values())
        ]
        self._pattern = re.compile(f"{_BEFORE}(?:{'|'.join(parts)}){_AFTER}", re.IGNORECASE)

    def find(self, text: str) -> list[Mention]:
        if not self._values:
            return []
        return [
            Mention((self._values[m.lastgroup or ""],), m.start(), m.end(), m.group(0))
            for m in self._pattern.finditer(text)
        ]


@dataclass(frozen=True)
class Lexicon:
    version: int
    regions: NameMatcher
    compliance: PatternMatcher
    compliance_weak: PatternMatcher
    compliance_in_context: PatternMatcher
    competitors: NameMatcher
    integrations: NameMatcher
    identity_providers: NameMatcher
    identity_providers_in_context: NameMatcher  # names that are an IdP only in a clause about signing in
    products: PatternMatcher
    products_in_context: PatternMatcher  # a product only when listed with another product ("+ premium support + SSO")


def _names(groups: dict[str, list[str]], *, with_canonical: bool) -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for canonical, aliases in groups.items():
        for alias in [canonical, *aliases] if with_canonical else aliases:
            names[str(alias)] = (str(canonical),)
    return names


def load_lexicon(path: Path = LEXICON) -> Lexicon:
    data = LexiconFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    sensitive = set(data.case_sensitive)
    regions = _names({r.value: a for r, a in data.regions.items()}, with_canonical=False)
    regions |= {name: tuple(r.value for r in group) for name, group in data.region_groups.items()}
    after = _names({r.value: a for r, a in data.regions_after_preposition.items()}, with_canonical=False)
    return Lexicon(
        version=data.version,
        regions=NameMatcher(regions, sensitive, after),
        compliance=PatternMatcher({c.value: a for c, a in data.compliance.items()}),
        compliance_weak=PatternMatcher({c.value: a for c, a in data.compliance_weak.items()}),
        compliance_in_context=PatternMatcher({c.value: a for c, a in data.compliance_in_context.items()}),
        competitors=NameMatcher(_names(data.competitors, with_canonical=True), sensitive),
        integrations=NameMatcher(_names(data.integrations, with_canonical=True), sensitive),
        identity_providers=NameMatcher(_names(data.identity_providers, with_canonical=True), sensitive),
        identity_providers_in_context=NameMatcher(
            _names(data.identity_providers_in_context, with_canonical=False), sensitive
        ),
        products=PatternMatcher(data.products),
        products_in_context=PatternMatcher(data.products_in_context),
    )


@cache
def lexicon() -> Lexicon:
    """The shipped lexicon, loaded once per process."""
    return load_lexicon()
