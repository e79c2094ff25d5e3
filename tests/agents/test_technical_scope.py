"""The technical scope drafted for review: edition, add-ons and architecture from governed data, each claim cited
from a customer-facing passage, and what the knowledge base does not support left as an open question."""

from __future__ import annotations

from collections.abc import Sequence

from agents.technical_scope import build_scope, proposed_edition
from deals.qualification import Qualification
from integrations.cpq.catalog import load_catalog
from integrations.cpq.engine import QuoteRequest, price
from knowledge.models import Passage

CATALOG = load_catalog()
RECORD = Qualification(
    company="Acme",
    seats=200,
    integrations=["Snowflake", "SAP S/4HANA", "Acme Legacy CRM"],
    deployment="hybrid",
    regions=["EU"],
    compliance=["SOC2", "HIPAA"],
    sso_required=True,
    identity_provider="Okta",
)


def passage(chunk: str, title: str, text: str, audience: str = "public") -> Passage:
    return Passage(
        chunk_id=chunk, title=title, section="Overview", source=f"kb/{chunk}.md", path=f"{chunk}.md", text=text,
        score=0.9, audience=audience,
    )  # fmt: skip


KB = [
    passage("ent", "Halyard Stream Enterprise", "Halyard Stream Enterprise includes SSO and PCI-DSS."),
    passage("conn", "Premium Connectors Pack", "The Premium Connectors Pack reaches SAP and Oracle sources."),
    passage("snow", "Snowflake", "The Snowflake connector loads in near real time."),
    passage("sap", "SAP S/4HANA", "SAP S/4HANA connects through the Premium Connectors Pack."),
    passage("hybrid", "Hybrid agents", "Hybrid agents run in your network; the control plane is SaaS."),
    passage("eu", "Hosting and residency", "EU data is hosted in Frankfurt."),
    passage("soc", "Security", "SOC2: the SOC 2 Type II report is available under NDA."),
    passage("hipaa-internal", "HIPAA deal notes", "HIPAA BAA reviewer notes.", audience="internal"),
    passage("okta", "SSO with Okta and Entra", "Single sign-on with Okta through SAML."),
]


def _words(text: str) -> set[str]:
    return {w for w in "".join(c if c.isalnum() else " " for c in text.casefold()).split() if len(w) > 2}


def search(query: str) -> Sequence[Passage]:
    """A stand-in for knowledge search: the passages sharing words with the query, most shared first."""
    shared = [(len(_words(query) & _words(f"{p.title} {p.text}")), n, p) for n, p in enumerate(KB)]
    return [p for count, _, p in sorted(shared, key=lambda s: (-s[0], s[1])) if count]


def nothing(query: str) -> Sequence[Passage]:
    return []


def _items(draft):
    return {section.name: [(i.text, i.citation) for i in section.items] for section in draft.sections}


def test_each_claim_cites_the_passage_that_speaks_of_it():
    quote = price(QuoteRequest(lines=[{"sku": "HS-ENT", "quantity": 200}, {"sku": "HS-CONN", "quantity": 1}]), CATALOG)
    draft = build_scope(RECORD, quote, CATALOG, search)
    items = _items(draft)
    assert draft.title == "Technical scope: Acme"
    assert items["Edition and add-ons"] == [
        ("Edition: Halyard Stream Enterprise (HS-ENT), 200 seats", "Halyard Stream Enterprise › Overview"),
        ("Add-on: Premium Connectors Pack (HS-CONN)", "Premium Connectors Pack › Overview"),
    ]
    assert ("Source: Snowflake connector", "Snowflake › Overview") in items["Architecture"]
    assert ("Source: SAP S/4HANA connector through Premium Connectors Pack", "SAP S/4HANA › Overview") in items[
        "Architecture"
    ]
    assert ("Deployment: SaaS with hybrid agents in the customer's network", "Hybrid agents › Overview") in items[
        "Architecture"
    ]
    assert ("Data hosted in the European Union", "Hosting and residency › Overview") in items["Architecture"]
    assert ("SOC2 covered by Halyard Stream Enterprise", "Security › Overview") in items["Security and compliance"]
    assert ("Single sign-on with Okta", "SSO with Okta and Entra › Overview") in items["Security and compliance"]
    assert all(citation for section in items.values() for _, citation in section)
    assert draft.risks == []


def test_a_claim_the_knowledge_base_does_not_support_becomes_an_open_question_without_a_citation():
    draft = build_scope(RECORD, None, CATALOG, search)
    cited = [text for section in _items(draft).values() for text, _ in section]
    assert not any("Acme Legacy CRM" in text for text in cited)
    assert "Is there a supported connector for Acme Legacy CRM? The knowledge base has nothing on it." in (
        draft.open_questions
    )
    # Only an internal note speaks of HIPAA: a draft that may reach a proposal does not cite it.
    assert not any(text.startswith("HIPAA") for text in cited)
    assert "Confirm HIPAA coverage: the knowledge base has nothing on it." in draft.open_questions


def test_with_no_knowledge_every_claim_is_an_open_question():
    draft = build_scope(RECORD, None, CATALOG, nothing)
    assert all(not section.items for section in draft.sections)
    assert len(draft.open_questions) >= 7 and all("knowledge base has nothing" in q for q in draft.open_questions)


def test_requirements_the_quoted_edition_lacks_are_risks_not_claims():
    record = RECORD.model_copy(update={"deployment": "self_hosted", "compliance": ["FedRAMP"], "integrations": ["SAP"]})
    quote = price(QuoteRequest(lines=[{"sku": "HS-BUS", "quantity": 200}]), CATALOG)
    draft = build_scope(record, quote, CATALOG, search)
    assert "Halyard Stream Business is not offered self-hosted." in draft.risks
    assert "FedRAMP is not covered by Halyard Stream Business." in draft.risks
    assert "SAP needs HS-CONN, which the quote does not include." in draft.risks
    assert not any("FedRAMP" in text for text, _ in _items(draft)["Security and compliance"])


def test_before_a_quote_the_smallest_edition_meeting_the_requirements_is_proposed():
    assert proposed_edition(RECORD, None, CATALOG).sku == "HS-ENT"  # HIPAA and hybrid
    assert proposed_edition(Qualification(compliance=["SOC2"]), None, CATALOG).sku == "HS-TEAM"
    draft = build_scope(Qualification(compliance=["SOC2"]), None, CATALOG, search)
    assert any("smallest that meets" in a for a in draft.assumptions)


def test_a_system_the_knowledge_base_documents_as_a_destination_is_drafted_as_one():
    kb = [
        passage("snow", "Snowflake destination guide", "Snowflake is the most common destination."),
        passage("ora", "Oracle source guide", "The Oracle connector reads the redo log."),
    ]
    record = Qualification(company="Acme", integrations=["Oracle", "Snowflake"])
    draft = build_scope(record, None, CATALOG, lambda query: kb)
    texts = [text for text, _ in _items(draft)["Architecture"]]
    assert any(t.startswith("Destination: Snowflake connector") for t in texts)
    assert any(t.startswith("Source: Oracle connector") for t in texts)


def test_a_hosting_region_is_cited_only_from_a_passage_about_hosting_or_residency():
    unrelated = passage("export", "Export controls", "Customers in the EU and the US may use the service.")
    hosting = passage("eu", "Hosting regions and data residency", "EU data stays in Frankfurt.")
    record = Qualification(company="Acme", regions=["EU"])
    cited = build_scope(record, None, CATALOG, lambda query: [unrelated, hosting])
    assert ("Data hosted in the European Union", "Hosting regions and data residency › Overview") in _items(cited)[
        "Architecture"
    ]
    unsupported = build_scope(record, None, CATALOG, lambda query: [unrelated])
    assert "Data hosted in the European Union" not in [t for t, _ in _items(unsupported)["Architecture"]]
    assert any("hosting in the European Union" in q for q in unsupported.open_questions)


def test_a_customer_story_is_not_the_source_of_what_an_edition_is():
    story = Passage(
        chunk_id="story", title="Case study: BrightPay", section="", source="kb/story.md", path="story.md",
        text="BrightPay chose Halyard Stream Enterprise.", score=0.9, audience="public", doc_type="case_study",
    )  # fmt: skip
    datasheet = passage("sheet", "Datasheet", "Editions: Business and Enterprise, compared.")
    record = Qualification(company="Acme", compliance=["HIPAA"], deployment="saas")
    draft = build_scope(record, None, CATALOG, lambda query: [story, datasheet])
    assert _items(draft)["Edition and add-ons"][0][1] == "Datasheet › Overview"
