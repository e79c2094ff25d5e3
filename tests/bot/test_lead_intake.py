"""Leads arriving by signed webhook (HubSpot's v3 scheme, and ours) become one routed deal and one deal thread
with the account brief; replays, bad and stale signatures record nothing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.emulator import SlackActor, Workspace, run_emulator
from bot.emulator.transcript import render_message
from bot.http import create_api
from bot.runtime import build_runtime
from bot.serving import serve_asgi
from core.clock import ManualClock
from core.models import AuditEvent, Job, OutboxEvent
from core.settings import load_settings
from deals.models import Account, Deal
from integrations.crm.local import seed_accounts
from integrations.events.webhooks import signature as lto_signature
from integrations.leads.models import Lead
from integrations.leads.signatures import hubspot_v3_signature
from tests.bot.conftest import Harness
from tests.fakes.hubspot import FakeHubSpot

APP_SECRET = "hubspot-app-client-secret-0001"
LEADS_SECRET = "form-signing-secret-0001"
SAMPLE_ACCOUNTS = Path(__file__).resolve().parents[2] / "examples" / "crm" / "accounts.yaml"


class LeadHarness(Harness):
    hubspot: FakeHubSpot

    async def hubspot_webhook(
        self, events: list[dict], *, secret: str = APP_SECRET, age_ms: int = 0, query: str = ""
    ) -> httpx.Response:
        """POST events as HubSpot does: signed over method, the full URL, the body and the timestamp."""
        body = json.dumps(events).encode()
        url = f"{self.app_url}/hooks/crm/hubspot" + (f"?{query}" if query else "")
        timestamp = str(int(time.time() * 1000) - age_ms)
        signed = hubspot_v3_signature(secret, method="POST", uri=url, body=body, timestamp=timestamp)
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": signed,
            "X-HubSpot-Request-Timestamp": timestamp,
        }
        async with httpx.AsyncClient() as client:
            return await client.post(url, content=body, headers=headers)

    async def post_lead(self, lead: dict, *, secret: str = LEADS_SECRET, age: int = 0) -> httpx.Response:
        body = json.dumps(lead).encode()
        timestamp = int(time.time()) - age
        headers = {
            "Content-Type": "application/json",
            "X-LTO-Timestamp": str(timestamp),
            "X-LTO-Signature": lto_signature(secret, timestamp, body),
        }
        async with httpx.AsyncClient() as client:
            return await client.post(f"{self.app_url}/hooks/leads", content=body, headers=headers)

    def count(self, model, *where) -> int:
        with self.runtime.session_factory() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    def deals(self) -> list[Deal]:
        with self.runtime.session_factory() as session:
            return list(session.scalars(select(Deal).order_by(Deal.id)))

    def seen(self, message: dict) -> str:
        return " ".join(" ".join(render_message(message, self.workspace)).split())


@pytest.fixture
async def leads(database_url: str, tmp_path: Path, clock: ManualClock) -> AsyncIterator[LeadHarness]:
    workspace = Workspace()
    hubspot = FakeHubSpot()
    async with run_emulator(workspace) as emulator_url, serve_asgi(hubspot.app) as hubspot_url:
        settings = load_settings(
            LTO_HOME=str(tmp_path / "home"),
            DATABASE_URL=database_url,
            SLACK_API_URL=f"{emulator_url}/api/",
            SLACK_BOT_TOKEN=workspace.bot_token,
            SLACK_SIGNING_SECRET=workspace.signing_secret,
            HUBSPOT_APP_SECRET=APP_SECRET,
            HUBSPOT_TOKEN=hubspot.token,
            HUBSPOT_API_URL=hubspot_url,
            LTO_LEADS_SECRET=LEADS_SECRET,
        )
        runtime = build_runtime(settings, clock=clock, migrate=False)
        with runtime.session_factory() as session, session.begin():
            seed_accounts(session, SAMPLE_ACCOUNTS, clock=clock)
        try:
            async with serve_asgi(create_api(runtime, run_worker=False, run_scheduler=False)) as app_url:
                actor = SlackActor(workspace, f"{app_url}/slack/events", workspace.signing_secret)
                harness = LeadHarness(workspace=workspace, actor=actor, runtime=runtime, app_url=app_url, clock=clock)
                harness.hubspot = hubspot
                yield harness
        finally:
            runtime.close()


def _contact_created(event_id: int, contact_id: int, portal: int = 62515) -> dict:
    return {
        "eventId": event_id,
        "subscriptionId": 7001,
        "portalId": portal,
        "appId": 4242,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": "contact.creation",
        "attemptNumber": 0,
        "objectId": contact_id,
        "changeFlag": "NEW",
        "changeSource": "FORM",
    }


def _hubspot_contact(leads: LeadHarness, contact_id: str = "501", *, message: str = "") -> None:
    leads.hubspot.add(
        "companies",
        "601",
        {
            "name": "Rheinwerk Kliniken",
            "domain": "rheinwerk-kliniken.example",
            "industry": "Hospital & Health Care",
            "numberofemployees": "9400",
            "country": "Germany",
            "description": "Runs Epic; evaluating a move of lab data to Snowflake.",
        },
    )
    leads.hubspot.add(
        "contacts",
        contact_id,
        {
            "firstname": "Lena",
            "lastname": "Vogel",
            "email": "lena.vogel@rheinwerk-kliniken.example",
            "jobtitle": "Head of Data",
            "message": message or "We need Epic data in Snowflake, with HIPAA-grade controls.",
        },
        companies=["601"],
    )


async def test_a_hubspot_contact_webhook_opens_one_routed_deal_and_one_thread_with_the_brief(leads: LeadHarness):
    _hubspot_contact(leads)
    response = await leads.hubspot_webhook([_contact_created(1001, 501)])
    assert response.status_code == 200 and response.json() == {"accepted": 1, "duplicates": 0}
    assert await leads.work() == 1
    [deal] = leads.deals()
    # Germany and 9,400 employees: the EMEA enterprise rule names its owner.
    assert deal.owner_slack_id == "U0EMEAENT" and deal.channel_id == leads.deals_channel
    [card] = leads.workspace.history(leads.deals_channel)
    assert "Rheinwerk Kliniken" in leads.seen(card) and card["ts"] == deal.thread_ts
    [_, brief] = leads.thread(leads.deals_channel, card["ts"])
    shown = leads.seen(brief)
    assert "New lead: Rheinwerk Kliniken" in shown and "emea-enterprise" in shown
    assert "Hospital & Health Care" in shown and "Lena Vogel, Head of Data" in shown
    assert "Runs Epic" in shown  # the CRM record's notes
    assert "Is HIPAA in scope" in shown and "What problem are they trying to solve" in shown
    with leads.runtime.session_factory() as session:
        account = session.get(Account, deal.account_id)
        assert account.domain == "rheinwerk-kliniken.example" and account.employees == 9400
        lead = session.scalars(select(Lead)).one()
        assert lead.status == "posted" and lead.deal_id == deal.id and lead.routing_rule == "emea-enterprise"
        event = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "event.lead.received")).one()
    assert event.payload["version"] == 2
    data = event.payload["data"]
    assert (data["source"], data["source_event_id"], data["territory"], data["owner"]) == (
        "hubspot",
        "1001",
        "emea",
        "U0EMEAENT",
    )


async def test_a_replayed_hubspot_event_creates_nothing(leads: LeadHarness):
    _hubspot_contact(leads)
    await leads.hubspot_webhook([_contact_created(1001, 501)])
    await leads.work()
    jobs_before = leads.count(Job)
    again = await leads.hubspot_webhook([_contact_created(1001, 501)])  # HubSpot's retry: a fresh signature
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1}
    assert await leads.work() == 0
    assert leads.count(Job) == jobs_before and len(leads.deals()) == 1
    assert len(leads.workspace.history(leads.deals_channel)) == 1


async def test_events_that_are_not_leads_are_acknowledged_and_ignored(leads: LeadHarness):
    change = _contact_created(1002, 501) | {"subscriptionType": "contact.propertyChange"}
    response = await leads.hubspot_webhook([change])
    assert response.status_code == 200 and response.json() == {"accepted": 0, "duplicates": 0}
    assert leads.count(Lead) == 0 and leads.count(Job) == 0


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "stale by six minutes", "from the future", "unsigned"],
)
async def test_a_bad_or_stale_hubspot_signature_is_a_401_and_records_nothing(leads: LeadHarness, how: str):
    _hubspot_contact(leads)
    events = [_contact_created(1001, 501)]
    if how == "unsigned":
        async with httpx.AsyncClient() as client:
            response = await client.post(f"{leads.app_url}/hooks/crm/hubspot", json=events)
    else:
        secret = "not-the-app-secret" if how == "wrong secret" else APP_SECRET
        age = {"stale by six minutes": 6 * 60_000, "from the future": -6 * 60_000}.get(how, 0)
        response = await leads.hubspot_webhook(events, secret=secret, age_ms=age)
    assert response.status_code == 401
    assert (leads.count(Lead), leads.count(Job), leads.count(AuditEvent)) == (0, 0, 0)


async def test_hubspot_signs_the_uri_with_the_listed_characters_decoded(leads: LeadHarness):
    """HubSpot decodes %3A, %2F, %40 ... in the URI before signing: the encoded request must still verify."""
    _hubspot_contact(leads)
    body = json.dumps([_contact_created(1003, 501)]).encode()
    sent = f"{leads.app_url}/hooks/crm/hubspot?portal=a%3Ab%40c%2Fd"
    timestamp = str(int(time.time() * 1000))
    decoded = f"{leads.app_url}/hooks/crm/hubspot?portal=a:b@c/d"
    signed = hubspot_v3_signature(APP_SECRET, method="POST", uri=decoded, body=body, timestamp=timestamp)
    headers = {"X-HubSpot-Signature-v3": signed, "X-HubSpot-Request-Timestamp": timestamp}
    async with httpx.AsyncClient() as client:
        response = await client.post(sent, content=body, headers=headers)
    assert response.status_code == 200 and response.json()["accepted"] == 1


async def test_a_signed_lead_from_a_form_matches_its_account_by_domain(leads: LeadHarness):
    lead = {
        "event_id": "form-0001",
        "company": "Globex",
        "domain": "https://www.globex.example/contact",
        "contact": {"name": "Sam Ortiz", "email": "sam@globex.example"},
        "country": "NL",
        "employees": 5200,
        "message": "Moving our Rotterdam hub's data to Databricks.",
    }
    response = await leads.post_lead(lead)
    assert response.status_code == 200 and response.json()["accepted"] == 1
    second = await leads.post_lead(lead | {"event_id": "form-0002", "company": "Globex Logistics B.V."})
    assert second.json()["accepted"] == 1
    assert await leads.work() == 2
    first_deal, second_deal = leads.deals()
    # The seeded "Globex Logistics" (globex.example) is the account of both: no duplicate account.
    assert first_deal.account_id == second_deal.account_id
    assert leads.count(Account, Account.domain == "globex.example") == 1
    with leads.runtime.session_factory() as session:
        assert session.get(Account, first_deal.account_id).name == "Globex Logistics"
    assert len(leads.workspace.history(leads.deals_channel)) == 2


async def test_the_brief_escapes_what_the_lead_wrote(leads: LeadHarness):
    lead = {
        "event_id": "form-evil",
        "company": "<!channel> Evil & Co",
        "domain": "evil.example",
        "contact": {"name": "<@U0ADMIN>", "title": "*CEO* <https://phish.example|click>"},
        "message": "Hi <!here> see <https://phish.example|our RFP>",
    }
    assert (await leads.post_lead(lead)).status_code == 200
    await leads.work()
    [card] = leads.workspace.history(leads.deals_channel)
    [_, brief] = leads.thread(leads.deals_channel, card["ts"])
    raw = json.dumps(brief["blocks"]) + brief["text"]
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U0ADMIN>" not in raw
    assert "<https://phish.example" not in raw and "&lt;!channel&gt; Evil &amp; Co" in raw


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "not JSON"),
        (json.dumps({"event_id": "x1", "company": "Acme", "country": "Atlantis"}).encode(), "country"),
        (json.dumps({"event_id": "x2", "company": "Acme", "domain": "not a domain"}).encode(), "domain"),
        (json.dumps({"company": "Acme"}).encode(), "event_id"),
    ],
)
async def test_a_signed_lead_that_does_not_fit_the_schema_is_a_400_that_says_why(
    leads: LeadHarness, body: bytes, error: str
):
    timestamp = int(time.time())
    headers = {"X-LTO-Timestamp": str(timestamp), "X-LTO-Signature": lto_signature(LEADS_SECRET, timestamp, body)}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{leads.app_url}/hooks/leads", content=body, headers=headers)
    assert response.status_code == 400 and error in response.json()["error"]
    assert leads.count(Lead) == 0


@pytest.mark.parametrize("how", ["wrong secret", "stale"])
async def test_a_bad_or_stale_lead_signature_is_a_401_and_records_nothing(leads: LeadHarness, how: str):
    lead = {"event_id": "form-0003", "company": "Acme"}
    if how == "wrong secret":
        response = await leads.post_lead(lead, secret="another-secret-of-16+")
    else:
        response = await leads.post_lead(lead, age=301)
    assert response.status_code == 401
    assert (leads.count(Lead), leads.count(Job), leads.count(AuditEvent)) == (0, 0, 0)


SAMPLE_KB = Path(__file__).resolve().parents[2] / "examples" / "knowledge"


async def test_the_brief_offers_only_material_a_prospect_may_read(leads: LeadHarness):
    from knowledge.ingest import ingest

    ingest([SAMPLE_KB], leads.runtime.knowledge())
    _hubspot_contact(leads)
    await leads.hubspot_webhook([_contact_created(1001, 501)])
    await leads.work()
    [card] = leads.workspace.history(leads.deals_channel)
    [_, brief] = leads.thread(leads.deals_channel, card["ts"])
    shown = leads.seen(brief)
    assert "Snowflake destination guide" in shown  # what they wrote, matched in a public document
    # The healthcare case study is confidential: however close to the lead, it is not offered.
    assert "Meridian" not in shown
    assert "HIPAA" in shown
