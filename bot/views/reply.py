"""The agent's replies in a thread, and the "working on it" message they replace."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.views.text import clip

SECTION_LIMIT = 3000


def working_blocks() -> list[Block]:
    return [ContextBlock(elements=[MarkdownTextObject(text=":hourglass_flowing_sand: Working on it…")])]


def _sections(text: str) -> list[str]:
    """Split long text at paragraph or line breaks so each part fits a section block."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= SECTION_LIMIT:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = clip(line, SECTION_LIMIT)
    if current:
        parts.append(current)
    return parts[:45]


def reply_blocks(text: str, *, model: str) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=part)) for part in _sections(text)]
    label = "offline assistant" if model == "offline" else f"model `{model}`"
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text=f"Discovery · {label} · prices come from CPQ, never the model")])
    )
    return blocks


def notice_blocks(text: str) -> list[Block]:
    """A short message from the bot about itself (an outage, a limit), without the discovery footer."""
    return [SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))]
