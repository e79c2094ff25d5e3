"""Action, block and callback ids, and the small typed values carried in buttons and modals."""

from __future__ import annotations

import enum
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from core.job_kinds import RowId


class ActionId(enum.StrEnum):
    DRAFT_PROPOSAL = "deal.draft_proposal"
    DISQUALIFY = "deal.disqualify"
    OPEN_THREAD = "deal.open_thread"
    ANSWER_HELPFUL = "answer.helpful"
    ANSWER_NOT_HELPFUL = "answer.not_helpful"
    APPROVE = "approval.approve"
    REJECT = "approval.reject"
    REQUEST_CHANGES = "approval.request_changes"
    ADD_NEXT_STEP = "next_step.add"
    STEP_DONE = "next_step.done"
    STEP_SNOOZE_DAY = "next_step.snooze_day"
    STEP_SNOOZE_WEEK = "next_step.snooze_week"
    STEP_REASSIGN = "next_step.reassign"
    ADD_PROPOSED_STEP = "next_step.add_proposed"
    DISMISS_PROPOSED_STEP = "next_step.dismiss_proposed"
    ORDER_FORM = "contract.order_form"
    SECURITY_REVIEW = "contract.security_review"
    SEND_FOR_SIGNATURE = "contract.send"
    SCHEDULE_DEMO = "meeting.schedule_demo"
    BOOK_SLOT = "meeting.book"  # one button per time offered: `meeting.book.0`, `.1`, `.2`
    RESCHEDULE_MEETING = "meeting.reschedule"
    CANCEL_MEETING = "meeting.cancel"
    REQUEST_REVIEW = "review.request"
    CLAIM_REVIEW = "review.claim"
    POC_SEND_FOR_REVIEW = "poc.send_for_review"
    POC_RECORD_OUTCOME = "poc.record_outcome"


class CallbackId(enum.StrEnum):
    DISQUALIFY = "deal.disqualify_modal"
    APPROVAL_REASON = "approval.reason_modal"
    REASSIGN_STEP = "next_step.reassign_modal"
    ORDER_FORM = "contract.order_form_modal"
    SECURITY_REVIEW = "contract.security_review_modal"
    REVIEW_EDIT = "review.edit_modal"
    POC_OUTCOME = "poc.outcome_modal"


class BlockId(enum.StrEnum):
    DEAL_ACTIONS = "deal_actions"
    DISQUALIFY_REASON = "disqualify_reason"
    APPROVAL_REASON = "approval_reason"
    APPROVAL_ACTIONS = "approval_actions"
    STEP_ACTIONS = "next_step_actions"
    REASSIGN_TO = "reassign_to"
    PROPOSAL_ACTIONS = "next_step_proposal_actions"
    CONTRACT_ACTIONS = "contract_actions"
    SECURITY_NOTE = "security_note"
    MEETING_SLOTS = "meeting_slots"
    MEETING_ACTIONS = "meeting_actions"
    REVIEW_ACTIONS = "review_actions"
    REVIEW_ASSUMPTIONS = "review_assumptions"
    REVIEW_CONDITIONS = "review_conditions"
    REVIEW_VERDICT = "review_verdict"
    REVIEW_NOTES = "review_notes"
    POC_ACTIONS = "poc_actions"


def review_section_block(index: int) -> str:
    """The block id of the review modal's input for its `index`-th section."""
    return f"review_section_{index}"


class InputId(enum.StrEnum):
    REASON = "reason"
    ASSIGNEE = "assignee"
    NOTE = "note"
    VERDICT = "verdict"


class OrderFormInput(enum.StrEnum):
    """The order form modal's inputs: each is its own block, with an action of the same id."""

    LEGAL_ENTITY = "legal_entity"
    BILLING_ADDRESS = "billing_address"
    BILLING_CONTACT_NAME = "billing_contact_name"
    BILLING_CONTACT_EMAIL = "billing_contact_email"
    PO_REQUIRED = "po_required"
    PO_NUMBER = "po_number"
    SIGNER_NAME = "signer_name"
    SIGNER_EMAIL = "signer_email"
    SIGNER_TITLE = "signer_title"


class DealRef(BaseModel):
    """The value of a deal card's buttons, and a modal's private_metadata: validated on the way back."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    deal_id: RowId


class AnswerRef(BaseModel):
    """The value of an answer's feedback buttons."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    answer_id: RowId


class ApprovalRef(BaseModel):
    """The value of an approval card's buttons, and the reason modal's private_metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    request_id: RowId
    decision: str = Field("approved", pattern="^(approved|rejected|changes_requested)$")


class FindingRef(BaseModel):
    """The value of a finding's "Add as next step" button: the deal and which finding (its text is read again)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    deal_id: RowId
    code: str = Field(pattern=r"^[a-z][a-z_]{0,59}$")


class StepRef(BaseModel):
    """The value of a nudge's buttons and the reassign modal's private_metadata: the step as the nudge showed it,
    so a change applies only if the step is still so."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    step_id: RowId
    due: date
    owner: str = Field(pattern=r"^[UW][A-Z0-9]{2,31}$")


class ReassignRef(StepRef):
    """The reassign modal's private_metadata: the step as the nudge showed it, and the nudge to update."""

    channel_id: str | None = Field(None, pattern=r"^[CGD][A-Z0-9]{2,31}$")
    message_ts: str | None = Field(None, pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")


class ProposalRef(BaseModel):
    """The value of a proposed step's buttons: which proposal (its title, owner and date are read back)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    proposal_id: RowId


class ReviewRef(BaseModel):
    """The value of a review card's Claim button."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    review_id: RowId


class ReviewFormRef(ReviewRef):
    """The review modal's private_metadata: the review and the names of the sections it shows, in order."""

    sections: tuple[str, ...] = Field(max_length=10)


class SlotRef(BaseModel):
    """The value of an offered time's button: its token (what it books is read from the database)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    token: str = Field(pattern=r"^[A-Za-z0-9_-]{16,48}$")


class MeetingRef(BaseModel):
    """The value of a meeting message's Reschedule and Cancel buttons: the meeting as the message showed it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    meeting_id: RowId
    sequence: int = Field(ge=0, le=10_000)


class PocRef(BaseModel):
    """The value of a POC plan message's buttons and the outcome modal's private_metadata: the plan as shown."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    plan_id: RowId
    version: int = Field(ge=1, le=1_000_000)


def poc_outcome_block(key: str) -> str:
    """The block id (and its element's action id) of the outcome modal's choice for a criterion (`c1`, `c2`)."""
    return f"poc_outcome_{key}"


def poc_measured_block(key: str) -> str:
    """The block id (and its element's action id) of the outcome modal's measured value for a criterion."""
    return f"poc_measured_{key}"
