"""An answer composed from retrieved passages, the same wherever a rep asks: `/lto ask` and a product question
in a deal's thread. The direct answer first (the table cell the question names), then the sentences that answer
best across the passages (`quoting.answering_sentences`), grouped by the passage they come from, best first.

Sentences that state amounts are never quoted: prices come from CPQ, so passages that state them are reported
as `priced`, for the caller to point at the price list and a CPQ ballpark instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import figures
from agents.offline.quoting import answering_sentences, other_rows, row_label, table_cell, table_listing

Passage = dict[str, Any]  # a search result as the tools return it: chunk_id, text, title, section, source...


@dataclass(frozen=True)
class Composed:
    """What to say: the direct answer, if a table holds it, and the quotes, each with the passage it is from."""

    cell: tuple[str, Passage] | None = None
    quotes: list[tuple[str, Passage]] = field(default_factory=list)
    priced: list[Passage] = field(default_factory=list)  # quoted (or best) passages that state prices

    @property
    def empty(self) -> bool:
        return self.cell is None and not self.quotes


def compose(question: str, passages: list[Passage]) -> Composed:
    """The answer to `question` from `passages` (best first)."""
    if not passages:
        return Composed()
    said = answering_sentences(
        [str(p.get("text", "")) for p in passages],
        question,
        headings=[str(p.get("section") or "") for p in passages],
        quotable=lambda unit: not figures.states_money(unit),
    )
    rows = {row_label(q.text) for q in said}  # a cell leads only when its row is among the best answers
    holding = [passages[index] for index in dict.fromkeys(q.passage for q in said)]
    cells = ((p, table_cell(str(p.get("text", "")), question, rows=rows)) for p in holding)
    cell = next(((text, p) for p, text in cells if text and not figures.states_money(text)), None)
    if cell is None:  # "what roles are there?": the labels of the rows of a table of roles
        listings = ((p, table_listing(str(p.get("text", "")), question)) for p in passages)
        cell = next(((text, p) for p, text in listings if text and not figures.states_money(text)), None)
    else:  # "P1 with premium support?": the P4 row says nothing of P1, whatever it says of premium
        others = other_rows(cell[0], [str(p.get("text", "")) for p in passages], question)
        said = [q for q in said if not q.text.startswith(others)] or said
    order = list(dict.fromkeys(q.passage for q in said))  # the passage of the best sentence first
    quotes = [
        (
            _marked(" ".join(q.text for q in sorted(said, key=lambda q: q.position) if q.passage == index)),
            passages[index],
        )
        for index in order
    ]
    quoted = [passages[index] for index in order]
    priced = [p for p in quoted or passages[:2] if figures.states_money(str(p.get("text", "")))]
    return Composed(cell=cell, quotes=quotes, priced=priced)


def _marked(quote: str) -> str:
    """A quote that ends by announcing what it does not quote ("Run this command against the endpoint:", then a
    code block or a list left out) says so, for the reader to look in the source."""
    return f"{quote} …" if quote.rstrip().endswith(":") else quote
