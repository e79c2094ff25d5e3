"""`/lto quote` in Slack: priced by CPQ with the deal's context, versioned, shown in the thread."""

from __future__ import annotations

from sqlalchemy import select

from bot.emulator.transcript import render_message
from integrations.cpq.models import QuoteRecord
from tests.bot.conftest import REP, Harness


def said(harness: Harness, thread: list[dict], starting: str) -> str:
    """The last message of the thread that starts with these words (findings may follow a quote)."""
    texts = [seen(harness, m) for m in thread]
    return next(text for text in reversed(texts) if starting in text)


def seen(harness: Harness, message: dict) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


async def test_a_quote_is_priced_versioned_and_posted_in_the_deal_thread(harness: Harness):
    await harness.command("new Acme: 100 seats, HIPAA, users in Boston")
    await harness.work()
    await harness.command("quote Acme HS-ENT 100 --discount 10%")
    await harness.work()
    thread = harness.thread(harness.deals_channel, harness.workspace.history(harness.deals_channel)[0]["ts"])
    text = said(harness, thread, "Quote v1 · Acme")
    assert "Quote v1 · Acme" in text and "Total $95,220" in text and "tier:100-499 −8%" in text
    assert "Not final" not in text  # 10% and under $250,000: the rep decides alone
    await harness.command("quote Acme HS-ENT 150 --years 2 --discount 22%")
    await harness.work()
    replies = harness.thread(harness.deals_channel, thread[0]["ts"])
    assert "Sent for approval in #deal-approvals" in seen(harness, replies[-1])
    text = said(harness, replies, "Quote v2")
    assert "Quote v2" in text and "Not final: needs approval" in text
    assert "Discount 22% is above 20% (VP Sales approves up to 30%): VP Sales" in text
    with harness.runtime.session_factory() as session:
        quotes = session.scalars(select(QuoteRecord).order_by(QuoteRecord.version))
        statuses = [(q.version, q.status) for q in quotes]
    assert statuses == [(1, "superseded"), (2, "needs_approval")]


async def test_a_compliance_gap_is_priced_but_not_final_and_an_invalid_quote_is_refused(harness: Harness):
    await harness.command("new Acme: 150 seats, HIPAA")
    await harness.work()
    await harness.command("quote Acme HS-BUS 150")
    await harness.work()
    root = harness.workspace.history(harness.deals_channel)[0]["ts"]
    text = said(harness, harness.thread(harness.deals_channel, root), "Quote v1")
    assert "Not final: needs approval" in text and "not covered: HIPAA" in text and "Security & compliance" in text
    await harness.command("quote Acme HS-SSO 10")
    await harness.work()
    assert "needs HS-BUS or HS-ENT" in harness.workspace.ephemeral_for(REP)[-1]["text"]
