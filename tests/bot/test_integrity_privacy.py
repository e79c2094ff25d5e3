"""Issue 12, item 8: a privacy erasure reaches a paused run, its resumption and the bot's own Slack posts.

Driven as the review drove it: the deal is worked in Slack (signed events through the harness),
`lto privacy erase` runs through typer's CliRunner, its Slack job runs on the worker against the
emulator, and the run resumes when an approver clicks the card.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import String, cast, select
from typer.testing import CliRunner

from approvals.models import ApprovalRequest
from bot.cli import app
from core import privacy
from core.models import AuditEvent
from deals.models import Conversation
from tests.bot.conftest import REP, Harness
from tests.bot.test_discovery_in_slack import open_deal, reply, seen
from tests.bot.test_paused_runs import QUALIFY

runner = CliRunner()
EMAIL = "Dana.Lee@northwind.example"


def _stored(harness: Harness, needle: str) -> list[str]:
    """Every registered text column that still holds `needle` (any case)."""
    found = []
    with harness.runtime.session_factory() as session:
        for column in privacy.TEXT_COLUMNS:
            if session.scalar(select(cast(column, String)).where(cast(column, String).ilike(f"%{needle}%")).limit(1)):
                found.append(f"{column.class_.__tablename__}.{column.key}")
    return found


def _in_slack(harness: Harness, needle: str, *, by_bot: bool) -> list[tuple[str, str]]:
    """(channel, ts) of the emulator's messages, the bot's or people's, that still show `needle`."""
    return [
        (channel, message["ts"])
        for channel, messages in harness.workspace.messages.items()
        for message in messages
        if bool(message.get("bot_id")) == by_bot and needle.lower() in json.dumps(message).lower()
    ]


async def test_12_08_an_email_erased_while_a_run_is_paused_leaves_no_trace_after_it_resumes(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    thread = await open_deal(harness, f"new Northwind: inbound from Dana Lee ({EMAIL}), 150 seats")
    await reply(harness, thread, QUALIFY)
    paused = await reply(harness, thread, f"Dana ({EMAIL}) asks: 25% off Enterprise for 150 seats on a 2-year term?")
    assert "needs approval" in seen(harness, paused)
    with harness.runtime.session_factory() as session:
        request = session.scalars(select(ApprovalRequest)).one()
        assert EMAIL.lower() in json.dumps(request.agent_run).lower()  # the paused run holds the rep's words
    assert _in_slack(harness, EMAIL, by_bot=True)  # the deal's card quotes the notes

    monkeypatch.setenv("DATABASE_URL", harness.runtime.settings.effective_database_url)
    monkeypatch.setenv("LTO_AUDIT_ANCHOR_PATH", str(tmp_path / "checkpoints.jsonl"))
    monkeypatch.chdir(tmp_path)
    erased = runner.invoke(app, ["privacy", "erase", "--email", EMAIL.upper(), "--operator", "U0ADMIN"])
    assert erased.exit_code == 0, erased.output
    assert "approval_requests.agent_run" in erased.output and "Slack: job" in erased.output
    assert _stored(harness, EMAIL) == []
    harness.clock.advance(minutes=1)  # the CLI dated its job by the wall clock, a moment after the harness's
    await harness.work()  # the erasure's Slack job: the CLI never calls Slack itself

    approvals = harness.workspace.channel_id("deal-approvals")
    card = harness.workspace.history(approvals)[-1]
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.approve")
    await harness.work()

    assert any("Committed quote v1" in seen(harness, m) for m in harness.thread(harness.deals_channel, thread))
    assert _stored(harness, EMAIL) == []
    with harness.runtime.session_factory() as session:
        request = session.scalars(select(ApprovalRequest)).one()
        assert request.resumed_at is not None
        assert EMAIL.lower() not in (json.dumps(request.agent_run) + request.summary).lower()
        history = session.scalars(select(Conversation.history)).one()
        assert "[erased]" in json.dumps(history) and EMAIL.lower() not in json.dumps(history).lower()
    assert _in_slack(harness, EMAIL, by_bot=True) == []  # the bot's card and replies were edited
    with harness.runtime.session_factory() as session:
        slack = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase.slack")).one()
    # The rep's own messages are beyond the bot's reach: reported, not silently left.
    people = _in_slack(harness, EMAIL, by_bot=False)
    assert len(people) == 1 and slack.outcome == "incomplete"
    assert {(u["channel"], u["ts"]) for u in slack.detail["unreachable"]} == set(people)
    report = runner.invoke(app, ["privacy", "report"])
    assert report.exit_code == 0, report.output
    assert f"not reached: {people[0][0]} {people[0][1]}: written by <@{REP}>" in report.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
