"""Modals: the reason a deal is disqualified."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot.ids import BlockId, CallbackId, DealRef, InputId
from bot.views.text import clip, escape


def disqualify_modal(deal_id: int, company: str) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.DISQUALIFY,
        private_metadata=DealRef(deal_id=deal_id).model_dump_json(),
        title="Disqualify deal",
        submit="Disqualify",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=clip(f"Why is *{escape(company)}* (deal #{deal_id}) not a fit?", 3000))
            ),
            InputBlock(
                block_id=BlockId.DISQUALIFY_REASON,
                label="Reason",
                element=PlainTextInputElement(
                    action_id=InputId.REASON,
                    multiline=True,
                    min_length=5,
                    max_length=500,
                    placeholder="e.g. chose a competitor, no budget this year, not a technical fit",
                ),
            ),
        ],
    )
