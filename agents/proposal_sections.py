"""The proposal's sections, composed by code from the deal's record, the final quote, the catalog and the draft.

The model writes only the executive summary's prose and claims that cite customer-shareable chunks;
everything else comes from governed data: prices, discounts and terms from the quote, what each line
gives from the catalog, the plan from the deal's POC and go-live, the standard words from the governed
wording (`examples/governance/templates/proposal.yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from agents.proposal_document import (
    Block,
    Bullets,
    CitedClaim,
    Column,
    CommercialTerms,
    CoverPage,
    Facts,
    Form,
    Item,
    Paragraph,
    ProposalDocument,
    Section,
    Signatures,
    Source,
    Subheading,
    Table,
    is_customer_shareable,
    line_discount,
    long_date,
    percent,
    quantity_of,
    with_citations,
    years,
)
from agents.proposal_templates import Theme, Wording
from approvals.review_models import OFFER_SECTION, ReviewResult
from deals.qualification import Compliance, Qualification, Region, format_money
from integrations.cpq.catalog import Catalog
from integrations.cpq.engine import Quote
from knowledge.models import Passage

if TYPE_CHECKING:  # agents.proposal imports this module to compose what its agent drafts
    from agents.proposal import Claim, ProposalDraft


COMPLIANCE_NAMES = {
    Compliance.SOC2: "SOC 2 Type II",
    Compliance.HIPAA: "HIPAA",
    Compliance.GDPR: "GDPR",
    Compliance.ISO27001: "ISO 27001",
    Compliance.FEDRAMP: "FedRAMP",
    Compliance.PCI_DSS: "PCI-DSS",
}
REGION_NAMES = {
    Region.US: "the United States",
    Region.EU: "the European Union",
    Region.UK: "the United Kingdom",
    Region.CA: "Canada",
    Region.AU: "Australia",
    Region.APAC: "Asia-Pacific",
    Region.LATAM: "Latin America",
    Region.MEA: "the Middle East and Africa",
}
DEPLOYMENT_NAMES = {
    "saas": "Managed SaaS",
    "hybrid": "SaaS with hybrid agents in your network",
    "self_hosted": "Self-hosted",
}
CURRENCY_NAMES = {"USD": "US dollars", "EUR": "Euros", "GBP": "Pounds sterling", "CAD": "Canadian dollars"}


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _joined(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class ProposalInputs:
    """Everything a proposal is composed from."""

    record: Qualification
    quote: Quote
    terms: CommercialTerms
    catalog: Catalog
    theme: Theme
    wording: Wording
    today: date
    # The technical scope as sales engineering decided it (its edited items, assumptions and conditions; never
    # the reviewer's internal notes, which the result does not hold). None: not reviewed.
    review: ReviewResult | None = None
    poc_criteria: tuple[str, ...] = ()  # agreed with sales engineering in the POC plan: they come first


class _Citations:
    """Numbers sources in the order they are first cited; only customer-shareable chunks get a number."""

    def __init__(self, passages: list[Passage]) -> None:
        self.by_id = {p.chunk_id: p for p in passages if is_customer_shareable(p)}
        self.order: list[str] = []
        self.claims: list[CitedClaim] = []

    def cite(self, claim: Claim) -> Item | None:
        if claim.chunk_id not in self.by_id:
            return None  # not retrieved, or not for customers: the claim is left out
        if claim.chunk_id not in self.order:
            self.order.append(claim.chunk_id)
        text = _sentence(claim.text)
        self.claims.append(CitedClaim(text=text, chunk_id=claim.chunk_id))
        return Item(text=text, sources=[self.order.index(claim.chunk_id) + 1])

    def items(self, claims: list[Claim]) -> list[Item]:
        return [item for item in (self.cite(c) for c in claims) if item is not None]

    def sources(self) -> list[Source]:
        listed = []
        for number, chunk_id in enumerate(self.order, start=1):
            passage = self.by_id[chunk_id]
            title = passage.title + (f" › {passage.section}" if passage.section else "")
            public = str(getattr(passage, "audience", "")) == "public" and passage.source.startswith("https://")
            listed.append(Source(number=number, title=title, link=passage.source if public else None))
        return listed


def compose(inputs: ProposalInputs, draft: ProposalDraft, passages: list[Passage]) -> ProposalDocument:
    """The whole proposal as a document model: code places every figure, the draft only its prose and claims."""
    words, record = inputs.wording, inputs.record
    company = record.company or "your company"
    citations = _Citations(passages)
    sections = [
        _executive_summary(inputs, draft, company),
        _why_us(inputs, citations.items(draft.why_us)),
        _solution(inputs, citations.items(draft.solution)),
        _implementation(inputs),
        _security(inputs, draft.security, citations),
        _pricing(inputs),
        _terms(inputs),
        _order_form(inputs, company),
        _acceptance(inputs, company),
    ]
    contact = ", ".join(part for part in (record.contact_name, record.contact_role) if part) or None
    family = words.product_family
    cover = CoverPage(
        title=words.cover.title,
        subtitle=words.cover.subtitle.format(product_family=family, company=company),
        company=company,
        prepared_for=contact,
        prepared_by=inputs.theme.company,
        date=long_date(inputs.today),
        valid_until=long_date(inputs.terms.valid_until),
        confidentiality=words.cover.confidentiality.format(company=company),
    )
    return ProposalDocument(
        cover=cover,
        sections=[s for s in sections if s is not None],
        sources=citations.sources(),
        sources_title=words.sources.title,
        claims=citations.claims,
        theme_version=inputs.theme.version,
        wording_version=words.version,
    )


def _money(inputs: ProposalInputs, amount: Decimal) -> str:
    return format_money(amount, inputs.quote.currency)


def _term(inputs: ProposalInputs) -> str:
    return inputs.wording.pricing.per_term.format(term=years(inputs.quote.term_years))


def _executive_summary(inputs: ProposalInputs, draft: ProposalDraft, company: str) -> Section:
    words, record, quote = inputs.wording.executive_summary, inputs.record, inputs.quote
    blocks: list[Block] = [Paragraph(text=" ".join(draft.executive_summary.split()))]
    heard = [_sentence(text) for text in (record.pain, record.decision_criteria) if text]
    if heard:
        blocks += [Subheading(text=words.goals), Bullets(items=[Item(text=t) for t in heard])]
    blocks.append(Subheading(text=words.success))
    success = [_sentence(text) for text in inputs.poc_criteria] or [
        _sentence(text) for text in (record.metrics, record.poc_success_criteria) if text
    ]
    blocks.append(Bullets(items=[Item(text=t) for t in success]) if success else Paragraph(text=words.success_unknown))
    blocks.append(Subheading(text=words.recommendation))
    proposed = [line.name if line.unit == "flat" else f"{line.name}: {quantity_of(line)}" for line in quote.lines]
    blocks.append(Bullets(items=[Item(text=text) for text in proposed]))
    investment = words.investment.format(
        total=_money(inputs, quote.total),
        term=_term(inputs),
        annual=_money(inputs, quote.annual_contract_value),
    )
    blocks.append(Paragraph(text=investment))
    return Section(title=words.title, blocks=blocks)


def _why_us(inputs: ProposalInputs, items: list[Item]) -> Section | None:
    if not items:
        return None
    # Never "rather than <rival>": comparisons live in internal battlecards, which a proposal may not use, so the
    # reasons given are what public material says of the product, and the title claims no more than that.
    words, family = inputs.wording.why_us, inputs.wording.product_family
    return Section(title=words.title.format(product_family=family), blocks=[Bullets(items=items)])


def _solution(inputs: ProposalInputs, system_items: list[Item]) -> Section:
    words, quote = inputs.wording.solution, inputs.quote
    rows = []
    for line in quote.lines:
        sku = inputs.catalog.get(line.sku)
        description = sku.description if sku is not None and sku.description else line.name
        rows.append([f"{line.name} ({line.sku})", quantity_of(line), description])
    titles = words.columns
    blocks: list[Block] = [
        Paragraph(text=words.intro),
        Table(
            columns=[
                Column(title=titles[0], width=1.3),
                Column(title=titles[1], width=0.7),
                Column(title=titles[2], width=3),
            ],
            rows=rows,
        ),
    ]
    if system_items:
        blocks += [Subheading(text=words.systems), Bullets(items=system_items)]
    deployment = _deployment_text(inputs)
    if deployment:
        blocks += [Subheading(text=words.deployment), Paragraph(text=deployment)]
    return Section(title=words.title, blocks=blocks + _reviewed_scope(inputs))


def _reviewed_scope(inputs: ProposalInputs) -> list[Block]:
    """The scope sales engineering reviewed: each section's items as edited, the assumptions, and the conditions
    a conditional verdict set."""
    review, words = inputs.review, inputs.wording.solution
    if review is None:
        return []
    # Each part of the scope with its items as the engineer left them. The edition and add-ons are in the table
    # above already, so that part is not repeated.
    parts = [section for section in review.draft.sections if section.items and section.name != OFFER_SECTION]
    blocks: list[Block] = [Subheading(text=words.reviewed_scope)] if parts else []
    for section in parts:
        blocks += [
            Paragraph(text=f"{section.name}:"),
            Bullets(items=[Item(text=_sentence(item.text)) for item in section.items]),
        ]
    if review.draft.assumptions:
        blocks += [
            Subheading(text=words.assumptions),
            Bullets(items=[Item(text=_sentence(a)) for a in review.draft.assumptions]),
        ]
    if review.conditions:
        blocks += [
            Subheading(text=words.conditions),
            Bullets(items=[Item(text=_sentence(c)) for c in review.conditions]),
        ]
    return blocks


def _deployment_text(inputs: ProposalInputs) -> str | None:
    """How it is deployed and where it is hosted: the deal's choice, as far as the catalog supports it."""
    words, record = inputs.wording.solution, inputs.record
    if record.deployment is None:
        return None
    name = DEPLOYMENT_NAMES[record.deployment]
    if record.deployment == "self_hosted":
        return words.deployment_text_self.format(deployment=name)
    hosted = [REGION_NAMES[r] for r in record.regions if r in inputs.catalog.hosted_regions]
    if not hosted:
        return None
    return words.deployment_text.format(deployment=name, regions=_joined(hosted))


def _implementation(inputs: ProposalInputs) -> Section:
    plan, record, family = inputs.wording.implementation, inputs.record, inputs.wording.product_family
    poc = plan.poc
    assert poc.when_weeks and poc.when_open and poc.criteria and poc.systems_unknown  # checked on load
    systems = _joined(record.integrations) or poc.systems_unknown
    criteria = "; ".join(inputs.poc_criteria) or record.poc_success_criteria or record.metrics
    poc_text = poc.text.format(product_family=family, systems=systems)
    unknown = inputs.wording.executive_summary.success_unknown
    poc_text += " " + (poc.criteria.format(criteria=_sentence(criteria)) if criteria else unknown)
    poc_when = poc.when_weeks.format(poc_weeks=record.poc_weeks) if record.poc_weeks else poc.when_open
    start = long_date(inputs.terms.term_start) if inputs.terms.term_start else plan.start_on_signature
    onboarding = plan.onboarding.text
    if plan.onboarding.with_services and any(line.billing == "one_time" for line in inputs.quote.lines):
        onboarding += " " + plan.onboarding.with_services
    go_live = long_date(record.go_live) if record.go_live else plan.go_live.when_unknown
    rows = [
        [poc.name, poc_when, poc_text],
        [plan.order.name, plan.order.when or "", plan.order.text],
        [plan.onboarding.name, (plan.onboarding.when or "").format(start=start), onboarding],
        [plan.go_live.name, go_live or "", plan.go_live.text],
    ]
    columns = [
        Column(title=plan.columns[0], width=1.2),
        Column(title=plan.columns[1], width=1.1),
        Column(title=plan.columns[2], width=3),
    ]
    return Section(title=plan.title, blocks=[Table(columns=columns, rows=rows)])


def _security(inputs: ProposalInputs, claims: list[Claim], citations: _Citations) -> Section | None:
    """Each of the deal's own requirements, answered: what covers it, and what the shareable documents say."""
    words, record, quote = inputs.wording.security, inputs.record, inputs.quote
    by_topic: dict[str, list[Claim]] = {}
    for claim in claims:
        by_topic.setdefault((claim.topic or "").strip().lower(), []).append(claim)

    def cited(topic: str) -> str:
        items = citations.items(by_topic.pop(topic.lower(), []))
        return "".join(" " + with_citations(item.text, item.sources) for item in items)

    rows = []
    for need in record.compliance:
        covering = [
            line.name
            for line in quote.lines
            if (sku := inputs.catalog.get(line.sku)) is not None and need in sku.compliance
        ]
        answer = words.covered.format(products=_joined(covering)) if covering else words.reviewed
        rows.append([COMPLIANCE_NAMES[need], answer + cited(need.value)])
    deployment = _deployment_text(inputs)
    if deployment:
        rows.append([inputs.wording.solution.deployment, deployment + cited("deployment")])
    if record.sso_required:
        sso = words.sso.format(provider=record.identity_provider) if record.identity_provider else words.sso_any
        rows.append(["SSO", sso + cited("sso")])
    further = citations.items([claim for topic_claims in by_topic.values() for claim in topic_claims])
    if not rows and not further:
        return None
    blocks: list[Block] = []
    if rows:
        blocks.append(
            Table(
                columns=[Column(title=words.columns[0], width=1), Column(title=words.columns[1], width=3.2)], rows=rows
            )
        )
    if further:
        blocks.append(Bullets(items=further))
    return Section(title=words.title, blocks=blocks)


def _pricing(inputs: ProposalInputs) -> Section:
    words, quote = inputs.wording.pricing, inputs.quote
    rows = []
    for line in quote.lines:
        amount, share = line_discount(line)
        item = f"{line.name} ({line.sku})" + (f", {words.one_time}" if line.billing == "one_time" else "")
        discount = f"−{_money(inputs, amount)} ({percent(share)})" if amount else "—"
        rows.append(
            [item, quantity_of(line), _money(inputs, line.list_term_total), discount, _money(inputs, line.term_total)]
        )
    overall = "—"
    if quote.discount_amount:
        overall = f"−{_money(inputs, quote.discount_amount)} ({percent(quote.effective_discount_pct)})"
    totals = [
        [words.total, "", _money(inputs, quote.list_total), overall, _money(inputs, quote.total)],
        [words.annual, "", "", "", _money(inputs, quote.annual_contract_value)],
    ]
    titles = words.columns
    columns = [
        Column(title=titles[0], width=2.2),
        Column(title=titles[1], width=0.9, align="right"),
        Column(title=titles[2], width=1.1, align="right"),
        Column(title=titles[3], width=1.8, align="right"),
        Column(title=titles[4], width=1.1, align="right"),
    ]
    note = words.note.format(currency=quote.currency, term=years(quote.term_years))
    return Section(title=words.title, blocks=[Table(columns=columns, rows=rows, totals=totals), Paragraph(text=note)])


def _currency(code: str) -> str:
    name = CURRENCY_NAMES.get(code)
    return f"{name} ({code})" if name else code


def _term_facts(inputs: ProposalInputs) -> list[tuple[str, str]]:
    words, terms = inputs.wording.terms, inputs.terms
    start = (
        long_date(terms.term_start) if terms.term_start else f"on {inputs.wording.implementation.start_on_signature}"
    )
    return [
        (words.currency, _currency(terms.currency)),
        (words.term, f"{inputs.quote.term_years} year" + ("s" if inputs.quote.term_years != 1 else "")),
        (words.start, _sentence(start).rstrip(".")),
        (
            words.billing,
            words.billing_words.get(str(terms.billing_frequency)) or _sentence(terms.billing_frequency).rstrip("."),
        ),
        (words.payment, _sentence(terms.payment_terms).rstrip(".")),
    ]


def _terms(inputs: ProposalInputs) -> Section:
    words = inputs.wording.terms
    documents = [words.contract]
    if Compliance.HIPAA in inputs.record.compliance and any(
        (sku := inputs.catalog.get(line.sku)) is not None and Compliance.HIPAA in sku.compliance
        for line in inputs.quote.lines
    ):
        documents.append(words.baa)
    rows = [*_term_facts(inputs), (words.validity, long_date(inputs.terms.valid_until))]
    rows.append((words.documents, " ".join(documents)))
    return Section(title=words.title, blocks=[Facts(rows=rows)])


def _order_form(inputs: ProposalInputs, company: str) -> Section:
    words, quote = inputs.wording.order_form, inputs.quote
    rows = [[line.sku, line.name, quantity_of(line), _money(inputs, line.term_total)] for line in quote.lines]
    columns = [
        Column(title=words.columns[0], width=0.9),
        Column(title=words.columns[1], width=2.6),
        Column(title=words.columns[2], width=1, align="right"),
        Column(title=words.columns[3], width=1.2, align="right"),
    ]
    totals = [[inputs.wording.pricing.total, "", "", _money(inputs, quote.total)]]
    return Section(
        title=words.title,
        blocks=[
            Paragraph(text=words.intro.format(customer=company, vendor=inputs.theme.legal_name)),
            Table(columns=columns, rows=rows, totals=totals),
            Facts(rows=_term_facts(inputs)),
            Form(heading=words.to_complete, fields=words.fields),
        ],
    )


def _acceptance(inputs: ProposalInputs, company: str) -> Section:
    words = inputs.wording.signature
    parties = [words.for_.format(party=company), words.for_.format(party=inputs.theme.legal_name)]
    return Section(
        title=words.title, blocks=[Paragraph(text=words.text), Signatures(parties=parties, lines=words.lines)]
    )
