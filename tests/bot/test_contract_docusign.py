"""Contracts through DocuSign: "Send for signature" creates one envelope at a fake of DocuSign's API, and the
Connect webhook is trusted only with its HMAC; a signed envelope wins the deal once, however often it is told."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.serving import serve_asgi
from core.models import Job, OutboxEvent
from deals.contract_models import Order
from deals.models import Deal
from integrations.esign.models import EnvelopeStatus, SignatureEnvelope
from tests.bot.conftest import REP, Harness
from tests.bot.test_contract import card, click_send, fill_order_form, force_send, priced, seen, thread_texts
from tests.fakes.docusign import FakeDocuSign
from tests.integrations.test_esign import rsa_key_pair

CONNECT_KEY = "connect-hmac-key-0123456789abcdef0123456789abcdef"


@pytest.fixture
async def docusign(tmp_path: Path) -> AsyncIterator[tuple[FakeDocuSign, dict[str, str]]]:
    private, public = rsa_key_pair()
    key_file = tmp_path / "docusign-private.pem"
    key_file.write_text(private)
    fake = FakeDocuSign(account_id="acc-1", integration_key="ik-1", user_id="user-1", public_key=public)
    async with serve_asgi(fake.app) as url:
        fake.audience = url.removeprefix("http://")
        settings = {
            "LTO_ESIGN": "docusign",
            "DOCUSIGN_BASE_PATH": f"{url}/restapi",
            "DOCUSIGN_OAUTH_URL": url,
            "DOCUSIGN_ACCOUNT_ID": "acc-1",
            "DOCUSIGN_INTEGRATION_KEY": "ik-1",
            "DOCUSIGN_USER_ID": "user-1",
            "DOCUSIGN_PRIVATE_KEY_PATH": str(key_file),
            "DOCUSIGN_CONNECT_KEYS": f"a-newer-key-not-yet-at-docusign-0123456789,{CONNECT_KEY}",
        }
        yield fake, settings


@pytest.fixture
def harness_settings(docusign: tuple[FakeDocuSign, dict[str, str]]) -> dict[str, str]:
    return docusign[1]


@pytest.fixture
def fake(docusign: tuple[FakeDocuSign, dict[str, str]]) -> FakeDocuSign:
    return docusign[0]


async def sent_envelope(harness: Harness) -> str:
    await priced(harness)
    await fill_order_form(harness)
    await click_send(harness)
    with harness.runtime.session_factory() as session:
        envelope_id = session.scalars(select(SignatureEnvelope.envelope_id)).one()
    assert envelope_id is not None
    return envelope_id


async def connect(harness: Harness, body: bytes, *keys: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=harness.app_url) as http:
        return await http.post("/hooks/esign/docusign", content=body, headers=FakeDocuSign.connect_headers(body, *keys))


def count(harness: Harness, statement: object) -> int:
    with harness.runtime.session_factory() as session:
        return int(session.scalar(statement) or 0)  # type: ignore[call-overload]


async def test_send_creates_one_docusign_envelope_from_the_order_form(harness: Harness, fake: FakeDocuSign):
    envelope_id = await sent_envelope(harness)
    await force_send(harness)  # again: the contract is out already
    assert list(fake.envelopes) == [envelope_id]
    envelope = fake.envelopes[envelope_id]
    assert envelope["status"] == "sent" and envelope["emailSubject"] == "Acme Corporation Ltd: order form for signature"
    signer = envelope["recipients"]["signers"][0]
    assert (signer["name"], signer["email"]) == ("Łucja Nowak", "lucja@acme.example")
    pdf = base64.b64decode(envelope["documents"][0]["documentBase64"])
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    for printed in ("Order form", "Acme Corporation Ltd", "$229,600", "PO-7781", "Net 30", "For Acme Corporation Ltd"):
        assert printed in text
    assert "Deal #" not in text and "Quote v1" not in text  # nothing internal reaches the customer
    assert any("through DocuSign" in t for t in thread_texts(harness))
    assert not any("/sign/" in m["text"] for m in harness.workspace.ephemeral_for(REP))  # DocuSign emails the signer
    assert "already out for signature" in harness.workspace.ephemeral_for(REP)[-1]["text"]


async def test_connect_with_a_bad_hmac_is_refused_and_changes_nothing(harness: Harness, fake: FakeDocuSign):
    envelope_id = await sent_envelope(harness)
    jobs_before = count(harness, select(func.count()).select_from(Job))
    body = fake.connect_message(envelope_id)
    refused = await connect(harness, body, "not-our-key")
    unsigned = await connect(harness, body)  # no signature header at all
    async with httpx.AsyncClient(base_url=harness.app_url) as http:
        headers = FakeDocuSign.connect_headers(body, CONNECT_KEY)
        altered = await http.post("/hooks/esign/docusign", content=body + b" ", headers=headers)
    assert (refused.status_code, unsigned.status_code) == (401, 401)
    assert altered.status_code == 401  # the HMAC covers the body byte for byte
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(SignatureEnvelope.status)).one() == EnvelopeStatus.SENT
        assert session.get_one(Deal, 1).stage != "won"
    assert count(harness, select(func.count()).select_from(Order)) == 0
    assert count(harness, select(func.count()).select_from(Job)) == jobs_before


async def test_connect_completed_signs_once_and_wins_the_deal(harness: Harness, fake: FakeDocuSign):
    envelope_id = await sent_envelope(harness)
    body = fake.connect_message(envelope_id)
    first = await connect(harness, body, CONNECT_KEY)
    retried = await connect(harness, body, CONNECT_KEY)  # Connect retries until it sees a 200
    assert first.status_code == 200 and first.json() == {"envelope": envelope_id, "outcome": "signed"}
    assert retried.status_code == 200 and retried.json()["outcome"] == "already completed"
    with harness.runtime.session_factory() as session:
        order = session.scalars(select(Order)).one()
        assert (order.signed_by_name, order.signed_by_email) == ("Łucja Nowak", "lucja@acme.example")
        assert session.get_one(Deal, 1).stage == "won"
        signed_events = session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "event.contract.signed")
        )
        event = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "event.contract.signed")).one()
    assert signed_events == 1
    assert event.payload["data"]["provider"] == "docusign" and event.payload["data"]["envelope_id"] == envelope_id
    assert event.payload["data"]["total"] == "229600.00" and event.payload["data"]["signers"] == ["Łucja Nowak"]
    await harness.work()
    assert len([t for t in thread_texts(harness) if "signed: order ORD-000001" in t]) == 1
    assert "Contract signed by Łucja Nowak" in seen(harness, card(harness))


async def test_a_declined_envelope_frees_the_deal_for_another_send(harness: Harness, fake: FakeDocuSign):
    envelope_id = await sent_envelope(harness)
    declined = await connect(
        harness, fake.connect_message(envelope_id, "envelope-declined", reason="Wrong entity"), CONNECT_KEY
    )
    assert declined.json()["outcome"] == "declined"
    await harness.work()
    assert any("declined the order form" in t and "Wrong entity" in t for t in thread_texts(harness))
    text = seen(harness, card(harness))
    assert "was declined: Wrong entity" in text and "[ Send for signature ]" in text
    await fill_order_form(harness, legal_entity="Acme Holdings Inc")
    await click_send(harness)
    assert len(fake.envelopes) == 2
    with harness.runtime.session_factory() as session:
        statuses = list(session.scalars(select(SignatureEnvelope.status).order_by(SignatureEnvelope.id)))
    assert statuses == [EnvelopeStatus.DECLINED, EnvelopeStatus.SENT]


async def test_a_send_whose_answer_was_lost_is_not_sent_twice(harness: Harness, fake: FakeDocuSign):
    await priced(harness)
    await fill_order_form(harness)
    fake.lose_next_answer = True
    await click_send(harness)  # DocuSign created it, but the answer never came: the job will try again
    assert len(fake.envelopes) == 1
    envelope_id = next(iter(fake.envelopes))
    # The signer was quick: Connect says it is signed before we know the envelope's id. Not taken yet: it comes again.
    early = await connect(harness, fake.connect_message(envelope_id), CONNECT_KEY)
    assert early.status_code == 503 and count(harness, select(func.count()).select_from(Order)) == 0
    harness.clock.advance(minutes=10)
    await harness.work()
    assert len(fake.envelopes) == 1
    with harness.runtime.session_factory() as session:
        row = session.scalars(select(SignatureEnvelope)).one()
    assert row.status == EnvelopeStatus.SENT and row.envelope_id == envelope_id
    again = await connect(harness, fake.connect_message(envelope_id), CONNECT_KEY)
    assert again.json()["outcome"] == "signed" and count(harness, select(func.count()).select_from(Order)) == 1
