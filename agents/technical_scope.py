"""The technical scope a sales engineer reviews: drafted by code from the deal's record, its latest quote and
the catalog, each claim cited from the knowledge base; and the use cases that ask for its review.

The builder is pure given its search: every claim is a sentence code wrote from governed data, kept only
when a retrieved customer-facing passage speaks of it (its citation); a claim the knowledge base does not
support becomes an open question instead, never an item with an invented source. Nothing here decides
feasibility: that is the sales engineer's verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.services import Services
from approvals import reviews
from approvals.review_models import OFFER_SECTION, ReviewDraft, ReviewItem, ReviewSection, ReviewStatus, TechnicalReview
from deals import access
from deals import service as deals
from deals.inspection import Finding
from deals.qualification import Qualification
from integrations.cpq import service as cpq
from integrations.cpq.catalog import Catalog, Sku, names_a_source
from integrations.cpq.engine import Quote
from knowledge.models import Passage

Search = Callable[[str], Sequence[Passage]]

DEPLOYMENT_WORDS = {
    "saas": ("Managed SaaS", ("saas", "managed", "cloud")),
    "hybrid": ("SaaS with hybrid agents in the customer's network", ("hybrid", "agent")),
    "self_hosted": ("Self-hosted in the customer's environment", ("self-hosted", "self hosted", "on-prem")),
}
REGION_WORDS = {
    "US": ("the United States", ("us", "united states", "north america")),
    "EU": ("the European Union", ("eu", "europe", "frankfurt", "gdpr")),
    "UK": ("the United Kingdom", ("uk", "united kingdom", "london")),
    "CA": ("Canada", ("canada",)),
    "AU": ("Australia", ("australia", "sydney")),
    "APAC": ("Asia-Pacific", ("apac", "asia", "singapore", "tokyo")),
    "LATAM": ("Latin America", ("latam", "latin america", "são paulo", "sao paulo")),
    "MEA": ("the Middle East and Africa", ("mea", "middle east", "africa")),
}
COMPLIANCE_WORDS = {
    "SOC2": ("soc 2", "soc2"),
    "HIPAA": ("hipaa", "baa"),
    "GDPR": ("gdpr",),
    "ISO27001": ("iso 27001", "iso27001"),
    "FedRAMP": ("fedramp",),
    "PCI-DSS": ("pci",),
}
# Findings that say the quoted edition lacks a requirement of the deal: each asks sales engineering, once.
EDITION_GAPS = ("compliance_gap", "deployment_gap", "region_gap", "connector_pack_missing")


STORY_TYPES = ("case_study",)


def citation_of(passage: Passage) -> str:
    """How a draft names its source: the document and section a reviewer can open in the knowledge base."""
    return f"{passage.title} › {passage.section}" if passage.section else passage.title


def _supported(
    search: Search,
    query: str,
    words: Sequence[str],
    topic: Sequence[str] = (),
    prefer: Sequence[str] = (),
    also: Sequence[str] = (),
) -> Passage | None:
    """The customer-facing passage the query retrieves that best speaks of one of `words`: one whose title or
    section names it before one whose text does, before one whose text names only a shorter name of it (`also`);
    one that also speaks of `prefer` before one that does not; in search order otherwise. With a `topic`, only
    passages whose title or section names the topic count."""
    best: tuple[int, int, Passage] | None = None
    for rank, passage in enumerate(search(query)):
        if not passage.customer_facing:
            continue
        heading = f"{passage.title} {passage.section}".casefold()
        text = f"{heading} {passage.text}".casefold()
        if topic and not any(_mentions(heading, word.casefold()) for word in topic):
            continue
        if any(_mentions(heading, word.casefold()) for word in words):
            strength = 4
        elif any(_mentions(text, word.casefold()) for word in words):
            strength = 2
        elif any(_mentions(text, word.casefold()) for word in also):
            strength = 1
        else:
            continue
        strength += any(_mentions(text, word.casefold()) for word in prefer)
        # A customer story tells what one customer did, not what the product is: a last resort as a source.
        strength -= 2 if passage.doc_type in STORY_TYPES else 0
        if best is None or (strength, -rank) > (best[0], -best[1]):
            best = (strength, rank, passage)
    return best[2] if best is not None else None


def _mentions(text: str, word: str) -> bool:
    if len(word) > 3:
        return word in text
    return f" {word} " in f" {''.join(c if c.isalnum() else ' ' for c in text)} "


def _role_of(integration: str, passage: Passage | None) -> str:
    """Whether the knowledge base speaks of the system as a destination (data lands there) or a source."""
    if passage is not None and "destination" in f"{passage.title} {passage.section}".casefold():
        return "Destination"
    return "Source"


@dataclass
class _Draft:
    search: Search
    open_questions: list[str]

    def claim(
        self,
        text: str,
        query: str,
        words: Sequence[str],
        question: str,
        topic: Sequence[str] = (),
        prefer: Sequence[str] = (),
        also: Sequence[str] = (),
    ) -> ReviewItem | None:
        passage = _supported(self.search, query, words, topic, prefer, also)
        if passage is None:
            self.open_questions.append(question)
            return None
        return ReviewItem(text=text, citation=citation_of(passage))


def proposed_edition(record: Qualification, quote: Quote | None, catalog: Catalog) -> Sku | None:
    """The quoted edition; before a quote, the smallest edition meeting the record's deployment and compliance."""
    if quote is not None:
        for line in quote.lines:
            sku = catalog.get(line.sku)
            if sku is not None and sku.deployments:
                return sku
    needs = [str(c) for c in record.compliance] + ([record.deployment] if record.deployment else [])
    fitting = [e for e in catalog.editions if all(n in e.compliance or n in (e.deployments or ()) for n in needs)]
    return fitting[0] if fitting else None


def build_scope(record: Qualification, quote: Quote | None, catalog: Catalog, search: Search) -> ReviewDraft:
    """The technical scope of a deal as a draft for review: edition and add-ons, architecture (sources and
    connectors, deployment, regions), security, with the assumptions made, what is still open and the risks."""
    draft = _Draft(search=search, open_questions=[])
    company = record.company or "the customer"
    edition = proposed_edition(record, quote, catalog)
    offer: list[ReviewItem] = []
    risks: list[str] = []
    assumptions: list[str] = []
    if edition is None:
        draft.open_questions.append("Which edition meets every requirement? No edition in the catalog covers them.")
    else:
        seats = f", {record.seats} seats" if record.seats else ""
        item = draft.claim(
            f"Edition: {edition.name} ({edition.sku}){seats}",
            f"{edition.name} edition features",
            (edition.name, edition.sku),
            f"Confirm {edition.name} fits: the knowledge base has nothing on it.",
            prefer=("edition",),
            also=(edition.name.split()[-1],),  # "Enterprise", as an editions table names it
        )
        if item is not None:
            offer.append(item)
    for line in quote.lines if quote is not None else []:
        sku = catalog.get(line.sku)
        if sku is None or sku.deployments:
            continue
        item = draft.claim(
            f"Add-on: {sku.name} ({sku.sku})",
            sku.description or sku.name,
            (sku.name, sku.sku),
            f"Confirm what {sku.name} ({sku.sku}) adds: the knowledge base has nothing on it.",
        )
        if item is not None:
            offer.append(item)
    if quote is None:
        assumptions.append("Not priced yet: the edition is the smallest that meets the requirements known so far.")

    architecture: list[ReviewItem] = []
    quoted = {line.sku for line in quote.lines} if quote is not None else set()
    for integration in record.integrations:
        needs = [r for r in catalog.rules.requires if names_a_source(integration, r.sources)]
        pack = catalog.get(needs[0].sku) if needs else None
        via = f" through {pack.name}" if pack is not None else ""
        if needs and needs[0].sku not in quoted and quote is not None:
            risks.append(f"{integration} needs {needs[0].sku}, which the quote does not include.")
        passage = _supported(draft.search, f"{integration} connector integration", (integration,))
        if passage is None:
            draft.open_questions.append(
                f"Is there a supported connector for {integration}? The knowledge base has nothing on it."
            )
            continue
        role = _role_of(integration, passage)
        architecture.append(ReviewItem(text=f"{role}: {integration} connector{via}", citation=citation_of(passage)))
    if not record.integrations:
        draft.open_questions.append("Which source and target systems must be connected?")
    if record.deployment:
        name, words = DEPLOYMENT_WORDS[record.deployment]
        if edition is not None and record.deployment not in (edition.deployments or ()):
            risks.append(f"{edition.name} is not offered {record.deployment.replace('_', '-')}.")
        item = draft.claim(
            f"Deployment: {name}",
            f"{record.deployment.replace('_', '-')} deployment",
            words,
            f"Confirm the {name.lower()} deployment: the knowledge base has nothing on it.",
        )
        if item is not None:
            architecture.append(item)
    else:
        draft.open_questions.append("How will it be deployed: managed SaaS, hybrid or self-hosted?")
    for region in record.regions:
        name, words = REGION_WORDS[str(region)]
        if region not in catalog.hosted_regions or (
            edition is not None and edition.regions and region not in edition.regions
        ):
            risks.append(f"No hosted region in {name} for this edition: data residency needs a decision.")
            continue
        item = draft.claim(
            f"Data hosted in {name}",
            f"data residency hosting region {name}",
            words,
            f"Confirm hosting in {name}: the knowledge base has nothing on it.",
            topic=("region", "hosting", "residency", "data center"),
        )
        if item is not None:
            architecture.append(item)
    if not record.regions:
        draft.open_questions.append("Where must the data live (hosting region)?")

    security: list[ReviewItem] = []
    for regime in record.compliance:
        covered = edition is not None and regime in edition.compliance
        if not covered:
            risks.append(f"{regime} is not covered by {edition.name if edition else 'any quoted edition'}.")
            continue
        item = draft.claim(
            f"{regime} covered by {edition.name}",  # type: ignore[union-attr]
            f"{regime} compliance",
            COMPLIANCE_WORDS[str(regime)],
            f"Confirm {regime} coverage: the knowledge base has nothing on it.",
        )
        if item is not None:
            security.append(item)
    if record.sso_required:
        provider = record.identity_provider or "the customer's identity provider"
        item = draft.claim(
            f"Single sign-on with {provider}",
            f"SSO {record.identity_provider or ''} single sign-on",
            ("sso", "single sign-on", *([record.identity_provider] if record.identity_provider else [])),
            f"Confirm single sign-on with {provider}: the knowledge base has nothing on it.",
        )
        if item is not None:
            security.append(item)
    if record.seats_at_full_rollout:
        assumptions.append(f"Sized for {record.seats} seats now; {record.seats_at_full_rollout} at full rollout.")
    if record.go_live:
        assumptions.append(f"Go-live wanted by {record.go_live.isoformat()}.")
    if record.poc_weeks:
        assumptions.append(f"A {record.poc_weeks}-week POC before the order.")
    sections = [
        ReviewSection(name=OFFER_SECTION, items=offer),
        ReviewSection(name="Architecture", items=architecture),
        ReviewSection(name="Security and compliance", items=security),
    ]
    return ReviewDraft(
        title=f"Technical scope: {company}"[:150],
        sections=sections,
        assumptions=assumptions,
        open_questions=list(dict.fromkeys(draft.open_questions)),
        risks=list(dict.fromkeys(risks)),
    )


# Use cases --------------------------------------------------------------------------------------


class ReviewRefused(Exception):
    """The review cannot be asked for; the message says why."""


@dataclass(frozen=True)
class RequestedReview:
    review_id: int
    deal_id: int
    company: str
    status: ReviewStatus
    new: bool  # False: a review of the deal's scope was open already (or this request was made before)


def _draft_for(services: Services, session: Session, deal_id: int) -> ReviewDraft:
    deal = deals.get_deal(session, deal_id)
    latest = cpq.latest_quote(session, deal.id)
    quote = Quote.model_validate(latest.quote) if latest is not None else None
    return build_scope(deals.qualification_of(deal), quote, services.catalog(), services.customer_facing_search)


def request_scope_review(
    services: Services, *, deal_ref: str, who: access.Identity, origin: str | None = None
) -> RequestedReview:
    """ "Request SE review" / `/lto review <deal>`: draft the deal's technical scope and send it to sales
    engineering. Whoever may change the deal may ask, and sales engineers too."""
    with services.session_factory() as session, session.begin():
        deal = deals.find_deal(session, reference=deal_ref, user_id=who.user_id, who=who)
        if access.Role.SALES_ENGINEER in who.roles:
            access.check(session, who, access.Action.READ_DEAL, deal)
        else:
            access.check(session, who, access.Action.CHANGE_DEAL, deal)
        earlier = reviews.open_review(session, deal.id, "scope")
        if earlier is None and origin is not None:
            earlier = session.scalars(select(TechnicalReview).where(TechnicalReview.origin == origin)).first()
        if earlier is not None:
            return RequestedReview(earlier.id, deal.id, deal.account.name, earlier.status, new=False)
        draft = _draft_for(services, session, deal.id)
        review = reviews.request_review(
            session,
            deal_id=deal.id,
            kind="scope",
            draft=draft,
            requester=who.user_id,
            clock=services.clock,
            origin=origin,
            policy=services.review_policy(),
        )
        return RequestedReview(review.id, deal.id, deal.account.name, review.status, new=True)


def request_for_findings(services: Services, *, deal_id: int, findings: Sequence[Finding]) -> int | None:
    """When inspection finds a requirement the quoted edition lacks, ask sales engineering once per deal and
    finding, unless a scope review asked since the latest quote covers it. The review's id, when one opened."""
    gaps = [f.code for f in findings if f.code in EDITION_GAPS]
    if not gaps:
        return None
    with services.session_factory() as session, session.begin():
        asked = set(
            session.scalars(
                select(TechnicalReview.origin).where(
                    TechnicalReview.origin.in_([_finding_origin(deal_id, code) for code in gaps])
                )
            )
        )
        new = [code for code in gaps if _finding_origin(deal_id, code) not in asked]
        if not new:
            return None
        latest = cpq.latest_quote(session, deal_id)
        newest = reviews.latest_review(session, deal_id, "scope")
        if newest is not None and newest.status != ReviewStatus.EXPIRED:
            if newest.status != ReviewStatus.DECIDED or latest is None or newest.created_at >= latest.created_at:
                return None  # sales engineering has this scope in hand, or reviewed it as quoted
        deal = deals.get_deal(session, deal_id)
        review = reviews.request_review(
            session,
            deal_id=deal_id,
            kind="scope",
            draft=_draft_for(services, session, deal_id),
            requester=deal.owner_slack_id,
            clock=services.clock,
            origin=_finding_origin(deal_id, new[0]),
            policy=services.review_policy(),
        )
        return review.id


INSPECTION_ORIGIN = "inspection:"


def _finding_origin(deal_id: int, code: str) -> str:
    return f"{INSPECTION_ORIGIN}deal:{deal_id}:{code}"
