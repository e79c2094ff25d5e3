"""Domain events: what other systems may subscribe to, as versioned models, published through the outbox.

Every event is one envelope (id, type, version, occurred_at, deal_id) around the type's own `data`.
`publish_event` writes it to the outbox in the caller's transaction, so it exists exactly when the
change it reports was committed; the events sweep (`integrations/events/sweeps.py`) delivers it to
the broker and the webhook subscribers, at least once and in order per deal. The id is fixed when
the event is written, so every delivery of one event carries the same id: subscribers deduplicate
by it. The models are the published contract: their JSON Schemas are committed in `docs/events/`,
and a change to a field is a new version of the type, not an edit of the old one.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from core import outbox
from core.clock import Clock

EVENT_TOPIC_PREFIX = "event."  # outbox topic of a published event: event.<type>
# Event ids derived from a key (event_id_for) live in this namespace, so the same key always gives the same id.
EVENT_ID_NAMESPACE = uuid.UUID("4f0d6c52-9a7e-4c1b-8f3e-2b5d7a9c1e60")


def event_id_for(key: str) -> uuid.UUID:
    """A stable event id from a key that names the change ("quote:12:committed"): publishing the same
    change twice (a re-run job) then gives the same id, and the outbox keeps the first one only."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, key)


class EventData(BaseModel):
    """The type-specific body of an event."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class DomainEvent(BaseModel):
    """The envelope every event shares; a subclass per type fixes `type`, `version` and `data`."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Stable id of this event: every delivery of it carries the same one (deduplicate by it). "
        "Also the broker's Nats-Msg-Id and the webhook's X-LTO-Event-Id.",
    )
    type: str = Field(description="The event type, e.g. deal.stage_changed; also the subject's last tokens.")
    version: int = Field(description="Version of this type's schema; a breaking change is a new version.")
    occurred_at: AwareDatetime = Field(description="When the change was committed (UTC, ISO 8601).")
    deal_id: int = Field(description="The deal the event belongs to; events of one deal arrive in order.")

    @classmethod
    def schema_name(cls) -> str:
        """`deal.stage_changed.v1`: the schema file's name without `.json`."""
        fields = cls.model_fields
        return f"{fields['type'].default}.v{fields['version'].default}"


# Event types ---------------------------------------------------------------------------------------


class Lead(EventData):
    company: str = Field(description="The account's name as the deal was opened.")
    owner: str = Field(description="Slack user id of the rep who owns the deal.")
    source: str = Field(description="Where the lead came from: slash_command, crm_webhook, ...")


# Superseded by version 2 (the lead's routing); its schema stays published, unchanged, for old subscribers.
class LeadReceivedV1(DomainEvent):
    """A new deal was opened from a lead."""

    model_config = ConfigDict(title="LeadReceived")
    type: Literal["lead.received"] = "lead.received"
    version: Literal[1] = 1
    data: Lead


class RoutedLead(EventData):
    company: str = Field(description="The account's name as the deal was opened.")
    owner: str = Field(description="Slack user id of the rep who owns the deal.")
    source: str = Field(description="Where the lead came from: slash_command, hubspot, web_form, ...")
    lead_id: int | None = Field(description="Our id of the lead received; null for a deal a rep opened in Slack.")
    source_event_id: str | None = Field(description="The sender's id of the lead event (HubSpot's eventId, ...).")
    domain: str | None = Field(description="The account's web domain, when known.")
    territory: str | None = Field(description="The routing territory the lead's country falls in.")
    segment: str | None = Field(description="The routing segment the company's size falls in.")
    routing_rule: str | None = Field(description="The routing rule that chose the owner; null when a rep opened it.")
    routing_version: str | None = Field(description="Version of the governed routing rules that decided.")


class LeadReceived(DomainEvent):
    """A new deal was opened from a lead: a CRM or web form webhook, or a rep's `/lto new`."""

    type: Literal["lead.received"] = "lead.received"
    version: Literal[2] = 2
    data: RoutedLead


class StageChange(EventData):
    previous_stage: str | None = Field(description="The stage before; null when the deal was just opened.")
    stage: str = Field(description="new, discovery, qualified, proposal, won, lost or disqualified.")
    reason: str = Field(description="Why, in words: the assessment, the proposal, the disqualification.")
    actor: str = Field(description="Who or what moved it: a Slack user id, or the model that assessed the deal.")


class DealStageChanged(DomainEvent):
    """The deal moved from one stage to another."""

    type: Literal["deal.stage_changed"] = "deal.stage_changed"
    version: Literal[1] = 1
    data: StageChange


class Qualified(EventData):
    score: int = Field(description="Qualification score, 0 to 100.")
    seats: int | None = None
    budget_amount: Decimal | None = Field(description="Decimal as a string, in budget_currency.")
    budget_currency: str | None = None
    target_close: date | None = None
    deployment: str | None = None
    regions: list[str] = Field(default_factory=list)
    compliance: list[str] = Field(default_factory=list)


class DealQualified(DomainEvent):
    """The deal's assessment reached qualified: the facts a proposal needs are known."""

    type: Literal["deal.qualified"] = "deal.qualified"
    version: Literal[1] = 1
    data: Qualified


class CommittedQuote(EventData):
    quote_id: int
    quote_version: int = Field(description="The deal's quote version, 1, 2, ...")
    status: str = Field(description="draft (within the rep's authority) or needs_approval.")
    total: Decimal = Field(description="Decimal as a string, in currency.")
    currency: str
    catalog_version: str = Field(description="Version of the governed catalog the prices came from.")
    created_by: str = Field(description="Slack user id of the rep who priced it.")


class QuoteCommitted(DomainEvent):
    """A priced quote version was stored for the deal."""

    type: Literal["quote.committed"] = "quote.committed"
    version: Literal[1] = 1
    data: CommittedQuote


class ApprovalDecision(EventData):
    request_id: int
    quote_id: int
    level: str | None = Field(description="The policy level decided (deal_desk, finance, ...); null when it expired.")
    decision: str = Field(description="approved, rejected, changes_requested or expired.")
    decided_by: str = Field(description="Slack user id of the approver, or sla when the request expired.")
    reason: str | None = None
    final: bool = Field(description="True when this decision closed the request as a whole.")
    policy_version: str


class ApprovalDecided(DomainEvent):
    """An approver decided one level of an approval request (or the request expired)."""

    type: Literal["approval.decided"] = "approval.decided"
    version: Literal[1] = 1
    data: ApprovalDecision


class SentProposal(EventData):
    quote_version: int = Field(description="The quote version the proposal's prices come from.")
    total: Decimal = Field(description="Decimal as a string, in currency.")
    currency: str
    file_name: str = Field(description="The proposal document shared in the deal's thread.")
    sent_by: str = Field(description="Slack user id of the rep who asked for it.")


class ProposalSent(DomainEvent):
    """A proposal that passed its checks was drafted and shared in the deal's thread."""

    type: Literal["proposal.sent"] = "proposal.sent"
    version: Literal[1] = 1
    data: SentProposal


class SignedContract(EventData):
    envelope_id: str = Field(description="The e-signature provider's id of the signed envelope.")
    provider: str = Field(description="The e-signature provider (docusign, ...).")
    quote_version: int
    total: Decimal = Field(description="Decimal as a string, in currency.")
    currency: str
    signed_at: AwareDatetime
    signers: list[str] = Field(default_factory=list, description="Names or emails of who signed, in order.")


class ContractSigned(DomainEvent):
    """The customer signed the contract: the deal is won and its order created."""

    type: Literal["contract.signed"] = "contract.signed"
    version: Literal[1] = 1
    data: SignedContract


class ReviewDecision(EventData):
    review_id: int
    kind: str = Field(description="What was reviewed: scope (the technical scope) or poc_plan.")
    verdict: str = Field(description="feasible, feasible_with_conditions or not_feasible.")
    decided_by: str = Field(description="Slack user id of the sales engineer who decided.")
    conditions: list[str] = Field(default_factory=list, description="What a conditional verdict depends on.")
    policy_version: str = Field(description="Version of the governed review rules the review ran under.")


class ReviewDecided(DomainEvent):
    """A sales engineer decided a technical review of the deal (its internal notes are not published)."""

    type: Literal["review.decided"] = "review.decided"
    version: Literal[1] = 1
    data: ReviewDecision


# The version of each type that is published now.
EVENT_TYPES: dict[str, type[DomainEvent]] = {
    model.model_fields["type"].default: model
    for model in (
        LeadReceived,
        DealStageChanged,
        DealQualified,
        QuoteCommitted,
        ApprovalDecided,
        ProposalSent,
        ContractSigned,
        ReviewDecided,
    )
}


# Every schema in the published contract: the current versions and the superseded ones subscribers may still read.
PUBLISHED_SCHEMAS: tuple[type[DomainEvent], ...] = (*EVENT_TYPES.values(), LeadReceivedV1)


def publish_event(session: Session, event: DomainEvent, *, clock: Clock) -> bool:
    """Write the event to the outbox in the caller's transaction (topic `event.<type>`); False when an event
    with this id was published before (a re-run that derived its id with `event_id_for`)."""
    return outbox.emit(
        session,
        topic=f"{EVENT_TOPIC_PREFIX}{event.type}",
        aggregate=f"events:deal:{event.deal_id}",
        payload=event.model_dump(mode="json"),
        idempotency_key=f"event:{event.id}",
        clock=clock,
    )
