"""The contract a signer receives: the order form with the customer's details filled in, the commercial terms
and the signature block, composed by code from the final quote and the recorded order form, and drawn by the
proposal's PDF renderer in the governed theme and wording. Nothing in it comes from a model."""

from __future__ import annotations

from datetime import date

from agents.proposal_document import (
    Column,
    CoverPage,
    Facts,
    Paragraph,
    ProposalDocument,
    Section,
    Signatures,
    Table,
    long_date,
    quantity_of,
)
from agents.proposal_pdf import to_pdf
from agents.proposal_templates import Theme, Wording, load_theme, load_wording
from deals.contract import ContractBasis, ContractDocument
from deals.qualification import format_money

# The order form stands on its own (the proposal's words speak of "this proposal"); these say what it is.
INTRO = "{customer} orders the products and services below from {vendor} on the commercial terms of this order form."
CONFIDENTIALITY = "Confidential order form between {customer} and {vendor}"
PRICES_VALID = "Prices valid until"
CUSTOMER_LABELS = ("Customer legal entity", "Billing address", "Billing contact", "Purchase order number", "Signatory")
CURRENCY_NAMES = {"USD": "US dollars", "EUR": "Euros", "GBP": "Pounds sterling", "CAD": "Canadian dollars"}


def _customer_facts(basis: ContractBasis) -> Facts:
    form = basis.order_form
    contact = f"{form.billing_contact_name} <{form.billing_contact_email}>"
    po = form.po_number or "Not required"
    signer = f"{form.signer_name}" + (f", {form.signer_title}" if form.signer_title else "") + f" <{form.signer_email}>"
    values = (basis.customer, form.billing_address or "", contact, po, signer)
    return Facts(rows=list(zip(CUSTOMER_LABELS, values, strict=True)))


def _term_facts(basis: ContractBasis, wording: Wording) -> Facts:
    words, terms, quote = wording.terms, basis.terms, basis.quote
    currency = CURRENCY_NAMES.get(terms.currency)
    start = long_date(terms.term_start) if terms.term_start else f"On {wording.implementation.start_on_signature}"
    billing = words.billing_words.get(str(terms.billing_frequency)) or str(terms.billing_frequency).capitalize()
    rows = [
        (words.currency, f"{currency} ({terms.currency})" if currency else terms.currency),
        (words.term, f"{quote.term_years} year" + ("s" if quote.term_years != 1 else "")),
        (words.start, start),
        (words.billing, billing),
        (words.payment, terms.payment_terms.capitalize()),
    ]
    if terms.valid_until is not None:
        rows.append((PRICES_VALID, long_date(terms.valid_until)))
    rows.append((words.documents, words.contract))
    return Facts(rows=rows)


def contract_document(basis: ContractBasis, *, theme: Theme, wording: Wording, today: date) -> ProposalDocument:
    """The order form to sign, as the same document model the proposal uses."""
    words, quote = wording.order_form, basis.quote
    money = {line.sku: format_money(line.term_total, quote.currency) for line in quote.lines}
    order = Table(
        columns=[
            Column(title=words.columns[0], width=0.9),
            Column(title=words.columns[1], width=2.6),
            Column(title=words.columns[2], width=1, align="right"),
            Column(title=words.columns[3], width=1.2, align="right"),
        ],
        rows=[[line.sku, line.name, quantity_of(line), money[line.sku]] for line in quote.lines],
        totals=[[wording.pricing.total, "", "", format_money(quote.total, quote.currency)]],
    )
    signature = wording.signature
    parties = [signature.for_.format(party=basis.customer), signature.for_.format(party=theme.legal_name)]
    sections = [
        Section(
            title=words.title,
            blocks=[
                Paragraph(text=INTRO.format(customer=basis.customer, vendor=theme.legal_name)),
                order,
                _customer_facts(basis),
            ],
        ),
        Section(title=wording.terms.title, blocks=[_term_facts(basis, wording)]),
        Section(
            title=signature.title,
            blocks=[Paragraph(text=signature.text), Signatures(parties=parties, lines=signature.lines)],
        ),
    ]
    form = basis.order_form
    signer = ", ".join(part for part in (form.signer_name, form.signer_title) if part) or None
    cover = CoverPage(
        title=words.title,
        subtitle=wording.cover.subtitle.format(product_family=wording.product_family, company=basis.customer),
        company=basis.customer,
        prepared_for=signer,
        prepared_by=theme.company,
        date=long_date(today),
        valid_until=long_date(basis.terms.valid_until) if basis.terms.valid_until else "",
        confidentiality=CONFIDENTIALITY.format(customer=basis.customer, vendor=theme.legal_name),
    )
    return ProposalDocument(
        cover=cover,
        sections=sections,
        sources=[],
        sources_title=wording.sources.title,
        claims=[],
        theme_version=theme.version,
        wording_version=wording.version,
    )


def render_contract(basis: ContractBasis, *, today: date) -> ContractDocument:
    """The order form as a PDF, with the text that marks where the customer signs."""
    theme, wording = load_theme(), load_wording()
    document = contract_document(basis, theme=theme, wording=wording, today=today)
    return ContractDocument(
        pdf=to_pdf(document, theme),
        name=f"Order form - {basis.customer}.pdf",
        signature_anchor=wording.signature.for_.format(party=basis.customer),
    )
