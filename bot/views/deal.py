"""The deal card: the qualification so far, what is missing, the score and the deal's buttons."""

from __future__ import annotations

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

from bot.ids import ActionId, BlockId, DealRef
from bot.views.text import clip, escape
from deals.models import Deal
from deals.qualification import FIELD_LABELS, REQUIREMENTS, Assessment, Qualification, Stage, display_value

STAGE_BADGES = {
    "new": ":new: New",
    "discovery": ":mag: Discovery",
    "qualified": ":white_check_mark: Qualified",
    "proposal": ":page_facing_up: Proposal",
    "won": ":trophy: Won",
    "lost": ":x: Lost",
    "disqualified": ":no_entry: Disqualified",
}

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
    "sso_required",
)
CARD_TEXT_FIELDS = ("pain", "metrics", "decision_process", "champion")


def _score_bar(score: int) -> str:
    filled = round(score / 10)
    return "▰" * filled + "▱" * (10 - filled)


def deal_card_text(deal: Deal, assessment: Assessment) -> str:
    return f"Deal #{deal.id} {deal.account.name}: {assessment.stage.value}, score {assessment.score}/100"


def deal_card(deal: Deal, record: Qualification, assessment: Assessment) -> list[Block]:
    stage = deal.stage if deal.stage not in ("new", "discovery", "qualified") else assessment.stage.value
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
    blocks: list[Block] = [header, summary, SectionBlock(fields=fields)]
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
    elif assessment.missing:
        required = {name for name, _, needed, _ in REQUIREMENTS if needed}
        missing = ", ".join(f"*{FIELD_LABELS[m]}*" if m in required else FIELD_LABELS[m] for m in assessment.missing)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(f"Still missing: {missing}", 3000))]))
    blocks.append(DividerBlock())
    if deal.stage != "disqualified":
        ref = DealRef(deal_id=deal.id).model_dump_json()
        qualified = assessment.stage == Stage.QUALIFIED or deal.stage == "proposal"
        draft = ButtonElement(
            text="Draft proposal" if qualified else "Draft proposal (qualify first)",
            action_id=ActionId.DRAFT_PROPOSAL,
            value=ref,
            style="primary" if qualified else None,
        )
        disqualify = ButtonElement(text="Disqualify", action_id=ActionId.DISQUALIFY, value=ref, style="danger")
        blocks.append(ActionsBlock(block_id=BlockId.DEAL_ACTIONS, elements=[draft, disqualify]))
    return blocks
