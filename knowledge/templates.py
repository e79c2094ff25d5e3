"""Markdown that a site generator renders through a template language, read for its words.

- ERB (`.markerb`, `.md.erb`; Middleman, Rails): the tags are code, not content. `<%= partial "shared/pricing" %>`
  or a loop over a data file would otherwise be indexed and quoted to a rep. What a tag would print is unknown
  without the site's data, so the tag goes; the prose around it stays.
- Liquid variables (Jekyll): documentation sites name their products through variables, so that a rename is one
  edit (`{{site.konnect_short_name}} supports SSO`). Dropped, they would leave holes in the sentences a rep reads
  ("offers two plans") and the product's name unsearchable; the variable reads as the words of its name
  ("Konnect"), which is what such names are chosen to say.

Fenced code blocks are left exactly as written: a page may document the template language itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FENCE = re.compile(r"^\s*(```|~~~)")
# `<% code %>`, `<%= output %>`, `<%# comment %>`, `<%- trimmed -%>`; a tag may span lines (`render X.new(` ...)
_TAG = re.compile(r"<%.*?%>", re.DOTALL)
# `{{site.base_gateway}}`, `{{ site.data.products.insomnia.name | upcase }}`: the site's own names (a page's
# variables, `{{ page.title }}`, hold its front matter's values, which the name does not say)
_VARIABLE = re.compile(r"\{\{\s*site\.([\w.]+)\s*(?:\|[^{}\n]*)?\}\}")
# what a variable's name says beyond the thing it names: "mesh_product_name", "konnect_short_name"
_NAME_SUFFIX = re.compile(r"(?:_(?:product|short|full|display))?_name(?:_official)?$")
SHORT_NAME = 3  # letters: a part this short reads as an initialism ("kic": "KIC"), unless it is a word
_SHORT_WORDS = frozenset({"app", "web", "dev", "new", "old", "pro", "max", "min", "ops", "hub", "lab", "net", "box"})


def without_erb(text: str) -> str:
    """`text` with its ERB tags taken out, outside fenced code blocks."""
    if "<%" not in text:
        return text
    return _in_prose(text, lambda prose: _TAG.sub("", prose))


def variables_as_words(text: str) -> str:
    """`text` with its Liquid variables read as the words of their names, outside fenced code blocks."""
    if "{{" not in text:
        return text
    return _in_prose(text, lambda prose: _VARIABLE.sub(_words, prose))


def _words(match: re.Match[str]) -> str:
    parts = match[1].split(".")
    name = parts[-1]
    if name == "name" and len(parts) > 1:  # "data.products.insomnia.name": the insomnia product's name
        name = parts[-2]
    words = _NAME_SUFFIX.sub("", name).split("_")
    return " ".join(
        word.upper() if len(word) <= SHORT_NAME and word not in _SHORT_WORDS else word.capitalize()
        for word in words
        if word
    )


def _in_prose(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to its prose, its fenced code blocks as written."""
    parts: list[str] = []
    prose: list[str] = []
    fenced: str | None = None
    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if fenced is None and not fence:
            prose.append(line)
            continue
        if fenced is None and fence:  # a code block opens: what came before it is prose
            parts.append(change("\n".join(prose)))
            prose = []
            fenced = fence[1]
            parts.append(line)
            continue
        parts.append(line)
        if fence and fence[1] == fenced:
            fenced = None
    if prose:
        parts.append(change("\n".join(prose)))
    return "\n".join(parts)
