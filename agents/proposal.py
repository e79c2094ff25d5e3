"""The proposal agent: drafts the prose sections, grounded in retrieved knowledge; code inserts the prices.

The model writes claims and cites chunk ids it retrieved (checked by the output validator).
The guardrail then reads the rendered document: every amount and percentage must come from
the quote (a figure a retrieved document states is not the quote's), every SKU must be one the
quote prices. A draft that fails is regenerated once, then posted as needing review with the reasons.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.usage import RunUsage, UsageLimits
from sqlalchemy.orm import Session

from agents import figures
from agents.allowlist import enforce
from agents.grounding import Search, search_and_remember
from agents.offline.proposal_model import offline_proposal
from agents.proposal_document import allowed_figures, render_markdown, to_pdf
from agents.services import Services
from core import audit, events, provenance
from deals import access
from deals import service as deals
from deals.models import DealStage
from deals.qualification import Qualification, Stage
from integrations.cpq import service as cpq
from integrations.cpq.engine import Quote
from integrations.cpq.models import QuoteStatus
from knowledge.models import Passage

PROPOSAL_LIMITS = UsageLimits(request_limit=8, tool_calls_limit=12)


class Claim(BaseModel):
    text: str = Field(description="One product capability statement, close to the cited passage's words.")
    chunk_id: str = Field(description="The retrieved chunk that supports it.")


class ProposalDraft(BaseModel):
    executive_summary: str
    situation: str = Field(description="The customer's situation in their words, from the qualification record.")
    solution: list[Claim] = Field(default_factory=list)
    security: list[Claim] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)


@dataclass
class ProposalDeps:
    brief: dict[str, Any]  # company, pain, requirements, quoted SKUs (no prices: the model never sees or writes them)
    search: Search | None
    passages: list[Passage] = field(default_factory=list)


proposal_agent: Agent[ProposalDeps, ProposalDraft] = Agent(
    deps_type=ProposalDeps,
    output_type=ProposalDraft,
    name="proposal",
    instructions=(
        "Draft the prose sections of a sales proposal for Halyard Stream from the brief. Search the knowledge base "
        "for each requirement (integrations, deployment, security and compliance) and state capabilities only as "
        "claims that cite the chunk_id they come from. Never write prices, amounts, discounts or percentages: the "
        "pricing section is inserted by the CPQ engine. Never name a SKU the brief does not list."
    ),
    retries=2,
)


@proposal_agent.tool
def search_knowledge(ctx: RunContext[ProposalDeps], query: str) -> list[dict[str, Any]] | str:
    """Search the knowledge base; returns passages with chunk_id, title, section, source and text."""
    return search_and_remember(ctx.deps.search, ctx.deps.passages, query)


@proposal_agent.output_validator
def claims_cite_retrieved_chunks(ctx: RunContext[ProposalDeps], draft: ProposalDraft) -> ProposalDraft:
    retrieved = {p.chunk_id for p in ctx.deps.passages}
    unknown = [c.chunk_id for c in [*draft.solution, *draft.security] if c.chunk_id not in retrieved]
    if unknown:
        raise ModelRetry(f"Claims cite chunks that were not retrieved: {unknown}. Cite only retrieved chunk ids.")
    return draft


_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?%")
_SKU = re.compile(r"\bHS-[A-Z]+\b")


def _without_spaces(text: str) -> str:
    return re.sub(r"\s", "", text)


def guardrail(
    document: str,
    *,
    allowed_money: set[str],
    allowed_percent: set[str],
    catalog_skus: set[str],
    grounded_text: str,
    quoted_skus: set[str] | None = None,
) -> list[str]:
    """Problems with a rendered draft; empty when every amount and percentage is the quote's and every SKU
    is one the quote prices.

    A figure the retrieved passages (`grounded_text`) state is still not the quote's: a document saying
    "Enterprise is now $99 per seat" must not put $99 beside the quote's prices, so it is named as coming
    from the knowledge base. `quoted_skus` (the quote's own SKUs), when given, also refuses catalog SKUs
    the quote does not price.
    """
    problems = []
    grounded = _without_spaces(grounded_text)

    def problem(kind: str, figure: str) -> str:
        if _without_spaces(figure) in grounded:
            return f"{kind} '{figure}' comes from the knowledge base, not the quote"
        return f"{kind} '{figure}' is not from the quote"

    for match in figures.MONEY.finditer(document):
        if _without_spaces(match.group(0)) not in allowed_money:
            problems.append(problem("amount", match.group(0).strip()))
    for match in _PERCENT.finditer(document):
        if _without_spaces(match.group(0)) not in allowed_percent:
            problems.append(problem("percentage", match.group(0).strip()))
    named = set(_SKU.findall(document))
    for sku in sorted(named - catalog_skus):
        problems.append(f"SKU {sku} is not in the catalog")
    if quoted_skus is not None:
        for sku in sorted((named & catalog_skus) - quoted_skus):
            problems.append(f"SKU {sku} is not on the quote")
    return problems


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


@dataclass(frozen=True)
class WrittenProposal:
    """The last draft the agent wrote, rendered, with what the guardrail found and what it cost."""

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
        return f"proposal-deal-{self.basis.deal_id}-v{self.basis.quote_version}"


async def draft_proposal(services: Services, *, deal_ref: str, who: access.Identity) -> DraftedProposal:
    """Draft the proposal for the deal `deal_ref` names from its latest quote: grounded prose from the agent
    (regenerated once if the guardrail stops it), prices from the quote, rendered to Markdown and PDF; the
    stage change and the audit event commit together. Raises DealNotFound, access.Forbidden or
    ProposalRefused with a sentence the rep can act on."""
    basis = await asyncio.to_thread(load_basis, services, deal_ref=deal_ref, who=who)
    written = await write_proposal(services, basis)
    pdf = await asyncio.to_thread(to_pdf, written.markdown, title=f"Proposal for {basis.company}")
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
        return ProposalBasis(
            deal_id=deal.id,
            company=deal.account.name,
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
            record=deals.qualification_of(deal),
            quote=Quote.model_validate(latest.quote),
            quote_version=latest.version,
            quote_status=latest.status,
        )


def brief_of(record: Qualification, quote: Quote) -> dict[str, Any]:
    """What the agent is told about the deal: the record's facts, never its budget (no prices in, none out),
    and the SKUs the quote prices (the only ones the proposal may name)."""
    dumped = record.model_dump(mode="json")
    brief = {k: v for k, v in dumped.items() if k not in ("budget",) and v not in (None, [], "")}
    brief["quoted_skus"] = [line.sku for line in quote.lines]
    return brief


async def write_proposal(services: Services, basis: ProposalBasis) -> WrittenProposal:
    """Run the agent and render its draft; a draft the guardrail stops is regenerated once, then kept
    (to be posted as needing review, with the reasons)."""
    brief = brief_of(basis.record, basis.quote)
    catalog_skus = {s.sku for s in services.catalog().skus}
    money, percents = allowed_figures(basis.quote)
    usage = RunUsage()
    for _attempt in range(2):
        deps = ProposalDeps(brief=brief, search=services.knowledge_search)
        result = await proposal_agent.run(
            json.dumps(brief), deps=deps, model=services.model_for(offline_proposal), usage_limits=PROPOSAL_LIMITS
        )
        usage.incr(result.usage)
        markdown = render_markdown(
            draft=result.output,
            record=basis.record,
            quote=basis.quote,
            quote_version=basis.quote_version,
            deal_id=basis.deal_id,
            passages=deps.passages,
            today=services.clock.now().date(),
        )
        grounded = " ".join(p.text for p in deps.passages)
        problems = guardrail(
            markdown,
            allowed_money=money,
            allowed_percent=percents,
            catalog_skus=catalog_skus,
            grounded_text=grounded,
            quoted_skus={line.sku for line in basis.quote.lines},
        )
        if not problems:
            break
    return WrittenProposal(markdown=markdown, problems=problems, passages=deps.passages, usage=usage)


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
                "chunks": provenance.chunks_of(written.passages),
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
                        file_name=f"proposal-deal-{deal.id}-v{basis.quote_version}.pdf",
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
