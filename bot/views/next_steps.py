"""Next steps in Slack: the card's list, the steps the agent proposes, the nudges with their buttons, what a
click did, and the reassign modal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId, InputId, ProposalRef, ReassignRef, StepRef
from bot.views.text import clip, escape, escape_keeping_mentions
from deals.follow_ups import Nudge, StepSeen
from deals.models import FollowUpKind, NextStep
from deals.next_steps import AddedSteps, ProposedStep, StepChange, StepNow

CARD_STEPS = 5  # steps listed on the card; the rest are counted


def day(value: date) -> str:
    """`Tue 8 Dec 2026`: a date people read without doing arithmetic."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def due_text(due: date, today: date) -> str:
    """How far off a due date is, from `today`: `due today`, `due Tue 8 Dec 2026`, `2 days overdue (…)`."""
    late = (today - due).days
    if late == 0:
        return "due today"
    if late == -1:
        return "due tomorrow"
    if late < 0:
        return f"due {day(due)}"
    return f"{late} day{'s' if late > 1 else ''} overdue ({day(due)})"


def mention(recipient: str) -> str:
    """A person (`U…`) or a user group (`S…`), as Slack notifies them."""
    return f"<!subteam^{recipient}>" if recipient.startswith("S") else f"<@{recipient}>"


def step_line(step: NextStep | StepSeen, today: date | None) -> str:
    due = due_text(step.due, today) if today is not None else f"due {day(step.due)}"
    return f"{escape_keeping_mentions(step.title)} — <@{step.owner_slack_id}> · {due}"


def card_steps(steps: Sequence[NextStep], today: date | None) -> SectionBlock:
    """The card's "Next steps" section: soonest first; none yet says how to add one."""
    if not steps:
        text = "*Next steps*\nNone yet. Write one in this thread (`next step: call their CFO by Friday`)."
    else:
        lines = [f"• {step_line(step, today)}" for step in steps[:CARD_STEPS]]
        if len(steps) > CARD_STEPS:
            lines.append(f"…and {len(steps) - CARD_STEPS} more")
        text = "*Next steps*\n" + "\n".join(lines)
    return SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))


def added_text(added: AddedSteps, today: date, *, when_said: Sequence[str | None] = ()) -> str:
    """What was added (or was there already), said in the deal thread."""
    lines = []
    for index, item in enumerate(added.steps):
        said = when_said[index] if index < len(when_said) else None
        read = f" (from “{escape(said)}”)" if said else ""
        verb = "Next step added" if item.added else "Already a next step"
        lines.append(
            f":pushpin: {verb}: *{escape_keeping_mentions(item.step.title)}* — <@{item.step.owner_slack_id}>, "
            f"{due_text(item.step.due, today)}{read}"
        )
    return "\n".join(lines)


def proposal_line(proposed: ProposedStep, today: date) -> str:
    """`*Chase the questionnaire from them* — @Riley · due Fri 4 Dec 2026 (from “by Friday”)`."""
    when = due_text(proposed.due, today) if proposed.due else "no date said: the default delay applies"
    said = f" (from “{escape(proposed.when_said)}”)" if proposed.when_said else ""
    return f"*{escape_keeping_mentions(proposed.title)}* — <@{proposed.owner_slack_id}> · {when}{said}"


def proposal_message(proposed: ProposedStep, today: date) -> tuple[str, list[Block]]:
    """A next step the assistant proposes, with the buttons that add it (once) or dismiss it."""
    text = f":bulb: Proposed next step: {proposal_line(proposed, today)}"
    ref = ProposalRef(proposal_id=proposed.id).model_dump_json()
    return text, [
        SectionBlock(text=MarkdownTextObject(text=clip(text, 3000))),
        ActionsBlock(
            block_id=BlockId.PROPOSAL_ACTIONS,
            elements=[
                ButtonElement(
                    text="Add as next step", action_id=ActionId.ADD_PROPOSED_STEP, value=ref, style="primary"
                ),
                ButtonElement(text="Dismiss", action_id=ActionId.DISMISS_PROPOSED_STEP, value=ref),
            ],
        ),
    ]


def proposal_decided_message(proposed: ProposedStep, today: date, *, said: str) -> tuple[str, list[Block]]:
    """A proposal after someone acted on it: what it proposed, and what became of it (no buttons left)."""
    text = f":bulb: Proposed next step: {proposal_line(proposed, today)}"
    return f"{text} · {said}", [
        SectionBlock(text=MarkdownTextObject(text=clip(text, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=said)]),
    ]


def nudge_message(nudge: Nudge, today: date) -> tuple[str, list[Block]]:
    """A nudge in the deal thread: its text, and for a step, the buttons that deal with it."""
    company = f"*{escape(nudge.company)}* (deal #{nudge.deal_id})"
    to = " ".join(mention(r) for r in nudge.recipients)
    if nudge.kind == FollowUpKind.STEP_DUE:
        assert nudge.step is not None
        step = nudge.step
        title = escape_keeping_mentions(step.title)
        text = f":alarm_clock: {to} a next step for {company} is {due_text(step.due, today)}: *{title}*"
        return text, [SectionBlock(text=MarkdownTextObject(text=clip(text, 3000))), step_buttons(step)]
    if nudge.kind == FollowUpKind.DEAL_IDLE:
        text = (
            f":hourglass: {to} nothing has happened on {company} for {nudge.idle_days} days. What's next? Write it "
            "here, e.g. `next step: call their CFO by Friday`."
        )
    elif nudge.kind == FollowUpKind.IDLE_ESCALATION:
        text = (
            f":rotating_light: {to} {company}, <@{nudge.owner_slack_id}>'s deal, has been quiet for "
            f"{nudge.idle_days} days, and its owner was nudged before. Worth a word?"
        )
    else:
        passed = f" ({day(nudge.target_close)})" if nudge.target_close else ""
        text = (
            f":warning: {to} the target close date of {company}{passed} has passed: the deal is *at risk*. Agree a new "
            "date with the buyer and say it here."
        )
    return text, [SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))]


def step_buttons(step: StepSeen) -> ActionsBlock:
    ref = StepRef(step_id=step.id, due=step.due, owner=step.owner_slack_id).model_dump_json()
    return ActionsBlock(
        block_id=BlockId.STEP_ACTIONS,
        elements=[
            ButtonElement(text="Done", action_id=ActionId.STEP_DONE, value=ref, style="primary"),
            ButtonElement(text="Snooze 1 day", action_id=ActionId.STEP_SNOOZE_DAY, value=ref),
            ButtonElement(text="Snooze 1 week", action_id=ActionId.STEP_SNOOZE_WEEK, value=ref),
            ButtonElement(text="Reassign", action_id=ActionId.STEP_REASSIGN, value=ref),
        ],
    )


def changed_message(change: StepChange, *, what: str, by: str, today: date) -> tuple[str, list[Block]]:
    """A nudge after someone dealt with it: the step as it is now, and who did what (no buttons left)."""
    step = change.step
    done = what == "done"
    line = f"*{escape_keeping_mentions(step.title)}* — <@{step.owner_slack_id}>" + (
        "" if done else f" · {due_text(step.due, today)}"
    )
    said = {
        "done": f":white_check_mark: Done, marked by <@{by}>",
        "snooze": f":zzz: Snoozed by <@{by}> to {day(step.due)}",
        "reassign": f":arrow_right_hook: Reassigned by <@{by}> to <@{step.owner_slack_id}>",
    }[what]
    text = f"Next step for *{escape(change.thread.company)}*: {line}"
    return f"{text} · {said}", [
        SectionBlock(text=MarkdownTextObject(text=clip(text, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=said)]),
    ]


def stale_text(step: StepNow, today: date) -> str:
    """Why a click changed nothing: the step is no longer as its nudge showed it."""
    if step.status == "done":
        return f"It was done already{f' by <@{step.done_by}>' if step.done_by else ''}."
    return f"It changed since: it is <@{step.owner_slack_id}>'s, {due_text(step.due, today)}."


def reassign_modal(ref: ReassignRef) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.REASSIGN_STEP,
        private_metadata=ref.model_dump_json(),
        title="Reassign next step",
        submit="Reassign",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"Who should do it instead of <@{ref.owner}>?")),
            InputBlock(
                block_id=BlockId.REASSIGN_TO,
                label="New owner",
                element=UserSelectElement(action_id=InputId.ASSIGNEE, placeholder="Choose a person"),
            ),
        ],
    )
