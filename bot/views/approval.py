"""The approval card in the approvals channel, and the modal that asks for a reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from approvals.models import ApprovalRequest, ApprovalStep
from bot.ids import ActionId, ApprovalRef, BlockId, CallbackId, InputId
from bot.views.deal import finding_line
from bot.views.text import clip, escape
from deals.inspection import Finding
from deals.qualification import Qualification, format_money

OUTCOME_BADGES = {
    "approved": ":white_check_mark: Approved",
    "rejected": ":x: Rejected",
    "changes_requested": ":leftwards_arrow_with_hook: Changes requested",
    "cancelled": ":heavy_minus_sign: Cancelled (superseded)",
    "expired": ":hourglass: Expired without a decision",
    "pending": ":hourglass_flowing_sand: Waiting",
    "escalated": ":arrow_up: Escalated (did not decide in time)",
}


def approval_text(company: str, request: ApprovalRequest) -> str:
    return f"Approval needed for {escape(company)}: {escape(request.summary)} ({request.status.replace('_', ' ')})"


def approval_card(
    *,
    company: str,
    deal_link: str | None,
    request: ApprovalRequest,
    steps: list[ApprovalStep],
    level_names: dict[str, str],
    highlights: str,
    pricing: str,
    deadline: datetime | None,
    context: Sequence[str] = (),
) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"Approval: {company}", 150)),
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(
                    f"*{escape(request.summary)}*\n{pricing}\nRequested by <@{request.requester}>"
                    + (f" · <{deal_link}|deal thread>" if deal_link else "")
                    + (f" · decide by {_when(deadline)}" if deadline and request.status == "pending" else ""),
                    3000,
                )
            )
        ),
        SectionBlock(
            text=MarkdownTextObject(
                text=clip("*Why*\n" + "\n".join(f"• {escape(rule['reason'])}" for rule in request.fired), 3000)
            )
        ),
    ]
    if context:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(context), 3000))))
    if highlights:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(escape(highlights), 3000))]))
    lines = []
    for step in steps:
        who = f" by <@{step.decided_by}> at {_when(step.decided_at)}" if step.decided_by else ""
        why = f": {escape(step.reason)}" if step.reason else ""
        name = level_names.get(step.level, step.level)
        if step.escalated_from:
            name += f" (escalated from {level_names.get(step.escalated_from, step.escalated_from)})"
        lines.append(f"{OUTCOME_BADGES.get(step.status, step.status)} · {name}{who}{why}")
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines), 3000))))
    if request.status == "pending":
        ref = lambda decision: ApprovalRef(request_id=request.id, decision=decision).model_dump_json()  # noqa: E731
        blocks.append(
            ActionsBlock(
                block_id=BlockId.APPROVAL_ACTIONS,
                elements=[
                    ButtonElement(text="Approve", action_id=ActionId.APPROVE, value=ref("approved"), style="primary"),
                    ButtonElement(text="Reject", action_id=ActionId.REJECT, value=ref("rejected"), style="danger"),
                    ButtonElement(
                        text="Request changes", action_id=ActionId.REQUEST_CHANGES, value=ref("changes_requested")
                    ),
                ],
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"*{OUTCOME_BADGES[request.status]}* — this request is closed.")]
            )
        )
    return blocks


def deal_context(
    *,
    record: Qualification,
    fit: str,
    waterfall: list[tuple[str, Decimal]],
    list_total: Decimal,
    total: Decimal,
    currency: str,
    gaps: list[str],
    findings: Sequence[Finding],
    justification: str | None,
) -> list[str]:
    """What an approver needs beside the price: budget fit, competition, how the discount builds up,
    what discovery has not established, the findings, and the rep's reason."""
    lines = [f"*Budget fit:* {escape(fit)}"]
    if record.competitors or record.incumbents:
        versus = ", ".join(record.competitors) or "—"
        replacing = f" · replacing {', '.join(record.incumbents)}" if record.incumbents else ""
        lines.append(f"*Competition:* {escape(versus)}{escape(replacing)}")
    steps = " → ".join(f"{name.lower()} −{format_money(amount, currency)}" for name, amount in waterfall)
    lines.append(
        f"*Discount waterfall:* list {format_money(list_total, currency)}"
        + (f" → {steps}" if steps else "")
        + f" → net {format_money(total, currency)}"
    )
    if gaps:
        lines.append(f"*Not yet established:* {escape(', '.join(gaps))}")
    if justification:
        lines.append(f"*Rep's justification:* {escape(justification)}")
    if findings:
        lines.append("*Findings*\n" + "\n".join(finding_line(f) for f in findings[:5]))
    return lines


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def reason_modal(ref: ApprovalRef) -> View:
    title = "Reject request" if ref.decision == "rejected" else "Request changes"
    return View(
        type="modal",
        callback_id=CallbackId.APPROVAL_REASON,
        private_metadata=ref.model_dump_json(),
        title=title,
        submit="Send",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=BlockId.APPROVAL_REASON,
                label="Reason (the rep will see it)",
                element=PlainTextInputElement(action_id=InputId.REASON, multiline=True, min_length=5, max_length=500),
            )
        ],
    )
