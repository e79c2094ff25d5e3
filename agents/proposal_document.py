"""The proposal as one document model (sections of paragraphs, lists, tables, forms and signatures), and its
Markdown rendering through the governed Jinja template.

`agents/proposal_sections.py` composes it from the deal, the quote, the catalog and the draft;
`agents/proposal_pdf.py` draws the same model as a PDF, so both formats say exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, Field

from agents.proposal_templates import TEMPLATES
from integrations.cpq.engine import QuoteLine
from knowledge.models import CUSTOMER_FACING, Passage

UNITS = {"seat": ("seat", "seats"), "instance": ("instance", "instances"), "tb": ("TB", "TB")}


def is_customer_shareable(passage: Passage) -> bool:
    """Only chunks classified public or customer-shareable may reach a customer; a chunk that carries no
    classification counts as internal."""
    return str(getattr(passage, "audience", None) or "") in CUSTOMER_FACING


@dataclass(frozen=True)
class CommercialTerms:
    """The quote's commercial terms, as the quote records them: printed, never assumed."""

    currency: str
    payment_terms: str
    billing_frequency: str
    term_start: date | None
    valid_until: date


# The document model ------------------------------------------------------------------------------


class Paragraph(BaseModel):
    kind: Literal["paragraph"] = "paragraph"
    text: str
    sources: list[int] = Field(default_factory=list)


class Subheading(BaseModel):
    kind: Literal["subheading"] = "subheading"
    text: str


class Item(BaseModel):
    text: str
    sources: list[int] = Field(default_factory=list)


class Bullets(BaseModel):
    kind: Literal["bullets"] = "bullets"
    items: list[Item]


class Column(BaseModel):
    title: str
    align: Literal["left", "right"] = "left"
    width: float = Field(1.0, gt=0, description="Share of the table's width, relative to the other columns.")


class Table(BaseModel):
    kind: Literal["table"] = "table"
    columns: list[Column]
    rows: list[list[str]]
    totals: list[list[str]] = Field(default_factory=list, description="Emphasised rows after the body.")


class Facts(BaseModel):
    """Label and value pairs: terms, a cover's details."""

    kind: Literal["facts"] = "facts"
    rows: list[tuple[str, str]]


class Form(BaseModel):
    """Fields the customer fills in on paper or in the signing tool."""

    kind: Literal["form"] = "form"
    heading: str
    fields: list[str]


class Signatures(BaseModel):
    kind: Literal["signatures"] = "signatures"
    parties: list[str]
    lines: list[str]


Block = Annotated[Paragraph | Subheading | Bullets | Table | Facts | Form | Signatures, Field(discriminator="kind")]


class Section(BaseModel):
    title: str
    blocks: list[Block]


class CoverPage(BaseModel):
    title: str
    subtitle: str
    company: str
    prepared_for: str | None
    prepared_by: str
    date: str
    valid_until: str
    confidentiality: str


class Source(BaseModel):
    number: int
    title: str
    link: str | None = Field(None, description="Only for public documents: a customer can open it.")


class CitedClaim(BaseModel):
    """A capability claim as printed, with the chunk it cites (the guardrail checks its audience)."""

    text: str
    chunk_id: str


class ProposalDocument(BaseModel):
    cover: CoverPage
    sections: list[Section]
    sources: list[Source]
    sources_title: str
    claims: list[CitedClaim]
    theme_version: str
    wording_version: str


# Formatting shared by both renderers ------------------------------------------------------------


def long_date(day: date) -> str:
    """`31 March 2027`: unambiguous for a reader anywhere."""
    return f"{day.day} {day:%B %Y}"


def percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def with_citations(text: str, sources: list[int]) -> str:
    return text + "".join(f" [{n}]" for n in sources)


def line_discount(line: QuoteLine) -> tuple[Decimal, Decimal]:
    """What the line's rules took off its list price over the term, as an amount and a percentage of list."""
    amount = line.list_term_total - line.term_total
    if not line.list_term_total:
        return amount, Decimal(0)
    share = (amount / line.list_term_total * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount, share


def quantity_of(line: QuoteLine) -> str:
    names = UNITS.get(line.unit)
    if names is None:  # a flat item
        return f"{line.quantity:,}"
    return f"{line.quantity:,} {names[0] if line.quantity == 1 else names[1]}"


def years(term: int) -> str:
    return f"{term}-year" if term != 1 else "1-year"


# Markdown ------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(document: ProposalDocument) -> str:
    """The document as Markdown, through the governed template."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False, trim_blocks=True
    )
    environment.filters["cell"] = _cell
    environment.globals["cite"] = with_citations
    template = environment.get_template("proposal.md.j2")
    return template.render(document=document).strip() + "\n"
