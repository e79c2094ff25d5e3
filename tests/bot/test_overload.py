"""Overload: above the cap on requests in flight, a request is answered at once and nothing is recorded; Slack's
retry of a turned-away event is taken exactly once; the worker claims nothing while requests queue up."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import func, select

from bot.overload import BUSY_TEXT, LOOP_BEHIND_SECONDS, QUEUING_UP, RequestGate
from core import metrics
from core.models import AuditEvent, Job, SlackDelivery
from tests.bot.conftest import REP, Harness


def _count(harness: Harness, model, *where) -> int:
    with harness.runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _fill(gate: RequestGate) -> int:
    """Requests enough in the listener to reach its cap (as if that many were being answered now)."""
    taken = 0
    while gate.enter():
        taken += 1
    return taken


def _empty(gate: RequestGate, taken: int) -> None:
    for _ in range(taken):
        gate.leave()


def _turned_away(kind: str) -> float:
    return metrics.REGISTRY.get_sample_value("lto_slack_requests_turned_away_total", {"kind": kind}) or 0.0


async def _deal_thread(harness: Harness) -> str:
    await harness.command("new Acme: 100 seats")
    await harness.work()
    return harness.workspace.history(harness.deals_channel)[0]["ts"]


async def test_a_command_above_the_cap_is_told_at_once_to_try_again_and_nothing_is_recorded(harness: Harness):
    gate = harness.runtime.requests
    before = _turned_away("command")
    taken = _fill(gate)
    assert taken == harness.runtime.settings.max_requests_in_flight
    response = await harness.command("status")
    assert response.status_code == 200  # Slack shows the message, not an error
    assert response.json() == {"response_type": "ephemeral", "text": BUSY_TEXT}
    assert "try again in a moment" in BUSY_TEXT
    assert _count(harness, SlackDelivery) == 0 and _count(harness, Job) == 0 and _count(harness, AuditEvent) == 0
    assert _turned_away("command") == before + 1
    _empty(gate, taken)
    assert "Looking that up" in (await harness.command("status")).json()["text"]
    assert _count(harness, Job) == 1


async def test_an_event_turned_away_at_the_cap_is_taken_exactly_once_when_slack_delivers_it_again(harness: Harness):
    thread = await _deal_thread(harness)
    replies_before = len(harness.thread(harness.deals_channel, thread))
    gate = harness.runtime.requests
    taken = _fill(gate)
    shed = await harness.actor.post_message(REP, harness.deals_channel, "budget is $90k", thread_ts=thread)
    assert shed.status_code == 503  # Slack delivers an event again after a server error
    assert _count(harness, Job, Job.kind == "conversation.turn") == 0
    assert _count(harness, SlackDelivery, SlackDelivery.kind == "event") == 0
    _empty(gate, taken)
    retried = await harness.actor.resend_last_event(retry_num=1, retry_reason="http_error")
    assert retried.status_code == 200
    again = await harness.actor.resend_last_event(retry_num=2, retry_reason="http_timeout")  # the 200 got lost
    assert again.status_code == 200
    assert await harness.work() == 1
    assert _count(harness, Job, Job.kind == "conversation.turn") == 1
    assert _count(harness, SlackDelivery, SlackDelivery.kind == "event") == 1
    thread_now = harness.thread(harness.deals_channel, thread)
    bot_replies = [m for m in thread_now[replies_before:] if m.get("bot_id")]
    assert len(bot_replies) == 1 and "90" in json.dumps(bot_replies[0])


async def test_a_click_above_the_cap_gets_an_error_status_and_the_next_click_is_taken(harness: Harness):
    card = await _deal_thread(harness)
    gate = harness.runtime.requests
    taken = _fill(gate)
    shed = await harness.actor.click(REP, harness.deals_channel, card, "deal.draft_proposal")
    assert shed.status_code == 503  # Slack marks the button as failed; the person clicks again
    assert _count(harness, Job, Job.kind == "deal.proposal") == 0
    _empty(gate, taken)
    assert (await harness.actor.click(REP, harness.deals_channel, card, "deal.draft_proposal")).status_code == 200
    assert _count(harness, Job, Job.kind == "deal.proposal") == 1


async def test_an_unsigned_request_at_the_cap_is_still_refused_as_unsigned(harness: Harness):
    taken = _fill(harness.runtime.requests)
    response = await harness.actor.send_raw(b"command=%2Flto&text=status", sign=False)
    assert response.status_code == 401
    _empty(harness.runtime.requests, taken)


async def test_the_worker_of_the_process_waits_while_requests_queue_up_in_its_listener(harness: Harness):
    gate, worker = harness.runtime.requests, harness.runtime.worker
    assert worker is not None and worker.listener_busy is not None
    for _ in range(gate.busy_at):
        assert gate.enter()
    assert await worker.listener_busy()
    _empty(gate, gate.busy_at)


async def test_the_gate_turns_away_above_its_cap_and_is_busy_while_requests_queue_up():
    gate = RequestGate(8)
    assert [gate.enter() for _ in range(9)] == [True] * 8 + [False]
    assert await gate.busy()
    for _ in range(4):
        gate.leave()
    assert gate.in_flight == QUEUING_UP and await gate.busy()
    assert RequestGate(2).busy_at == 2  # a cap below it: busy at the cap


async def test_the_gate_is_busy_while_the_event_loop_runs_behind():
    gate = RequestGate(8)
    # A step that holds the loop, as a job's long step would: whatever waits behind it is late.
    asyncio.get_running_loop().call_soon(time.sleep, 10 * LOOP_BEHIND_SECONDS)
    assert gate.in_flight == 0 and await gate.busy()
