"""The e-signature adapters at their boundary: DocuSign's REST shape against a fake of its API, Connect's HMAC,
and the local signing page's signed links."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.serving import serve_asgi
from core.clock import ManualClock
from core.settings import SettingsError, load_settings
from integrations.esign.connect import connect_signed, read_message
from integrations.esign.docusign import DocuSignESign
from integrations.esign.local import LinkExpired, LinkInvalid, LocalESign, read_signing_token, signing_token
from integrations.esign.port import ESignError, ESignUnavailable, SigningRequest
from tests.fakes.docusign import FakeDocuSign

CONNECT_KEY = "connect-hmac-key-0123456789abcdef0123456789abcdef"
PDF = b"%PDF-1.7\n% an order form\n"


def rsa_key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class DocuSignSetup:
    fake: FakeDocuSign
    url: str
    private_key: str

    def adapter(self, clock: ManualClock, **overrides: str) -> DocuSignESign:
        values = {
            "base_path": f"{self.url}/restapi",
            "oauth_url": self.url,
            "account_id": "acc-1",
            "integration_key": "ik-1",
            "user_id": "user-1",
            "private_key": self.private_key,
            **overrides,
        }
        return DocuSignESign(clock=clock, **values)


@pytest.fixture
async def docusign() -> AsyncIterator[DocuSignSetup]:
    private, public = rsa_key_pair()
    fake = FakeDocuSign(account_id="acc-1", integration_key="ik-1", user_id="user-1", public_key=public)
    async with serve_asgi(fake.app) as url:
        fake.audience = url.removeprefix("http://")
        yield DocuSignSetup(fake=fake, url=url, private_key=private)


def request(reference: str = "ref-1") -> SigningRequest:
    return SigningRequest(
        reference=reference,
        email_subject="Acme Corp: order form for signature",
        document=PDF,
        document_name="Order form - Acme Corp.pdf",
        signer_name="Łucja Nowak",
        signer_email="lucja@acme.example",
        signature_anchor="For Acme Corp",
    )


async def test_docusign_envelopes_carry_one_pdf_one_signer_and_status_sent(docusign: DocuSignSetup):
    adapter = docusign.adapter(ManualClock(datetime.now(UTC)))
    sent = await asyncio.to_thread(adapter.send, request())
    second = await asyncio.to_thread(adapter.send, request("ref-2"))
    envelope = docusign.fake.envelopes[sent.envelope_id]
    assert envelope["status"] == "sent" and sent.signing_url is None  # DocuSign emails the signer itself
    assert base64.b64decode(envelope["documents"][0]["documentBase64"]) == PDF
    signer = envelope["recipients"]["signers"][0]
    assert (signer["name"], signer["email"]) == ("Łucja Nowak", "lucja@acme.example")
    assert signer["tabs"]["signHereTabs"][0]["anchorString"] == "For Acme Corp"
    assert envelope["fields"] == {"lto_reference": "ref-1"}
    assert second.envelope_id != sent.envelope_id and docusign.fake.grants == 1  # one JWT grant, kept


async def test_a_send_whose_answer_was_lost_is_found_by_its_reference(docusign: DocuSignSetup):
    adapter = docusign.adapter(ManualClock(datetime.now(UTC)))
    docusign.fake.lose_next_answer = True
    with pytest.raises(ESignUnavailable):
        await asyncio.to_thread(adapter.send, request("lost-1"))
    found = await asyncio.to_thread(adapter.find_sent, "lost-1", since=datetime.now(UTC) - timedelta(minutes=1))
    assert found is not None and list(docusign.fake.envelopes) == [found.envelope_id]
    assert await asyncio.to_thread(adapter.find_sent, "never-sent", since=datetime.now(UTC)) is None


async def test_docusign_refusals_are_final_and_outages_retryable(docusign: DocuSignSetup):
    adapter = docusign.adapter(ManualClock(datetime.now(UTC)))
    docusign.fake.failures.append(503)
    with pytest.raises(ESignUnavailable):
        await asyncio.to_thread(adapter.send, request())
    with pytest.raises(ESignError, match="invalid_grant") as refused:
        await asyncio.to_thread(
            docusign.adapter(ManualClock(datetime.now(UTC)), user_id="someone-else").send, request()
        )
    assert not refused.value.retryable


def test_connect_accepts_the_hmac_of_any_configured_key_and_nothing_else():
    fake_body = b'{"event":"envelope-completed","data":{"envelopeId":"e-1"}}'
    good = {"x-docusign-signature-1": FakeDocuSign.connect_headers(fake_body, CONNECT_KEY)["X-DocuSign-Signature-1"]}
    assert connect_signed([CONNECT_KEY], body=fake_body, headers=good)
    assert connect_signed(["new-key-after-rotation", CONNECT_KEY], body=fake_body, headers=good)
    assert not connect_signed(["another-key"], body=fake_body, headers=good)
    assert not connect_signed([CONNECT_KEY], body=fake_body + b" ", headers=good)  # the body, byte for byte
    assert not connect_signed([CONNECT_KEY], body=fake_body, headers={})
    rotated = {
        f"x-docusign-signature-{n}": v
        for n, v in enumerate([base64.b64encode(b"x" * 32).decode(), good["x-docusign-signature-1"]], start=1)
    }
    assert connect_signed([CONNECT_KEY], body=fake_body, headers=rotated)


async def test_a_connect_message_says_who_signed_and_when(docusign: DocuSignSetup):
    adapter = docusign.adapter(ManualClock(datetime.now(UTC)))
    sent = await asyncio.to_thread(adapter.send, request())
    at = datetime(2027, 1, 15, 10, 30, tzinfo=UTC)
    news = read_message(docusign.fake.connect_message(sent.envelope_id, at=at))
    assert (news.envelope_id, news.outcome, news.at) == (sent.envelope_id, "completed", at)
    assert [(s.name, s.email) for s in news.signers] == [("Łucja Nowak", "lucja@acme.example")]
    declined = read_message(docusign.fake.connect_message(sent.envelope_id, "envelope-declined", reason="Wrong entity"))
    assert (declined.outcome, declined.reason, declined.signers) == ("declined", "Wrong entity", ())
    assert read_message(docusign.fake.connect_message(sent.envelope_id, "envelope-delivered")).outcome is None


def test_a_signing_link_opens_only_as_issued_and_only_until_it_expires():
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))
    local = LocalESign(secret="s" * 32, base_url="https://lto.example", link_valid=timedelta(days=14), clock=clock)
    sent = local.send(request("ref-9"))
    token = (sent.signing_url or "").removeprefix("https://lto.example/sign/")
    assert sent.envelope_id == "local-ref-9" and read_signing_token("s" * 32, token, now=clock.now()) == "ref-9"
    with pytest.raises(LinkInvalid):
        read_signing_token("t" * 32, token, now=clock.now())  # signed with another key
    forged = signing_token("t" * 32, reference="ref-9", expires_at=clock.now() + timedelta(days=1))
    with pytest.raises(LinkInvalid):
        read_signing_token("s" * 32, forged, now=clock.now())
    with pytest.raises(LinkExpired):
        read_signing_token("s" * 32, token, now=clock.now() + timedelta(days=14))


def test_production_signs_links_only_with_its_own_key_and_address():
    real = {"LTO_ENV": "production", "SLACK_BOT_TOKEN": "xoxb-1-real", "SLACK_SIGNING_SECRET": "0123456789abcdef"}
    audit = {"LTO_AUDIT_KEYS": "k1:" + "a" * 40}
    unset = load_settings(**real, **audit)  # a deployment that signs nothing starts without them
    with pytest.raises(SettingsError, match="LTO_ESIGN_LINK_SECRET is not set"):
        _ = unset.esign_link_key
    with pytest.raises(SettingsError, match="LTO_PUBLIC_URL is not set"):
        _ = unset.signing_page_url
    with pytest.raises(SettingsError, match="at least 32 characters"):
        load_settings(**real, **audit, LTO_ESIGN_LINK_SECRET="too-short")
    with pytest.raises(SettingsError, match="DOCUSIGN_ACCOUNT_ID, DOCUSIGN_INTEGRATION_KEY"):
        load_settings(**real, **audit, LTO_ESIGN="docusign")
    ready = load_settings(**real, **audit, LTO_ESIGN_LINK_SECRET="s" * 40, LTO_PUBLIC_URL="https://lto.example.com")
    assert (ready.esign_link_key, ready.signing_page_url) == ("s" * 40, "https://lto.example.com")
