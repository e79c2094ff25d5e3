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

from agents import figures
from agents.qa import QaOutcome
from bot.ids import ActionId, AnswerRef
from bot.views.text import clip, escape, untrusted
from knowledge.models import NOT_FOR_CUSTOMERS as RESTRICTED
from knowledge.models import Passage

# What a rep must know before passing an answer on: the sources it rests on that may not leave the company.
NOT_FOR_CUSTOMERS = {audience: f":lock: *{warning}*" for audience, warning in RESTRICTED.items()}


def source_line(passage: Passage) -> str:
    label = escape(figures.place(passage.title, passage.section))
    link = f"<{passage.source}|{label}>" if passage.source.startswith("http") else f"{label} ({escape(passage.source)})"
    stale = (
        f" · _updated {passage.updated_at[:10]}, may be out of date_" if passage.stale and passage.updated_at else ""
    )
    audience = f" · {NOT_FOR_CUSTOMERS[passage.audience]}" if passage.audience in NOT_FOR_CUSTOMERS else ""
    return link + stale + audience


def _restricted(outcome: QaOutcome) -> bool:
    return any(p.audience in NOT_FOR_CUSTOMERS for p in outcome.sources)


def channel_mention(channel: str) -> str:
    """A channel id links as <#C…>; a name is shown as #name."""
    if channel.startswith(("C", "G")) and channel[1:].isalnum() and channel.isupper():
        return f"<#{channel}>"
    return f"#{escape(channel.lstrip('#'))}"


def dont_know(outcome: QaOutcome, ask_in: str | None) -> str:
    """The knowledge base has no answer: say so plainly, say what was not found, and who to ask."""
    named = ", ".join(f"_{escape(term)}_" for term in outcome.missing[:3])
    said = f"The knowledge base has nothing on {named}." if named else "The knowledge base doesn't answer that."
    who = f" Ask the experts in {channel_mention(ask_in)}." if ask_in else ""
    return f"*I don't know.* {said} I won't guess.{who} _Noted as a knowledge gap._"


def _answer(outcome: QaOutcome, ask_in: str | None = None) -> str:
    """The model's answer as mrkdwn it may post (links only to the sources it cites), or "I don't know"."""
    if outcome.abstained:
        return dont_know(outcome, ask_in)
    return untrusted(outcome.answer.text, links={p.source for p in outcome.sources})


def answer_text(question: str, outcome: QaOutcome, ask_in: str | None = None) -> str:
    """The message's fallback text (notifications, screen readers): as safe as its blocks."""
    warning = "\n(relies on internal sources: don't forward)" if _restricted(outcome) else ""
    return f"Q: {escape(question)}\n{_answer(outcome, ask_in)}{warning}"


def answer_blocks(question: str, outcome: QaOutcome, answer_id: int, ask_in: str | None = None) -> list[Block]:
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=clip(f"*Q:* {escape(question)}", 3000))),
        SectionBlock(text=MarkdownTextObject(text=clip(_answer(outcome, ask_in), 3000))),
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
