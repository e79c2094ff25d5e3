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
    ORDER_FORM = "contract.order_form"
    SECURITY_REVIEW = "contract.security_review"
    SEND_FOR_SIGNATURE = "contract.send"


class CallbackId(enum.StrEnum):
    DISQUALIFY = "deal.disqualify_modal"
    APPROVAL_REASON = "approval.reason_modal"
    REASSIGN_STEP = "next_step.reassign_modal"
    ORDER_FORM = "contract.order_form_modal"
    SECURITY_REVIEW = "contract.security_review_modal"


class BlockId(enum.StrEnum):
    DEAL_ACTIONS = "deal_actions"
    DISQUALIFY_REASON = "disqualify_reason"
    APPROVAL_REASON = "approval_reason"
    APPROVAL_ACTIONS = "approval_actions"
    STEP_ACTIONS = "next_step_actions"
    REASSIGN_TO = "reassign_to"
    CONTRACT_ACTIONS = "contract_actions"
    SECURITY_NOTE = "security_note"


class InputId(enum.StrEnum):
    REASON = "reason"
    ASSIGNEE = "assignee"
    NOTE = "note"


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
