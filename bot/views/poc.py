"""The POC plan as the deal thread shows it (with "Send for SE review" and "Record POC outcome"), the outcome
modal, and what the thread is told when the plan is agreed, sent back, passed or failed. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId, PocRef, poc_measured_block, poc_outcome_block
from bot.views.text import clip, escape
from deals.models import NextStep
from deals.poc_models import MAX_CRITERIA, OUTCOME_LABELS, TO_AGREE, Criterion, Milestone, Outcome, PocStatus
from deals.poc_service import PlanView, RecordedOutcome

STATUS_NAMES = {
    PocStatus.DRAFT: ":memo: Draft",
    PocStatus.IN_REVIEW: ":hourglass_flowing_sand: With sales engineering for review",
    PocStatus.AGREED: ":handshake: Agreed",
    PocStatus.RUNNING: ":gear: Running",
    PocStatus.PASSED: ":white_check_mark: Passed",
    PocStatus.FAILED: ":x: Failed",
}
OUTCOME_ICONS = {Outcome.MET: ":white_check_mark:", Outcome.NOT_MET: ":x:", Outcome.NOT_MEASURED: ":grey_question:"}
MODAL_CRITERIA = MAX_CRITERIA  # three blocks each, within a modal's hundred


def day(when: date) -> str:
    return when.strftime("%a %-d %b %Y")


def criterion_text(criterion: Criterion) -> str:
    """A criterion as people read it: the threshold in bold, the words to agree in italics."""
    if criterion.threshold is None:
        return f"{escape(criterion.text)} — _{TO_AGREE}_"
    today = f" (today: {escape(criterion.baseline)})" if criterion.baseline else ""
    return f"*{escape(criterion.threshold.text())}*{today}"


def _milestone_line(milestone: Milestone) -> str:
    customer = f" with {escape(milestone.customer_owner)}" if milestone.customer_owner else ""
    return f"• *{day(milestone.due)}* · {escape(milestone.title)} — {milestone.owner_text()}{customer}"


def _bullets(lines: Sequence[str], *, empty: str) -> str:
    return "\n".join(f"• {line}" for line in lines) if lines else f"_{empty}_"


def _section(title: str, body: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(f"*{title}*\n{body}", 3000)))


def plan_blocks(view: PlanView) -> list[Block]:
    plan = view.plan
    ref = PocRef(plan_id=view.plan_id, version=view.version).model_dump_json()
    weeks = f"{plan.weeks} weeks" + (" (assumed: not recorded)" if plan.weeks_assumed else "")
    results = {result.key: result for result in view.results}
    criteria = []
    for index, criterion in enumerate(plan.criteria, start=1):
        line = f"{index}. {criterion_text(criterion)}"
        if criterion.key in results:
            result = results[criterion.key]
            measured = f", measured {escape(result.measured)}" if result.measured else ""
            line += f"\n      {OUTCOME_ICONS[result.outcome]} {OUTCOME_LABELS[result.outcome]}{measured}"
        criteria.append(line)
    owners = plan.owners
    customer = escape(owners.customer) if owners.customer else "_to be named_"
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"POC plan · Deal #{view.deal_id} · {view.company}", 150)),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"{STATUS_NAMES[view.status]} · {weeks} · drafted {day(plan.drafted_on)}")
            ]
        ),
        _section("Objectives", _bullets([escape(o) for o in plan.objectives], empty="none")),
        _section(
            "Success criteria",
            "\n".join(criteria) or "_None recorded: agree measurable criteria with the customer before kick-off._",
        ),
        _section(
            "Data sources",
            _bullets([escape(s.name) for s in plan.data_sources], empty="none recorded: ask which systems to connect"),
        ),
        _section("Timeline", "\n".join(_milestone_line(m) for m in plan.milestones)),
        _section(
            "Owners",
            f"Rep <@{owners.rep}> · Sales engineer {owners.sales_engineer_text()} · Customer {customer}",
        ),
    ]
    notes = [
        ("Assumptions", plan.assumptions),
        ("Open questions", plan.open_questions),
        ("Risks", plan.risks),
    ]
    for title, lines in notes:
        if lines:
            blocks.append(_section(title, _bullets([escape(line) for line in lines], empty="none")))
    buttons = []
    if view.status == PocStatus.DRAFT:
        buttons.append(
            ButtonElement(text="Send for SE review", action_id=ActionId.POC_SEND_FOR_REVIEW, value=ref, style="primary")
        )
    if view.status in (PocStatus.AGREED, PocStatus.RUNNING) and plan.criteria:
        buttons.append(ButtonElement(text="Record POC outcome", action_id=ActionId.POC_RECORD_OUTCOME, value=ref))
    if buttons:
        blocks.append(ActionsBlock(block_id=BlockId.POC_ACTIONS, elements=buttons))
    return blocks


def plan_message(view: PlanView) -> tuple[str, list[Block]]:
    text = f"POC plan for deal #{view.deal_id} ({escape(view.company)}): {STATUS_NAMES[view.status]}"
    return text, plan_blocks(view)


def outcome_modal(view: PlanView) -> View:
    """Per criterion: met, not met or not measured, and the value measured."""
    options = [Option(value=str(outcome), label=OUTCOME_LABELS[outcome]) for outcome in Outcome]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(
                    f"*Deal #{view.deal_id} · {escape(view.company)}*\nFor each criterion: what the POC showed.", 3000
                )
            )
        )
    ]
    for index, criterion in enumerate(view.plan.criteria[:MODAL_CRITERIA], start=1):
        blocks.append(DividerBlock())
        blocks.append(
            InputBlock(
                block_id=poc_outcome_block(criterion.key),
                label=clip(f"{index}. {criterion.line()}", 2000),
                element=RadioButtonsElement(action_id=poc_outcome_block(criterion.key), options=options),
            )
        )
        blocks.append(
            InputBlock(
                block_id=poc_measured_block(criterion.key),
                label="Measured value",
                optional=True,
                element=PlainTextInputElement(
                    action_id=poc_measured_block(criterion.key),
                    max_length=200,
                    placeholder="e.g. 12 minutes end to end",
                ),
            )
        )
    return View(
        type="modal",
        callback_id=CallbackId.POC_OUTCOME,
        title="POC outcome",
        submit="Record",
        close="Cancel",
        private_metadata=PocRef(plan_id=view.plan_id, version=view.version).model_dump_json(),
        blocks=blocks,
    )


def sent_text(view: PlanView, by: str) -> str:
    return (
        f":mag: <@{by}> sent the POC plan for deal #{view.deal_id} to sales engineering for review. "
        "When it is agreed, its milestones become next steps here."
    )


def _step_line(step: NextStep) -> str:
    return f"• *{day(step.due)}* · {escape(step.title)} — <@{step.owner_slack_id}>"


def agreed_text(view: PlanView, steps: Sequence[NextStep], decided_by: str | None, conditions: Sequence[str]) -> str:
    by = f" by <@{decided_by}>" if decided_by else ""
    lines = [f":handshake: The POC plan for deal #{view.deal_id} was reviewed{by} and is *agreed*."]
    if conditions:
        lines.append("Conditions:\n" + "\n".join(f"• {escape(c)}" for c in conditions))
    if steps:
        lines.append("Its milestones are next steps now:\n" + "\n".join(_step_line(step) for step in steps))
    lines.append("When it has run, use *Record POC outcome* on the plan (`/lto poc` shows it).")
    return "\n".join(lines)


def not_feasible_text(view: PlanView, owner: str, decided_by: str | None, notes: str | None) -> str:
    by = f"<@{decided_by}>" if decided_by else "Sales engineering"
    why = f"\n> {escape(notes)}" if notes else ""
    return (
        f":warning: <@{owner}>, {by} found the POC plan for deal #{view.deal_id} *not feasible* as it stands.{why}\n"
        "It is back to draft: update what the deal records, run `/lto poc` to draft it again, and send it for review."
    )


def outcome_text(recorded: RecordedOutcome, by: str) -> str:
    view = recorded.view
    owner = view.plan.owners.rep
    total = len(view.results)
    if recorded.passed:
        step = recorded.step
        due = f", due {day(step.due)}" if step else ""
        return (
            f":white_check_mark: <@{by}> recorded the POC outcome for deal #{view.deal_id}: *passed*, all {total} "
            f"criteria met. Next step for <@{owner}>: send the proposal{due}."
        )
    failed = "\n".join(
        f"• {criterion_text(criterion)}: {OUTCOME_LABELS[result.outcome]}"
        + (f", measured {escape(result.measured)}" if result.measured else "")
        for criterion, result in recorded.unmet
    )
    return (
        f":x: <@{owner}>, <@{by}> recorded the POC outcome for deal #{view.deal_id}: *failed*, "
        f"{len(recorded.unmet)} of {total} criteria not met or not measured:\n{failed}\n"
        "The deal is flagged at risk; the card's finding proposes what to do next."
    )
