"""The offline model's vocabulary (lexicon.yaml), loaded once into compiled matchers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEXICON = Path(__file__).with_name("lexicon.yaml")


@dataclass(frozen=True)
class Matcher:
    """Finds any alias of any canonical name; `finditer` yields (canonical, match)."""

    pattern: re.Pattern[str]
    canonical_by_group: dict[str, str]

    def finditer(self, text: str):  # type: ignore[no-untyped-def]
        for match in self.pattern.finditer(text):
            yield self.canonical_by_group[match.lastgroup or ""], match


def _alias_regex(alias: str, *, literal: bool) -> str:
    body = re.escape(alias).replace(r"\ ", r"[\s-]?") if literal else alias
    # Word boundaries that also work next to punctuation such as "U.S." or "S/4".
    return rf"(?<![\w/-]){body}(?![\w/-]|\.\w)"


def _matcher(groups: dict[str, list[str]], case_sensitive: set[str], *, literal: bool = True) -> Matcher:
    parts: list[str] = []
    canonical: dict[str, str] = {}
    index = 0
    entries = [(name, str(alias)) for name, aliases in groups.items() for alias in aliases]
    # Longest first, so "SAP S/4HANA" wins over "SAP" and "Mexico City" over "Mexico".
    for name, alias in sorted(entries, key=lambda e: -len(e[1])):
        group = f"g{index}"
        index += 1
        regex = _alias_regex(alias, literal=literal)
        flags = "" if alias in case_sensitive else "(?i:"
        parts.append(f"(?P<{group}>{flags}{regex}{')' if flags else ''})")
        canonical[group] = name
    return Matcher(re.compile("|".join(parts)), canonical)


@dataclass(frozen=True)
class Lexicon:
    regions: Matcher
    compliance: Matcher
    competitors: Matcher
    integrations: Matcher
    products: Matcher


@cache
def lexicon() -> Lexicon:
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    sensitive = set(data.get("case_sensitive") or [])
    return Lexicon(
        regions=_matcher(data["regions"], sensitive),
        compliance=_matcher(data["compliance"], sensitive, literal=False),
        competitors=_matcher(data["competitors"], sensitive),
        integrations=_matcher(data["integrations"], sensitive),
        products=_matcher(data["products"], sensitive, literal=False),
    )
