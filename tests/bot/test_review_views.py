"""The review's Block Kit, rendered from domain objects without a server: valid as Slack checks it, people's
words escaped, internal notes labelled as such."""

from __future__ import annotations

from datetime import UTC, datetime

from approvals.review_models import ReviewDraft, ReviewItem, ReviewResult, ReviewSection, TechnicalReview
from bot.emulator.blockkit import block_errors, view_errors
from bot.views.review import decided_message, review_card, review_line, review_modal
from bot.views.text import as_dicts

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DRAFT = ReviewDraft(
    title="Technical scope: Acme <!channel>",
    sections=[
        ReviewSection(name="Edition and add-ons", items=[ReviewItem(text="Edition: Enterprise", citation="Editions")]),
        ReviewSection(name="Architecture", items=[]),
    ],
    assumptions=["Sized for 200 seats"],
    open_questions=["Where must the data live?"],
    risks=["FedRAMP is not covered"],
)


def review(**changes) -> TechnicalReview:
    values = {
        "id": 7,
        "deal_id": 3,
        "kind": "scope",
        "status": "pending",
        "requester": "U0REP1",
        "title": DRAFT.title,
        "draft": DRAFT.model_dump(mode="json"),
        "policy_version": "test",
        "created_at": NOW,
        **changes,
    }
    return TechnicalReview(**values)


def test_an_open_review_card_and_its_modal_are_valid_block_kit():
    blocks = as_dicts(review_card(review(), company="Acme", deal_id=3, reviewers=["S0SALESENG"], deadline=NOW))
    assert block_errors(blocks) == []
    text = str(blocks)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text  # people's words cannot ping a channel
    assert "_[Editions]_" in text and "nothing the knowledge base supports yet" in text and "review.claim" in text
    modal = review_modal(review(status="claimed", claimed_by="U0SE1"), "Acme").to_dict()
    assert view_errors(modal) == []
    ids = [block.get("block_id") for block in modal["blocks"]]
    assert ids[1:] == [
        "review_section_0",
        "review_section_1",
        "review_assumptions",
        "review_verdict",
        "review_conditions",
        "review_notes",
    ]
    assert modal["blocks"][1]["element"]["initial_value"] == "Edition: Enterprise"


def test_a_decided_card_shows_the_verdict_conditions_and_notes_as_internal_and_no_claim_button():
    result = ReviewResult(draft=DRAFT, conditions=["VPC peering <@U0CEO>"])
    decided = review(
        status="decided",
        verdict="feasible_with_conditions",
        result=result.model_dump(mode="json"),
        notes="Chase their network team *now*",
        decided_by="U0SE1",
        decided_at=NOW,
    )
    blocks = as_dicts(review_card(decided, company="Acme", deal_id=3, reviewers=["S0SALESENG"], deadline=NOW))
    assert block_errors(blocks) == []
    text = str(blocks)
    assert "Feasible with conditions" in text and "VPC peering &lt;@U0CEO&gt;" in text
    assert "Notes (internal)" in text and "review.claim" not in text and "decide by" not in text
    assert "*Notes from sales engineering (internal)*" in decided_message(decided)
    assert review_line(decided) == ":mag: Technical review: *feasible with conditions* (<@U0SE1>)"
