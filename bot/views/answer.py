"""A knowledge-base answer: the question, the quoted answer, its sources, and feedback buttons."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from agents.qa import QaOutcome
from bot.ids import ActionId, AnswerRef
from bot.views.text import clip, escape, untrusted
from knowledge.models import Passage


def source_line(passage: Passage) -> str:
    label = escape(f"{passage.title} › {passage.section}" if passage.section else passage.title)
    link = f"<{passage.source}|{label}>" if passage.source.startswith("http") else f"{label} ({escape(passage.source)})"
    stale = (
        f" · _updated {passage.updated_at[:10]}, may be out of date_" if passage.stale and passage.updated_at else ""
    )
    return link + stale


def _answer(outcome: QaOutcome) -> str:
    """The model's answer as mrkdwn it may post: links only to the sources it cites."""
    return untrusted(outcome.answer.text, links={p.source for p in outcome.sources})


def answer_text(question: str, outcome: QaOutcome) -> str:
    """The message's fallback text (notifications, screen readers): as safe as its blocks."""
    return f"Q: {escape(question)}\n{_answer(outcome)}"


def answer_blocks(question: str, outcome: QaOutcome, answer_id: int) -> list[Block]:
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=clip(f"*Q:* {escape(question)}", 3000))),
        SectionBlock(text=MarkdownTextObject(text=clip(_answer(outcome), 3000))),
    ]
    if outcome.sources:
        lines = [f":page_facing_up: {source_line(p)}" for p in outcome.sources[:9]]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(line, 3000)) for line in lines]))
    ref = AnswerRef(answer_id=answer_id).model_dump_json()
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text=":thumbsup: Helpful", action_id=ActionId.ANSWER_HELPFUL, value=ref),
                ButtonElement(text=":thumbsdown: Not helpful", action_id=ActionId.ANSWER_NOT_HELPFUL, value=ref),
            ]
        )
    )
    return blocks
