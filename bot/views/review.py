"""A technical review in Slack: its card in the sales-engineering channel, the edit modal, and what the deal's
thread and card say of it."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from approvals.review_models import (
    KIND_NAMES,
    VERDICT_NAMES,
    ReviewDraft,
    ReviewStatus,
    TechnicalReview,
    Verdict,
)
from bot.ids import ActionId, BlockId, CallbackId, InputId, ReviewFormRef, ReviewRef, review_section_block
from bot.views.text import clip, escape

VERDICT_BADGES = {
    Verdict.FEASIBLE: ":white_check_mark: Feasible",
    Verdict.FEASIBLE_WITH_CONDITIONS: ":large_yellow_circle: Feasible with conditions",
    Verdict.NOT_FEASIBLE: ":x: Not feasible",
}
MODAL_TEXT = 3000  # a plain-text input's longest value


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _mention(who: str) -> str:
    return f"<!subteam^{who}>" if who.startswith("S") else f"<@{who}>"


def mentions(people: list[str]) -> str:
    return " ".join(_mention(who) for who in people)


def review_text(company: str, review: TechnicalReview) -> str:
    """The card's fallback text."""
    return f"{KIND_NAMES.get(review.kind, review.kind)} for {escape(company)}: {_state(review)}"


def _state(review: TechnicalReview) -> str:
    if review.status == ReviewStatus.DECIDED and review.verdict:
        return VERDICT_NAMES[Verdict(review.verdict)]
    if review.status == ReviewStatus.CLAIMED:
        return "in review"
    return str(review.status)


def _draft_lines(draft: ReviewDraft) -> list[str]:
    lines = []
    for section in draft.sections:
        lines.append(f"*{escape(section.name)}*")
        for item in section.items:
            # Drafted claims carry their source; a line the engineer wrote, or a fact of the deal, has none.
            source = f" _[{escape(item.citation)}]_" if item.citation else ""
            lines.append(f"• {escape(item.text)}{source}")
        if not section.items:
            lines.append("• _nothing the knowledge base supports yet_")
    return lines


def _listed(title: str, items: list[str]) -> str:
    return f"*{title}*\n" + "\n".join(f"• {escape(item)}" for item in items)


def review_card(
    review: TechnicalReview,
    *,
    company: str,
    deal_id: int,
    reviewers: list[str],
    deadline: datetime | None,
) -> list[Block]:
    """The review in the sales-engineering channel: the draft (or the decided edit), who asked, who claimed it,
    the verdict and notes, and a Claim button while it is open."""
    result = review.result_model
    shown = result.draft if result is not None else review.draft_model
    name = KIND_NAMES.get(review.kind, review.kind)
    asked = f"Requested by <@{review.requester}> for *{escape(company)}* (deal #{deal_id})" + (
        f" · decide by {_when(deadline)}"
        if deadline and review.status in (ReviewStatus.PENDING, ReviewStatus.CLAIMED)
        else ""
    )
    blocks: list[Block] = [
        HeaderBlock(text=clip(f"{name}: {company}", 150)),
        SectionBlock(text=MarkdownTextObject(text=clip(f"*{escape(shown.title)}*\n{asked}", 3000))),
        SectionBlock(text=MarkdownTextObject(text=clip("\n".join(_draft_lines(shown)), 3000))),
    ]
    for title, items in (
        ("Assumptions", shown.assumptions),
        ("Open questions", shown.open_questions),
        ("Risks", shown.risks),
    ):
        if items:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(_listed(title, items), 3000))))
    if review.status == ReviewStatus.DECIDED and review.verdict:
        verdict = (
            f"*{VERDICT_BADGES[Verdict(review.verdict)]}* · by <@{review.decided_by}> at {_when(review.decided_at)}"
        )
        if result is not None and result.conditions:
            verdict += "\n" + _listed("Conditions", result.conditions)
        if review.notes:
            verdict += f"\n*Notes (internal)*\n{escape(review.notes)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(verdict, 3000))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="This review is decided.")]))
    elif review.status == ReviewStatus.EXPIRED:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=":hourglass: Expired without a decision — this review is closed.")]
            )
        )
    else:
        claimed = (
            f":technologist: Claimed by <@{review.claimed_by}> at {_when(review.claimed_at)}"
            if review.status == ReviewStatus.CLAIMED
            else f":hourglass_flowing_sand: Waiting for a sales engineer ({mentions(reviewers)})"
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(claimed, 3000))]))
        label = "Open the review" if review.status == ReviewStatus.CLAIMED else "Claim"
        blocks.append(
            ActionsBlock(
                block_id=BlockId.REVIEW_ACTIONS,
                elements=[
                    ButtonElement(
                        text=label,
                        action_id=ActionId.CLAIM_REVIEW,
                        value=ReviewRef(review_id=review.id).model_dump_json(),
                        style="primary",
                    )
                ],
            )
        )
    return blocks


VERDICT_OPTIONS = [Option(text=VERDICT_BADGES[v].split(" ", 1)[1], value=str(v)) for v in Verdict]


def _text_input(block_id: str, label: str, value: str, *, optional: bool = True, hint: str | None = None) -> InputBlock:
    element = PlainTextInputElement(  # each input's action id is its block's: unique in the view
        action_id=block_id, initial_value=clip(value, MODAL_TEXT) or None, multiline=True, max_length=MODAL_TEXT
    )
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def review_modal(review: TechnicalReview, company: str) -> View:
    """The edit modal: each section one multiline input (one item a line), the assumptions, the verdict, the
    conditions a conditional verdict sets (the customer reads them) and internal notes."""
    draft = review.draft_model
    names = tuple(section.name for section in draft.sections)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(
                    f"*{escape(draft.title)}* for *{escape(company)}*. One item a line; a line left as it is "
                    "keeps its source."
                    + (f"\n{_listed('Open questions', draft.open_questions)}" if draft.open_questions else "")
                    + (f"\n{_listed('Risks', draft.risks)}" if draft.risks else ""),
                    3000,
                )
            )
        )
    ]
    for index, section in enumerate(draft.sections):
        value = "\n".join(item.text for item in section.items)
        blocks.append(_text_input(review_section_block(index), clip(section.name, 2000), value))
    blocks.append(
        _text_input(BlockId.REVIEW_ASSUMPTIONS, "Assumptions (the customer reads them)", "\n".join(draft.assumptions))
    )
    blocks.append(
        InputBlock(
            block_id=BlockId.REVIEW_VERDICT,
            label="Verdict",
            element=RadioButtonsElement(action_id=InputId.VERDICT, options=VERDICT_OPTIONS),
        )
    )
    blocks.append(
        _text_input(
            BlockId.REVIEW_CONDITIONS,
            "Conditions (for feasible with conditions)",
            "",
            hint="One a line; the customer reads them in the proposal.",
        )
    )
    blocks.append(
        _text_input(
            BlockId.REVIEW_NOTES, "Notes (internal)", "", hint="Never shown to the customer. Say why if not feasible."
        )
    )
    return View(
        type="modal",
        callback_id=CallbackId.REVIEW_EDIT,
        private_metadata=ReviewFormRef(review_id=review.id, sections=names).model_dump_json(),
        title="Technical review",
        submit="Decide",
        close="Cancel",
        blocks=blocks,
    )


def decided_message(review: TechnicalReview) -> str:
    """What the deal thread reads once the review is decided: the verdict, its conditions, the notes, who."""
    result = review.result_model
    name = KIND_NAMES.get(review.kind, review.kind)
    verdict = VERDICT_BADGES[Verdict(review.verdict)] if review.verdict else "Decided"
    lines = [f"{name}: *{verdict}* (<@{review.decided_by}>)."]
    if result is not None and result.conditions:
        lines.append(_listed("Conditions", result.conditions))
    if review.notes:
        lines.append(f"*Notes from sales engineering (internal)*\n{escape(review.notes)}")
    if review.verdict == Verdict.NOT_FEASIBLE and review.kind == "scope":
        lines.append("A proposal cannot be drafted for this scope: change it and ask for a new review (`/lto review`).")
    return "\n".join(lines)


def review_line(review: TechnicalReview) -> str:
    """The deal card's line: `Technical review: feasible with conditions (@Sky)`."""
    name = KIND_NAMES.get(review.kind, review.kind)
    if review.status == ReviewStatus.DECIDED and review.verdict:
        return f":mag: {name}: *{VERDICT_NAMES[Verdict(review.verdict)]}* (<@{review.decided_by}>)"
    if review.status == ReviewStatus.CLAIMED:
        return f":mag: {name}: in review by <@{review.claimed_by}>"
    if review.status == ReviewStatus.PENDING:
        return f":mag: {name}: waiting for sales engineering"
    return f":mag: {name}: expired without a decision"
