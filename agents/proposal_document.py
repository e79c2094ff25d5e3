"""The proposal as a document: the governed Jinja2 template filled by code, then Markdown and PDF.

Prices enter here, from the CPQ quote, never from the draft. The PDF is rendered with fpdf2
from the Markdown (through markdown-it's HTML), so both formats say exactly the same thing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt

from deals.qualification import FIELD_LABELS, Qualification, display_value, format_money
from integrations.cpq.engine import Quote
from knowledge.models import Passage

if TYPE_CHECKING:  # agents.proposal imports this module to render what its agent drafts
    from agents.proposal import ProposalDraft

TEMPLATES = Path(__file__).resolve().parents[1] / "examples" / "governance" / "templates"
REQUIREMENT_FIELDS = ("seats", "deployment", "regions", "compliance", "integrations", "sso_required", "target_close")


def pricing_table(quote: Quote) -> str:
    def money(amount: Decimal) -> str:
        return format_money(amount, quote.currency)

    rows = ["| Item | Quantity | List / unit | Per year | Term total |", "|---|---:|---:|---:|---:|"]
    for line in quote.lines:
        per_year = money(line.annual_amount) if line.billing == "annual" else f"{money(line.annual_amount)} (one-time)"
        cells = [f"{line.sku} {line.name}", str(line.quantity), money(line.list_unit_price), per_year]
        rows.append("| " + " | ".join([*cells, money(line.term_total)]) + " |")
    rows.append(
        f"| **Total, {quote.term_years}-year term** | | {money(quote.list_total)} list | | **{money(quote.total)}** |"
    )
    return "\n".join(rows)


def allowed_figures(quote: Quote) -> tuple[set[str], set[str]]:
    """Every amount and percentage the document may show: the quote's own numbers, as rendered."""
    amounts: set[Decimal] = {quote.total, quote.list_total, quote.discount_amount, quote.annual_contract_value}
    percents: set[Decimal] = {quote.effective_discount_pct, quote.requested_discount_pct}
    for line in quote.lines:
        amounts |= {line.list_unit_price, line.annual_amount, line.term_total, line.list_term_total}
        percents |= {rule.pct for rule in line.rules}
    money = {format_money(a, quote.currency).replace(" ", "") for a in amounts}
    pct = {f"{p.normalize():f}%" for p in percents}
    return money, pct


def render_markdown(
    *,
    draft: ProposalDraft,
    record: Qualification,
    quote: Quote,
    quote_version: int,
    deal_id: int,
    passages: list[Passage],
    today: date,
) -> str:
    by_id = {p.chunk_id: p for p in passages}
    cited: list[str] = []
    for claim in [*draft.solution, *draft.security]:
        if claim.chunk_id not in cited:
            cited.append(claim.chunk_id)
    numbered = (
        [{"text": c.text, "source_number": cited.index(c.chunk_id) + 1} for c in draft.solution],
        [{"text": c.text, "source_number": cited.index(c.chunk_id) + 1} for c in draft.security],
    )
    sources = [
        f"{by_id[c].title}{' › ' + by_id[c].section if by_id[c].section else ''} — {by_id[c].source}"
        for c in cited
        if c in by_id
    ]
    environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False)
    template = environment.get_template("proposal.md.j2")
    view: dict[str, Any] = draft.model_dump()
    view["solution"], view["security"] = numbered
    requirements = [
        (FIELD_LABELS[name], display_value(record, name)) for name in REQUIREMENT_FIELDS if getattr(record, name)
    ]
    return template.render(
        company=record.company or "the customer",
        contact=record.contact_name,
        today=today.isoformat(),
        deal_id=deal_id,
        quote_version=quote_version,
        draft=view,
        requirements=requirements,
        pricing_table=pricing_table(quote),
        pricing_note="Prices from the CPQ engine, catalog " + quote.catalog_version + ".",
        sources=sources,
    )


def to_pdf(markdown: str, *, title: str) -> bytes:
    from fpdf import FPDF

    html = MarkdownIt("commonmark").enable("table").render(markdown)
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("Halyard Systems")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    # fpdf2's core fonts are Latin-1: replace the few typographic characters they lack.
    safe = html.translate({0x2014: "-", 0x2013: "-", 0x203A: ">", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2022: "-"})
    pdf.write_html(safe.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())
