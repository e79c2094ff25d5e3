"""Technical reviews in Slack: asked from the deal card or `/lto review`, claimed and decided once by a sales
engineer in a modal, the verdict shown on the review card, in the deal thread, on the deal card and in the
proposal (internal notes never)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from approvals import review_sweeps
from approvals.review_models import ReviewStatus, TechnicalReview
from bot.emulator.transcript import render_message
from core.models import AuditEvent
from deals.models import Deal
from knowledge.ingest import ingest
from tests.bot.conftest import REP, Harness

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knowledge"
QUALIFIED = (
    "new Acme: Pain: nightly batch loads from Oracle into Snowflake take 6 hours. 200 seats, budget $250k, "
    "sign by end of Q1, SaaS, users in Boston, SOC 2 and HIPAA, the CFO signs."
)
QUOTE = "quote Acme HS-ENT 200 HS-CONN 1"
SE, OTHER_SE = "U0SE1", "U0SE2"


def seen(harness: Harness, message: dict | None) -> str:
    assert message is not None
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


def se_channel(harness: Harness) -> str:
    return harness.workspace.channel_id("sales-engineering")


def deal_card(harness: Harness) -> dict:
    return harness.workspace.history(harness.deals_channel)[0]


def deal_thread(harness: Harness) -> list[dict]:
    """The replies in the deal's thread (its root, the deal card, left out)."""
    return harness.thread(harness.deals_channel, deal_card(harness)["ts"])[1:]


async def priced_deal(harness: Harness) -> None:
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(QUOTE)
    await harness.work()


async def asked(harness: Harness) -> dict:
    """The rep clicks "Request SE review" on the deal card; the review card lands in #sales-engineering."""
    await priced_deal(harness)
    await harness.actor.click(REP, harness.deals_channel, deal_card(harness)["ts"], "review.request")
    await harness.work()
    return harness.workspace.history(se_channel(harness))[-1]


async def claim(harness: Harness, user: str, card: dict) -> None:
    await harness.actor.click(user, se_channel(harness), card["ts"], "review.claim")
    await harness.runtime.drain_background()  # the modal opens right after the ack


def edits(verdict: str, *, conditions: str = "", notes: str = "", architecture: str | None = None) -> dict:
    values: dict = {
        "review_verdict": {"verdict": verdict},
        "review_conditions": {"review_conditions": conditions},
        "review_notes": {"review_notes": notes},
        "review_assumptions": {"review_assumptions": "Sized for 200 seats\nSnowflake runs in AWS us-east-1"},
    }
    if architecture is not None:
        values["review_section_1"] = {"review_section_1": architecture}
    return values


async def test_request_se_review_posts_a_cited_scope_card_in_sales_engineering(harness: Harness):
    card = await asked(harness)
    text = seen(harness, card)
    assert "Technical review: Acme" in text and "Technical scope: Acme" in text
    assert "Requested by @Riley Rep for Acme (deal #1)" in text
    assert "Edition: Halyard Stream Enterprise (HS-ENT), 200 seats" in text
    assert "Add-on: Premium Connectors Pack (HS-CONN)" in text and "Destination: Snowflake connector" in text
    assert "[no source]" not in text  # every item drafted carries its knowledge-base source
    assert "Waiting for a sales engineer (<!subteam^S0SALESENG>)" in text and "[ Claim ]" in text
    assert any("asked sales engineering to review" in seen(harness, m) for m in deal_thread(harness))
    assert "Technical review: waiting for sales engineering" in seen(harness, deal_card(harness))
    # Asked again while it is open: the same review, not a second card.
    await harness.actor.click(REP, harness.deals_channel, deal_card(harness)["ts"], "review.request")
    await harness.work()
    assert "already pending" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert len(harness.workspace.history(se_channel(harness))) == 1


async def test_a_rep_cannot_claim_and_is_told_why(harness: Harness):
    card = await asked(harness)
    await claim(harness, REP, card)
    refusal = harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert "Only sales engineers can claim" in refusal and "sales engineer role" in refusal
    assert harness.workspace.open_views_for(REP) == []
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(TechnicalReview.status)).one() == ReviewStatus.PENDING


async def test_two_engineers_clicking_claim_at_once_make_one_claim(harness: Harness):
    card = await asked(harness)
    channel = se_channel(harness)
    await asyncio.gather(
        harness.actor.click(SE, channel, card["ts"], "review.claim"),
        harness.actor.click(OTHER_SE, channel, card["ts"], "review.claim"),
    )
    await harness.runtime.drain_background()
    await harness.work()
    opened = [u for u in (SE, OTHER_SE) if harness.workspace.open_views_for(u)]
    assert len(opened) == 1
    loser = OTHER_SE if opened == [SE] else SE
    assert "already claimed this review" in harness.workspace.ephemeral_for(loser)[-1]["text"]
    winner_name = harness.workspace.user_name(opened[0])
    assert f"Claimed by @{winner_name}" in seen(harness, harness.workspace.find_message(channel, card["ts"]))
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(Deal.sales_engineer_slack_id)).one() == opened[0]


async def test_the_engineer_edits_in_the_modal_and_concurrent_submissions_decide_once(harness: Harness):
    card = await asked(harness)
    channel = se_channel(harness)
    await claim(harness, SE, card)
    await harness.work()
    assert "Claimed by @Sky Sales Engineer" in seen(harness, harness.workspace.find_message(channel, card["ts"]))
    await claim(harness, SE, card)  # a second click reopens the editor: two modals are open
    first, second = harness.workspace.open_views_for(SE)[-2:]
    assert first["callback_id"] == "review.edit_modal" and "Decide" in str(first["submit"])
    architecture = "Source: Snowflake connector\nDeployment: hybrid agents in the customer's VPC"
    # Submitting a conditional verdict without its conditions is refused on the field.
    refused = await harness.actor.submit_view(SE, first["id"], edits("feasible_with_conditions"))
    assert b"review_conditions" in refused.content
    conditional = edits(
        "feasible_with_conditions",
        conditions="VPC peering is in place before the POC",
        notes="Internal: their network team is slow, chase early",
        architecture=architecture,
    )
    await asyncio.gather(
        harness.actor.submit_view(SE, first["id"], conditional),
        harness.actor.submit_view(SE, second["id"], edits("feasible")),
    )
    await harness.work()
    assert "already decided" in harness.workspace.ephemeral_for(SE)[-1]["text"]
    with harness.runtime.session_factory() as session:
        review = session.scalars(select(TechnicalReview)).one()
        decisions = session.scalars(select(AuditEvent).where(AuditEvent.action == "review.decide")).all()
    assert review.status == ReviewStatus.DECIDED and len(decisions) == 1
    verdict = review.verdict
    updated = seen(harness, harness.workspace.find_message(channel, card["ts"]))
    assert "[ Claim ]" not in updated and "by @Sky Sales Engineer" in updated
    said = [seen(harness, m) for m in deal_thread(harness) if "Technical review:" in seen(harness, m)]
    assert len(said) == 1
    if verdict == "feasible_with_conditions":
        assert "Feasible with conditions" in updated and "VPC peering is in place before the POC" in updated
        assert "Internal: their network team is slow" in updated
        assert "Deployment: hybrid agents in the customer's VPC" in updated
        assert "Feasible with conditions" in said[0] and "VPC peering" in said[0]
        line = "Technical review: feasible with conditions (@Sky Sales Engineer)"
    else:
        assert "Feasible" in updated and "Feasible" in said[0]
        line = "Technical review: feasible (@Sky Sales Engineer)"
    assert line in seen(harness, deal_card(harness))
    assert "Technical review" in harness.workspace.history(harness.workspace.open_dm(REP))[-1]["text"]


async def _decided(harness: Harness, verdict: str, **form: str) -> None:
    card = await asked(harness)
    await claim(harness, SE, card)
    view = harness.workspace.open_views_for(SE)[-1]
    await harness.actor.submit_view(SE, view["id"], edits(verdict, **form))
    await harness.work()


def _pdf_text(harness: Harness) -> str:
    message = next(
        m for m in reversed(deal_thread(harness)) if m.get("files") and m["files"][0]["name"].endswith(".pdf")
    )
    content = harness.workspace.files[message["files"][0]["id"]].content
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


async def test_the_verdict_reaches_the_proposal_and_the_internal_notes_never_do(harness: Harness):
    await _decided(
        harness,
        "feasible_with_conditions",
        conditions="Your team provides a read replica of the Oracle database",
        notes="Margin on services is thin; keep the POC short",
        architecture="Source: Snowflake connector\nSource: Oracle connector through Premium Connectors Pack",
    )
    await harness.actor.click(REP, harness.deals_channel, deal_card(harness)["ts"], "deal.draft_proposal")
    await harness.work()
    text = _pdf_text(harness)
    assert "Technical scope, reviewed by our solutions engineers" in text
    assert "Architecture: • Source: Snowflake connector. • Source: Oracle connector through Premium Connectors" in text
    assert "Your team provides a read replica of the Oracle database." in text  # the condition, for the customer
    assert "Snowflake runs in AWS us-east-1." in text  # an assumption the engineer added
    assert "Margin on services" not in text and "POC short" not in text  # internal notes stay internal


async def test_a_scope_found_not_feasible_stops_the_proposal_with_the_reason(harness: Harness):
    await _decided(harness, "not_feasible", notes="Oracle 9i is out of support for the connector")
    said = [seen(harness, m) for m in deal_thread(harness) if "Technical review:" in seen(harness, m)]
    assert "Not feasible" in said[-1] and "Oracle 9i is out of support" in said[-1]
    await harness.command("proposal Acme")
    await harness.work()
    refusal = harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert "not feasible" in refusal and "/lto review #1" in refusal
    assert not any(m.get("files") for m in deal_thread(harness))


async def test_lto_review_asks_from_the_command_line(harness: Harness):
    await priced_deal(harness)
    await harness.command("review Acme")
    await harness.work()
    assert "Sent the technical scope of *Acme* to sales engineering" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert "Technical review: Acme" in seen(harness, harness.workspace.history(se_channel(harness))[-1])
    await harness.command("review #1", user="U0REP2")  # not their deal
    await harness.work()
    assert "not yours" in harness.workspace.ephemeral_for("U0REP2")[-1]["text"]


async def test_inspection_asks_sales_engineering_once_when_the_quoted_edition_lacks_a_requirement(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command(
        "new Acme: Pain: nightly batch loads from Snowflake take 6 hours. 200 seats, budget $250k, sign by end of Q1, "
        "SaaS, users in Boston, FedRAMP, the CFO signs."
    )
    await harness.work()
    await harness.command("quote Acme HS-ENT 200")
    await harness.work()
    thread_ts = deal_card(harness)["ts"]
    await harness.actor.post_message(REP, harness.deals_channel, "They also use Okta.", thread_ts=thread_ts)
    await harness.work()
    with harness.runtime.session_factory() as session:
        review = session.scalars(select(TechnicalReview)).one()  # once, not once per turn
    assert review.origin == "inspection:deal:1:compliance_gap" and review.requester == REP
    card = seen(harness, harness.workspace.history(se_channel(harness))[-1])
    assert "FedRAMP is not covered by Halyard Stream Enterprise." in card  # the gap, as a risk
    asked = [seen(harness, m) for m in deal_thread(harness) if "asked sales engineering" in seen(harness, m)]
    assert len(asked) == 1 and "Deal inspection (the quoted edition lacks a requirement of the deal) asked" in asked[0]


async def test_reminders_go_to_the_reviewers_and_expiry_tells_the_rep(harness: Harness):
    card = await asked(harness)
    policy = harness.runtime.review_policy()

    def sweep() -> dict[str, int]:
        with harness.runtime.session_factory() as session, session.begin():
            return review_sweeps.sweep(session, policy=policy, clock=harness.clock)

    harness.clock.advance(hours=5)
    assert sweep()["reminded"] == 1 and sweep()["reminded"] == 0
    await harness.work()
    reminder = seen(harness, harness.thread(se_channel(harness), card["ts"])[-1])
    assert "Reminder for <!subteam^S0SALESENG>" in reminder
    harness.clock.advance(days=5)
    assert sweep()["expired"] == 1
    await harness.work()
    assert "Expired without a decision" in seen(
        harness, harness.workspace.find_message(se_channel(harness), card["ts"])
    )
    told = [seen(harness, m) for m in deal_thread(harness) if "expired" in seen(harness, m)]
    assert len(told) == 1 and "/lto review #1" in told[0]
    assert "expired" in harness.workspace.history(harness.workspace.open_dm(REP))[-1]["text"]
