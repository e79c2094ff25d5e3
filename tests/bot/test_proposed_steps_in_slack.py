"""Next steps the assistant proposes from a rep's message: posted in the deal thread with "Add as next step" and
"Dismiss", added only by a click (once, whoever clicks again), read back from what was proposed, never from
the button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.emulator import Workspace
from bot.ids import ActionId
from core.clock import ManualClock
from tests.bot.conftest import OTHER_REP, REP, Harness, open_harness
from tests.bot.test_discovery_in_slack import seen
from tests.bot.test_next_steps_in_slack import WEDNESDAY_10_NY, card, open_deal, say, steps


@pytest.fixture
async def harness(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    clock = ManualClock(WEDNESDAY_10_NY)
    async with open_harness(Workspace(clock=lambda: clock.now().timestamp()), database_url, tmp_path, clock) as opened:
        yield opened


def proposals(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m.get("text", "").startswith(":bulb: Proposed next step")]


def buttons(message: dict) -> list[str]:
    return [e["text"]["text"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def test_a_step_the_message_makes_evident_is_proposed_and_added_once_by_a_click(harness: Harness):
    thread = await open_deal(harness)
    said = await say(harness, thread, "Good call. They'll send the security questionnaire by Friday.")
    [proposal] = proposals(said)
    assert "Chase the security questionnaire from them — @Riley Rep · due Fri 4 Dec 2026 (from “Friday”)" in seen(
        harness, proposal
    )
    assert buttons(proposal) == ["Add as next step", "Dismiss"]
    assert steps(harness) == []  # proposing adds nothing

    # Riley clicks twice, Sam (who may not change the deal) clicks, and a forged value names something never
    # proposed; all before the worker gets to them.
    for user, forged in ((REP, None), (REP, None), (OTHER_REP, None), (REP, '{"proposal_id": 1}')):
        await harness.actor.click(user, harness.deals_channel, proposal["ts"], ActionId.ADD_PROPOSED_STEP, value=forged)
    await harness.work()
    [step] = steps(harness)
    assert (step.title, step.owner_slack_id, step.due, step.source) == (
        "Chase the security questionnaire from them",
        REP,
        date(2026, 12, 4),
        "agent",
    )
    settled = harness.workspace.find_message(harness.deals_channel, proposal["ts"])
    assert buttons(settled) == [] and "Added as a next step by @Riley Rep" in seen(harness, settled)
    assert "Chase the security questionnaire from them — @Riley Rep · due Fri 4 Dec 2026" in card(harness)
    # The second click is the same step, and the thread gained nothing but the proposal's own update.
    assert harness.thread(harness.deals_channel, thread)[-1]["ts"] == proposal["ts"]
    assert "not yours" in harness.workspace.ephemeral_for(OTHER_REP)[-1]["text"]
    assert "not a step I proposed" in harness.workspace.ephemeral_for(REP)[-1]["text"]


async def test_a_dismissed_proposal_is_not_added_and_a_mentioned_person_is_proposed_as_owner(harness: Harness):
    thread = await open_deal(harness)
    said = await say(harness, thread, f"<@{OTHER_REP}> will run the architecture review with their team on the 10th.")
    [proposal] = proposals(said)
    assert "Run the architecture review with their team — @Sam Seller · due Thu 10 Dec 2026" in seen(harness, proposal)
    # Dismissed, then "Add" from a stale copy of the buttons: nothing is added.
    await harness.actor.click(REP, harness.deals_channel, proposal["ts"], ActionId.DISMISS_PROPOSED_STEP)
    await harness.actor.click(REP, harness.deals_channel, proposal["ts"], ActionId.ADD_PROPOSED_STEP)
    await harness.work()
    settled = harness.workspace.find_message(harness.deals_channel, proposal["ts"])
    assert buttons(settled) == [] and "Dismissed by @Riley Rep" in seen(harness, settled)
    assert "dismissed that proposal" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert steps(harness) == []


async def test_facts_questions_and_things_done_propose_nothing(harness: Harness):
    thread = await open_deal(harness)
    for text in (
        "They have 300 seats and need SOC 2.",
        "Do we need to send them the questionnaire before the POC?",
        "They sent the signed NDA yesterday.",
    ):
        assert proposals(await say(harness, thread, text)) == []
    assert steps(harness) == []
