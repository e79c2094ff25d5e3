"""The deal card: the qualification so far, what is missing, the score and the deal's buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from approvals.review_models import TechnicalReview
from bot.ids import ActionId, BlockId, DealRef, FindingRef
from bot.views.contract import contract_blocks
from bot.views.next_steps import card_steps, day
from bot.views.review import review_line
from bot.views.text import as_dicts, clip, escape
from deals.goals import StageGoals, stage_goals
from deals.inspection import Finding, Severity
from deals.models import Deal, DealStage, NextStep
from deals.qualification import FIELD_LABELS, REQUIREMENTS, Assessment, Qualification, Stage, display_value
from deals.service import DealView

STAGE_BADGES = {
    "new": ":new: New",
    "discovery": ":mag: Discovery",
    "qualified": ":white_check_mark: Qualified",
    "proposal": ":page_facing_up: Proposal",
    "won": ":trophy: Won",
    "lost": ":x: Lost",
    "disqualified": ":no_entry: Disqualified",
}

CLOSED = ("won", "lost", "disqualified")

# Fields shown on the card, two columns of fields; long free-text fields go below.
CARD_FIELDS = (
    "seats",
    "budget",
    "target_close",
    "deployment",
    "regions",
    "compliance",
    "integrations",
    "competitors",
    "economic_buyer",
    "identity_provider",
)  # Slack takes at most 10 fields in a section
# Shown below, each only when known.
CARD_TEXT_FIELDS = (
    "pain",
    "metrics",
    "decision_process",
    "champion",
    "incumbents",
    "go_live",
    "seats_at_full_rollout",
    "payment_terms_days",
    "sso_required",
    "poc_weeks",
    "poc_success_criteria",
)


def _score_bar(score: int) -> str:
    filled = round(score / 10)
    return "▰" * filled + "▱" * (10 - filled)


def deal_card_text(deal: Deal, assessment: Assessment) -> str:
    return f"Deal #{deal.id} {escape(deal.account.name)}: {assessment.stage.value}, score {assessment.score}/100"


SEVERITY_BADGES = {
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":warning:",
    Severity.LOW: ":information_source:",
}


def finding_line(finding: Finding) -> str:
    return f"{SEVERITY_BADGES[finding.severity]} {escape(finding.message)} _Next:_ {escape(finding.next_step)}"


def finding_text(finding: Finding) -> str:
    """A finding said in the deal thread when it first appears."""
    return f"*Deal inspection* · {finding_line(finding)}"


def finding_blocks(finding: Finding, deal_id: int) -> list[Block]:
    """A finding said in the thread, with the button that makes its next step one of the deal's."""
    button = ButtonElement(
        text="Add as next step",
        action_id=ActionId.ADD_NEXT_STEP,
        value=FindingRef(deal_id=deal_id, code=finding.code).model_dump_json(),
    )
    return [SectionBlock(text=MarkdownTextObject(text=clip(finding_text(finding), 3000)), accessory=button)]


def effective_stage(deal: Deal, assessment: Assessment) -> str:
    """The stage the card shows: the assessment's while discovery runs, the deal's own after."""
    return deal.stage if deal.stage not in ("new", "discovery", "qualified") else assessment.stage.value


def goals_line(goals: StageGoals) -> str:
    """`Goals to reach qualified: 5 of 7 met · still Budget, Economic buyer`."""
    met = len(goals.goals) - len(goals.missing)
    still = ", ".join(f"*{escape(goal.label)}*" for goal in goals.missing)
    tail = f" · still {still}" if still else " · all met"
    return f":dart: Goals to reach {goals.toward}: {met} of {len(goals.goals)} met{tail}"


def card_of(view: DealView) -> tuple[str, list[dict[str, Any]]]:
    """The deal card as the Web API takes it: its fallback text and its blocks."""
    stage = DealStage(effective_stage(view.deal, view.assessment))
    goals = stage_goals(stage, missing_fields=view.assessment.missing, contract=view.contract)
    blocks = deal_card(
        view.deal,
        view.record,
        view.assessment,
        view.findings,
        view.next_steps,
        today=view.today,
        goals=goals,
        reviews=view.reviews,
    )
    if view.contract is not None:
        blocks += contract_blocks(view.contract)
    return deal_card_text(view.deal, view.assessment), as_dicts(blocks)


def deal_card(
    deal: Deal,
    record: Qualification,
    assessment: Assessment,
    findings: Sequence[Finding] = (),
    next_steps: Sequence[NextStep] = (),
    *,
    today: date | None = None,
    goals: StageGoals | None = None,
    reviews: Sequence[TechnicalReview] = (),
) -> list[Block]:
    stage = effective_stage(deal, assessment)
    header = HeaderBlock(text=clip(f"Deal #{deal.id} · {deal.account.name}", 150))
    summary = SectionBlock(
        text=MarkdownTextObject(
            text=(
                f"*{STAGE_BADGES.get(stage, stage)}*   ·   Owner <@{deal.owner_slack_id}>\n"
                f"`{_score_bar(assessment.score)}` *{assessment.score}/100*"
            )
        )
    )
    fields = [
        MarkdownTextObject(text=clip(f"*{FIELD_LABELS[name]}*\n{escape(display_value(record, name))}", 2000))
        for name in CARD_FIELDS
    ]
    blocks: list[Block] = [header, summary]
    close = record.target_close
    # Flagged by the sweep; a close date moved ahead since is on track already, before the sweep clears the flag.
    if deal.at_risk_since is not None and deal.stage not in CLOSED and close and (today is None or close < today):
        at_risk = f":rotating_light: *At risk* (target close {day(close)} passed)"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=at_risk)]))
    if goals is not None and goals.goals:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(goals_line(goals), 3000))]))
    if assessment.capped_by:
        why = "\n".join(f":small_red_triangle_down: Score {escape(line)}" for line in assessment.capped_by)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(why, 3000))]))
    blocks.append(SectionBlock(fields=fields))
    texts = [
        f"*{FIELD_LABELS[name]}:* {escape(display_value(record, name))}"
        for name in CARD_TEXT_FIELDS
        if getattr(record, name)
    ]
    if texts:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(texts), 3000))))
    if deal.stage == "disqualified":
        reason = escape(deal.disqualified_reason or "no reason given")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"*Disqualified:* {reason}", 3000))))
    elif assessment.missing and deal.stage not in CLOSED:
        required = {name for name, _, needed, _ in REQUIREMENTS if needed}
        missing = ", ".join(f"*{FIELD_LABELS[m]}*" if m in required else FIELD_LABELS[m] for m in assessment.missing)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(f"Still missing: {missing}", 3000))]))
    if findings and deal.stage not in CLOSED:  # a closed deal has nothing left to fix
        lines = "\n".join(finding_line(f) for f in findings[:6])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"*Findings*\n{lines}", 3000))))
    if reviews:
        lines = "\n".join(review_line(review) for review in reviews)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(lines, 3000))]))
    if deal.stage not in CLOSED:
        blocks.append(card_steps(next_steps, today))
    blocks.append(DividerBlock())
    if deal.stage not in CLOSED:
        ref = DealRef(deal_id=deal.id).model_dump_json()
        qualified = assessment.stage == Stage.QUALIFIED or deal.stage == "proposal"
        draft = ButtonElement(
            text="Draft proposal" if qualified else "Draft proposal (qualify first)",
            action_id=ActionId.DRAFT_PROPOSAL,
            value=ref,
            style="primary" if qualified else None,
        )
        disqualify = ButtonElement(text="Disqualify", action_id=ActionId.DISQUALIFY, value=ref, style="danger")
        se_review = ButtonElement(text="Request SE review", action_id=ActionId.REQUEST_REVIEW, value=ref)
        schedule = ButtonElement(text="Schedule demo", action_id=ActionId.SCHEDULE_DEMO, value=ref)
        blocks.append(ActionsBlock(block_id=BlockId.DEAL_ACTIONS, elements=[draft, se_review, schedule, disqualify]))
    return blocks
