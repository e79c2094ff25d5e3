"""Issue 12, pricing integrity: proposals only from final quotes, prices only from CPQ, decisions and quotes
that survive a retried job, thresholds per currency, and the discount the rep actually asked for.

Each test drives the product as the review did: signed slash commands, clicks and thread messages
through the harness, with the Web API emulator failing where the attack made it fail.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from pydantic_ai.messages import ModelResponse, RetryPromptPart, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlalchemy import func, select

from approvals import sweeps
from approvals.models import ApprovalRequest
from bot.emulator.transcript import render_message
from core.models import AuditEvent
from deals.models import Deal, DealStage
from deals.qualification import format_money
from integrations.cpq.engine import LineRequest, QuoteRequest, price
from integrations.cpq.models import QuoteRecord, QuoteStatus
from knowledge.ingest import ingest
from tests.bot.conftest import REP, Harness

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knowledge"
QUALIFIED = (
    # A PostgreSQL source: the connectors pack an Oracle one needs is tested with the product rules.
    "new Acme: Pain: nightly batch loads from PostgreSQL into Snowflake take 6 hours. 200 seats, budget $250k, "
    "sign by end of Q1, SaaS, users in Boston, SOC 2 and HIPAA, the CFO signs."
)


def seen(harness: Harness, message: dict) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


def approvals_channel(harness: Harness) -> str:
    return harness.workspace.channel_id("deal-approvals")


def deal_thread(harness: Harness) -> list[dict]:
    root = harness.workspace.history(harness.deals_channel)[0]
    return harness.thread(harness.deals_channel, root["ts"])


def uploads(harness: Harness) -> list[dict]:
    return [m for m in deal_thread(harness) if m.get("files")]


def last_said_to(harness: Harness, user: str) -> str:
    return " ".join(harness.workspace.ephemeral_for(user)[-1]["text"].split())


def stage(harness: Harness) -> str:
    with harness.runtime.session_factory() as session:
        return str(session.scalars(select(Deal.stage)).one())


async def qualified_deal_with_quote(harness: Harness, quote: str) -> dict | None:
    """A qualified deal priced with `/lto quote`; returns its approval card, if the quote needs one."""
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(quote)
    await harness.work()
    cards = harness.workspace.history(approvals_channel(harness))
    return cards[-1] if cards else None


async def decline(harness: Harness, card: dict, approver: str, action: str, reason: str) -> None:
    await harness.actor.click(approver, approvals_channel(harness), card["ts"], action)
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for(approver)[-1]
    await harness.actor.submit_view(approver, view["id"], {"approval_reason": {"reason": reason}})
    await harness.work()


# 12.01: a proposal only from a final quote ---------------------------------------------------------


async def test_12_01_a_rejected_quote_is_not_drafted_into_a_ready_to_send_proposal(harness: Harness):
    card = await qualified_deal_with_quote(harness, "quote Acme HS-ENT 300 --discount 50%")
    assert card is not None
    await decline(harness, card, "U0DESK", "approval.reject", "50% is below our floor")
    await harness.command("proposal Acme")
    await harness.work()
    said = last_said_to(harness, REP)
    assert "Quote v1 was rejected by Deal desk" in said and "50% is below our floor" in said
    assert "/lto quote" in said
    assert uploads(harness) == [] and stage(harness) == DealStage.QUALIFIED
    assert not any("$158,700" in seen(harness, m) and "ready to send" in seen(harness, m) for m in deal_thread(harness))


async def test_12_01_a_quote_with_changes_requested_is_not_drafted_into_a_proposal(harness: Harness):
    card = await qualified_deal_with_quote(harness, "quote Acme HS-ENT 300 --discount 50%")
    assert card is not None
    await decline(harness, card, "U0DESK", "approval.request_changes", "Try 25% on a 3-year term")
    await harness.command("proposal Acme")
    await harness.work()
    said = last_said_to(harness, REP)
    assert "Deal desk asked for changes to quote v1" in said and "Try 25% on a 3-year term" in said
    assert "/lto quote" in said and uploads(harness) == [] and stage(harness) == DealStage.QUALIFIED


async def test_12_01_a_quote_whose_approval_expired_through_the_sweep_is_not_drafted(harness: Harness):
    await qualified_deal_with_quote(harness, "quote Acme HS-ENT 200 --discount 15%")
    harness.clock.advance(days=30)
    with harness.runtime.session_factory() as session, session.begin():
        assert sweeps.expire(session, policy=harness.runtime.policy(), clock=harness.clock) == 1
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "deal.draft_proposal")  # the card's button
    await harness.work()
    said = last_said_to(harness, REP)
    assert "approval request for quote v1 expired" in said and "/lto quote" in said
    assert uploads(harness) == [] and stage(harness) == DealStage.QUALIFIED


async def test_12_01_a_quote_still_waiting_for_approval_is_not_drafted(harness: Harness):
    await qualified_deal_with_quote(harness, "quote Acme HS-ENT 200 --discount 15%")
    await harness.command("proposal Acme")
    await harness.work()
    said = last_said_to(harness, REP)
    assert "Quote v1 is waiting for approval by Sales manager" in said
    assert uploads(harness) == [] and stage(harness) == DealStage.QUALIFIED


# 12.02: prices only from CPQ -------------------------------------------------------------------------

PRICE_CHANGE = """---
title: "Real-time data integration: edition update"
product: halyard-stream
doc_type: pricing
url: https://sales.halyard.example/pricing/edition-update
updated_at: 2026-11-20
---
# Real-time data integration: edition update

Real-time data integration with Halyard Stream replaces nightly batch loads from Oracle into Snowflake.
Enterprise is now $99 per seat for real-time data integration, and nightly batch loads take minutes.
"""


async def test_12_02_a_price_from_the_knowledge_base_never_reaches_a_ready_proposal(harness: Harness, tmp_path: Path):
    docs = tmp_path / "kb"
    docs.mkdir()
    (docs / "edition-update.md").write_text(PRICE_CHANGE)
    ingest([SAMPLE, docs], harness.runtime.knowledge())
    await qualified_deal_with_quote(harness, "quote Acme HS-ENT 200")
    await harness.command("proposal Acme")
    await harness.work()
    upload = uploads(harness)[-1]
    pdf_name = upload["files"][0]["name"]
    markdown = next(
        f.content.decode() for f in harness.workspace.files.values() if f.name == pdf_name.replace(".pdf", ".md")
    )
    text = seen(harness, upload)
    assert "$99" not in markdown or ("needs review" in text and "ready to send" not in text)


async def test_12_02_a_ballpark_in_a_deal_thread_is_priced_by_cpq_not_copied_from_a_document(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command("new Acme: Pain: nightly batch loads take 6 hours. SaaS, users in Boston.")
    await harness.work()
    root = harness.workspace.history(harness.deals_channel)[0]["ts"]
    await harness.actor.post_message(
        REP, harness.deals_channel, "ballpark for 200 seats of Enterprise?", thread_ts=root
    )
    await harness.work()
    reply = seen(harness, harness.thread(harness.deals_channel, root)[-1])
    engine = price(
        QuoteRequest(currency="USD", lines=[LineRequest(sku="HS-ENT", quantity=200)]), harness.runtime.catalog()
    )
    assert format_money(engine.total, "USD") in reply and "CPQ" in reply
    for document_figure in ("$97,865.28", "$1,150", "$104,112", "$296,000", "$31,200"):
        assert document_figure not in reply, reply
    with harness.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(QuoteRecord)) == 0  # a preview commits nothing


async def test_12_02_an_answer_from_a_pricing_document_does_not_copy_its_amounts(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command("ask how much is Business for 120 seats with the premium connectors pack on 3 years?")
    await harness.work()
    answer = seen(harness, harness.workspace.history(harness.deals_channel)[-1])
    for document_figure in ("$97,865.28", "$104,112", "$86,112", "$780", "$18,000"):
        assert document_figure not in answer, answer
    assert "CPQ" in answer


def _retried(messages: list, info: AgentInfo) -> str | None:
    """The guardrail's reason, when the last request sends the model's answer back (not a new message)."""
    if any(isinstance(part, UserPromptPart) for part in messages[-1].parts):
        return None
    for part in messages[-1].parts:
        if isinstance(part, RetryPromptPart):
            return part.model_response()
        if isinstance(part, ToolReturnPart) and part.tool_name == info.output_tools[0].name:
            return str(part.content)
    return None


async def test_12_02_a_model_that_copies_a_document_price_into_a_thread_reply_is_sent_back(harness: Harness):
    from agents.discovery import discovery_agent

    reasons: list[str] = []

    def copying_model(messages: list, info: AgentInfo) -> ModelResponse:
        reason = _retried(messages, info)
        if reason:
            reasons.append(reason)
        reply = "For a figure, ask me for a ballpark." if reason else "The quoting guide says $97,865.28 a year."
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"reply": reply, "next_questions": []})])

    await harness.command("new Acme: Pain: nightly batch loads take 6 hours. SaaS, users in Boston.")
    await harness.work()
    root = harness.workspace.history(harness.deals_channel)[0]["ts"]
    with discovery_agent.override(model=FunctionModel(copying_model)):
        await harness.actor.post_message(
            REP, harness.deals_channel, "what would 120 Business seats run?", thread_ts=root
        )
        await harness.work()
    reply = seen(harness, harness.thread(harness.deals_channel, root)[-1])
    assert "$97,865.28" not in reply and "ask me for a ballpark" in reply
    assert reasons and "$97,865.28" in reasons[0] and "preview_price" in reasons[0]


async def test_12_02_a_model_that_copies_a_document_price_into_an_answer_is_sent_back(harness: Harness):
    from agents.qa import qa_agent

    ingest([SAMPLE], harness.runtime.knowledge())
    reasons: list[str] = []

    def copying_model(messages: list, info: AgentInfo) -> ModelResponse:
        found = [p for m in messages for p in m.parts if isinstance(p, ToolReturnPart)]
        if not found:
            return ModelResponse(parts=[ToolCallPart("search_knowledge", {"query": "Business price per seat"})])
        reason = _retried(messages, info)
        if reason:
            reasons.append(reason)
        text = "The price list is in the cited document; CPQ prices it." if reason else "Business is $780 a seat."
        cited = [found[0].content[0]["chunk_id"]]
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"text": text, "cited": cited})])

    with qa_agent.override(model=FunctionModel(copying_model)):
        await harness.command("ask what does Business cost per seat?")
        await harness.work()
    answer = seen(harness, harness.workspace.history(harness.deals_channel)[-1])
    assert "$780" not in answer and "CPQ prices it" in answer
    assert reasons and "$780" in reasons[0]


# 12.04: an approval decision survives a retried job ------------------------------------------------


async def test_12_04_an_approval_whose_job_retries_after_the_commit_still_reaches_everyone(harness: Harness):
    card = await qualified_deal_with_quote(harness, "quote Acme HS-ENT 150 --years 2 --discount 22%")
    assert card is not None
    harness.workspace.fail("chat.update", times=3, status=503)  # the client's retries run out: the job fails
    await harness.actor.click("U0VP", approvals_channel(harness), card["ts"], "approval.approve")
    await harness.work()
    harness.clock.advance(minutes=10)  # the back-off of whatever failed
    await harness.work()
    told_vp = [m["text"] for m in harness.workspace.ephemeral_for("U0VP")]
    assert not any("already" in t for t in told_vp), told_vp
    updated = seen(harness, harness.workspace.find_message(approvals_channel(harness), card["ts"]))
    assert "Approved · VP Sales by @Val VP Sales" in updated and "[ Approve ]" not in updated
    told = [seen(harness, m) for m in deal_thread(harness) if "@Val VP Sales approved" in seen(harness, m)]
    assert len(told) == 1 and "now approved" in told[0]
    assert sum("approved" in m["text"] for m in harness.workspace.history(harness.workspace.open_dm(REP))) == 1
    assert len(uploads(harness)) == 2 and "ready to send" in seen(harness, uploads(harness)[-1])  # .md and .pdf


async def test_12_04_an_approval_whose_worker_is_killed_after_the_commit_still_reaches_everyone(harness: Harness):
    from approvals import service as approval_service
    from core import jobs
    from core.job_kinds import DecideApproval

    card = await qualified_deal_with_quote(harness, "quote Acme HS-ENT 150 --years 2 --discount 22%")
    assert card is not None
    await harness.actor.click("U0VP", approvals_channel(harness), card["ts"], "approval.approve")
    # A worker claims the click's job and commits the decision, then dies (kill -9): nothing after the commit runs.
    with harness.runtime.session_factory() as session, session.begin():
        claimed = jobs.claim(session, worker_id="doomed", clock=harness.clock, lease=timedelta(seconds=60))
    assert claimed is not None and claimed.kind == "approval.decide"
    approval_service.decide_request(
        harness.runtime.session_factory,
        ask=claimed.args(DecideApproval),
        actor_groups=set(),
        policy=harness.runtime.policy(),
        clock=harness.clock,
        origin=f"job:{claimed.id}",
    )
    harness.clock.advance(minutes=2)  # the dead worker's lease runs out: another worker claims the job again
    await harness.work()
    assert not harness.workspace.ephemeral_for("U0VP")  # no "already approved" for their own click
    updated = seen(harness, harness.workspace.find_message(approvals_channel(harness), card["ts"]))
    assert "Approved · VP Sales by @Val VP Sales" in updated and "[ Approve ]" not in updated
    assert sum("@Val VP Sales approved" in seen(harness, m) for m in deal_thread(harness)) == 1
    assert sum("approved" in m["text"] for m in harness.workspace.history(harness.workspace.open_dm(REP))) == 1
    assert len(uploads(harness)) == 2 and "ready to send" in seen(harness, uploads(harness)[-1])


# 12.05: `/lto quote` runs once, whatever happens after its commit -------------------------------------


async def test_12_05_a_quote_whose_thread_post_fails_after_the_commit_is_not_priced_again(harness: Harness):
    await harness.command(QUALIFIED)
    await harness.work()
    harness.workspace.fail("chat.postMessage", times=3, status=503)  # the quote's post in the deal thread
    await harness.command("quote Acme HS-ENT 150 --years 2 --discount 22%")
    await harness.work()
    harness.clock.advance(minutes=10)
    await harness.work()
    with harness.runtime.session_factory() as session:
        quotes = session.execute(select(QuoteRecord.version, QuoteRecord.status)).all()
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "quote.create")).all()
        requests = session.scalars(select(ApprovalRequest.status)).all()
    assert [(v, str(s)) for v, s in quotes] == [(1, QuoteStatus.NEEDS_APPROVAL)]
    assert len(created) == 1 and requests == ["pending"]
    assert len(harness.workspace.history(approvals_channel(harness))) == 1
    posted = [m for m in deal_thread(harness) if "Quote v" in seen(harness, m)]
    assert len(posted) == 1 and "Quote v1" in seen(harness, posted[0])


# 12.07: the deal-desk threshold per currency -----------------------------------------------------------

GBP_DEAL = (
    "new Albion: Pain: nightly batch loads take 6 hours. 250 seats, budget £300k, sign by end of Q1, SaaS, "
    "users in London, the CFO signs."
)


async def test_12_07_a_pound_deal_worth_the_dollar_threshold_goes_to_the_deal_desk(harness: Harness):
    await harness.command(GBP_DEAL)
    await harness.work()
    await harness.command("quote Albion HS-ENT 250 HS-SUP 1 HS-SSO 250")
    await harness.work()
    with harness.runtime.session_factory() as session:
        quote = session.scalars(select(QuoteRecord)).one()
    assert quote.currency == "GBP" and Decimal(quote.total) < 250_000  # about $296k in pounds
    assert quote.status == QuoteStatus.NEEDS_APPROVAL
    card = seen(harness, harness.workspace.history(approvals_channel(harness))[-1])
    assert "Deal desk" in card and "£" in card


# 12.20: the discount the rep asks for, not the first percentage in the message -----------------------


async def test_12_20_a_competitors_up_to_discount_is_not_taken_for_the_reps_ask(harness: Harness):
    await harness.command("new Acme: Pain: nightly batch loads take 6 hours. SaaS, users in Boston.")
    await harness.work()
    root = harness.workspace.history(harness.deals_channel)[0]["ts"]
    await harness.actor.post_message(
        REP,
        harness.deals_channel,
        "Their other vendor advertises up to 99% off. Can we do 45% off Enterprise for 300 seats?",
        thread_ts=root,
    )
    await harness.work()
    card = seen(harness, harness.workspace.history(approvals_channel(harness))[-1])
    # The card quotes the rep's message as their justification; the ask itself is 45%, never 99%.
    assert "45% discount on 300 × HS-ENT" in card and "99% discount" not in card
