"""Issue 12 at the Slack edge: hostile or careless requests, driven as the outside review drove them.

Every test speaks to the app the way Slack does (signed HTTP through the harness) and reads what
people would see from the emulator.
"""

from __future__ import annotations

import asyncio
import json
import socket
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.emulator import requests
from bot.emulator.workspace import TEAM_ID
from core.models import Job, JobStatus, SlackDelivery
from deals.models import Deal
from tests.bot.conftest import OTHER_REP, REP, Harness

EVIL = ("<!channel>", "<!here>", "<!everyone>", "<https://evil.example")


def _count(harness: Harness, model, *where) -> int:
    with harness.runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _jobs(harness: Harness) -> list[Job]:
    with harness.runtime.session_factory() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def _parsed_text(value):
    """What Slack reads as mrkdwn: all but `plain_text` objects (headers, labels show `<!here>` as characters)."""
    if isinstance(value, dict):
        return None if value.get("type") == "plain_text" else {k: _parsed_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_parsed_text(v) for v in value]
    return value


def everything_posted(harness: Harness) -> str:
    """Every message, ephemeral and modal the bot left in the workspace (not the people's own), as raw JSON."""
    workspace = harness.workspace
    posted = [m for messages in workspace.messages.values() for m in messages if m.get("bot_id")]
    return json.dumps(_parsed_text([posted, workspace.ephemeral, list(workspace.views.values())]))


def assert_no_mention_or_link(harness: Harness) -> None:
    everything = everything_posted(harness)
    for needle in EVIL:
        assert needle not in everything, needle


def _ephemeral_texts(harness: Harness, user: str = REP) -> list[str]:
    return [m["text"] for m in harness.workspace.ephemeral_for(user)]


async def _deal(harness: Harness, text: str = "new Acme Corp: 100 seats") -> str:
    await harness.command(text)
    await harness.work()
    return harness.workspace.history(harness.deals_channel)[0]["ts"]


# 6. Unsigned requests with a hostile timestamp --------------------------------------------------


async def test_12_06_an_unsigned_request_with_an_overflowing_timestamp_is_401(harness: Harness):
    body = urlencode({"command": "/lto", "text": "new Evil Corp", "user_id": REP, "trigger_id": "t1"}).encode()
    headers = {"Content-Type": requests.FORM, "X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=0"}
    response = await harness.actor.send_raw(body, headers=headers, sign=False)
    assert response.status_code == 401
    assert _count(harness, Job) == 0


async def test_12_06_an_unsigned_request_with_a_superscript_digit_timestamp_is_401(harness: Harness):
    body = urlencode({"command": "/lto", "text": "new Evil Corp", "user_id": REP, "trigger_id": "t1"}).encode()
    for stamp in (b"\xb2", "١٧٠٠٠٠٠٠٠٠".encode(), b"+1700000000", b"1_700_000_000", b"-0"):
        headers = {"Content-Type": requests.FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=0"}
        response = await harness.actor.send_raw(body, headers=headers, sign=False)
        assert response.status_code == 401, stamp
    assert _count(harness, Job) == 0


# 11. User text never becomes a mention or a link ------------------------------------------------


async def test_12_11_an_ask_with_a_channel_mention_and_a_disguised_link_posts_neither(harness: Harness):
    response = await harness.command("ask <!channel> hi <https://evil.example|click here>")
    assert response.status_code == 200
    await harness.work()
    posted = [m for m in harness.workspace.messages[harness.deals_channel] if "Q:" in (m.get("text") or "")]
    assert posted, "the answer is posted in the channel"
    assert "&lt;!channel&gt;" in posted[0]["text"]  # shown as the person wrote it, without pinging anyone
    assert_no_mention_or_link(harness)


async def test_12_11_a_thread_reply_echoed_in_noted_carries_no_mention_or_link(harness: Harness):
    thread = await _deal(harness)
    evil = "economic buyer is <!channel> <https://evil.example|x>"
    await harness.actor.post_message(REP, harness.deals_channel, evil, thread_ts=thread)
    await harness.work()
    replies = harness.thread(harness.deals_channel, thread)
    noted = [m for m in replies if "Noted" in (m.get("text") or "")]
    assert noted and "Economic buyer" in noted[-1]["text"]
    assert_no_mention_or_link(harness)


async def test_12_11_a_company_name_a_question_and_a_reason_never_ping_anyone(harness: Harness):
    await harness.command("new <!here> Corp: 100 seats, budget $90k, <https://evil.example|docs>")
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    thread = card["ts"]
    await harness.actor.post_message(REP, harness.deals_channel, "what about <!everyone>?", thread_ts=thread)
    await harness.command("status here")
    await harness.command("status <!channel>")
    await harness.command("proposal <!channel>")
    await harness.command("quote <!channel> HS-ENT 10")
    await harness.work()
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "deal.disqualify")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for(REP)[-1]
    reason = "lost to <!channel> <https://evil.example|a rival>"
    await harness.actor.submit_view(REP, view["id"], {"disqualify_reason": {"reason": reason}})
    await harness.work()
    with harness.runtime.session_factory() as session:
        assert session.get(Deal, 1).stage == "disqualified"
    assert_no_mention_or_link(harness)


async def test_12_11_an_approvers_reason_echoed_by_the_resumed_run_pings_nobody(harness: Harness):
    from tests.bot.test_paused_runs import QUALIFY

    thread = await _deal(harness, "new Acme Corp")
    for text in (QUALIFY, "Customer asks 25% off Enterprise, 150 seats, 2 years."):
        await harness.actor.post_message(REP, harness.deals_channel, text, thread_ts=thread)
        await harness.work()
    approvals = harness.workspace.channel_id("deal-approvals")
    card = harness.workspace.history(approvals)[-1]
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.reject")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for("U0VP")[-1]
    reason = "<!channel> see <https://evil.example|the new floor>"
    await harness.actor.submit_view("U0VP", view["id"], {"approval_reason": {"reason": reason}})
    await harness.work()
    last = harness.thread(harness.deals_channel, thread)[-1]["text"]
    assert "rejected" in last and "&lt;!channel&gt;" in last
    assert_no_mention_or_link(harness)


# 12. Nothing on the ack path waits on the network ----------------------------------------------


def _silent_server() -> tuple[socket.socket, str]:
    """A TCP port that accepts connections and never answers: an unreachable response URL."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    return server, f"http://127.0.0.1:{server.getsockname()[1]}/response/x"


async def test_12_12_an_unknown_button_with_an_unreachable_response_url_is_acked_at_once(harness: Harness):
    await _deal(harness)
    card = harness.workspace.history(harness.deals_channel)[0]
    harness.workspace.add_button(harness.deals_channel, card["ts"], action_id="legacy.thing", text="Old button")
    server, url = _silent_server()
    try:
        for action_id in ("legacy.thing", "deal.disqualify"):
            payload = requests.button_click(
                user=requests.slack_user(OTHER_REP, "sam"),
                message=harness.workspace.find_message(harness.deals_channel, card["ts"]),
                message_ts=card["ts"],
                channel_id=harness.deals_channel,
                channel_name="deals",
                team_domain="halyard-emulated",
                action_id=action_id,
                trigger_id=harness.workspace.issue_trigger(OTHER_REP),
                response_url=url,
            )
            response = await harness.actor.send(requests.interaction(payload))
            assert response.status_code == 200, action_id
            # The response URL never answers, so an answer sent before the ack could not have finished:
            # the ack came back while the answer is still on its way.
            assert harness.runtime.follow_ups_pending() > 0, action_id
    finally:
        server.close()
        await asyncio.wait_for(harness.runtime.drain_background(), timeout=30)


async def test_12_12_answers_after_the_ack_still_reach_the_person(harness: Harness):
    await _deal(harness)
    card = harness.workspace.history(harness.deals_channel)[0]
    harness.workspace.add_button(harness.deals_channel, card["ts"], action_id="legacy.thing", text="Old button")
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "legacy.thing")
    await harness.actor.click(OTHER_REP, harness.deals_channel, card["ts"], "deal.disqualify")
    await harness.runtime.drain_background()
    assert any("no longer supported" in t for t in _ephemeral_texts(harness))
    assert any("Only the deal's owner" in t for t in _ephemeral_texts(harness, OTHER_REP))


# 13, 14. Numbers: one strict, bounded parser ---------------------------------------------------


async def test_12_13_an_absurd_quantity_is_a_usage_error_in_the_ack(harness: Harness):
    await _deal(harness)
    before = _count(harness, Job)
    for quantity in ("99999999999999999999999999999999", "1000000000000000000000", "1000001"):
        response = await harness.command(f"quote #1 HS-ENT {quantity}")
        said = response.json()["text"]
        assert "quantity" in said and "1,000,000" in said, said
    assert _count(harness, Job) == before
    ok = await harness.command("quote #1 HS-ENT 1000000")
    assert "Pricing it" in ok.json()["text"]


async def test_12_14_a_superscript_or_foreign_digit_is_a_usage_error_not_something_went_wrong(harness: Harness):
    await _deal(harness)
    before = _count(harness, Job)
    for text in (
        "quote #1 HS-ENT ²",
        "quote #1 HS-ENT ٣",
        "quote #1 HS-ENT 10 --years ٣",
        "quote #1 HS-ENT 10 --net ٣٠",
        "quote #1 HS-ENT 10 --discount ١٥%",
        "quote #1 HS-ENT 10 --years 99999999999999999999",
        "admin replay ²",
        "admin replay 99999999999999999999",
        "status #²",
        "status #٣",
    ):
        response = await harness.command(text)
        said = response.json()["text"]
        assert response.status_code == 200 and "Something went wrong" not in said, text
        assert "How to use" in said or "Usage" in said or "number" in said, (text, said)
    assert _count(harness, Job) == before


# 15. Oversized or unknown ids ------------------------------------------------------------------


async def test_12_15_an_oversized_deal_number_answers_no_such_deal(harness: Harness):
    response = await harness.command("status #99999999999999999999")
    assert "no deal" in response.json()["text"].lower()
    await harness.command("proposal #2147483648")
    await harness.command("share #99999999999999999999 <@U0REP2|sam>")
    await harness.work()
    assert all(job.status == JobStatus.DONE for job in _jobs(harness)), [(j.kind, j.last_error) for j in _jobs(harness)]
    await harness.command("status #42")
    await harness.work()
    assert "no deal" in _ephemeral_texts(harness)[-1].lower()


async def test_12_15_an_oversized_button_request_id_is_refused_at_the_click(harness: Harness):
    await _deal(harness)
    card = harness.workspace.history(harness.deals_channel)[0]
    for value in ('{"request_id": 1e20, "decision": "approved"}', '{"request_id": 100000000000000000000}'):
        harness.workspace.add_button(harness.deals_channel, card["ts"], action_id="approval.approve", text="Approve")
        await harness.actor.click("U0MGR", harness.deals_channel, card["ts"], "approval.approve", value=value)
    harness.workspace.add_button(harness.deals_channel, card["ts"], action_id="deal.draft_proposal", text="Draft")
    await harness.actor.click(
        REP, harness.deals_channel, card["ts"], "deal.draft_proposal", value='{"deal_id": 99999999999999999999}'
    )
    await harness.runtime.drain_background()
    assert _count(harness, Job, Job.kind != "deal.open") == 0
    assert sum("not valid" in t for t in _ephemeral_texts(harness, "U0MGR")) == 2
    assert any("not valid" in t for t in _ephemeral_texts(harness))


async def test_12_15_a_forged_reason_modal_for_a_missing_request_fails_once_and_says_so(harness: Harness):
    await _deal(harness)
    view_id = "V0FORGED"
    harness.workspace.views[view_id] = {
        "id": view_id,
        "type": "modal",
        "callback_id": "approval.reason_modal",
        "private_metadata": json.dumps({"request_id": 4242, "decision": "rejected"}),
        "blocks": [],
        "user": "U0MGR",
        "state_open": True,
        "team_id": TEAM_ID,
    }
    response = await harness.actor.submit_view("U0MGR", view_id, {"approval_reason": {"reason": "not a good deal"}})
    assert response.status_code == 200
    await harness.work()
    decide = [job for job in _jobs(harness) if job.kind == "approval.decide"]
    assert all(job.attempts == 1 and job.status in (JobStatus.DONE, JobStatus.FAILED) for job in decide), [
        (j.status, j.attempts, j.last_error) for j in decide
    ]
    said = json.dumps(harness.workspace.ephemeral_for("U0MGR")) + json.dumps(
        [m for messages in harness.workspace.messages.values() for m in messages]
    )
    assert "does not exist" in said or "no longer" in said


async def test_12_15_a_forged_disqualify_form_for_a_missing_deal_fails_once_and_says_so(harness: Harness):
    await _deal(harness)
    for view_id, metadata in (("V0GONE", {"deal_id": 4242}), ("V0HUGE", {"deal_id": 99999999999999999999})):
        harness.workspace.views[view_id] = {
            "id": view_id,
            "type": "modal",
            "callback_id": "deal.disqualify_modal",
            "private_metadata": json.dumps(metadata),
            "blocks": [],
            "user": REP,
            "state_open": True,
            "team_id": TEAM_ID,
        }
        response = await harness.actor.submit_view(REP, view_id, {"disqualify_reason": {"reason": "lost to a rival"}})
        assert response.status_code == 200
    await harness.work()
    await harness.runtime.drain_background()
    disqualify = [job for job in _jobs(harness) if job.kind == "deal.disqualify"]
    assert len(disqualify) == 1 and disqualify[0].attempts == 1 and disqualify[0].status == JobStatus.FAILED
    dm = harness.workspace.open_dm(REP)
    assert any("no deal #4242" in m["text"] for m in harness.workspace.history(dm))


# 16. Status lookups do not leak other reps' deals ----------------------------------------------


async def test_12_16_a_wildcard_status_lookup_does_not_leak_another_reps_deal(harness: Harness):
    await _deal(harness)
    for reference in ("a", "%", "_"):
        await harness.command(f"status {reference}", user=OTHER_REP)
    await harness.work()
    said = _ephemeral_texts(harness, OTHER_REP)
    assert len(said) == 3
    for text in said:
        assert REP not in text and "#1" not in text and "Acme" not in text, text
    assert "No deal of yours matches" in said[0]
    await harness.command("status #1", user=OTHER_REP)
    await harness.work()
    refused = _ephemeral_texts(harness, OTHER_REP)[-1]
    assert REP not in refused and "cannot see" in refused
    # The owner still finds it by name, and a literal `%` matches only a literal `%`.
    await harness.command("status acme")
    await harness.command("status %")
    await harness.work()
    mine = harness.workspace.ephemeral_for(REP)
    assert mine[-2].get("blocks") and "No deal of yours matches" in mine[-1]["text"]


# 17. Control characters, NULs and lone surrogates ----------------------------------------------


async def test_12_17_an_escape_sequence_does_not_become_a_budget(harness: Harness):
    thread = await _deal(harness)
    await harness.actor.post_message(REP, harness.deals_channel, "budget \x1b[31m $90k", thread_ts=thread)
    await harness.work()
    with harness.runtime.session_factory() as session:
        budget = session.get(Deal, 1).qualification.get("budget")
    assert budget is not None and "90" in json.dumps(budget) and "31" not in json.dumps(budget), budget


async def test_12_17_nul_bytes_and_lone_surrogates_are_cleaned_not_dropped(harness: Harness):
    thread = await _deal(harness)
    for text in ("they have 250 seats\x00 and need SOC 2", "users are in Frankfurt \ud800 mostly"):
        response = await harness.actor.post_message(REP, harness.deals_channel, text, thread_ts=thread)
        assert response.status_code == 200
    await harness.command("ask do we sign a BAA\x00 on\x07 Business?")
    await harness.work()
    with harness.runtime.session_factory() as session:
        record = session.get(Deal, 1).qualification
    assert record.get("seats") == 250 and record.get("regions")
    turns = [job for job in _jobs(harness) if job.kind in ("conversation.turn", "knowledge.ask")]
    assert len(turns) == 3 and all(job.status == JobStatus.DONE for job in turns)
    for job in turns:
        assert "\x00" not in json.dumps(job.payload) and "\\ud800" not in json.dumps(job.payload)


# 18. Shape checks before Bolt -----------------------------------------------------------------


async def test_12_18_a_signed_view_submission_without_a_type_is_a_400(harness: Harness):
    payload = {
        "team": {"id": TEAM_ID},
        "user": {"id": REP, "team_id": TEAM_ID},
        "view": {"id": "V1", "callback_id": "deal.disqualify_modal", "private_metadata": "{}", "state": {}},
    }
    for body in (
        {**payload, "type": "view_submission"},  # the view itself has no `type`: Bolt's KeyError, a 500
        payload,
        {**payload, "type": "view_submission", "view": None},
        {**payload, "type": "view_submission", "view": "V1"},
        {**payload, "type": 7},
        {"type": "block_actions", "user": {"id": REP}, "actions": ["deal.disqualify"]},
        {"type": "block_actions", "user": "U0REP1", "actions": []},
    ):
        response = await harness.actor.send(requests.interaction(body))
        assert response.status_code == 400, body
    assert _count(harness, Job) == 0


# 19. Loose edges -------------------------------------------------------------------------------


async def test_12_19_a_rep_a_deal_was_shared_with_cannot_share_it_onward(harness: Harness):
    await _deal(harness)
    await harness.command(f"share #1 <@{OTHER_REP}|sam>")
    await harness.work()
    await harness.command("share #1 <@U0DESK|dana>", user=OTHER_REP)
    await harness.work()
    assert "owner" in _ephemeral_texts(harness, OTHER_REP)[-1]
    with harness.runtime.session_factory() as session:
        from deals.access import shared_with

        assert shared_with(session, 1) == {OTHER_REP}
    await harness.command("share #1 <@U0DESK|dana>", user="U0MGR")
    await harness.work()
    with harness.runtime.session_factory() as session:
        assert shared_with(session, 1) == {OTHER_REP, "U0DESK"}


async def test_12_19_a_user_from_another_workspace_is_refused(harness: Harness):
    form = {
        "team_id": "T0FOREIGN",
        "channel_id": harness.deals_channel,
        "user_id": "U0STRANGER",
        "command": "/lto",
        "text": "new Foreign Corp",
        "api_app_id": "A0LTOAPP",
        "response_url": f"{harness.workspace.base_url}/response/none",
        "trigger_id": harness.workspace.issue_trigger(REP),
    }
    response = await harness.actor.send(requests.SlackRequest(urlencode(form).encode(), requests.FORM))
    assert response.status_code == 200 and "workspace" in response.json()["text"]
    thread = None
    event = {
        "type": "message",
        "user": "U0STRANGER",
        "text": "hello from outside",
        "ts": harness.workspace.next_ts(),
        "channel": harness.workspace.open_dm(REP),
        "channel_type": "im",
        "team": "T0FOREIGN",
        "user_team": "T0FOREIGN",
    }
    assert (await harness.actor.send_event(event)).status_code == 200
    assert thread is None and _count(harness, Job) == 0 and _count(harness, SlackDelivery) == 0


async def test_12_19_events_are_rate_limited_per_person_with_one_slow_down_notice(harness: Harness):
    limit = harness.runtime.settings.rate_limit_user
    dm = harness.workspace.open_dm(REP)
    for index in range(limit + 5):
        await harness.actor.post_message(REP, dm, f"hello number {index}")
    await harness.runtime.drain_background()
    assert _count(harness, Job, Job.kind == "conversation.turn") == limit
    notices = [m for m in harness.workspace.ephemeral_for(REP) if "slow down" in m["text"].lower()]
    assert len(notices) == 1
