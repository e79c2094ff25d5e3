"""The proposal agent and the use case that drafts a proposal a customer can sign.

The agent writes only prose: an executive summary, and capability claims that each cite a chunk it
retrieved, where its search reaches only public and customer-shareable chunks. Code composes the rest
(agents/proposal_document.py): prices and terms from the final quote, what each line gives from the
catalog, the plan from the deal's POC and go-live. The guardrail (agents/proposal_guardrail.py) reads
the rendered document: a draft that fails is regenerated once, then posted as needing review with the
reasons.
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.usage import RunUsage, UsageLimits
from sqlalchemy.orm import Session

from agents import proposal_guardrail
from agents.allowlist import enforce
from agents.grounding import Search, search_and_remember
from agents.offline.proposal_model import offline_proposal
from agents.proposal_document import CommercialTerms, ProposalDocument, is_customer_shareable, render_markdown
from agents.proposal_pdf import to_pdf
from agents.proposal_sections import ProposalInputs, compose
from agents.proposal_templates import Theme, Wording, load_theme, load_wording
from agents.services import Services
from approvals import reviews
from approvals.review_models import VERDICT_NAMES, ReviewResult, Verdict
from core import audit, events, provenance
from deals import access
from deals import service as deals
from deals.models import DealStage
from deals.poc_models import PocPlan, PocStatus
from deals.poc_service import plan_of
from deals.qualification import Qualification, Stage
from integrations.cpq import service as cpq
from integrations.cpq.engine import Quote
from integrations.cpq.models import QuoteRecord, QuoteStatus
from knowledge.models import CUSTOMER_FACING, Passage

PROPOSAL_LIMITS = UsageLimits(request_limit=8, tool_calls_limit=16)


class Claim(BaseModel):
    text: str = Field(description="One product capability statement, close to the cited passage's words.")
    chunk_id: str = Field(description="The retrieved chunk that supports it.")
    topic: str | None = Field(
        None,
        description="For a security claim, the requirement it answers: a compliance regime as the brief names it "
        "(HIPAA, SOC2...), 'deployment' or 'SSO'.",
    )


class ProposalDraft(BaseModel):
    executive_summary: str = Field(
        description="Two to four sentences to the customer's decision makers: their problem in their words and the "
        "outcome they get. No prices, amounts, percentages, dates or product names."
    )
    why_us: list[Claim] = Field(
        default_factory=list, description="Why us rather than the competitors or incumbents the brief names."
    )
    solution: list[Claim] = Field(default_factory=list, description="How it connects the systems the brief names.")
    security: list[Claim] = Field(default_factory=list, description="How each requirement of the brief is met.")


@dataclass
class ProposalDeps:
    brief: dict[str, Any]  # the record's facts and the quoted products (no prices: the model never sees or writes them)
    search: Search | None  # a customer-facing search (`Services.customer_facing_search`)
    passages: list[Passage] = field(default_factory=list)


proposal_agent: Agent[ProposalDeps, ProposalDraft] = Agent(
    deps_type=ProposalDeps,
    output_type=ProposalDraft,
    name="proposal",
    instructions=(
        "Draft the prose of a sales proposal for Halyard Stream from the brief, for the customer to read. Search "
        "the knowledge base for why we win against each competitor or incumbent named, for each integration, and "
        "for each security, compliance, deployment and SSO requirement; state capabilities only as claims that "
        "cite the chunk_id they come from, in positive terms: what the customer gets. Never write prices, "
        "amounts, discounts, percentages or dates: the pricing and terms are inserted from the quote. Never name "
        "a product or SKU the brief lists under never_name, another customer, or internal material."
    ),
    retries=2,
)


@proposal_agent.tool
def search_knowledge(ctx: RunContext[ProposalDeps], query: str) -> list[dict[str, Any]] | str:
    """Search the knowledge base (material a customer may read); returns passages with chunk_id, title, section,
    source and text."""
    # A proposal goes to the customer: public and customer-shareable material only, whatever the search.
    return search_and_remember(ctx.deps.search, ctx.deps.passages, query, audiences=CUSTOMER_FACING)


@proposal_agent.output_validator
def claims_cite_shareable_chunks(ctx: RunContext[ProposalDeps], draft: ProposalDraft) -> ProposalDraft:
    shareable = {p.chunk_id for p in ctx.deps.passages if is_customer_shareable(p)}
    unknown = [c.chunk_id for c in [*draft.why_us, *draft.solution, *draft.security] if c.chunk_id not in shareable]
    if unknown:
        raise ModelRetry(f"Claims cite chunks that were not retrieved: {unknown}. Cite only retrieved chunk ids.")
    return draft


# The use case: draft a proposal for a deal ------------------------------------------------------


class ProposalRefused(Exception):
    """The deal is not ready for a proposal; the message says what to do first."""


class ProposalStatus(StrEnum):
    NEEDS_REVIEW = "needs review"  # the guardrail stopped the draft twice
    READY = "ready to send"


@dataclass(frozen=True)
class ProposalBasis:
    """What a proposal is drafted from: the deal's record and its latest quote, which is final."""

    deal_id: int
    company: str
    channel_id: str | None
    thread_ts: str | None
    record: Qualification
    quote: Quote
    quote_version: int
    quote_status: QuoteStatus
    terms: CommercialTerms
    review: ReviewResult | None = None  # the technical scope as sales engineering last decided it
    review_id: int | None = None
    # The success criteria of the POC plan agreed with sales engineering (none: no plan agreed yet).
    poc_criteria: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrittenProposal:
    """The last draft the agent wrote, composed and rendered, with what the guardrail found and what it cost."""

    document: ProposalDocument
    markdown: str
    problems: list[str]
    passages: list[Passage]
    usage: RunUsage


@dataclass(frozen=True)
class DraftedProposal:
    """A drafted proposal, recorded: the documents to share and where the deal's thread is."""

    basis: ProposalBasis
    markdown: str
    pdf: bytes
    problems: list[str]  # why the guardrail stopped it (empty when it passed)
    status: ProposalStatus

    @property
    def file_stem(self) -> str:
        return customer_file_stem(self.basis.company, self.basis.quote_version)


def customer_file_stem(company: str, revision: int) -> str:
    """The document's file name as the customer sees it: their name and the revision, nothing internal
    (no deal number)."""
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode().lower())
    return f"proposal-{slug.strip('-') or 'customer'}-r{revision}"


async def draft_proposal(services: Services, *, deal_ref: str, who: access.Identity) -> DraftedProposal:
    """Draft the proposal for the deal `deal_ref` names from its latest quote: grounded prose from the agent
    (regenerated once if the guardrail stops it), prices and terms from the quote, composed into one document
    rendered to Markdown and PDF; the stage change and the audit event commit together. Raises DealNotFound,
    access.Forbidden or ProposalRefused with a sentence the rep can act on."""
    basis = await asyncio.to_thread(load_basis, services, deal_ref=deal_ref, who=who)
    theme, wording = await asyncio.to_thread(lambda: (load_theme(), load_wording()))
    written = await write_proposal(services, basis, theme=theme, wording=wording)
    pdf = await asyncio.to_thread(to_pdf, written.document, theme)
    await asyncio.to_thread(record_draft, services, basis=basis, written=written, who=who)
    status = ProposalStatus.NEEDS_REVIEW if written.problems else ProposalStatus.READY
    return DraftedProposal(basis=basis, markdown=written.markdown, pdf=pdf, problems=written.problems, status=status)


def load_basis(services: Services, *, deal_ref: str, who: access.Identity) -> ProposalBasis:
    """The deal and its latest quote, if this person may change the deal and it is ready for a proposal:
    qualified, and priced by a final quote (within the rep's authority, or approved). A quote that was
    rejected, expired, sent back for changes or still waits for approvers is refused, with why."""
    with services.session_factory() as session:
        deal = deals.find_deal(session, reference=deal_ref, user_id=who.user_id)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        assessment = deals.assessment_of(deal)
        if assessment.stage != Stage.QUALIFIED and deal.stage != DealStage.PROPOSAL:
            missing = ", ".join(assessment.missing[:4])
            raise ProposalRefused(f"Deal #{deal.id} is not qualified yet (still missing: {missing}).")
        latest = cpq.latest_quote(session, deal.id)
        if latest is None:
            raise ProposalRefused(f"Price deal #{deal.id} first: `/lto quote #{deal.id} <SKU> <qty> ...`.")
        not_final = cpq.why_not_final(session, latest, policy=services.policy())
        if not_final is not None:
            raise ProposalRefused(not_final)
        review = reviews.latest_decided_review(session, deal.id, "scope")
        if review is not None and review.verdict == Verdict.NOT_FEASIBLE:
            # A proposal promises what sales engineering found cannot be delivered: it is not drafted.
            raise ProposalRefused(
                f"Sales engineering found the technical scope of deal #{deal.id} "
                f"{VERDICT_NAMES[Verdict.NOT_FEASIBLE]}, so I will not draft a proposal "
                f"for it. Change the scope or the quote, then ask for a new review: `/lto review #{deal.id}`."
            )
        return ProposalBasis(
            deal_id=deal.id,
            company=deal.account.name,
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
            record=deals.qualification_of(deal),
            quote=Quote.model_validate(latest.quote),
            quote_version=latest.version,
            quote_status=latest.status,
            terms=terms_of(latest),
            review=review.result_model if review is not None else None,
            review_id=review.id if review is not None else None,
            poc_criteria=agreed_poc_criteria(session, deal.id),
        )


def agreed_poc_criteria(session: Session, deal_id: int) -> tuple[str, ...]:
    """The success criteria of the deal's POC plan once sales engineering agreed it, as the plan words them."""
    record = plan_of(session, deal_id)
    if record is None or record.status not in (PocStatus.AGREED, PocStatus.RUNNING, PocStatus.PASSED):
        return ()
    return tuple(criterion.line() for criterion in PocPlan.model_validate(record.plan).criteria)


def terms_of(quote: QuoteRecord) -> CommercialTerms:
    """The commercial terms the quote records. Read as attributes on purpose: a quote without them fails here
    rather than printing terms nobody agreed to."""
    return CommercialTerms(
        currency=quote.currency,
        payment_terms=quote.payment_terms,
        billing_frequency=quote.billing_frequency,
        term_start=quote.term_start,
        valid_until=quote.valid_until,
    )


# What the agent is not told: money (no prices in, none out), the internal close date, the customer's own
# ask for terms (the quote's terms are printed), and SKUs of interest the quote may not price.
_NOT_BRIEFED = {"budget", "target_close", "payment_terms_days", "products_of_interest"}


def brief_of(record: Qualification, quote: Quote, catalog_names: dict[str, str]) -> dict[str, Any]:
    """What the agent is told about the deal: the record's facts, the products the quote prices (the only ones
    the proposal may name) and, to leave out, the catalog's other products (`catalog_names`: SKU → name)."""
    dumped = record.model_dump(mode="json", exclude=_NOT_BRIEFED)
    brief = {k: v for k, v in dumped.items() if v not in (None, [], "")}
    quoted = {line.sku for line in quote.lines}
    brief["quoted_skus"] = sorted(quoted)
    brief["quoted_products"] = [line.name for line in quote.lines]
    unquoted = {sku: name for sku, name in catalog_names.items() if sku not in quoted}
    brief["never_name"] = sorted({*unquoted, *unquoted.values()})
    return brief


async def write_proposal(
    services: Services, basis: ProposalBasis, *, theme: Theme, wording: Wording
) -> WrittenProposal:
    """Run the agent, compose and render its draft; a draft the guardrail stops is regenerated once, then kept
    (to be posted as needing review, with the reasons)."""
    catalog = services.catalog()
    brief = brief_of(basis.record, basis.quote, {s.sku: s.name for s in catalog.skus})
    today = services.clock.now().date()
    inputs = ProposalInputs(
        record=basis.record,
        quote=basis.quote,
        terms=basis.terms,
        catalog=catalog,
        theme=theme,
        wording=wording,
        today=today,
        review=basis.review,
        poc_criteria=basis.poc_criteria,
    )
    usage = RunUsage()
    for _attempt in range(2):
        deps = ProposalDeps(brief=brief, search=services.customer_facing_search)
        result = await proposal_agent.run(
            json.dumps(brief), deps=deps, model=services.model_for(offline_proposal), usage_limits=PROPOSAL_LIMITS
        )
        usage.incr(result.usage)
        document = compose(inputs, result.output, deps.passages)
        markdown = render_markdown(document)
        allowed = proposal_guardrail.permitted(
            quote=basis.quote,
            terms=basis.terms,
            record=basis.record,
            catalog=catalog,
            today=today,
            links=[source.link for source in document.sources if source.link],
            website=theme.website,
        )
        grounded = " ".join(p.text for p in deps.passages)
        problems = proposal_guardrail.check(markdown, allowed, grounded_text=grounded)
        problems += proposal_guardrail.check_claims(document.claims, deps.passages)
        if not problems:
            break
    return WrittenProposal(document=document, markdown=markdown, problems=problems, passages=deps.passages, usage=usage)


def record_draft(services: Services, *, basis: ProposalBasis, written: WrittenProposal, who: access.Identity) -> None:
    """In one transaction: a clean draft moves a qualified deal to the proposal stage; the draft is audited
    with the quote, catalog, policy, chunks and model it came from."""
    with services.session_factory() as session, session.begin():
        deal = deals.get_deal(session, basis.deal_id, for_update=True)
        _still_the_final_quote(services, session, basis)
        if not written.problems and deal.stage == DealStage.QUALIFIED:
            deals.set_stage(
                session,
                deal,
                stage=DealStage.PROPOSAL,
                actor_id=who.user_id,
                clock=services.clock,
                reason=f"proposal drafted from quote v{basis.quote_version}",
            )
        audit.record(
            session,
            clock=services.clock,
            actor_type="model",
            actor_id=services.settings.model,
            action="proposal.draft",
            subject=f"deal:{deal.id}",
            deal_id=deal.id,
            inputs={
                "quote_version": basis.quote_version,
                "catalog_version": basis.quote.catalog_version,
                "policy_version": services.policy().version,
                "technical_review_id": basis.review_id,
                "chunks": provenance.chunks_of(written.passages),
                "theme_version": written.document.theme_version,
                "wording_version": written.document.wording_version,
                "model": provenance.model_of(services.settings),
            },
            outcome="needs_review" if written.problems else "drafted",
            detail={
                "problems": written.problems,
                "total": str(basis.quote.total),
                "currency": basis.quote.currency,
                "usage": provenance.usage_of(written.usage),
            },
        )
        if not written.problems:  # redrafting the same quote version tells subscribers once
            events.publish_event(
                session,
                events.ProposalSent(
                    id=events.event_id_for(f"proposal:deal:{deal.id}:quote:{basis.quote_version}"),
                    occurred_at=services.clock.now(),
                    deal_id=deal.id,
                    data=events.SentProposal(
                        quote_version=basis.quote_version,
                        total=basis.quote.total,
                        currency=basis.quote.currency,
                        file_name=f"{customer_file_stem(basis.company, basis.quote_version)}.pdf",
                        sent_by=who.user_id,
                    ),
                ),
                clock=services.clock,
            )


def _still_the_final_quote(services: Services, session: Session, basis: ProposalBasis) -> None:
    """The quote drafted from must still be the deal's latest, and final, when the draft is recorded
    (a new version, a decision or an expiry may have landed while the agent wrote)."""
    latest = cpq.latest_quote(session, basis.deal_id)
    if latest is None or latest.version != basis.quote_version:
        raise ProposalRefused(
            f"Deal #{basis.deal_id} was priced again while I drafted from quote v{basis.quote_version}: "
            "ask for the proposal again."
        )
    not_final = cpq.why_not_final(session, latest, policy=services.policy())
    if not_final is not None:
        raise ProposalRefused(not_final)


enforce(proposal_agent)  # least privilege: its tools are exactly those agents/allowlist.py names
