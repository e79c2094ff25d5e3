"""The Slack surface driven as Slack drives it: signed requests in, Web API calls landing in the emulator."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from sqlalchemy import func, select, update

from bot.emulator.transcript import render_message
from core import jobs
from core.models import AuditEvent, Job, JobStatus, SlackDelivery, SlackEffect
from deals.models import Deal
from tests.bot.conftest import OTHER_REP, REP, Harness


def _count(harness: Harness, model) -> int:
    with harness.runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def seen(harness: Harness, message: dict) -> str:
    """A message as a person sees it in Slack."""
    return "\n".join(render_message(message, harness.workspace))


async def test_help_is_answered_in_the_ack_itself_without_queuing_work(harness: Harness):
    response = await harness.command("help")
    assert response.status_code == 200
    body = response.json()
    assert "/lto new <company>" in body["text"] and body["blocks"]
    assert _count(harness, Job) == 0


async def test_an_unknown_subcommand_or_empty_text_gets_the_usage_message(harness: Harness):
    for text in ("frobnicate", ""):
        body = (await harness.command(text)).json()
        assert "How to use `/lto`" in body["text"]
    assert "I don't know `/lto frobnicate`" in (await harness.command("frobnicate")).json()["text"]
    assert _count(harness, Job) == 0


async def test_new_opens_a_deal_thread_with_a_card_and_runs_discovery_on_the_notes(harness: Harness):
    response = await harness.command("new Acme Corp: 250 seats, SOC2, users in Frankfurt")
    assert response.status_code == 200 and "Opening a deal thread for *Acme Corp*" in response.json()["text"]
    assert await harness.work() == 1
    channel = harness.deals_channel
    top = harness.workspace.history(channel)
    assert len(top) == 1
    card = top[0]
    assert "Deal #1 · Acme Corp" in seen(harness, card)
    thread = harness.thread(channel, card["ts"])
    assert "opened deal #1 for *Acme Corp*" in thread[1]["text"]
    reply = thread[-1]["text"]
    assert "250" in reply and "SOC2" in reply and "EU" in reply
    # The card now shows the qualification so far and what is missing.
    card = harness.workspace.history(channel)[0]
    assert "250" in seen(harness, card) and "Still missing" in seen(harness, card)
    # The rep was told, only to them, where the thread is.
    assert any("Deal #1 for *Acme Corp* is open" in m["text"] for m in harness.workspace.ephemeral_for(REP))


async def test_a_slack_retry_of_the_same_event_never_makes_a_second_job(harness: Harness):
    await harness.command("new Acme: 100 seats")
    await harness.work()
    card_ts = harness.workspace.history(harness.deals_channel)[0]["ts"]
    first = await harness.actor.post_message(REP, harness.deals_channel, "budget is $90k", thread_ts=card_ts)
    assert first.status_code == 200
    event_id = harness.actor.last_event_id
    again = await harness.actor.resend_last_event(retry_num=1, retry_reason="http_timeout")
    assert again.status_code == 200 and harness.actor.last_event_id == event_id
    assert await harness.work() == 1
    with harness.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "conversation.turn")) == 1


async def test_a_request_with_a_bad_signature_is_refused_and_nothing_is_recorded(harness: Harness):
    body = urlencode({"command": "/lto", "text": "new Evil Corp", "user_id": REP, "trigger_id": "t1"}).encode()
    headers = {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert (await harness.actor.send_raw(body, headers=headers, sign=False)).status_code == 401
    missing = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await harness.actor.send_raw(body, headers=missing, sign=False)).status_code == 401
    assert _count(harness, Job) == _count(harness, SlackDelivery) == _count(harness, AuditEvent) == 0


async def test_a_replayed_request_outside_the_five_minute_window_is_refused(harness: Harness):
    old = int(time.time()) - 6 * 60
    response = await harness.actor.slash_command(REP, harness.deals_channel, "/lto", "new Replay Inc", timestamp=old)
    assert response.status_code == 401
    assert _count(harness, Job) == 0


async def test_malformed_bodies_are_a_400_when_signed_and_a_401_when_not(harness: Harness):
    for body, content_type in (
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ):
        signed = await harness.actor.send_raw(body, headers={"Content-Type": content_type})
        assert signed.status_code == 400, body
        unsigned = await harness.actor.send_raw(body, headers={"Content-Type": content_type}, sign=False)
        assert unsigned.status_code == 401
    assert _count(harness, Job) == 0


async def test_a_tampered_button_value_is_refused_with_an_ephemeral_message(harness: Harness):
    await harness.command("new Acme: 100 seats")
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    response = await harness.actor.click(
        REP, harness.deals_channel, card["ts"], "deal.disqualify", value='{"deal_id": 999}'
    )
    assert response.status_code == 200
    await harness.runtime.drain_background()  # the refusal follows the ack
    assert any("does not exist" in m["text"] for m in harness.workspace.ephemeral_for(REP))
    response = await harness.actor.click(REP, harness.deals_channel, card["ts"], "deal.disqualify", value="garbage")
    await harness.runtime.drain_background()
    assert any("not valid" in m["text"] for m in harness.workspace.ephemeral_for(REP))
    with harness.runtime.session_factory() as session:
        assert session.get(Deal, 1).stage != "disqualified"


async def test_only_the_owner_can_disqualify_and_the_reason_is_required(harness: Harness):
    await harness.command("new Acme: 100 seats")
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    await harness.actor.click(OTHER_REP, harness.deals_channel, card["ts"], "deal.disqualify")
    await harness.runtime.drain_background()  # the refusal follows the ack
    assert any("Only the deal's owner" in m["text"] for m in harness.workspace.ephemeral_for(OTHER_REP))
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "deal.disqualify")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for(REP)[-1]
    short = await harness.actor.submit_view(REP, view["id"], {"disqualify_reason": {"reason": "no"}})
    assert short.json()["response_action"] == "errors"
    ok = await harness.actor.submit_view(REP, view["id"], {"disqualify_reason": {"reason": "Chose Fivetran on price"}})
    assert ok.status_code == 200 and not ok.content.strip(b" {}")
    await harness.work()
    with harness.runtime.session_factory() as session:
        deal = session.get(Deal, 1)
        assert deal.stage == "disqualified" and deal.disqualified_reason == "Chose Fivetran on price"
    card = harness.workspace.history(harness.deals_channel)[0]
    assert "Disqualified" in seen(harness, card) and "[ Disqualify ]" not in seen(harness, card)


async def test_a_button_this_version_does_not_know_gets_a_clear_message(harness: Harness):
    await harness.command("new Acme: 100 seats")
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    harness.workspace.add_button(harness.deals_channel, card["ts"], action_id="legacy.thing", text="Old button")
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "legacy.thing")
    await harness.runtime.drain_background()  # the answer follows the ack
    assert any("no longer supported" in m["text"] for m in harness.workspace.ephemeral_for(REP))


async def test_messages_outside_the_bots_threads_and_from_bots_are_ignored(harness: Harness):
    channel = harness.deals_channel
    await harness.actor.post_message(REP, channel, "lunch anyone?")
    root = harness.workspace.post_as(REP, channel, "unrelated thread")
    await harness.actor.post_message(OTHER_REP, channel, "replying here", thread_ts=root)
    assert _count(harness, Job) == 0


async def test_a_mention_starts_a_conversation_in_a_thread_and_a_dm_gets_an_answer(harness: Harness):
    channel = harness.workspace.channel_id("general")
    await harness.actor.mention(REP, channel, "what can you do?")
    await harness.work()
    mention = harness.workspace.history(channel)[0]
    replies = harness.thread(channel, mention["ts"])
    assert len(replies) == 2 and "/lto new" in replies[1]["text"]
    dm = harness.workspace.open_dm(REP)
    await harness.actor.post_message(REP, dm, "hello there")
    await harness.work()
    assert harness.workspace.history(dm)[-1]["user"] == harness.runtime.identity.user_id


async def test_a_worker_that_dies_mid_job_leaves_it_for_another_worker_and_its_effects_happen_once(harness: Harness):
    await harness.command("new Acme: 120 seats, SOC2")
    worker = harness.runtime.worker
    # A worker claims the job, posts the deal card, and dies before finishing (no failure recorded).
    with harness.runtime.session_factory() as session, session.begin():
        claimed = jobs.claim(session, worker_id="doomed", clock=harness.clock, lease=worker.lease)
    harness.workspace.fail("chat.getPermalink", times=10, status=500)
    try:
        await worker.handlers[claimed.kind](claimed)
    except Exception:
        pass
    assert len(harness.workspace.history(harness.deals_channel)) == 1
    assert await harness.work() == 0  # the lease is still held by the dead worker
    harness.clock.advance(seconds=worker.lease.total_seconds() + 1)
    harness.workspace.heal()
    assert await harness.work() == 1
    with harness.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 1
        assert session.get(Job, claimed.id).status == JobStatus.DONE
    top = harness.workspace.history(harness.deals_channel)
    assert len(top) == 1
    thread = harness.thread(harness.deals_channel, top[0]["ts"])
    assert sum("opened deal #1" in m["text"] for m in thread) == 1
    assert sum("Noted" in (m["text"] or "") for m in thread) == 1


async def test_a_post_slack_accepted_just_before_a_crash_is_found_by_its_metadata_not_posted_again(harness: Harness):
    await harness.command("new Acme: 120 seats")
    await harness.work()
    # Forget the card's ts as if the process died between Slack's answer and our commit.
    with harness.runtime.session_factory() as session, session.begin():
        session.execute(
            update(SlackEffect)
            .where(SlackEffect.key == "deal:1:card")
            .values(ts=None, completed_at=None, result={"attempted": True})
        )
        session.execute(update(Deal).values(thread_ts=None))
        session.execute(update(Job).values(status=JobStatus.QUEUED, locked_by=None))
    assert await harness.work() == 1
    assert len(harness.workspace.history(harness.deals_channel)) == 1


async def test_the_lost_post_is_found_even_after_the_channel_moved_on_by_hundreds_of_messages(harness: Harness):
    await harness.command("new Acme: 120 seats")
    await harness.work()
    for n in range(450):  # the team keeps talking while the job waits to be retried
        harness.workspace.post_as("U0REP2", harness.deals_channel, f"chatter {n}")
    with harness.runtime.session_factory() as session, session.begin():
        session.execute(
            update(SlackEffect)
            .where(SlackEffect.key == "deal:1:card")
            .values(ts=None, completed_at=None, result={"attempted": True})
        )
        session.execute(update(Deal).values(thread_ts=None))
        session.execute(update(Job).values(status=JobStatus.QUEUED, locked_by=None))
    assert await harness.work() == 1
    cards = [m for m in harness.workspace.history(harness.deals_channel) if m.get("bot_id")]
    assert len(cards) == 1


async def test_health_and_readiness_report_each_dependency(harness: Harness):
    import httpx

    async with httpx.AsyncClient(base_url=harness.app_url) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": {"database": "ok", "qdrant": "ok", "slack": "ok", "crm": "ok"},
    }


async def test_url_verification_is_answered_with_the_challenge(harness: Harness):
    response = await harness.actor.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status_code == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.text


async def test_a_sales_channel_the_bot_cannot_find_is_explained_to_the_rep(harness: Harness):
    harness.runtime.settings = harness.runtime.settings.model_copy(update={"sales_channel": "no-such-channel"})
    await harness.command("new Acme: 10 seats")
    await harness.work()
    told = [m["text"] for m in harness.workspace.ephemeral_for(REP)]
    assert any("can't post in `#no-such-channel`" in text for text in told)
    with harness.runtime.session_factory() as session:
        assert session.scalars(select(Job.status)).one() == JobStatus.FAILED
        assert session.get(Deal, 1) is not None  # nothing lost: the deal is saved


async def test_status_shows_the_deal_card_only_to_the_rep(harness: Harness):
    await harness.command("new Acme: 250 seats, SOC2")
    await harness.work()
    await harness.command("status Acme")
    await harness.work()
    card = harness.workspace.ephemeral_for(REP)[-1]
    assert "Deal #1 · Acme" in seen(harness, card) and "Seats: 250" in seen(harness, card)
    await harness.command("status #42")
    await harness.work()
    assert "There is no deal #42" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    await harness.command("status", user=OTHER_REP)
    await harness.work()
    assert "You have no deals yet" in harness.workspace.ephemeral_for(OTHER_REP)[-1]["text"]
