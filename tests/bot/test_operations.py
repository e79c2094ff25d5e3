"""Operating the bot: /metrics tells the truth, and no input, however malformed, gets a 500 or records work."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from core.models import Job
from tests.bot.conftest import Harness


async def _scrape(harness: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{harness.app_url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_metrics_report_requests_jobs_approvals_and_the_outbox(harness: Harness):
    before = await _scrape(harness)
    await harness.command(
        "new Acme: 150 seats, budget $250k, sign by end of Q1, SaaS, users in Boston, the CFO signs, nightly loads."
    )
    await harness.work()
    await harness.command("quote Acme HS-ENT 150 --years 2 --discount 22%")
    await harness.work()
    await harness.command("frobnicate")  # answered in the ack: counted, no job
    after = await _scrape(harness)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("lto_slack_requests_total", kind="command", status="200") == 3
    acks_observed = grew("lto_slack_ack_seconds_count", kind="command")  # one histogram observation per ack
    assert acks_observed == 3
    assert grew("lto_jobs_finished_total", kind="deal.quote", outcome="done") == 1
    # Read from the database, this test's jobs only: the deal, the quote, and the quote's approval card.
    assert after[("lto_jobs", (("status", "done"),))] == 3
    oldest_waiting = after[("lto_jobs_oldest_queued_seconds", ())]
    assert oldest_waiting == 0  # the queue is drained, so nothing has been waiting
    assert after[("lto_approvals_pending", (("level", "vp_sales"),))] == 1
    assert after[("lto_outbox_events", (("status", "pending"),))] >= 1
    assert after[("lto_database_up", ())] == 1


SLACK_SHAPED = st.one_of(
    st.binary(max_size=600),
    st.dictionaries(
        st.sampled_from(["command", "text", "user_id", "channel_id", "trigger_id", "payload", "type", "token"]),
        st.text(max_size=80),
        max_size=6,
    ).map(lambda form: urllib.parse.urlencode(form).encode()),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=12,
    ).map(lambda value: json.dumps({"type": "event_callback", "event": value}).encode()),
)
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Slack-Signature": st.one_of(st.just("v0=" + "0" * 64), st.text(PRINTABLE, max_size=70)),
        "X-Slack-Request-Timestamp": st.one_of(
            st.integers(-(10**12), 10**12).map(str), st.text(PRINTABLE, max_size=12)
        ),
        "Content-Type": st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
        "X-Slack-Retry-Num": st.text(PRINTABLE, max_size=4),
    },
)


async def test_fuzzed_bodies_and_headers_never_get_a_500_and_unsigned_ones_record_nothing(harness: Harness):
    url = f"{harness.app_url}/slack/events"
    secret = harness.workspace.signing_secret
    statuses: set[int] = set()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=SLACK_SHAPED, headers=HEADERS, signed=st.booleans())
    def post(body: bytes, headers: dict[str, str], signed: bool) -> None:
        headers = {name: value.strip() for name, value in headers.items()}  # h11 refuses padded values
        if signed:  # a correct signature over a malformed body: Slack's own bytes, but nonsense
            import hashlib
            import hmac

            ts = str(int(time.time()))
            digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
            headers.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"})
        response = httpx.post(url, content=body, headers=headers, timeout=30)
        statuses.add(response.status_code)
        assert response.status_code < 500, (response.status_code, body[:200], headers)
        if not signed:
            assert response.status_code == 401

    await asyncio.to_thread(post)
    with harness.runtime.session_factory() as session:
        # No fuzzed body is a well-formed command, event or click, so none became work.
        assert session.scalar(select(func.count()).select_from(Job)) == 0
    assert 401 in statuses


async def test_a_person_over_the_rate_limit_is_told_to_wait_and_nothing_is_recorded(harness: Harness):
    harness.runtime.settings = harness.runtime.settings.model_copy(update={"rate_limit_user": 3})
    answers = [(await harness.command("status")).json()["text"] for _ in range(4)]
    assert "more than 3 commands in a minute" in answers[-1] and "Nothing was recorded" in answers[-1]
    assert all("Looking that up" in a for a in answers[:3])
    other = (await harness.command("status", user="U0REP2")).json()["text"]
    assert "Looking that up" in other  # the limit is per person
    with harness.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 4
    harness.clock.advance(minutes=1, seconds=1)
    assert "Looking that up" in (await harness.command("status")).json()["text"]


async def test_a_deep_queue_gets_an_honest_busy_ack_and_the_request_still_runs(harness: Harness):
    harness.runtime.settings = harness.runtime.settings.model_copy(update={"busy_queue_depth": 2})
    first = [(await harness.command("status")).json()["text"] for _ in range(2)]
    busy = (await harness.command("status")).json()["text"]
    assert all("Looking that up" in a for a in first)
    assert "busy right now" in busy and "queued behind 2 others" in busy and "nothing is lost" in busy
    assert await harness.work() == 3


async def test_signed_payloads_of_the_wrong_shape_are_bad_requests(harness: Harness):
    for body in (b"payload=0", b"payload=%5B%5D", b'{"type":"event_callback","event":[1]}', b"\x80\x81"):
        response = await harness.actor.send_raw(body)
        assert response.status_code == 400, body


async def test_with_qdrant_unreachable_the_agent_says_it_cannot_cite_and_invents_nothing(harness: Harness):
    from tests.bot.test_discovery_in_slack import open_deal, reply, seen

    def unreachable(*args, **kwargs):
        raise ConnectionError("qdrant: connection refused")

    harness.runtime.knowledge_search = unreachable  # type: ignore[method-assign]
    thread = await open_deal(harness, "new Acme Corp")
    answer = seen(harness, await reply(harness, thread, "Do we support Okta SSO? They have 250 seats."))
    assert "knowledge base is unavailable" in answer and "Seats: 250" in answer
    assert ":books:" not in answer and "📄" not in answer


async def test_lto_ask_with_qdrant_unreachable_answers_honestly(harness: Harness):
    def unreachable(*args, **kwargs):
        raise ConnectionError("qdrant: connection refused")

    harness.runtime.knowledge_search = unreachable  # type: ignore[method-assign]
    await harness.command("ask what is the P1 response time with premium support?")
    await harness.work()
    text = json.dumps(harness.workspace.history(harness.deals_channel)[-1])  # answers are posted in channel
    assert "unavailable" in text.lower() and "docs.halyard.example" not in text


async def test_slack_429s_and_500s_for_a_while_lose_and_duplicate_nothing(harness: Harness):
    from tests.bot.test_discovery_in_slack import open_deal

    before = await _scrape(harness)
    harness.workspace.rate_limit("chat.postMessage", times=2, retry_after=1)
    thread = await open_deal(harness, "new Acme Corp: 250 seats, SOC 2")  # the client waits Retry-After and retries
    harness.workspace.fail("chat.postMessage", times=6, status=500)  # longer than the client's retries
    await harness.actor.post_message("U0REP1", harness.deals_channel, "Users are in Frankfurt.", thread_ts=thread)
    await harness.work()
    harness.workspace.heal()
    harness.clock.advance(minutes=5)  # the failed job's back-off
    await harness.work()
    texts = [m.get("text", "") for m in harness.thread(harness.deals_channel, thread)]
    assert len(harness.workspace.history(harness.deals_channel)) == 1  # one deal card
    assert sum("opened deal #1" in t for t in texts) == 1
    assert sum("Regions:* EU" in t for t in texts) == 1, texts  # the reply, once, after the outage
    after = await _scrape(harness)
    retried = after.get(("lto_slack_web_api_retries_total", (("reason", "rate_limited"),)), 0) - before.get(
        ("lto_slack_web_api_retries_total", (("reason", "rate_limited"),)), 0
    )
    assert retried == 2
    with harness.runtime.session_factory() as session:
        statuses = session.scalars(select(Job.status)).all()
    assert set(statuses) == {"done"}


async def test_secrets_never_reach_the_logs_even_at_debug_level(harness: Harness, caplog):
    import logging

    from tests.bot.test_discovery_in_slack import open_deal, reply

    caplog.set_level(logging.DEBUG)
    thread = await open_deal(harness, "new Acme Corp: contact dana@acme.example, 250 seats")
    await reply(harness, thread, "Users are in Frankfurt.")
    logged = caplog.text
    assert logged  # the run did log
    for secret in (harness.workspace.bot_token, harness.workspace.signing_secret):
        assert secret not in logged
