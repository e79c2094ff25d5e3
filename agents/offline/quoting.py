"""Extractive answers: the sentences of a passage that answer a question, and how to cite it."""

from __future__ import annotations

import re
from typing import Any

from knowledge import lexical


def cite(passage: dict[str, Any]) -> str:
    source = passage.get("source", "")
    label = passage.get("title", "source")
    if passage.get("section"):
        label = f"{label} › {passage['section']}"
    link = f"<{source}|{label}>" if source.startswith("http") else f"{label} ({source})"
    return link + (" _(may be out of date)_" if passage.get("stale") else "")


def _cells(line: str) -> list[str] | None:
    """A Markdown table line's cells; None for the |---|---| line under the header."""
    cells = [c.strip() for c in line.strip("|").split("|")]
    return None if all(set(c) <= set("-: ") for c in cells) else cells


def sentences(text: str) -> list[str]:
    """Sentences, with table rows read out as "Row: Column value, ..." so they quote well."""
    units: list[str] = []
    header: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            plain = re.sub(r"\*\*|__|`", "", " ".join(prose))  # Markdown emphasis reads as noise in a quote
            units.extend(u.strip() for u in re.split(r"(?<=[.!?])\s+", plain) if u.strip())
            prose.clear()

    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("|"):
            flush()
            cells = _cells(line)
            if cells is None:
                continue
            if not header:
                header = cells
                continue
            pairs = [f"{h} {c}" for h, c in zip(header[1:], cells[1:], strict=False) if c]
            units.append(f"{cells[0]}: {', '.join(pairs)}.")
            continue
        header = []
        if not line or line[:1] in "-*•#":
            flush()
            if line[:1] in "-*•":
                prose.append(line.lstrip("-*• "))
            continue
        prose.append(line)
    flush()
    return [u for u in units if len(u) > 3 and not u.startswith("…")]


def quote(text: str, query: str, limit: int = 420) -> str:
    """The passage's sentences that share the most words with the question, in their original order."""
    wanted = set(lexical.tokens(query))
    units = sentences(text)
    overlap = [len(wanted & set(lexical.tokens(unit))) for unit in units]
    ranked = sorted(range(len(units)), key=lambda i: (-overlap[i], i))
    best = overlap[ranked[0]] if ranked else 0
    chosen: list[int] = []
    for index in ranked:
        # Keep to the sentences that answer: close to the best match, within the length budget.
        if chosen and (overlap[index] < best * 0.6 or sum(len(units[i]) for i in chosen) + len(units[index]) > limit):
            break
        chosen.append(index)
        if len(chosen) == 3:
            break
    return " ".join(units[i] for i in sorted(chosen))


def relevance(text: str, query: str) -> int:
    """How many of the question's words the passage's best sentence shares."""
    wanted = set(lexical.tokens(query))
    return max((len(wanted & set(lexical.tokens(unit))) for unit in sentences(text)), default=0)


def best_passages(passages: list[Any], query: str, *, most: int = 2) -> list[Any]:
    """The top passage, plus runners-up that answer nearly as well (a weak second source only distracts)."""
    if not passages:
        return []
    text = lambda p: p["text"] if isinstance(p, dict) else p.text  # noqa: E731
    top = relevance(text(passages[0]), query)
    return [passages[0]] + [p for p in passages[1:most] if relevance(text(p), query) >= top * 0.75]


def table_cell(text: str, query: str) -> str | None:
    """The one cell of a table the question asks for, as "Row, Column: value": the question names the
    row ("P1") and the column ("Premium"). None when no table cell is named that way."""
    wanted = set(lexical.tokens(query))
    best: tuple[int, str] | None = None
    header: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line.startswith("|"):
            header = []
            continue
        cells = _cells(line)
        if cells is None:
            continue
        if not header:
            header = cells
            continue
        row = len(wanted & set(lexical.tokens(cells[0])))
        if not row:
            continue
        for name, value in zip(header[1:], cells[1:], strict=False):
            column = len(wanted & set(lexical.tokens(name)))
            if column and value and (best is None or row + column > best[0]):
                best = (row + column, f"{cells[0]}, {name}: {value}")
    return best[1] if best else None
