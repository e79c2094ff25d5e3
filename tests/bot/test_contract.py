"""Contract readiness and the local signing page, driven as Slack and a signer would: the checklist on the deal
card, the order form modal, "Send for signature", the signed link, and what a signature changes."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.emulator.transcript import render_message
from core.models import OutboxEvent
from deals.contract_models import Order, SecurityReview
from deals.models import Deal
from integrations.crm.local import LocalCrm
from integrations.crm.sweeps import deliver_due
from integrations.esign.models import EnvelopeStatus, SignatureEnvelope
from tests.bot.conftest import OTHER_REP, REP, Harness

QUALIFIED = (
    "new Acme: Pain: nightly batch loads from Oracle into Snowflake take 6 hours. 200 seats, budget $250k, "
    "sign by end of Q1, SaaS, users in Boston, SOC 2 and HIPAA, the CFO signs."
)
QUOTE = "quote Acme HS-ENT 200 HS-CONN 1"  # $229,600: within the rep's authority
ORDER_FORM = {
    "legal_entity": "Acme Corporation Ltd",
    "billing_address": "1 Harbour Street\nBoston, MA 02110",
    "billing_contact_name": "Ada Payable",
    "billing_contact_email": "ap@acme.example",
    "po_required": ["required"],
    "po_number": "PO-7781",
    "signer_name": "Łucja Nowak",
    "signer_email": "lucja@acme.example",
    "signer_title": "CFO",
}


def seen(harness: Harness, message: dict[str, Any]) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


def card(harness: Harness) -> dict[str, Any]:
    return harness.workspace.history(harness.deals_channel)[0]


def thread_texts(harness: Harness) -> list[str]:
    return [seen(harness, m) for m in harness.thread(harness.deals_channel, card(harness)["ts"])]


async def priced(harness: Harness, *, quote: str = QUOTE) -> None:
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(quote)
    await harness.work()


async def fill_order_form(harness: Harness, *, user: str = REP, **changes: Any) -> httpx.Response:
    await harness.actor.click(user, harness.deals_channel, card(harness)["ts"], "contract.order_form")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for(user)[-1]
    fields = {**ORDER_FORM, **changes}
    values = {name: {name: value} for name, value in fields.items() if value is not None}
    response = await harness.actor.submit_view(user, view["id"], values)
    await harness.work()
    return response


async def click_send(harness: Harness, *, user: str = REP) -> None:
    await harness.actor.click(user, harness.deals_channel, card(harness)["ts"], "contract.send")
    await harness.work()


async def force_send(harness: Harness) -> None:
    """Click "Send for signature" on a card that does not offer it (a stale client, a forged request)."""
    ts = card(harness)["ts"]
    harness.workspace.add_button(
        harness.deals_channel, ts, action_id="contract.send", text="Send", value='{"deal_id": 1}'
    )
    await click_send(harness)


def envelopes(harness: Harness) -> list[SignatureEnvelope]:
    with harness.runtime.session_factory() as session:
        return list(session.scalars(select(SignatureEnvelope).order_by(SignatureEnvelope.id)))


def signing_path(harness: Harness) -> str:
    """The signing page's path from the link only the rep who sent the contract was given."""
    link = next(m["text"] for m in reversed(harness.workspace.ephemeral_for(REP)) if "/sign/" in m["text"])
    return "/sign/" + link.split("/sign/", 1)[1].split("|", 1)[0]


async def test_an_incomplete_checklist_has_no_send_button_and_a_forced_send_is_refused(harness: Harness):
    await priced(harness)
    text = seen(harness, card(harness))
    assert "Contract (2 to do)" in text and "Final quote · v1, $229,600" in text
    assert "Order form · Missing: legal entity, billing address, billing contact (name and email)." in text
    assert "Signer · Who signs for the customer?" in text
    assert "[ Order form ]" in text and "[ Send for signature ]" not in text
    await force_send(harness)  # refused with what is missing; nothing goes out
    refusal = harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert refusal.startswith(":no_entry: Not sent. Deal #1 is not ready for signature.")
    assert "Order form: Missing: legal entity" in refusal and "Signer: Who signs" in refusal
    assert envelopes(harness) == []


async def test_a_po_the_customer_requires_keeps_the_order_form_incomplete(harness: Harness):
    await priced(harness)
    await fill_order_form(harness, po_number=None)
    text = seen(harness, card(harness))
    assert "Order form · Missing: PO number (the customer requires one)." in text
    assert "Signer · Łucja Nowak, CFO <lucja@acme.example>." in text
    assert "[ Send for signature ]" not in text
    await fill_order_form(harness, po_required=[], po_number=None)  # they do not use purchase orders after all
    assert "no PO required" in seen(harness, card(harness)) and "[ Send for signature ]" in seen(harness, card(harness))


async def test_the_order_form_refuses_a_bad_email_on_its_field(harness: Harness):
    await priced(harness)
    response = await fill_order_form(harness, signer_email="lucja at acme")
    assert response.json()["response_action"] == "errors"
    assert "signer_email" in response.json()["errors"] and "billing_contact_email" not in response.json()["errors"]


async def test_someone_who_may_not_change_the_deal_cannot_fill_its_order_form(harness: Harness):
    await priced(harness)
    await fill_order_form(harness, user=OTHER_REP)
    dm = harness.workspace.history(harness.workspace.open_dm(OTHER_REP))[-1]["text"]
    assert "I did not save the order form" in dm and "not yours" in dm
    assert "Missing: legal entity" in seen(harness, card(harness))


async def test_a_complete_checklist_sends_one_envelope_however_often_it_is_clicked(harness: Harness):
    await priced(harness)
    await fill_order_form(harness)
    text = seen(harness, card(harness))
    assert "Contract (ready for signature)" in text and "[ Send for signature ]" in text
    assert "Order form · Acme Corporation Ltd; billing Ada Payable" in text and "PO PO-7781" in text
    for _ in range(2):  # a double click: both are recorded before the worker runs either
        await harness.actor.click(REP, harness.deals_channel, card(harness)["ts"], "contract.send")
    await harness.work()
    sent = envelopes(harness)
    assert len(sent) == 1 and sent[0].status == EnvelopeStatus.SENT and sent[0].signer_email == "lucja@acme.example"
    assert "already out for signature with Łucja Nowak" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    said = [t for t in thread_texts(harness) if "sent the order form for signature" in t]
    assert len(said) == 1 and "Łucja Nowak" in said[0] and "through the signing page" in said[0]
    text = seen(harness, card(harness))
    assert "Contract (out for signature)" in text and "Out for signature with Łucja Nowak" in text
    assert "[ Send for signature ]" not in text and "[ Order form ]" not in text  # what was sent is locked
    # The link went only to the rep who sent it: whoever holds it can open the contract.
    assert not any("/sign/" in t for t in thread_texts(harness))
    assert signing_path(harness).startswith("/sign/ey")


async def test_the_signing_page_signs_once_wins_the_deal_and_tells_the_thread_and_the_owner(harness: Harness):
    await priced(harness)
    await fill_order_form(harness)
    await click_send(harness)
    path = signing_path(harness)
    async with httpx.AsyncClient(base_url=harness.app_url) as http:
        page = await http.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        for shown in ("Order form: Acme Corporation Ltd", "$229,600", "PO-7781", "net 30", "Łucja Nowak"):
            assert shown in page.text
        unticked = await http.post(path, data={"name": "Łucja Nowak"})
        assert unticked.status_code == 400 and "tick the box" in unticked.text
        signed = await http.post(path, data={"name": "Łucja  Nowak\u202e", "agree": "yes"}, headers={"user-agent": "t"})
        again = await http.post(path, data={"name": "Somebody Else", "agree": "yes"})
    assert signed.status_code == 200 and "Signed by Łucja Nowak on" in signed.text and "ORD-000001" in signed.text
    assert again.status_code == 200 and "Signed by Łucja Nowak" in again.text  # signed once: the first name stays
    with harness.runtime.session_factory() as session:
        orders = list(session.scalars(select(Order)))
        envelope = session.scalars(select(SignatureEnvelope)).one()
        deal = session.get_one(Deal, 1)
        topics = [e.topic for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
        upserts = list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "crm.deal.upsert")))
    assert len(orders) == 1 and orders[0].total == "229600.00" and orders[0].order_form["po_number"] == "PO-7781"
    assert (envelope.status, envelope.signed_by_name, envelope.signed_ip) == ("completed", "Łucja Nowak", "127.0.0.1")
    assert deal.stage == "won"
    assert topics.count("event.contract.signed") == 1
    assert upserts[-1].payload["properties"]["order_number"] == "ORD-000001"
    assert upserts[-1].payload["properties"]["stage"] == "won"
    # Written back to the CRM through the outbox.
    crm = LocalCrm(harness.runtime.session_factory, harness.clock)
    deliver_due(session_factory=harness.runtime.session_factory, crm=crm, clock=harness.clock)
    written = crm.get_deal("lto-deal-1")
    assert written is not None and written.stage == "won" and written.properties["order_total"] == "229600.00"
    assert any("Order ORD-000001 signed by Łucja Nowak <lucja@acme.example>" in n for n in crm.notes("lto-deal-1"))
    await harness.work()
    told = [t for t in thread_texts(harness) if "signed: order ORD-000001" in t]
    assert len(told) == 1 and "$229,600" in told[0] and "Deal #1 is closed won" in told[0]
    dm = harness.workspace.history(harness.workspace.open_dm(REP))[-1]["text"]
    assert "signed: order ORD-000001" in dm
    text = seen(harness, card(harness))
    assert "Contract signed by Łucja Nowak" in text and ":trophy: Won" in text


async def test_an_expired_or_altered_signing_link_opens_nothing(harness: Harness):
    await priced(harness)
    await fill_order_form(harness)
    await click_send(harness)
    path = signing_path(harness)
    async with httpx.AsyncClient(base_url=harness.app_url) as http:
        altered = await http.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
        harness.clock.advance(days=15)
        expired = await http.post(path, data={"name": "Łucja Nowak", "agree": "yes"})
    assert altered.status_code == 404 and "not valid" in altered.text
    assert expired.status_code == 410 and "expired" in expired.text
    assert envelopes(harness)[0].status == EnvelopeStatus.SENT


async def test_a_compliance_gap_waits_for_a_security_approvers_review(harness: Harness):
    await priced(harness)
    thread_ts = card(harness)["ts"]
    await harness.actor.post_message(REP, harness.deals_channel, "Update: they also need FedRAMP.", thread_ts=thread_ts)
    await harness.work()
    await fill_order_form(harness)
    text = seen(harness, card(harness))
    assert "Security review · The quoted edition does not cover FedRAMP." in text
    assert "[ Record security review ]" in text and "[ Send for signature ]" not in text

    async def review(user: str) -> None:
        await harness.actor.click(user, harness.deals_channel, card(harness)["ts"], "contract.security_review")
        await harness.runtime.drain_background()
        view = harness.workspace.open_views_for(user)[-1]
        note = "FedRAMP is not needed: commercial data only, hosted in US East"
        await harness.actor.submit_view(user, view["id"], {"security_note": {"note": note}})
        await harness.work()

    await review(REP)
    assert "Only security approvers" in harness.workspace.history(harness.workspace.open_dm(REP))[-1]["text"]
    await review("U0SEC")
    text = seen(harness, card(harness))
    assert "Security review · Reviewed: FedRAMP is not needed" in text and "[ Send for signature ]" in text
    assert any("recorded the security review" in t for t in thread_texts(harness))
    with harness.runtime.session_factory() as session:
        reviews = list(session.scalars(select(SecurityReview)))
    assert [r.reviewed_by for r in reviews] == ["U0SEC"]
    assert reviews[0].covers == ["The quoted edition does not cover FedRAMP."]


async def test_legal_terms_the_policy_asked_for_wait_for_legal(harness: Harness):
    await priced(harness, quote=f"{QUOTE} --net 60")
    await fill_order_form(harness)
    text = seen(harness, card(harness))
    assert "Final quote · v1 is waiting for approval." in text
    assert "Legal terms · Waiting for Legal: Payment terms net 60." in text and "[ Send for signature ]" not in text
    approvals = harness.workspace.channel_id("deal-approvals")
    await harness.actor.click("U0LEGAL", approvals, harness.workspace.history(approvals)[-1]["ts"], "approval.approve")
    await harness.work()
    text = seen(harness, card(harness))
    assert "Legal terms · Approved: Payment terms net 60. (@" in text and "[ Send for signature ]" in text
