"""A rep asks the agent for a discount: the run pauses on `commit_quote`, a person decides, the run resumes.

The pause is pydantic-ai's deferred tool (`requires_approval=True`): the run's history is stored
with the approval request and resumed with `DeferredToolResults`, here in a new process.
"""

from __future__ import annotations

from sqlalchemy import select

from approvals.models import ApprovalRequest
from bot.http import create_api
from bot.runtime import build_runtime
from bot.serving import serve_asgi
from core.models import AuditEvent
from deals.models import Conversation
from integrations.cpq.models import QuoteRecord
from knowledge.ingest import ingest
from tests.bot.conftest import REP, Harness
from tests.bot.test_ask import SAMPLE
from tests.bot.test_discovery_in_slack import open_deal, reply, seen

QUALIFY = (
    "Pain: nightly batch loads take 6 hours. 150 seats, budget $250k, sign by end of Q1, SaaS, "
    "users in Boston, the CFO signs."
)


async def _ask_for_discount(harness: Harness, ask: str) -> tuple[str, dict]:
    thread = await open_deal(harness, "new Acme Corp")
    await reply(harness, thread, QUALIFY)
    answer = await reply(harness, thread, ask)
    return thread, answer


def _approvals(harness: Harness) -> str:
    return harness.workspace.channel_id("deal-approvals")


async def test_a_discount_over_the_reps_limit_pauses_the_run_and_resumes_after_a_restart(harness: Harness):
    thread, _ = await _ask_for_discount(harness, "Can we do 25% off Enterprise for 150 seats on a 2-year term?")
    text = " ".join(seen(harness, m) for m in harness.thread(harness.deals_channel, thread)[-2:])
    assert "25% discount on 150 × HS-ENT, 2 years" in text and "needs approval" in text and "VP Sales" in text
    card = harness.workspace.history(_approvals(harness))[-1]
    card_text = seen(harness, card)
    assert "Approval: Acme Corp" in card_text and "deal thread" in card_text and "decide by" in card_text
    assert "below list" in card_text
    with harness.runtime.session_factory() as session:
        request = session.scalars(select(ApprovalRequest)).one()
        assert request.agent_run["tool_call_id"] and request.agent_run["history"]
        assert session.scalars(select(QuoteRecord.status)).one() == "needs_approval"

    # A new process decides and resumes: nothing of the paused run lives in memory.
    harness.runtime.close()
    runtime = build_runtime(harness.runtime.settings, clock=harness.clock, migrate=False)
    async with serve_asgi(create_api(runtime, run_worker=False, run_scheduler=False)) as url:
        harness.runtime = runtime
        harness.actor.request_url = f"{url}/slack/events"
        await harness.actor.click("U0MGR", _approvals(harness), card["ts"], "approval.approve")
        await harness.actor.click("U0VP", _approvals(harness), card["ts"], "approval.approve")
        await harness.work()
    assert "Only approvers for VP Sales" in harness.workspace.ephemeral_for("U0MGR")[-1]["text"]
    messages = [seen(harness, m) for m in harness.thread(harness.deals_channel, thread)]
    committed = [m for m in messages if "Committed quote v1" in m]
    assert len(committed) == 1 and "approved by VP Sales (@Val VP Sales)" in committed[0]
    assert harness.thread(harness.deals_channel, thread)[-1]["files"][0]["name"].endswith(".pdf")
    with runtime.session_factory() as session:
        assert session.scalars(select(QuoteRecord.status)).one() == "approved"
        assert session.scalars(select(ApprovalRequest.resumed_at)).one() is not None
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "quote.commit" in actions and "agent.resume" in actions
        conversation = session.scalars(select(Conversation).where(Conversation.deal_id == 1)).one()
        parts = [p["part_kind"] for m in conversation.history for p in m["parts"]]
        assert parts.count("tool-call") and "tool-return" in parts  # the resumed turn joined the history


async def test_a_rejection_reaches_the_agent_which_tells_the_rep_why(harness: Harness):
    thread, _ = await _ask_for_discount(harness, "Customer asks 25% off Enterprise, 150 seats, 2 years.")
    card = harness.workspace.history(_approvals(harness))[-1]
    await harness.actor.click("U0VP", _approvals(harness), card["ts"], "approval.reject")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for("U0VP")[-1]
    await harness.actor.submit_view("U0VP", view["id"], {"approval_reason": {"reason": "Margin too thin; 18% max"}})
    await harness.work()
    last = seen(harness, harness.thread(harness.deals_channel, thread)[-1])
    assert "VP Sales (@Val VP Sales) rejected" in last and "18% max" in last and "stays uncommitted" in last
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(QuoteRecord.status)).one() == "rejected"


async def test_a_discount_within_the_reps_authority_is_committed_without_a_card(harness: Harness):
    _thread, answer = await _ask_for_discount(harness, "Quote it: Enterprise for 150 seats, 8% off, net 30.")
    assert "Committed quote v1" in seen(harness, answer) and "within your own discount authority" in seen(
        harness, answer
    )
    assert harness.workspace.history(_approvals(harness)) == []
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(QuoteRecord.status)).one() == "draft"
        assert session.scalars(select(ApprovalRequest)).all() == []


async def test_non_standard_terms_go_to_legal_and_a_missing_edition_is_asked_for(harness: Harness):
    thread, answer = await _ask_for_discount(harness, "They want 5% off, and net 60 payment terms.")
    assert "I need the edition" in seen(harness, answer)
    await reply(harness, thread, "Quote it: Enterprise for 150 seats with net 60 payment terms.")
    said = " ".join(seen(harness, m) for m in harness.thread(harness.deals_channel, thread)[-2:])
    assert "net 60" in said and "Legal" in said
    card = seen(harness, harness.workspace.history(_approvals(harness))[-1])
    assert "Payment terms net 60" in card


async def test_the_requester_cannot_approve_their_own_paused_request(harness: Harness):
    await _ask_for_discount(harness, "Can we do 25% off Enterprise for 150 seats?")
    card = harness.workspace.history(_approvals(harness))[-1]
    await harness.actor.click(REP, _approvals(harness), card["ts"], "approval.approve")
    await harness.work()
    assert "four-eyes" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(ApprovalRequest.status)).one() == "pending"


async def test_every_agent_output_records_its_inputs(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await _ask_for_discount(harness, "Do we support Okta SSO? Can we do 25% off Enterprise for 150 seats?")
    card = harness.workspace.history(_approvals(harness))[-1]
    await harness.actor.click("U0VP", _approvals(harness), card["ts"], "approval.approve")
    await harness.work()

    def inputs(action: str) -> dict:
        with harness.runtime.session_factory() as session:
            return session.scalars(
                select(AuditEvent.inputs).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
            ).first()

    turn = inputs("agent.turn")
    assert turn["slack_message_ts"] and turn["model_settings"]["name"] == "offline"
    assert turn["chunks"] and {"id", "source", "updated_at"} <= set(turn["chunks"][0])
    asked = inputs("approval.request")
    assert asked["tool_call_id"] and asked["turn"]["message_ts"] and asked["quote_version"] == 1
    assert asked["policy_version"] and asked["usage"]["requests"] >= 1
    drafted = inputs("proposal.draft")
    assert drafted["quote_version"] == 1 and drafted["catalog_version"] and drafted["policy_version"]
    assert drafted["model"]["name"] == "offline"
