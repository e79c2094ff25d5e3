"""Action, block and callback ids, and the small typed values carried in buttons and modals."""

from __future__ import annotations

import enum

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


class CallbackId(enum.StrEnum):
    DISQUALIFY = "deal.disqualify_modal"
    APPROVAL_REASON = "approval.reason_modal"


class BlockId(enum.StrEnum):
    DEAL_ACTIONS = "deal_actions"
    DISQUALIFY_REASON = "disqualify_reason"
    APPROVAL_REASON = "approval_reason"
    APPROVAL_ACTIONS = "approval_actions"


class InputId(enum.StrEnum):
    REASON = "reason"


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
