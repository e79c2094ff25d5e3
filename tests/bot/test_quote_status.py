"""A quote that needed approval takes its request's outcome, whichever way the request closes.

Each test drives the product as people do (signed slash commands and clicks) and reads the
quote's status where the deal desk would: the database row the proposal and the CRM read.
"""

from __future__ import annotations

from sqlalchemy import select

from approvals import sweeps
from approvals.models import ApprovalRequest
from integrations.cpq.models import QuoteRecord, QuoteStatus
from tests.bot.conftest import REP, Harness

NEW_DEAL = (
    "new Acme: Pain: nightly batch loads take 6 hours. 150 seats, budget $250k, sign by end of Q1, SaaS, "
    "users in Boston, the CFO signs."
)


async def _quote_for_approval(harness: Harness, discount: str = "22%") -> dict:
    """A deal and a quote over the rep's limit; returns the approval card."""
    await harness.command(NEW_DEAL)
    await harness.work()
    await harness.command(f"quote Acme HS-ENT 150 --years 2 --discount {discount}")
    await harness.work()
    return harness.workspace.history(harness.workspace.channel_id("deal-approvals"))[-1]


def _statuses(harness: Harness) -> list[tuple[int, str]]:
    with harness.runtime.session_factory() as session:
        rows = session.execute(select(QuoteRecord.version, QuoteRecord.status).order_by(QuoteRecord.version)).all()
        return [(version, str(status)) for version, status in rows]


async def _decline(harness: Harness, card: dict, action: str, reason: str) -> None:
    approvals = harness.workspace.channel_id("deal-approvals")
    await harness.actor.click("U0VP", approvals, card["ts"], action)
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for("U0VP")[-1]
    await harness.actor.submit_view("U0VP", view["id"], {"approval_reason": {"reason": reason}})
    await harness.work()


async def test_a_quote_waits_as_needs_approval_until_its_request_is_decided(harness: Harness):
    await _quote_for_approval(harness)
    assert _statuses(harness) == [(1, QuoteStatus.NEEDS_APPROVAL)]


async def test_an_approved_request_makes_its_quote_approved(harness: Harness):
    card = await _quote_for_approval(harness)
    await harness.actor.click("U0VP", harness.workspace.channel_id("deal-approvals"), card["ts"], "approval.approve")
    await harness.work()
    assert _statuses(harness) == [(1, QuoteStatus.APPROVED)]


async def test_a_rejected_request_makes_its_quote_rejected(harness: Harness):
    card = await _quote_for_approval(harness)
    await _decline(harness, card, "approval.reject", "Margin too thin at 22%")
    assert _statuses(harness) == [(1, QuoteStatus.REJECTED)]


async def test_a_request_for_changes_marks_its_quote_changes_requested(harness: Harness):
    card = await _quote_for_approval(harness)
    await _decline(harness, card, "approval.request_changes", "Try 18% on a 3-year term")
    assert _statuses(harness) == [(1, QuoteStatus.CHANGES_REQUESTED)]


async def test_a_request_that_expires_through_the_sweep_makes_its_quote_expired(harness: Harness):
    await _quote_for_approval(harness)
    policy = harness.runtime.policy()
    harness.clock.advance(days=30)
    with harness.runtime.session_factory() as session, session.begin():
        assert sweeps.expire(session, policy=policy, clock=harness.clock) == 1
    await harness.work()
    assert _statuses(harness) == [(1, QuoteStatus.EXPIRED)]
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(ApprovalRequest.status)).one() == "expired"


async def test_a_newer_quote_supersedes_a_pending_one_and_cancels_its_request(harness: Harness):
    await _quote_for_approval(harness)
    await harness.command("quote Acme HS-ENT 150 --years 2 --discount 25%")
    await harness.work()
    assert _statuses(harness) == [(1, QuoteStatus.SUPERSEDED), (2, QuoteStatus.NEEDS_APPROVAL)]
    with harness.runtime.session_factory() as session:
        requests = session.execute(select(ApprovalRequest.status).order_by(ApprovalRequest.id)).scalars().all()
    assert requests == ["cancelled", "pending"]


async def test_a_quote_within_the_reps_authority_is_final_at_once(harness: Harness):
    await harness.command(NEW_DEAL)
    await harness.work()
    await harness.command("quote Acme HS-ENT 150 --discount 5%")  # under the rep's 10% and the $250k line
    await harness.work()
    assert _statuses(harness) == [(1, QuoteStatus.DRAFT)]
    assert QuoteStatus.DRAFT.is_final and not QuoteStatus.NEEDS_APPROVAL.is_final
    assert harness.workspace.history(harness.workspace.channel_id("deal-approvals")) == []


async def test_a_paused_agent_runs_quote_takes_the_rejection_when_the_request_is_decided(harness: Harness):
    await harness.command(NEW_DEAL)
    await harness.work()
    thread = harness.workspace.history(harness.deals_channel)[0]["ts"]
    await harness.actor.post_message(
        REP, harness.deals_channel, "can we do 25% off Enterprise for 150 seats?", thread_ts=thread
    )
    await harness.work()
    assert _statuses(harness) == [(1, QuoteStatus.NEEDS_APPROVAL)]
    card = harness.workspace.history(harness.workspace.channel_id("deal-approvals"))[-1]
    await _decline(harness, card, "approval.reject", "Not at 25% this quarter")
    assert _statuses(harness) == [(1, QuoteStatus.REJECTED)]
