"""Domain events for other systems: published with the change, delivered to JetStream and to signed
webhooks at least once, in order per deal, under one id; retried, parked, and deduplicated by the broker."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid
from pathlib import Path

import nats
import nats.errors
import pytest
from sqlalchemy import select, update

from core import outbox
from core.events import EVENT_TYPES
from core.models import OutboxEvent, OutboxStatus
from deals import service as deals
from deals.models import DealStage
from deals.qualification import QualificationUpdate
from integrations.crm.local import LocalCrm
from integrations.crm.sweeps import deliver_due as deliver_to_crm
from integrations.events.jetstream import JetStreamPublisher
from integrations.events.schemas import differences
from integrations.events.sweeps import deliver_due
from integrations.events.webhooks import SubscribersError, load_subscribers, webhook_publishers
from tests.bot.conftest import Harness, harness  # noqa: F401  (the fixture, for the test driven through Slack)

ROOT = Path(__file__).resolve().parents[2]
NATS_HOST, NATS_PORT = "127.0.0.1", 4222
NATS_URL = f"nats://{NATS_HOST}:{NATS_PORT}"
SECRET = "whsec-test-0123456789abcdef"
QUALIFYING = QualificationUpdate(
    pain="Manual CDC pipelines break every week",
    seats=250,
    deployment="saas",
    regions=["EU"],
    budget={"amount": "300000", "currency": "USD"},
    target_close="2027-03-31",
    economic_buyer="VP Data",
)


def _nats_reachable() -> bool:
    try:
        socket.create_connection((NATS_HOST, NATS_PORT), timeout=1).close()
    except OSError:
        return False
    return True


needs_nats = pytest.mark.skipif(
    not _nats_reachable(),
    reason=f"needs a NATS server with JetStream at {NATS_HOST}:{NATS_PORT}, which is not reachable here",
)


def _docs_verify():
    """The signature check from docs/operations.md, run as a subscriber would run it."""
    section = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").split("## Events", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)
    return namespace["verify"]


def _qualify(session, deal, clock, ts="1.1"):
    deals.apply_qualification(
        session, deal, QUALIFYING, clock=clock, actor_type="model", actor_id="offline", source={"slack_message_ts": ts}
    )


def _events(sessions, prefix="event.") -> list[OutboxEvent]:
    with sessions() as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic.startswith(prefix)).order_by("id")))


def _deal_story(sessions, clock, company="Acme") -> int:
    """Open, qualify, draft a proposal and win: four stage changes."""
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company=company, owner_slack_id="U1", clock=clock, origin=f"t-{company}")
        _qualify(session, deal, clock)
        deals.set_stage(session, deal, stage=DealStage.PROPOSAL, actor_id="U1", clock=clock, reason="proposal v1")
        deals.set_stage(session, deal, stage=DealStage.WON, actor_id="U1", clock=clock, reason="signed")
        return deal.id


# What is published ---------------------------------------------------------------------------------


def test_a_stage_change_publishes_exactly_one_event_per_change(sessions, clock):
    with sessions() as session, session.begin():
        deal = deals.open_deal(session, company="Acme", owner_slack_id="U1", clock=clock, origin="t1")
        _qualify(session, deal, clock)
        _qualify(session, deal, clock, ts="1.2")  # the same facts again: no change, no event
        for _ in range(2):  # the second call changes nothing
            deals.set_stage(session, deal, stage=DealStage.PROPOSAL, actor_id="U1", clock=clock, reason="proposal v1")
        deals.disqualify(session, deal, reason="budget frozen", actor_id="U1", clock=clock)
        deals.disqualify(session, deal, reason="budget frozen", actor_id="U1", clock=clock)
    published = [e.payload for e in _events(sessions)]
    assert [p["type"] for p in published] == [
        "lead.received",
        "deal.stage_changed",
        "deal.stage_changed",
        "deal.qualified",
        "deal.stage_changed",
        "deal.stage_changed",
    ]
    changes = [(p["data"]["previous_stage"], p["data"]["stage"]) for p in published if "stage" in p["data"]]
    assert changes == [(None, "new"), ("new", "qualified"), ("qualified", "proposal"), ("proposal", "disqualified")]
    assert len({p["id"] for p in published}) == len(published)
    for payload in published:  # each one is valid against its published model
        assert EVENT_TYPES[payload["type"]].model_validate(payload).deal_id == deal.id
    qualified = next(p for p in published if p["type"] == "deal.qualified")["data"]
    assert qualified["seats"] == 250 and qualified["budget_amount"] == "300000" and qualified["regions"] == ["EU"]


def test_the_committed_schemas_are_the_models_schemas():
    assert differences() == [], "run `python -m integrations.events.schemas` and commit docs/events/"


def test_the_crm_sweep_and_the_events_sweep_leave_each_others_rows_alone(sessions, clock):
    _deal_story(sessions, clock)
    deliver_to_crm(session_factory=sessions, crm=LocalCrm(sessions, clock), clock=clock)
    assert {e.status for e in _events(sessions, "crm.")} == {OutboxStatus.DELIVERED}
    assert {e.status for e in _events(sessions)} == {OutboxStatus.PENDING}
    counts = deliver_due(session_factory=sessions, publishers=[], clock=clock)
    assert counts["fanned_out"] == len(_events(sessions)) and counts["delivered"] == 0  # nobody subscribed
    assert {e.status for e in _events(sessions)} == {OutboxStatus.DELIVERED}


# JetStream ---------------------------------------------------------------------------------------------


@needs_nats
async def test_a_jetstream_consumer_gets_every_event_once_in_order_per_deal_even_when_sent_twice(sessions, clock):
    run = uuid.uuid4().hex[:12]  # a stream and subjects of this run's own: parallel runs do not collide
    stream, prefix = f"LTO_EVENTS_TEST_{run}", f"ltotest{run}.events"
    publisher = JetStreamPublisher(NATS_URL, stream=stream, subject_prefix=prefix)
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    try:
        first_deal = _deal_story(sessions, clock, company="Acme")
        second_deal = _deal_story(sessions, clock, company="Globex")
        published = [e.payload for e in _events(sessions)]
        first = await asyncio.to_thread(deliver_due, session_factory=sessions, publishers=[publisher], clock=clock)
        assert first == {"fanned_out": len(published), "delivered": len(published), "retry": 0, "parked": 0}
        # Every copy is sent a second time (an ack lost on the way back, an operator's replay).
        with sessions() as session, session.begin():
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.topic == "publish.jetstream")
                .values(status=OutboxStatus.PENDING, next_attempt_at=clock.now())
            )
        second = await asyncio.to_thread(deliver_due, session_factory=sessions, publishers=[publisher], clock=clock)
        assert second["delivered"] == len(published)

        info = await js.stream_info(stream)
        assert info.config.duplicate_window == 3600 and info.config.subjects == [f"{prefix}.>"]
        assert info.state.messages == len(published)  # the second copies were dropped by Nats-Msg-Id
        consumer = await js.pull_subscribe(f"{prefix}.>", stream=stream)
        messages = await consumer.fetch(batch=len(published), timeout=5)
        with pytest.raises(nats.errors.TimeoutError):
            await consumer.fetch(batch=1, timeout=0.5)  # nothing more
        received = [json.loads(m.data) for m in messages]
        assert [m.headers["Nats-Msg-Id"] for m in messages] == [r["id"] for r in received]
        assert [m.subject for m in messages] == [f"{prefix}.{r['type']}" for r in received]
        for deal_id in (first_deal, second_deal):
            assert [r for r in received if r["deal_id"] == deal_id] == [p for p in published if p["deal_id"] == deal_id]
        for message in messages:
            await message.ack()
    finally:
        try:
            await js.delete_stream(stream)
        finally:
            await nc.close()
            await asyncio.to_thread(publisher.close)


def test_an_unreachable_broker_is_retried_later_and_later_events_wait(sessions, clock):
    _deal_story(sessions, clock)
    publisher = JetStreamPublisher("nats://127.0.0.1:1", timeout=1)  # nothing listens on port 1
    try:
        counts = deliver_due(session_factory=sessions, publishers=[publisher], clock=clock)
    finally:
        publisher.close()
    assert counts["retry"] == 1 and counts["delivered"] == 0  # the first; the others wait behind it
    copies = _events(sessions, "publish.")
    assert copies[0].status == OutboxStatus.PENDING and "JetStream" in copies[0].last_error
    assert copies[0].next_attempt_at > clock.now().replace(tzinfo=copies[0].next_attempt_at.tzinfo)


# Webhooks ----------------------------------------------------------------------------------------------


class Receiver:
    """Webhook endpoints on a local server: records each POST, answers what the test asked for, else 200."""

    def __init__(self) -> None:
        self.received: dict[str, list[tuple[dict[str, str], bytes]]] = {}
        self.answers: dict[str, list[int]] = {}

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "http"
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        path = scope["path"].strip("/")
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.setdefault(path, []).append((headers, body))
        queued = self.answers.get(path, [])
        status = queued.pop(0) if queued else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def events(self, path: str) -> list[dict]:
        return [json.loads(body) for _, body in self.received.get(path, [])]


def _subscribers(tmp_path: Path, url: str, subscribers: dict[str, list[str]]) -> Path:
    path = tmp_path / "subscribers.yaml"
    lines = ['version: "test"', "subscribers:"]
    for name, events in subscribers.items():
        lines += [
            f"  - name: {name}",
            f"    url: {url}/{name}",
            f"    secret_env: SECRET_{name.upper().replace('-', '_')}",
            f"    events: {json.dumps(events)}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _publishers(path: Path, clock):
    names = [s.secret_env for s in load_subscribers(path).subscribers]
    return webhook_publishers(path, clock=clock, environ=dict.fromkeys(names, SECRET))


async def test_a_webhook_subscriber_receives_the_events_it_subscribed_to_signed(sessions, clock, tmp_path):
    from bot.serving import serve_asgi

    receiver = Receiver()
    deal_id = _deal_story(sessions, clock)
    verify = _docs_verify()
    async with serve_asgi(receiver, lifespan="off") as url:
        path = _subscribers(tmp_path, url, {"crm-mirror": ["deal.*", "lead.received"], "finance": ["quote.committed"]})
        counts = await asyncio.to_thread(
            deliver_due, session_factory=sessions, publishers=_publishers(path, clock), clock=clock
        )
    published = [e.payload for e in _events(sessions)]
    assert counts["delivered"] == len(published) and "finance" not in receiver.received
    assert receiver.events("crm-mirror") == published  # all of them, in order, as published
    for headers, body in receiver.received["crm-mirror"]:
        event = json.loads(body)
        assert headers["x-lto-event-id"] == event["id"] and headers["x-lto-event-type"] == event["type"]
        assert event["deal_id"] == deal_id and headers["content-type"] == "application/json"
        timestamp, signature = headers["x-lto-timestamp"], headers["x-lto-signature"]
        assert signature.startswith("v1=") and verify(SECRET, timestamp, signature, body)
    # The scheme as a subscriber checks it: a changed body, another secret or an old timestamp fail.
    headers, body = receiver.received["crm-mirror"][0]
    timestamp, signature = headers["x-lto-timestamp"], headers["x-lto-signature"]
    assert not verify(SECRET, timestamp, signature, body.replace(b'"U1"', b'"U2"'))
    assert not verify("another-secret-0123456789", timestamp, signature, body)
    assert not verify(SECRET, str(int(timestamp) + 1), signature, body)
    stale = str(int(time.time()) - 600)
    assert not verify(SECRET, stale, signature, body)


async def test_a_500_is_retried_with_the_same_event_id_and_later_events_wait_for_it(sessions, clock, tmp_path):
    from bot.serving import serve_asgi

    receiver = Receiver()
    receiver.answers["erp"] = [500]
    _deal_story(sessions, clock)
    async with serve_asgi(receiver, lifespan="off") as url:
        publishers = _publishers(_subscribers(tmp_path, url, {"erp": ["*"]}), clock)
        first = await asyncio.to_thread(deliver_due, session_factory=sessions, publishers=publishers, clock=clock)
        assert first["retry"] == 1 and first["delivered"] == 0 and len(receiver.received["erp"]) == 1
        clock.advance(seconds=6)  # the first backoff is 5 seconds
        await asyncio.to_thread(deliver_due, session_factory=sessions, publishers=publishers, clock=clock)
    published = [e.payload for e in _events(sessions)]
    ids = [headers["x-lto-event-id"] for headers, _ in receiver.received["erp"]]
    assert ids == [published[0]["id"], *[p["id"] for p in published]]  # the first twice, then the rest in order
    assert {c.status for c in _events(sessions, "publish.")} == {OutboxStatus.DELIVERED}


async def test_a_410_parks_that_subscribers_delivery_and_the_other_subscribers_go_on(sessions, clock, tmp_path):
    from bot.serving import serve_asgi

    receiver = Receiver()
    receiver.answers["retired"] = [410]
    _deal_story(sessions, clock)
    async with serve_asgi(receiver, lifespan="off") as url:
        publishers = _publishers(_subscribers(tmp_path, url, {"retired": ["*"], "live": ["*"]}), clock)
        counts = await asyncio.to_thread(deliver_due, session_factory=sessions, publishers=publishers, clock=clock)
        published = [e.payload for e in _events(sessions)]
        assert counts["parked"] == 1 and len(receiver.received["retired"]) == 1
        assert receiver.events("live") == published
        retired = _events(sessions, "publish.webhook.retired")
        assert retired[0].status == OutboxStatus.PARKED and "410" in retired[0].last_error
        assert {c.status for c in retired[1:]} == {OutboxStatus.PENDING}  # waiting behind the parked one, in order
        # The endpoint is back: an operator replays the parked delivery and the rest follow.
        with sessions() as session, session.begin():
            assert outbox.replay(session, retired[0].id, clock=clock)
        await asyncio.to_thread(deliver_due, session_factory=sessions, publishers=publishers, clock=clock)
    assert receiver.events("retired")[1:] == published
    assert len(receiver.events("live")) == len(published)  # the live subscriber got nothing twice


def test_the_subscribers_file_is_governed(tmp_path):
    example = load_subscribers(ROOT / "examples" / "governance" / "subscribers.yaml")
    assert {s.name for s in example.subscribers} == {"finance-erp", "revops-warehouse"}
    path = _subscribers(tmp_path, "https://hooks.example.com", {"erp": ["deal.stage_change"]})
    with pytest.raises(SubscribersError, match=r"subscribers .*subscribers\.yaml: subscribers\.0\.events.*matches no"):
        load_subscribers(path)
    path = _subscribers(tmp_path, "http://hooks.example.com", {"erp": ["*"]})
    with pytest.raises(SubscribersError, match="https"):
        load_subscribers(path)
    path = _subscribers(tmp_path, "https://hooks.example.com", {"erp": ["*"]})
    with pytest.raises(SubscribersError, match="set SECRET_ERP to its signing secret"):
        webhook_publishers(path, clock=None, environ={"SECRET_ERP": "short"})


async def test_a_deal_opened_in_slack_reaches_a_subscriber_as_a_lead(harness: Harness, tmp_path):  # noqa: F811
    from bot.serving import serve_asgi
    from tests.bot.test_discovery_in_slack import open_deal

    await open_deal(harness, "new Acme Corp")
    receiver = Receiver()
    async with serve_asgi(receiver, lifespan="off") as url:
        publishers = _publishers(_subscribers(tmp_path, url, {"crm-mirror": ["*"]}), harness.clock)
        await asyncio.to_thread(
            deliver_due, session_factory=harness.runtime.session_factory, publishers=publishers, clock=harness.clock
        )
    lead, stage = receiver.events("crm-mirror")
    assert lead["type"] == "lead.received" and lead["data"]["company"] == "Acme Corp"
    assert lead["data"]["source"] == "slash_command" and lead["data"]["owner"] == "U0REP1"
    assert stage["type"] == "deal.stage_changed" and stage["data"]["stage"] == "new"
