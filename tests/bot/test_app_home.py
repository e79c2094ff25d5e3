"""The Home tab and `/lto report` as people meet them: opened and asked through Slack, answered via the emulator."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.emulator.blockkit import view_errors
from core.clock import ManualClock
from core.models import AuditEvent
from deals import service as deals
from deals.inspection import inspect_deal
from deals.qualification import QualificationUpdate
from tests.bot.conftest import REP, Harness
from tests.deals.outcome_history import QUALIFYING, START, learn, open_in_slack, quote, seed_history

HOSTILE = "<!channel> Evil & <https://evil.example|Co>"
DESK = "U0DESK"  # approves for the deal desk; no manager
MANAGER = "U0MGR"  # a sales manager through the S0MANAGERS user group


def texts_of(view: dict) -> str:
    """Every text a person reads on the view, in order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view.get("blocks", []))
    return "\n".join(found)


def seeded(harness: Harness) -> dict[str, int]:
    """The outcome history (the rep owns Globex, lost, and Initech, open with an escalated request), plus a
    qualified deal of the rep's with a hostile name whose 35% quote waits for the deal desk and the CFO."""
    sessions, clock = harness.runtime.session_factory, ManualClock(START)
    ids = seed_history(sessions, clock, slack_owner=REP)
    clock.set(START + timedelta(days=2))
    evil = open_in_slack(sessions, clock, HOSTILE, 300, REP)
    learn(sessions, clock, evil, QualificationUpdate(pain="<@U0REP2> slow reports", seats=300))
    learn(sessions, clock, evil, QUALIFYING)
    ids["Evil"] = evil
    ids["evil_request"] = quote(sessions, clock, evil, "35")
    return ids


async def open_home(harness: Harness, user: str) -> dict:
    response = await harness.actor.open_home(user)
    assert response.status_code == 200
    await harness.work()
    published = [c for c in harness.workspace.calls if c.method == "views.publish" and c.args["user_id"] == user]
    assert published, "nothing was published"
    view = harness.workspace.home_views[user]
    assert view["type"] == "home" and view_errors({k: view[k] for k in ("type", "blocks")}) == []
    return view


async def test_a_rep_sees_their_open_deals_by_stage_with_findings_and_their_requests(harness: Harness):
    ids = seeded(harness)
    view = await open_home(harness, REP)
    said = texts_of(view)
    assert "Your pipeline" in said
    assert ":mag: Discovery* · 1" in said and f"*#{ids['Initech']} Initech* · score" in said
    assert ":white_check_mark: Qualified* · 1" in said
    assert "Globex" not in said.split("Your approval requests")[0]  # lost: no longer in the pipeline
    with harness.runtime.session_factory() as session:
        deal = deals.get_deal(session, ids["Initech"])
        inspection = harness.runtime.inspection()
        findings = inspect_deal(
            session, deal.id, deals.qualification_of(deal), catalog=inspection.catalog, today=inspection.today
        )
    assert findings and findings[0].message.replace("&", "&amp;") in said
    requests = said.split("Your approval requests")[1]
    assert f"#{ids['evil_request']}" in requests and "waiting on Deal desk, CFO" in requests
    assert "Initech" in requests and "waiting on VP Sales" in requests  # its manager step escalated
    assert "Waiting for your decision" not in said and "Team outcomes" not in said
    # Every value people typed is shown as text: no channel ping, mention or disguised link.
    assert "&lt;!channel&gt; Evil &amp; &lt;https://evil.example|Co&gt;" in said
    assert "<!channel>" not in said and "<https://evil.example" not in said and "<@U0REP2>" not in said


async def test_an_approver_sees_what_waits_for_their_decision(harness: Harness):
    ids = seeded(harness)
    said = texts_of(await open_home(harness, DESK))
    waiting = said.split("Waiting for your decision")[1]
    assert f"#{ids['evil_request']} *&lt;!channel&gt; Evil" in waiting and "Initech" not in waiting
    assert "No open deals" in said and "Team outcomes" not in said


async def test_a_manager_sees_the_team_outcomes_on_home(harness: Harness):
    sessions = harness.runtime.session_factory
    seed_history(sessions, ManualClock(START), slack_owner=REP)
    said = texts_of(await open_home(harness, MANAGER))
    team = said.split("Team outcomes")[1]
    # The three deals of the history, figures as tests/deals/test_outcomes.py computes them by hand.
    assert "*Deals:* 3 (deals started since" in team
    assert "*Lead → qualified:* median 7.5 h over 2 deal(s)" in team
    assert "*Lead → first proposal:* median 16 h over 2 deal(s)" in team
    assert "*Approval cycle (median, decisions):* manager 4 h (1) · vp_sales 2 h (1); 1 escalated" in team
    assert "*People stepping in:* 1.33 per deal" in team
    assert "*Win rate:* 50% (1 won, 1 lost) · enterprise 100% · mid_market 0%" in team
    assert "*Time saved (estimate):* 129 min per deal, 387 min in all" in team
    assert "Nothing waits for you." in said  # the manager level's step escalated to the VP


async def test_follow_ups_due_show_when_next_steps_are_installed(harness: Harness):
    next_steps = pytest.importorskip("deals.next_steps")
    from deals.models import NextStepSource

    ids = seeded(harness)
    today = harness.runtime.clock.now().date()
    with harness.runtime.session_factory() as session, session.begin():
        deal = deals.get_deal(session, ids["Initech"])
        for title, due, origin in (
            ("Call their <!here> CFO", today - timedelta(days=1), "t1"),
            ("Send the security pack", today + timedelta(days=3), "t2"),
        ):
            next_steps.add_step(
                session,
                deal=deal,
                title=title,
                owner_slack_id=REP,
                due=due,
                source=NextStepSource.REP,
                created_by=REP,
                origin=origin,
                clock=harness.runtime.clock,
            )
    said = texts_of(await open_home(harness, REP))
    follow_ups = said.split("Follow-ups due")[1].split("Your approval requests")[0]
    assert "Call their &lt;!here&gt; CFO" in follow_ups and "overdue" in follow_ups
    assert "security pack" not in follow_ups  # not due yet: it is the deal's next step after this one
    assert ":arrow_right: Next: Call their &lt;!here&gt; CFO" in said


async def test_opening_home_again_replaces_the_view_and_each_publish_is_audited(harness: Harness):
    await open_home(harness, REP)
    first = harness.workspace.home_views[REP]["id"]
    await open_home(harness, REP)
    assert harness.workspace.home_views[REP]["id"] == first
    with harness.runtime.session_factory() as session:
        outcomes = session.scalars(select(AuditEvent.outcome).where(AuditEvent.action == "slack.views.publish")).all()
    assert outcomes == ["ok", "ok"]


async def test_the_emulator_answers_views_publish_as_slack_does(harness: Harness):
    client = AsyncWebClient(token=harness.workspace.bot_token, base_url=harness.runtime.client.base_url)
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    published = await client.views_publish(user_id=REP, view=home)
    assert published["view"]["type"] == "home" and published["view"]["hash"]
    for view, user, error in (
        ({**home, "type": "modal", "title": {"type": "plain_text", "text": "x"}}, REP, "invalid_arguments"),
        ({"type": "home", "blocks": [{"type": "section"}]}, REP, "invalid_arguments"),
        ({"type": "home", "blocks": [{"type": "divider"}] * 101}, REP, "invalid_arguments"),
        (home, "U0NOBODY", "user_not_found"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await client.views_publish(user_id=user, view=view)
        assert refused.value.response["error"] == error
    with pytest.raises(SlackApiError) as stale:
        await client.views_publish(user_id=REP, view=home, hash="1.000001")
    assert stale.value.response["error"] == "hash_conflict"
    again = await client.views_publish(user_id=REP, view=home, hash=published["view"]["hash"])
    assert again["view"]["id"] == published["view"]["id"]
    messages = (await _raw_error(client, {"type": "modal"}))["response_metadata"]["messages"]
    assert messages == ["[ERROR] must be home [json-pointer:/view/type]"]


async def _raw_error(client: AsyncWebClient, view: dict) -> dict:
    try:
        await client.views_publish(user_id=REP, view=view)
    except SlackApiError as exc:
        return dict(exc.response.data)
    raise AssertionError("accepted")


async def test_lto_report_is_refused_to_a_rep(harness: Harness):
    seed_history(harness.runtime.session_factory, ManualClock(START), slack_owner=REP)
    ack = await harness.command("report", user=REP)
    assert "Counting the team's outcomes" in ack.json()["text"]
    await harness.work()
    said = harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert ":no_entry: The team's outcome report is for sales managers and admins" in said
    assert not harness.workspace.files


async def test_lto_report_uploads_the_chart_to_the_manager_who_asked(harness: Harness):
    seed_history(harness.runtime.session_factory, ManualClock(START), slack_owner=REP)
    await harness.command(f"report --since {START.date().isoformat()}", user=MANAGER)
    await harness.work()
    assert "sent you the outcome report" in harness.workspace.ephemeral_for(MANAGER)[-1]["text"]
    dm = harness.workspace.open_dm(MANAGER)
    [upload] = [m for m in harness.workspace.messages[dm] if m.get("upload")]
    [file] = [harness.workspace.files[f["id"]] for f in upload["files"]]
    assert file.mimetype == "image/png" and file.content is not None
    assert file.content.startswith(b"\x89PNG\r\n\x1a\n") and len(file.content) > 20_000
    assert file.shared_to == [(dm, None)]
    comment = upload["text"]
    assert f"*Deals:* 3 (deals started since {START.date().isoformat()})" in comment
    assert "*Win rate:* 50% (1 won, 1 lost)" in comment and "129 min per deal" in comment


async def test_lto_report_with_a_bad_date_is_a_usage_error(harness: Harness):
    ack = await harness.command("report --since yesterday", user=MANAGER)
    assert "`--since` takes the first day to report on, as YYYY-MM-DD" in ack.json()["text"]
    future = (harness.runtime.clock.now().date() + timedelta(days=2)).isoformat()
    await harness.command(f"report --since {future}", user=MANAGER)
    await harness.work()
    assert "is after today" in harness.workspace.ephemeral_for(MANAGER)[-1]["text"]
    assert not harness.workspace.files


async def test_metrics_carry_the_outcome_gauges(harness: Harness):
    seed_history(harness.runtime.session_factory, ManualClock(START), slack_owner=REP)
    harness.clock.advance(minutes=6)  # past the gauges' refresh: figures computed before the history are stale
    async with httpx.AsyncClient() as http:
        scraped = (await http.get(f"{harness.app_url}/metrics")).text
    assert "lto_outcome_deals 3.0" in scraped
    assert 'lto_outcome_lead_to_hours{milestone="first_proposal"} 16.0' in scraped
    assert 'lto_outcome_win_rate{segment="all"} 0.5' in scraped
    assert 'lto_outcome_win_rate{segment="smb"}' not in scraped  # nothing closed there: no figure
