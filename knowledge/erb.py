"""Markdown that a Ruby site renders through ERB (`.markerb`, `.md.erb`; Middleman, Jekyll plugins, Rails): the
template tags are code, not content. `<%= partial "shared/pricing" %>` or a loop over a data file would
otherwise be indexed and quoted to a rep. What a tag would print is unknown without the site's data, so the tag
goes; the prose around it stays. Fenced code blocks are left exactly as written: a page may document ERB itself.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```|~~~)")
# `<% code %>`, `<%= output %>`, `<%# comment %>`, `<%- trimmed -%>`; a tag may span lines (`render X.new(` ...)
_TAG = re.compile(r"<%.*?%>", re.DOTALL)


def without_erb(text: str) -> str:
    """`text` with its ERB tags taken out, outside fenced code blocks."""
    if "<%" not in text:
        return text
    parts: list[str] = []
    prose: list[str] = []
    fenced: str | None = None
    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if fenced is None and not fence:
            prose.append(line)
            continue
        if fenced is None:  # a code block opens: what came before it is prose
            parts.append(_TAG.sub("", "\n".join(prose)))
            prose = []
            fenced = fence[1] if fence else None
            parts.append(line)
            continue
        parts.append(line)
        if fence and fence[1] == fenced:
            fenced = None
    if prose:
        parts.append(_TAG.sub("", "\n".join(prose)))
    return "\n".join(parts)
