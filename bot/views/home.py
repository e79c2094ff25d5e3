"""The Home tab: a person's open deals by stage, follow-ups due, approvals, and (for managers) team outcomes."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.views.deal import STAGE_BADGES, finding_line
from bot.views.outcomes import outcome_lines
from bot.views.text import as_dicts, clip, escape
from deals.home import ApprovalLine, DealLine, Home, StepLine

FINDINGS_SHOWN = 2
SECTION_TEXT = 3000


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_TEXT))])


def step_text(step: StepLine, *, with_deal: bool) -> str:
    due = f" · due {step.due.isoformat()}" if step.due else ""
    late = " :warning: overdue" if step.overdue else ""
    where = f" (#{step.deal_id} {escape(step.company)})" if with_deal else ""
    return f"{escape(step.title)}{where}{due}{late}"


def deal_text(line: DealLine) -> str:
    parts = [f"*#{line.deal_id} {escape(line.company)}* · score {line.score}/100"]
    if line.next_step is not None:
        parts.append(f":arrow_right: Next: {step_text(line.next_step, with_deal=False)}")
    parts.extend(finding_line(finding) for finding in line.findings[:FINDINGS_SHOWN])
    hidden = len(line.findings) - FINDINGS_SHOWN
    if hidden > 0:
        parts.append(f"_…and {hidden} more finding{'s' if hidden > 1 else ''} on the deal card_")
    return "\n".join(parts)


def approval_text(line: ApprovalLine) -> str:
    waiting = f" · waiting on {escape(', '.join(line.waiting_on))}" if line.waiting_on else ""
    return f"• #{line.request_id} *{escape(line.company)}* (deal #{line.deal_id}): {escape(line.summary)}{waiting}"


def _list(title: str, lines: list[str], empty: str) -> list[Block]:
    return [HeaderBlock(text=title), _section("\n".join(lines) if lines else empty)]


def home_blocks(home: Home) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text="Your pipeline"),
        _context(f"Your open deals as of {home.today.isoformat()}, by stage. `/lto status #<deal>` shows a card."),
    ]
    if not home.deals:
        blocks.append(_section("No open deals. Start one with `/lto new <company> [what you know]`."))
    for stage, lines in home.by_stage():
        blocks.append(_section(f"*{STAGE_BADGES.get(stage, stage)}* · {len(lines)}"))
        blocks.extend(_section(deal_text(line)) for line in lines)
    if home.more_deals:
        blocks.append(_context(f"…and {home.more_deals} more open deals not shown here."))
    blocks.append(DividerBlock())
    if home.follow_ups is not None:
        steps = [f"• {step_text(step, with_deal=True)}" for step in home.follow_ups]
        blocks.extend(_list("Follow-ups due", steps, "Nothing due today."))
    requests = [approval_text(line) for line in home.my_requests]
    blocks.extend(_list("Your approval requests", requests, "None waiting for a decision."))
    if home.to_decide is not None:
        waiting = [approval_text(line) for line in home.to_decide]
        blocks.extend(_list("Waiting for your decision", waiting, "Nothing waits for you."))
    if home.team is not None:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text="Team outcomes"))
        blocks.append(_section("\n".join(outcome_lines(home.team))))
        blocks.append(_context("`/lto report [--since YYYY-MM-DD]` sends you these figures with a chart."))
    return blocks


def home_view(home: Home) -> dict[str, Any]:
    """The view `views.publish` takes: validated here, as every view is before it leaves."""
    view = View(type="home", blocks=as_dicts(home_blocks(home)))
    view.validate_json()
    return view.to_dict()
