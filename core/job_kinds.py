"""Every kind of durable work and the payload each carries, validated when recorded and when claimed.

A listener (or a domain's use case) records a payload model; the queue stores its JSON with the
kind; the worker validates it again on claim, so a handler reads typed fields, never `payload["x"]`.
A stored payload that no longer validates fails its job once, with the reason, instead of retrying.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,32}$")]
# Ids we issue: positive and small enough for any database integer column.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# Where a message was written: the deal's thread, another thread the bot owns, a mention, a DM.
ThreadKind = Literal["deal", "thread", "mention", "dm"]


class JobKind(enum.StrEnum):
    DEAL_OPEN = "deal.open"
    DEAL_STATUS = "deal.status"
    DEAL_DISQUALIFY = "deal.disqualify"
    DEAL_SHARE = "deal.share"
    DEAL_QUOTE = "deal.quote"
    DEAL_PROPOSAL = "deal.proposal"
    CONVERSATION_TURN = "conversation.turn"
    KNOWLEDGE_ASK = "knowledge.ask"
    APPROVAL_DECIDE = "approval.decide"
    APPROVAL_DECIDED = "approval.decided"
    APPROVAL_CARD = "approval.card"
    APPROVAL_NOTIFY = "approval.notify"
    APPROVAL_RESUME = "approval.resume"
    APPROVALS_LIST = "approvals.list"
    ADMIN = "admin"
    PRIVACY_ERASE_SLACK = "privacy.erase_slack"
    HOME_PUBLISH = "home.publish"
    REPORT_OUTCOMES = "report.outcomes"
    LEAD_OPEN = "lead.open"
    NEXT_STEP_ADD = "next_step.add"
    NEXT_STEP_CHANGE = "next_step.change"
    FOLLOW_UP_SEND = "follow_up.send"
    CONTRACT_ORDER_FORM = "contract.order_form"
    CONTRACT_SECURITY_REVIEW = "contract.security_review"
    CONTRACT_SEND = "contract.send"
    CONTRACT_ENVELOPE = "contract.envelope"
    REVIEW_REQUEST = "review.request"
    REVIEW_CARD = "review.card"
    REVIEW_DECIDE = "review.decide"
    REVIEW_DECIDED = "review.decided"
    REVIEW_NOTIFY = "review.notify"
    NEXT_STEP_PROPOSAL = "next_step.proposal"
    MEETING_SCHEDULE = "meeting.schedule"
    MEETING_OFFER = "meeting.offer"
    MEETING_BOOK = "meeting.book"
    MEETING_CHANGE = "meeting.change"
    MEETING_SYNC = "meeting.sync"
    MEETING_REMIND = "meeting.remind"
    POC_SHOW = "poc.show"
    POC_REVIEW = "poc.review"
    POC_OUTCOME = "poc.outcome"
    POC_ANNOUNCE = "poc.announce"


class JobPayload(BaseModel):
    """What one kind of job needs; `kind` ties the model to its JobKind."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[JobKind]


class Answerable(JobPayload):
    """Work a person asked for: who, and where to answer them (a slash command's or click's response URL)."""

    user_id: SlackId
    response_url: str | None = None


class OpenDeal(Answerable):
    kind = JobKind.DEAL_OPEN
    company: str = Field(min_length=1, max_length=200)
    notes: str = ""


class ShowStatus(Answerable):
    kind = JobKind.DEAL_STATUS
    deal: str | None = None  # "#12" or a company name; None lists the person's latest deals


class Disqualify(Answerable):
    kind = JobKind.DEAL_DISQUALIFY
    deal_id: RowId
    reason: str = Field(min_length=1, max_length=500)


class ShareDeal(Answerable):
    kind = JobKind.DEAL_SHARE
    deal: str
    share_with: SlackId


class QuoteLineAsk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sku: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=1_000_000)


class PriceQuote(Answerable):
    kind = JobKind.DEAL_QUOTE
    deal: str
    lines: tuple[QuoteLineAsk, ...] = Field(min_length=1)
    discount_pct: Decimal = Decimal(0)
    years: int = Field(1, ge=1, le=10)
    payment_terms_days: int | None = Field(None, ge=0, le=365, description="None: the deal's, else the standard")
    billing_frequency: Literal["annual", "quarterly", "monthly", "upfront"] | None = None  # None: the catalog's
    term_start: date | None = None
    custom_sla: bool = False
    legal_changes: bool = False
    override_rules: bool = False  # the rep insists on a quote that breaks a `requires` product rule
    justification: str | None = Field(None, max_length=500)


class DraftProposal(Answerable):
    kind = JobKind.DEAL_PROPOSAL
    deal: str


class TakeTurn(JobPayload):
    """A person wrote in a deal thread, a thread the bot owns, a mention or a DM."""

    kind = JobKind.CONVERSATION_TURN
    channel_id: SlackId
    thread_ts: str
    message_ts: str
    user_id: SlackId
    text: str
    thread_kind: ThreadKind


class AskKnowledge(Answerable):
    kind = JobKind.KNOWLEDGE_ASK
    question: str = Field(min_length=1)
    channel_id: str | None = None


class DecideApproval(Answerable):
    kind = JobKind.APPROVAL_DECIDE
    request_id: RowId
    decision: Literal["approved", "rejected", "changes_requested"]
    reason: str | None = None


class ApprovalDecided(JobPayload):
    """A level's decision, recorded: the card, the deal thread and the requester learn of it (and an
    approved quote's proposal follows). Queued in the deciding transaction, so a crash loses none of it."""

    kind = JobKind.APPROVAL_DECIDED
    request_id: RowId
    step_id: RowId
    final: bool = False  # this decision closed the request


class PostApprovalCard(JobPayload):
    kind = JobKind.APPROVAL_CARD
    request_id: RowId


class NotifyApproval(JobPayload):
    """An SLA sweep's reminder, escalation or expiry, posted beside the card."""

    kind = JobKind.APPROVAL_NOTIFY
    request_id: RowId
    what: Literal["reminder", "escalation", "expiry"]
    level: str | None = None  # the level reminded, or escalated to
    from_level: str | None = None  # for an escalation: the level whose time ran out


class ResumeRun(JobPayload):
    """A decided (or expired) request: the agent run that asked for it continues."""

    kind = JobKind.APPROVAL_RESUME
    request_id: RowId


class ListApprovals(Answerable):
    kind = JobKind.APPROVALS_LIST


class AdminCommand(Answerable):
    kind = JobKind.ADMIN
    action: Literal["reload", "replay"]
    event_ids: tuple[RowId, ...] = ()


class EraseFromSlack(JobPayload):
    """An erasure reaching the bot's own Slack messages. It carries the identifier's hash and length, never the
    identifier: the handler finds it by hashing what it reads."""

    kind = JobKind.PRIVACY_ERASE_SLACK
    erasure_id: RowId  # the privacy.erase audit event
    identifier_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    length: int = Field(ge=5, le=320)


class OpenLead(JobPayload):
    """A lead received by webhook: its account, deal, owner, and deal thread with the account brief."""

    kind = JobKind.LEAD_OPEN
    lead_id: RowId


class AcceptFinding(Answerable):
    """A click on a finding's "Add as next step": the step the finding names, if the finding still applies."""

    kind = JobKind.NEXT_STEP_ADD
    deal_id: RowId
    code: str = Field(pattern=r"^[a-z][a-z_]{0,59}$")


class ChangeStep(Answerable):
    """Done, Snooze or Reassign on a nudge: applied only if the step is still as the person saw it."""

    kind = JobKind.NEXT_STEP_CHANGE
    step_id: RowId
    change: Literal["done", "snooze", "reassign"]
    seen_due: date | None = None  # snooze: the due date the nudge showed
    days: Literal[1, 7] | None = None  # snooze: a day or a week
    seen_owner: SlackId | None = None  # reassign: whose it was when the person chose
    new_owner: SlackId | None = None  # reassign: to whom
    message_channel: SlackId | None = None  # the nudge clicked, updated to say what was done
    message_ts: str | None = Field(None, pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")


class DecideProposal(Answerable):
    """ "Add as next step" or "Dismiss" on a step the agent proposed: added once, or dismissed, by the use case."""

    kind = JobKind.NEXT_STEP_PROPOSAL
    proposal_id: RowId
    decision: Literal["add", "dismiss"]
    message_channel: SlackId | None = None  # the proposal clicked, updated to say what was done
    message_ts: str | None = Field(None, pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")


class SendFollowUp(JobPayload):
    """A nudge a sweep claimed: posted in the deal thread once quiet hours allow."""

    kind = JobKind.FOLLOW_UP_SEND
    follow_up_id: RowId


class RecordOrderForm(Answerable):
    """The order form modal's submission: its fields as the listener validated them (the deal domain's
    OrderFormEntry, validated again by the use case)."""

    kind = JobKind.CONTRACT_ORDER_FORM
    deal_id: RowId
    order_form: dict[str, str | bool | None]


class RecordSecurityReview(Answerable):
    kind = JobKind.CONTRACT_SECURITY_REVIEW
    deal_id: RowId
    note: str = Field(min_length=5, max_length=1000)


class SendForSignature(Answerable):
    kind = JobKind.CONTRACT_SEND
    deal_id: RowId


class EnvelopeSettled(JobPayload):
    """An envelope was signed, declined or voided: the deal's card, thread and owner learn of it."""

    kind = JobKind.CONTRACT_ENVELOPE
    envelope_id: RowId
    outcome: Literal["completed", "declined", "voided"]


class RequestReview(Answerable):
    """ "Request SE review" on a deal card, or `/lto review <deal>`: the technical scope drafted and sent."""

    kind = JobKind.REVIEW_REQUEST
    deal: str = Field(min_length=1, max_length=200)


class PostReviewCard(JobPayload):
    """A review's card in the sales-engineering channel: posted once, then updated in place."""

    kind = JobKind.REVIEW_CARD
    review_id: RowId


class DecideReview(Answerable):
    """The review modal's submission: the sections as edited (one item a line), the verdict and the notes."""

    kind = JobKind.REVIEW_DECIDE
    review_id: RowId
    sections: tuple[tuple[str, str], ...] = Field(max_length=10)  # (section name, its lines as edited)
    assumptions: str = Field("", max_length=3000)
    conditions: str = Field("", max_length=3000)
    verdict: Literal["feasible", "feasible_with_conditions", "not_feasible"]
    notes: str = Field("", max_length=3000)


class ReviewDecided(JobPayload):
    """A decided review: the card, the deal thread and the deal card learn of it, then the kind's own hook runs."""

    kind = JobKind.REVIEW_DECIDED
    review_id: RowId
    deal_id: RowId
    review_kind: Literal["scope", "poc_plan"]  # the review's kind (`kind` names the job's)


class NotifyReview(JobPayload):
    """An SLA sweep's reminder, escalation or expiry of a review."""

    kind = JobKind.REVIEW_NOTIFY
    review_id: RowId
    what: Literal["reminder", "escalation", "expiry"]


class ScheduleMeeting(Answerable):
    """ "Schedule demo" on a deal card, or `/lto schedule <deal> demo|poc [when]`: three times offered to the rep."""

    kind = JobKind.MEETING_SCHEDULE
    deal: str = Field(min_length=1, max_length=200)  # "#12" or a company name
    meeting_kind: Literal["demo", "poc"] = "demo"
    when: str | None = Field(None, max_length=40)  # next week, this week, tomorrow, YYYY-MM-DD; None: the next days


class PostMeetingOffer(JobPayload):
    """Times offered for a meeting: shown to the person they were offered to, only to them, with a button each."""

    kind = JobKind.MEETING_OFFER
    meeting_id: RowId
    round: int = Field(ge=0, le=10_000)


class BookMeeting(Answerable):
    """A click on an offered time: booked once (a second click, or the same one again, is told it is booked)."""

    kind = JobKind.MEETING_BOOK
    token: str = Field(pattern=r"^[A-Za-z0-9_-]{16,48}$")


class ChangeMeeting(Answerable):
    """Reschedule or Cancel on a meeting's message in the deal thread, as the message showed it."""

    kind = JobKind.MEETING_CHANGE
    meeting_id: RowId
    sequence: int = Field(ge=0, le=10_000)
    change: Literal["reschedule", "cancel"]


class SyncMeeting(JobPayload):
    """A meeting was booked, rescheduled or cancelled: its event, invite, thread message and DM follow, once."""

    kind = JobKind.MEETING_SYNC
    meeting_id: RowId
    sequence: int = Field(ge=0, le=10_000)


class RemindMeeting(JobPayload):
    """The day-before reminder a sweep claimed."""

    kind = JobKind.MEETING_REMIND
    reminder_id: RowId


class ShowPoc(Answerable):
    """`/lto poc <deal>`: the deal's POC plan drafted from its record (or shown as it is) in the deal thread."""

    kind = JobKind.POC_SHOW
    deal: str = Field(min_length=1, max_length=200)


class SendPocForReview(Answerable):
    """ "Send for SE review" on a POC plan: the plan as the message showed it (its version) goes to review."""

    kind = JobKind.POC_REVIEW
    plan_id: RowId
    version: int = Field(ge=1, le=1_000_000)
    message_channel: SlackId | None = None  # the plan message clicked, updated to say it was sent
    message_ts: str | None = Field(None, pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")


class PocCriterionResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(pattern=r"^c[0-9]{1,3}$")
    outcome: Literal["met", "not_met", "not_measured"]
    measured: str | None = Field(None, max_length=200)


class RecordPocOutcome(Answerable):
    """The POC outcome modal's submission: per criterion met, not met or not measured, and the value measured."""

    kind = JobKind.POC_OUTCOME
    plan_id: RowId
    results: tuple[PocCriterionResult, ...] = Field(min_length=1, max_length=40)


class AnnouncePoc(JobPayload):
    """A POC plan's review was decided: the deal thread hears that it is agreed (with its dated steps) or sent back."""

    kind = JobKind.POC_ANNOUNCE
    plan_id: RowId
    review_id: RowId
    event: Literal["agreed", "not_feasible"]


class PublishHome(JobPayload):
    """A person opened the bot's Home tab: their pipeline, follow-ups and approvals (and the team's outcomes)."""

    kind = JobKind.HOME_PUBLISH
    user_id: SlackId


class ReportOutcomes(Answerable):
    """`/lto report`: the team's outcome metrics and their chart, sent to the person who asked."""

    kind = JobKind.REPORT_OUTCOMES
    since: date | None = None


PAYLOADS: dict[JobKind, type[JobPayload]] = {
    model.kind: model
    for model in (
        OpenDeal,
        ShowStatus,
        Disqualify,
        ShareDeal,
        PriceQuote,
        DraftProposal,
        TakeTurn,
        AskKnowledge,
        DecideApproval,
        ApprovalDecided,
        PostApprovalCard,
        NotifyApproval,
        ResumeRun,
        ListApprovals,
        AdminCommand,
        EraseFromSlack,
        PublishHome,
        ReportOutcomes,
        OpenLead,
        AcceptFinding,
        ChangeStep,
        DecideProposal,
        SendFollowUp,
        RecordOrderForm,
        RecordSecurityReview,
        SendForSignature,
        EnvelopeSettled,
        RequestReview,
        PostReviewCard,
        DecideReview,
        ReviewDecided,
        NotifyReview,
        ScheduleMeeting,
        PostMeetingOffer,
        BookMeeting,
        ChangeMeeting,
        SyncMeeting,
        RemindMeeting,
        ShowPoc,
        SendPocForReview,
        RecordPocOutcome,
        AnnouncePoc,
    )
}


class BadPayload(ValueError):
    """A stored job's payload does not fit its kind (tampered, or written by an older version)."""


P = TypeVar("P", bound=JobPayload)


def parse_payload(kind: str, payload: dict[str, Any]) -> JobPayload:
    """The typed payload of a stored job, or BadPayload saying what is wrong with it."""
    try:
        model = PAYLOADS[JobKind(kind)]
    except ValueError:
        raise BadPayload(f"unknown job kind {kind!r}") from None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "payload"
        raise BadPayload(f"{kind} payload: {where}: {first['msg']}") from None
