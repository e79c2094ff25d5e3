"""A quote's commercial terms and CPQ's product rules, as reps and approvers see them in Slack."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.emulator.transcript import render_message
from deals.models import Deal
from deals.service import qualification_of
from integrations.cpq import service as cpq
from integrations.cpq.models import QuoteRecord
from tests.bot.conftest import REP, Harness


def seen(harness: Harness, message: dict) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


def thread_texts(harness: Harness) -> list[str]:
    root = harness.workspace.history(harness.deals_channel)[0]["ts"]
    return [seen(harness, m) for m in harness.thread(harness.deals_channel, root)]


def quote_post(harness: Harness, version: int) -> str:
    return next(text for text in reversed(thread_texts(harness)) if f"Quote v{version} · Acme" in text)


def latest_card(harness: Harness) -> dict:
    return harness.workspace.history(harness.workspace.channel_id("deal-approvals"))[-1]


async def test_a_net_60_deal_quote_carries_net_60_through_legal_approval_to_final(harness: Harness):
    await harness.command(
        "new Acme: 150 seats, SaaS, users in Boston. Their procurement insists on net 60 payment terms."
    )
    await harness.work()
    with harness.runtime.session_factory() as session:
        assert qualification_of(session.scalars(select(Deal)).one()).payment_terms_days == 60
    await harness.command("quote Acme HS-ENT 150")  # no --net: the terms the customer asked for
    await harness.work()
    today = harness.clock.now().date()
    valid_until = (today + timedelta(days=30)).isoformat()
    posted = quote_post(harness, 1)
    assert (
        f"Terms: net 60 · billed annually in advance · starts on signature · USD · prices valid until {valid_until}"
        in (posted)
    )
    assert "Not final: needs approval" in posted and "Payment terms net 60: Legal" in posted
    card = latest_card(harness)
    assert "Terms: net 60 · billed annually in advance" in seen(harness, card)
    await harness.actor.click("U0LEGAL", harness.workspace.channel_id("deal-approvals"), card["ts"], "approval.approve")
    await harness.work()
    with harness.runtime.session_factory() as session:
        quote = session.scalars(select(QuoteRecord)).one()
        assert quote.status == "approved" and quote.status.is_final
        assert (quote.payment_terms, quote.billing_frequency, quote.term_start) == ("net 60", "annual", None)
        assert quote.valid_until == today + timedelta(days=30)
        [step] = cpq.decided_approval_steps(session, quote_id=quote.id)
        assert (step.level, step.status, step.decided_by) == ("legal", "approved", "U0LEGAL")


async def test_a_deal_without_asked_for_terms_gets_the_standard_ones_within_the_reps_authority(harness: Harness):
    await harness.command("new Acme: 150 seats, SaaS, users in Boston")
    await harness.work()
    await harness.command("quote Acme HS-ENT 150")
    await harness.work()
    assert "Terms: net 30 · billed annually in advance · starts on signature" in quote_post(harness, 1)
    with harness.runtime.session_factory() as session:
        quote = session.scalars(select(QuoteRecord)).one()
        assert quote.status == "draft" and cpq.decided_approval_steps(session, quote_id=quote.id) == []


async def test_terms_asked_on_the_command_are_carried_and_routed_by_the_policy(harness: Harness):
    await harness.command("new Acme: 150 seats, SaaS, users in Boston, net 60")
    await harness.work()
    start = (harness.clock.now().date() + timedelta(days=60)).isoformat()
    await harness.command(f"quote Acme HS-ENT 150 --net 30 --billing quarterly --start {start}")
    await harness.work()
    posted = quote_post(harness, 1)
    assert f"Terms: net 30 · billed quarterly · starts {start}" in posted  # the command wins over the deal's ask
    assert "Billing quarterly (standard: annual or upfront): Deal desk" in posted and "Legal" not in posted
    with harness.runtime.session_factory() as session:
        quote = session.scalars(select(QuoteRecord)).one()
        assert (quote.payment_terms, quote.billing_frequency, str(quote.term_start)) == ("net 30", "quarterly", start)
    past = (harness.clock.now().date() - timedelta(days=1)).isoformat()
    await harness.command(f"quote Acme HS-ENT 150 --start {past}")
    await harness.work()
    assert f"The term cannot start on {past}, before today" in harness.workspace.ephemeral_for(REP)[-1]["text"]


async def test_an_oracle_source_needs_the_connectors_pack_unless_the_rep_overrides_for_the_deal_desk(harness: Harness):
    await harness.command("new Acme: 150 seats, SaaS, users in Boston. Nightly loads from Oracle into Snowflake.")
    await harness.work()
    await harness.command("quote Acme HS-ENT 150")
    await harness.work()
    refused = " ".join(harness.workspace.ephemeral_for(REP)[-1]["text"].split())
    assert "I did not price that: Oracle needs HS-CONN" in refused
    assert "Add HS-CONN (Premium Connectors Pack) × 1 to the quote." in refused and "`--override-rules`" in refused
    await harness.command('quote Acme HS-ENT 150 --override-rules --why "they license Oracle GoldenGate already"')
    await harness.work()
    posted = quote_post(harness, 1)
    assert "Product rules" in posted and "which is not on the quote (quoted anyway, at the rep's request)" in posted
    assert "Quoted against the product rules at the rep's request: requires:premium-sources: Deal desk" in posted
    card = seen(harness, latest_card(harness))
    assert "overriding requires:premium-sources" in card and "Deal desk" in card
    await harness.command("quote Acme HS-ENT 150 HS-CONN 1")
    await harness.work()
    posted = quote_post(harness, 2)
    assert "Oracle needs HS-CONN (Premium Connectors Pack): it is on the quote." in posted
    assert "Not final" not in posted


async def test_the_sso_add_on_on_enterprise_is_explained_and_flagged_when_only_sso_was_asked(harness: Harness):
    await harness.command("new Acme: 150 seats, SaaS, users in Boston, Okta SSO is a must")
    await harness.work()
    await harness.command("quote Acme HS-ENT 150 HS-SSO 150")
    await harness.work()
    posted = quote_post(harness, 1)
    assert "HS-ENT already includes SAML 2.0 and OpenID Connect single sign-on; HS-SSO is priced for what it adds" in (
        posted
    )
    card = seen(harness, harness.workspace.history(harness.deals_channel)[0])
    assert "HS-SSO is quoted, but HS-ENT already includes SAML 2.0 and OpenID Connect single sign-on" in card
