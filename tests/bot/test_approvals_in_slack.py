"""Approval cards in Slack: only the right people decide, exactly once, and everyone is told."""

from __future__ import annotations

from sqlalchemy import select

from approvals.models import ApprovalRequest
from bot.emulator.transcript import render_message
from integrations.cpq.models import QuoteRecord
from tests.bot.conftest import REP, Harness


def seen(harness: Harness, message: dict) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


async def _asked(harness: Harness, discount: str = "22%") -> dict:
    await harness.command(
        "new Acme: Pain: nightly batch loads take 6 hours. 150 seats, budget $250k, sign by end of Q1, SaaS, "
        "users in Boston, the CFO signs."
    )
    await harness.work()
    await harness.command(f"quote Acme HS-ENT 150 --years 2 --discount {discount}")
    await harness.work()
    return harness.workspace.history(harness.workspace.channel_id("deal-approvals"))[-1]


async def test_a_quote_over_the_reps_limit_posts_a_card_that_says_what_is_asked_and_why(harness: Harness):
    card = await _asked(harness)
    text = seen(harness, card)
    assert "Approval: Acme" in text and "22% discount on 150 × HS-ENT, 2 years: $240,144.84 (list $345,000)" in text
    assert "Discount 22% is above 20% (VP Sales approves up to 30%)" in text and "150 seats" in text
    assert "[ Approve ]" in text and "[ Reject ]" in text and "[ Request changes ]" in text


async def test_an_unauthorized_click_changes_nothing_and_the_vp_decides_exactly_once(harness: Harness):
    card = await _asked(harness)
    approvals = harness.workspace.channel_id("deal-approvals")
    await harness.actor.click("U0MGR", approvals, card["ts"], "approval.approve")
    await harness.actor.click(REP, approvals, card["ts"], "approval.approve")
    await harness.work()
    assert "Only approvers for VP Sales" in harness.workspace.ephemeral_for("U0MGR")[-1]["text"]
    assert "four-eyes" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.approve")
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.approve")
    await harness.work()
    assert "already approved" in harness.workspace.ephemeral_for("U0VP")[-1]["text"]
    updated = seen(harness, harness.workspace.find_message(approvals, card["ts"]))
    assert "Approved · VP Sales by @Val VP Sales" in updated and "[ Approve ]" not in updated
    thread = harness.thread(harness.deals_channel, harness.workspace.history(harness.deals_channel)[0]["ts"])
    told = [seen(harness, m) for m in thread if "@Val VP Sales approved" in seen(harness, m)]
    assert len(told) == 1 and "now approved" in told[0]
    assert "approved" in harness.workspace.history(harness.workspace.open_dm(REP))[-1]["text"]
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(ApprovalRequest.status)).one() == "approved"
        assert session.scalars(select(QuoteRecord.status)).one() == "approved"
    # The approved quote's proposal is posted in the deal thread without another click.
    thread = harness.thread(harness.deals_channel, harness.workspace.history(harness.deals_channel)[0]["ts"])
    assert thread[-1]["files"][0]["name"].endswith(".pdf") and "ready to send" in seen(harness, thread[-1])


async def test_rejecting_asks_for_a_reason_and_the_rep_sees_it(harness: Harness):
    card = await _asked(harness)
    approvals = harness.workspace.channel_id("deal-approvals")
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.reject")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for("U0VP")[-1]
    await harness.actor.submit_view("U0VP", view["id"], {"approval_reason": {"reason": "Margin too thin at 22%"}})
    await harness.work()
    updated = seen(harness, harness.workspace.find_message(approvals, card["ts"]))
    assert "Rejected · VP Sales" in updated and "Margin too thin at 22%" in updated


async def test_a_tampered_approval_button_is_refused(harness: Harness):
    card = await _asked(harness)
    approvals = harness.workspace.channel_id("deal-approvals")
    await harness.actor.click(
        "U0VP", approvals, card["ts"], "approval.approve", value='{"request_id": 999, "decision": "approved"}'
    )
    await harness.work()
    assert "does not exist" in harness.workspace.ephemeral_for("U0VP")[-1]["text"]
    await harness.actor.click(
        "U0VP", approvals, card["ts"], "approval.approve", value='{"request_id": 1, "decision": "rejected"}'
    )
    await harness.runtime.drain_background()  # the refusal follows the ack
    assert "does not match" in harness.workspace.ephemeral_for("U0VP")[-1]["text"]


async def test_lto_approvals_lists_what_waits_for_me_and_what_i_asked_for(harness: Harness):
    await _asked(harness)
    await harness.command("approvals", user="U0VP")
    await harness.command("approvals", user=REP)
    await harness.work()
    assert "Waiting for your decision* • #1 *Acme*" in " ".join(
        harness.workspace.ephemeral_for("U0VP")[-1]["text"].split()
    )
    mine = harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert "Your requests waiting for others*\n• #1 *Acme*" in mine


async def test_sla_sweeps_remind_escalate_and_expire_with_a_controllable_clock(harness: Harness):
    from approvals import sweeps

    card = await _asked(harness)
    approvals = harness.workspace.channel_id("deal-approvals")
    policy = harness.runtime.policy()

    def sweep():
        with harness.runtime.session_factory() as session, session.begin():
            counts = sweeps.remind_and_escalate(session, policy=policy, clock=harness.clock)
            counts["expired"] = sweeps.expire(session, policy=policy, clock=harness.clock)
            return counts

    assert sweep() == {"reminded": 0, "escalated": 0, "expired": 0}
    harness.clock.advance(hours=5)
    assert sweep()["reminded"] == 1 and sweep()["reminded"] == 0  # once, however often it runs
    await harness.work()
    thread = harness.thread(approvals, card["ts"])
    assert "Reminder for @Val VP Sales (VP Sales)" in seen(harness, thread[-1])
    harness.clock.advance(hours=20)
    assert sweep()["escalated"] == 1
    await harness.work()
    assert "Escalated to @Dana DealDesk" in seen(harness, harness.thread(approvals, card["ts"])[-1])
    # The decision moved up: VP Sales no longer decides; the deal desk's approval closes the request.
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.approve")
    await harness.work()
    assert "Only approvers for Deal desk" in harness.workspace.ephemeral_for("U0VP")[-1]["text"]
    await harness.actor.click("U0DESK", approvals, card["ts"], "approval.approve")
    await harness.work()
    updated = seen(harness, harness.workspace.find_message(approvals, card["ts"]))
    assert "Escalated (did not decide in time) · VP Sales" in updated
    assert "Approved · Deal desk (escalated from VP Sales) by @Dana DealDesk" in updated
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(ApprovalRequest.status)).one() == "approved"
    # A request nobody decides expires after its longest level's limit.
    await harness.command("quote Acme HS-ENT 100 --discount 15%")
    await harness.work()
    second = harness.workspace.history(approvals)[-1]
    harness.clock.advance(days=1, minutes=1)
    assert sweep()["escalated"] == 1  # the manager's day ran out: VP Sales decides now
    harness.clock.advance(hours=12)
    assert sweep()["escalated"] == 0  # VP Sales' own day counts from when they were asked
    harness.clock.advance(days=4)
    assert sweep()["expired"] == 1
    await harness.work()
    assert "Expired without a decision" in seen(harness, harness.workspace.find_message(approvals, second["ts"]))
