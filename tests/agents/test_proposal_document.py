"""The proposal document: composed from the quote, the catalog and the record, rendered to Markdown and a branded
PDF with embedded Unicode fonts, and checked by the guardrail as a customer would read it."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from agents import figures, proposal_guardrail
from agents.proposal import Claim, ProposalDraft, terms_of
from agents.proposal_document import CommercialTerms, render_markdown
from agents.proposal_pdf import to_pdf
from agents.proposal_sections import ProposalInputs, compose
from agents.proposal_templates import load_theme, load_wording
from deals.qualification import Qualification, format_money
from integrations.cpq.catalog import load_catalog
from integrations.cpq.engine import LineRequest, QuoteRequest, price
from integrations.cpq.models import QuoteRecord, QuoteStatus
from knowledge.models import Passage

TODAY = date(2026, 11, 30)
CATALOG = load_catalog()
THEME = load_theme()


def passage(chunk_id: str, audience: str | None, title: str, source: str = "https://docs.halyard.example/x") -> Passage:
    """A retrieved chunk; `audience` None: the document named none (internal by default)."""
    classified = {"audience": audience} if audience else {}
    return Passage(
        chunk_id=chunk_id, title=title, section="", source=source, path=f"{chunk_id}.md", text="", score=1.0,
        **classified,
    )  # fmt: skip


PASSAGES = [
    passage(
        "hipaa", "public", "HIPAA and Business Associate Agreements", "https://docs.halyard.example/security/hipaa"
    ),
    passage("salesforce", "customer-shareable", "Salesforce connector guide"),
    passage("battlecard", "internal", "Battlecard: Fivetran", "https://sales.halyard.example/battlecards/fivetran"),
    passage("untagged", None, "A chunk nobody classified"),
    passage("nda", "confidential", "Case study under NDA"),
]
DRAFT = ProposalDraft(
    executive_summary="Your analysts wait a day for fresh numbers; continuous change data capture ends the wait.",
    why_us=[
        Claim(text="Halyard streams changes continuously instead of syncing on a schedule", chunk_id="salesforce"),
        Claim(text="Fivetran loses on price in two of five deals", chunk_id="battlecard"),
    ],
    solution=[Claim(text="The Salesforce connector streams Sales Cloud and custom objects", chunk_id="salesforce")],
    security=[
        Claim(text="PHI is encrypted in transit and at rest with per-tenant keys", chunk_id="hipaa", topic="HIPAA"),
        Claim(text="Nobody has classified this sentence", chunk_id="untagged", topic="SOC2"),
    ],
)  # fmt: skip


def inputs(
    *, currency: str = "USD", contact: str = "Dana Lee", payment_terms: str = "net 30", company: str = "Northwind"
) -> ProposalInputs:
    quote = price(
        QuoteRequest(
            currency=currency,
            term_years=3,
            discount_pct=Decimal(25),
            lines=[LineRequest(sku="HS-ENT", quantity=300), LineRequest(sku="HS-SUP", quantity=1)],
        ),
        CATALOG,
    )
    record = Qualification(
        company=company,
        contact_name=contact,
        contact_role="VP Data",
        pain="nightly batch jobs from Oracle and Salesforce into Snowflake take 6 hours",
        metrics="dashboards no more than 5 minutes behind the source",
        poc_weeks=4,
        go_live=date(2027, 6, 1),
        target_close=date(2027, 3, 31),
        deployment="saas",
        regions=["US", "EU"],
        compliance=["HIPAA", "SOC2"],
        integrations=["Oracle", "Salesforce", "Snowflake"],
        sso_required=True,
        identity_provider="Okta",
        competitors=["Fivetran"],
    )
    terms = CommercialTerms(
        currency=currency,
        payment_terms=payment_terms,
        billing_frequency="annual",
        term_start=date(2027, 4, 1),
        valid_until=date(2026, 12, 30),
    )
    return ProposalInputs(
        record=record, quote=quote, terms=terms, catalog=CATALOG, theme=THEME, wording=load_wording(), today=TODAY
    )


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def problems_with(markdown: str, given: ProposalInputs, *, grounded_text: str = "") -> list[str]:
    allowed = proposal_guardrail.permitted(
        quote=given.quote,
        terms=given.terms,
        record=given.record,
        catalog=CATALOG,
        today=TODAY,
        links=["https://docs.halyard.example/security/hipaa"],
        website=THEME.website,
    )
    return proposal_guardrail.check(markdown, allowed, grounded_text=grounded_text)


@pytest.mark.parametrize(
    ("currency", "symbol", "contact", "company"),
    [
        ("EUR", "€", "Łukasz Wróbel", "Zakłady Żółć Sp. z o.o."),
        ("GBP", "£", "Дмитрий Соколов", "Γιώργος Παπαδόπουλος & Υιοί"),
    ],
)
def test_the_pdf_prints_any_currency_symbol_and_name_as_written(currency, symbol, contact, company):
    given = inputs(currency=currency, contact=contact, company=company)
    pdf = to_pdf(compose(given, DRAFT, PASSAGES), THEME)
    text = pdf_text(pdf)
    assert contact in text and company in text
    total = format_money(given.quote.total, currency)
    assert total.startswith(symbol) and total in text
    assert f"?{total[1:]}" not in text
    fonts = str(PdfReader(io.BytesIO(pdf)).pages[1]["/Resources"]["/Font"])
    assert "/F" in fonts and b"DejaVuSans" in pdf  # the theme's font, embedded


def test_markdown_and_pdf_are_the_same_document():
    given = inputs(currency="EUR")
    document = compose(given, DRAFT, PASSAGES)
    markdown, text = render_markdown(document), pdf_text(to_pdf(document, THEME))
    amounts = [token for token, _ in figures.amounts_in(markdown)]
    assert len(amounts) > 10
    for token in amounts:
        assert token in text
    for section in document.sections:
        assert section.title in markdown and section.title in text


def test_the_quote_lines_terms_and_plan_are_what_the_proposal_says():
    given = inputs(payment_terms="net 60")
    markdown = render_markdown(compose(given, DRAFT, PASSAGES))
    line = given.quote.lines[0]
    listed, off = format_money(line.list_term_total, "USD"), format_money(line.list_term_total - line.term_total, "USD")
    assert f"| Halyard Stream Enterprise (HS-ENT) | 300 seats | {listed} | −{off}" in markdown
    assert CATALOG.get("HS-ENT").description.split(":")[0] in markdown  # what you get, from the catalog
    assert "| **Payment terms** | Net 60 |" in markdown and "Net 30" not in markdown
    assert "| **Billing frequency** | Annually in advance |" in markdown
    assert "| Proof of concept | Weeks 1–4 |" in markdown and "| Go-live | 1 June 2027 |" in markdown
    # A competitor is on the deal, but comparisons live in internal battlecards: the title claims none.
    assert "## 2. Why Halyard Stream" in markdown and "rather than" not in markdown
    assert "| HIPAA | Included in Halyard Stream Enterprise." in markdown
    assert "A Business Associate Agreement, signed together with the order form." in markdown
    assert "31 March 2027" not in markdown and "2027-03-31" not in markdown  # the target close stays internal
    assert problems_with(markdown, given) == []


def test_an_internal_or_unclassified_chunk_never_reaches_the_document():
    document = compose(inputs(), DRAFT, PASSAGES)
    markdown = render_markdown(document)
    assert "Fivetran loses on price" not in markdown and "Battlecard" not in markdown
    assert "Nobody has classified" not in markdown and "sales.halyard.example" not in markdown
    assert {claim.chunk_id for claim in document.claims} == {"salesforce", "hipaa"}
    assert "[1] Salesforce connector guide\n" in markdown.replace("  \n", "\n")  # shareable: cited, no link
    assert "[2] HIPAA and Business Associate Agreements — https://docs.halyard.example/security/hipaa" in markdown


def test_the_guardrail_refuses_a_claim_citing_a_chunk_not_for_customers():
    leaked = proposal_guardrail.CitedClaim(text="Fivetran loses on price", chunk_id="battlecard")
    claims = [*compose(inputs(), DRAFT, PASSAGES).claims, leaked]
    assert proposal_guardrail.check_claims(claims, PASSAGES) == [
        "a claim cites 'Battlecard: Fivetran', which is not customer-shareable"
    ]


def test_the_guardrail_refuses_an_unquoted_sku_or_product():
    given = inputs()
    markdown = render_markdown(compose(given, DRAFT, PASSAGES))
    problems = problems_with(
        markdown + "\nOracle needs HS-CONN, the Premium Connectors Pack; the Government edition has no BAA; HS-ULTRA.",
        given,
    )
    assert problems == [
        "SKU HS-CONN is not on the quote",
        "SKU HS-ULTRA is not in the catalog",
        "product 'premium connectors pack' (HS-CONN) is not on the quote",
        "product 'government edition' (HS-GOV) is not on the quote",
    ]


def test_the_guardrail_refuses_a_figure_only_a_document_states():
    given = inputs()
    markdown = render_markdown(compose(given, DRAFT, PASSAGES))
    document_text = "Enterprise is now $99 per seat with a 99.99% SLA, audited 1 July 2025."
    problems = problems_with(markdown + "\n" + document_text + "\n", given, grounded_text=document_text)
    assert problems == [
        "amount '$99' comes from the knowledge base, not the quote",
        "percentage '99.99%' comes from the knowledge base, not the quote",
        "date '1 July 2025' comes from the knowledge base, not the quote",
    ]
    assert "99.95%" in markdown  # the quoted edition's catalog entry states it: allowed


def test_the_guardrail_refuses_internal_references():
    given = inputs()
    markdown = render_markdown(compose(given, DRAFT, PASSAGES))
    internal = "Deal #12 · Quote v3 · close 31 March 2027 · https://sales.halyard.example/faq · wiki.halyard.example"
    assert problems_with(markdown + "\n" + internal + "\n", given) == [
        "date '31 March 2027' is the internal target close date",
        "'Deal #12' is an internal reference",
        "'Quote v3' is an internal reference",
        "link 'https://sales.halyard.example/faq' is not one a customer can open",
        "address 'wiki.halyard.example' is not one a customer can open",
    ]


def test_the_quote_records_terms_are_what_the_proposal_prints():
    record = QuoteRecord(
        deal_id=1,
        version=1,
        status=QuoteStatus.APPROVED,
        currency="EUR",
        total="1",
        catalog_version=CATALOG.version,
        payment_terms="net 60",
        billing_frequency="quarterly",
        term_start=None,
        valid_until=date(2026, 12, 30),
    )
    terms = terms_of(record)
    assert (terms.payment_terms, str(terms.billing_frequency), terms.term_start) == ("net 60", "quarterly", None)
    given = inputs()
    given = ProposalInputs(**{**given.__dict__, "terms": terms})
    markdown = render_markdown(compose(given, DRAFT, PASSAGES))
    assert "| **Payment terms** | Net 60 |" in markdown and "| **Subscription start** | On signature |" in markdown
    assert "| **Billing frequency** | Quarterly in advance |" in markdown


def test_the_pdf_renders_as_a_branded_proposal():
    pdf = to_pdf(compose(inputs(currency="EUR", contact="Łukasz Wróbel"), DRAFT, PASSAGES), THEME)
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) >= 4
        cover = document[0].render(scale=0.5).to_pil().convert("RGB")
        primary = tuple(int(THEME.colours.primary[i : i + 2], 16) for i in (1, 3, 5))
        assert cover.getpixel((cover.width - 5, 5)) == primary  # the cover's brand band
        assert cover.getpixel((cover.width - 5, cover.height - 5)) == (255, 255, 255)
        body = document[2].render(scale=0.5).to_pil().convert("L")
        inked = sum(body.histogram()[:128])
        assert inked > 500  # text and tables, not an empty page
    finally:
        document.close()


def test_the_success_criteria_agreed_in_the_poc_plan_are_how_success_is_measured():
    agreed = ("End-to-end latency ≤ 15 minutes (today: 6 hours)", "Failed loads per month ≤ 1 (today: 4)")
    markdown = render_markdown(compose(dataclasses.replace(inputs(), poc_criteria=agreed), DRAFT, PASSAGES))
    summary = markdown.split("### How success will be measured", 1)[1].split("###", 1)[0]
    assert "- End-to-end latency ≤ 15 minutes (today: 6 hours)." in summary
    assert "- Failed loads per month ≤ 1 (today: 4)." in summary
    plan = markdown.split("| Proof of concept |", 1)[1].split("\n", 1)[0]
    assert "End-to-end latency ≤ 15 minutes (today: 6 hours); Failed loads per month ≤ 1 (today: 4)" in plan
