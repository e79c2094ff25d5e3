"""The `/lto help` and usage messages."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.commands import USAGE
from bot.views.text import escape


def usage_blocks(problem: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    if problem:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":warning: {escape(problem)}")))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=USAGE)))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="In a deal thread, just reply: I read every message.")])
    )
    return blocks


def usage_text(problem: str | None = None) -> str:
    return f"{escape(problem)}\n{USAGE}" if problem else USAGE
