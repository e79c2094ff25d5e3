"""Next steps and follow-ups through Slack: steps added by a click and by words show on the card, due steps and
idle deals nudge once (quiet hours wait), and the nudge's buttons change the step only as it was seen."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import Workspace
from bot.ids import ActionId
from core.clock import ManualClock
from core.models import Job
from deals import sweeps
from deals.models import Deal, FollowUp, NextStep, NextStepStatus
from tests.bot.conftest import OTHER_REP, REP, Harness, open_harness
from tests.bot.test_discovery_in_slack import seen
from tests.conftest import postgres_only

# A Wednesday, 10:00 in New York (the emulated people's time zone): working hours, a weekday.
WEDNESDAY_10_NY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
MANAGER = "U0MGR"


@pytest.fixture
async def harness(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot and the emulator on one clock: messages are stamped at the time the test set."""
    clock = ManualClock(WEDNESDAY_10_NY)
    async with open_harness(Workspace(clock=lambda: clock.now().timestamp()), database_url, tmp_path, clock) as opened:
        yield opened


def sweep(harness: Harness) -> dict[str, int]:
    """One run of the follow-up sweep, as a scheduler runs it."""
    runtime = harness.runtime
    with runtime.session_factory() as session, session.begin():
        return sweeps.follow_up(session, rules=runtime.follow_up_rules(), roles=runtime.roles(), clock=harness.clock)


async def open_deal(harness: Harness, text: str = "new Acme Corp") -> str:
    await harness.command(text)
    await harness.work()
    return harness.workspace.history(harness.deals_channel)[-1]["ts"]


async def say(harness: Harness, thread: str, text: str, user: str = REP) -> list[dict]:
    """A person writes in the deal thread; returns what the thread gained after their message."""
    before = len(harness.thread(harness.deals_channel, thread))
    await harness.actor.post_message(user, harness.deals_channel, text, thread_ts=thread)
    await harness.work()
    return harness.thread(harness.deals_channel, thread)[before + 1 :]


def card(harness: Harness) -> str:
    return seen(harness, harness.workspace.history(harness.deals_channel)[-1])


def steps(harness: Harness) -> list[NextStep]:
    with harness.runtime.session_factory() as session:
        return list(session.scalars(select(NextStep).order_by(NextStep.id)))


def nudges(harness: Harness, thread: str) -> list[dict]:
    return [m for m in harness.thread(harness.deals_channel, thread) if m.get("text", "").startswith(":alarm_clock:")]


async def test_a_step_written_in_the_thread_is_added_with_its_date_and_shows_on_the_card(harness: Harness):
    thread = await open_deal(harness)
    said = await say(harness, thread, "follow up with their CISO next Tuesday")
    # Read relative to the message, Wednesday 2 December in New York: the Tuesday after is the 8th.
    assert [s.title for s in steps(harness)] == ["Follow up with their CISO"]
    assert steps(harness)[0].due == date(2026, 12, 8) and steps(harness)[0].owner_slack_id == REP
    assert len(said) == 1  # the confirmation only: a message that is only a next step is not discovery
    assert "Next step added: Follow up with their CISO — @Riley Rep, due Tue 8 Dec 2026" in seen(harness, said[0])
    assert "Next steps • Follow up with their CISO — @Riley Rep · due Tue 8 Dec 2026" in card(harness)
    assert "Goals to reach qualified: 0 of 7 met · still Pain, Seats" in card(harness)  # the stage's goals
    # Another person named first owns it; a step without a date gets the governed default (two days).
    await say(harness, thread, "next step: <@U0REP2> sends the security pack")
    assert [(s.title, s.owner_slack_id, s.due) for s in steps(harness)][1] == (
        "Sends the security pack",
        OTHER_REP,
        date(2026, 12, 4),
    )
    assert "Sends the security pack — @Sam Seller · due Fri 4 Dec 2026" in card(harness)


async def test_a_message_with_facts_and_a_step_adds_the_step_and_runs_discovery(harness: Harness):
    thread = await open_deal(harness)
    said = await say(harness, thread, "They have 250 seats. Next step: call Helen tomorrow.")
    assert [(s.title, s.due) for s in steps(harness)] == [("Call Helen", date(2026, 12, 3))]
    assert any("Seats: 250" in seen(harness, m) for m in said)
    assert "Call Helen — @Riley Rep · due tomorrow" in card(harness)


async def _finding_message(harness: Harness, thread: str, code_words: str) -> dict:
    found = [m for m in harness.thread(harness.deals_channel, thread) if code_words in seen(harness, m)]
    assert found, "the finding was not said in the thread"
    return found[-1]


async def test_a_findings_next_step_is_accepted_by_a_click_once_and_shows_on_the_card(harness: Harness):
    thread = await open_deal(
        harness,
        "new Acme Corp Pain: nightly batch loads take 6 hours. 150 seats, budget $250k, sign by end of Q1, SaaS, "
        "users in Boston.",
    )
    finding = await _finding_message(harness, thread, "Nobody is named who signs off on the budget")
    assert finding["blocks"][0]["accessory"]["text"]["text"] == "Add as next step"
    await harness.actor.click(REP, harness.deals_channel, finding["ts"], ActionId.ADD_NEXT_STEP)
    await harness.work()
    [step] = steps(harness)
    assert step.title == "Ask who signs, and get a meeting with them before the proposal."
    assert step.source == "finding" and step.finding_code == "missing_economic_buyer"
    assert step.due == date(2026, 12, 7)  # a medium finding's step: three working days on, past the weekend
    assert "Ask who signs, and get a meeting with them before the proposal. — @Riley Rep · due Mon 7 Dec 2026" in card(
        harness
    )
    added = harness.thread(harness.deals_channel, thread)[-1]
    assert "Next step added" in seen(harness, added) and "accepted by @Riley Rep" in seen(harness, added)
    # A second click adds nothing and says so; a value naming a finding the deal does not have is refused.
    await harness.actor.click(REP, harness.deals_channel, finding["ts"], ActionId.ADD_NEXT_STEP)
    await harness.work()
    assert "Already a next step" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    forged = '{"deal_id": 1, "code": "budget_gap"}'
    await harness.actor.click(REP, harness.deals_channel, finding["ts"], ActionId.ADD_NEXT_STEP, value=forged)
    await harness.work()
    assert "no longer applies" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    await harness.actor.click(REP, harness.deals_channel, finding["ts"], ActionId.ADD_NEXT_STEP, value='{"deal_id": 1}')
    await harness.runtime.drain_background()
    assert "button's data is not valid" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    # Someone who may not change the deal adds nothing.
    await harness.actor.click(OTHER_REP, harness.deals_channel, finding["ts"], ActionId.ADD_NEXT_STEP)
    await harness.work()
    assert "not yours" in harness.workspace.ephemeral_for(OTHER_REP)[-1]["text"]
    assert len(steps(harness)) == 1


async def test_a_due_step_nudges_its_owner_once_in_the_thread_with_its_buttons(harness: Harness):
    thread = await open_deal(harness)
    await say(harness, thread, "next step: send the security pack tomorrow")
    harness.clock.advance(days=1)  # Thursday, 10:00 in New York: the day it is due
    assert sweep(harness)["steps_due"] == 1
    assert sweep(harness)["steps_due"] == 0  # however often the sweep runs
    await harness.work()
    [nudge] = nudges(harness, thread)
    text = seen(harness, nudge)
    assert "@Riley Rep a next step for Acme Corp (deal #1) is due today: Send the security pack" in text
    assert "[ Done ] [ Snooze 1 day ] [ Snooze 1 week ] [ Reassign ]" in text
    # Two days on, still open: nudged again for that period, but it is Saturday: it waits for Monday morning.
    harness.clock.advance(days=2)
    assert sweep(harness)["steps_due"] == 1 and sweep(harness)["steps_due"] == 0
    await harness.work()
    assert len(nudges(harness, thread)) == 1
    # Monday: the weekend's nudge and Monday's own period meet; one nudge goes out.
    harness.clock.advance(days=2)
    assert sweep(harness)["steps_due"] == 1
    await harness.work()
    assert len(nudges(harness, thread)) == 2 and "4 days overdue" in seen(harness, nudges(harness, thread)[-1])


@postgres_only
async def test_two_schedulers_sweeping_at_once_nudge_a_due_step_once(harness: Harness):
    thread = await open_deal(harness)
    await say(harness, thread, "next step: send the security pack tomorrow")
    await say(harness, thread, "follow up with procurement tomorrow")
    harness.clock.advance(days=1)
    barrier = threading.Barrier(2)
    claimed: list[int] = []

    def scheduler() -> None:
        barrier.wait()
        claimed.append(sweep(harness)["steps_due"])

    replicas = [threading.Thread(target=scheduler) for _ in range(2)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join()
    assert sorted(claimed) in ([0, 2], [1, 1])  # each step claimed by one of them
    await harness.work()
    assert len(nudges(harness, thread)) == 2
    with harness.runtime.session_factory() as session:
        assert len(session.scalars(select(FollowUp)).all()) == 2
        assert len(session.scalars(select(Job).where(Job.kind == "follow_up.send")).all()) == 2


async def test_quiet_hours_where_the_owner_is_defer_the_nudge_to_their_morning(harness: Harness):
    thread = await open_deal(harness)
    await say(harness, thread, "next step: call Helen today")
    harness.clock.set(datetime(2026, 12, 3, 1, 0, tzinfo=UTC))  # 20:00 in New York: quiet
    assert sweep(harness)["steps_due"] == 1
    await harness.work()
    assert nudges(harness, thread) == []
    with harness.runtime.session_factory() as session:
        follow_up = session.scalars(select(FollowUp)).one()
    assert follow_up.deferred_until == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 08:00 in New York
    assert sweep(harness)["steps_due"] == 0  # claimed already: the night's sweeps add nothing
    harness.clock.set(datetime(2026, 12, 3, 12, 59, tzinfo=UTC))
    await harness.work()
    assert nudges(harness, thread) == []
    harness.clock.set(datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    await harness.work()
    assert len(nudges(harness, thread)) == 1
    # Someone in Tokyo is nudged in their own morning: 08:00 there is 23:00 UTC the day before.
    harness.workspace.users[REP]["tz"] = "Asia/Tokyo"
    await say(harness, thread, "next step: send the MSA tomorrow")  # written Thursday 22:00 in Tokyo: due Friday
    harness.clock.set(datetime(2026, 12, 4, 0, 30, tzinfo=UTC))  # Friday 09:30 in Tokyo
    sweep(harness)
    await harness.work()
    assert any("is due today: Send the MSA" in seen(harness, m) for m in nudges(harness, thread))


async def test_the_nudge_buttons_mark_done_snooze_and_reassign_and_a_tampered_value_changes_nothing(
    harness: Harness,
):
    thread = await open_deal(harness)
    await say(harness, thread, "next step: send the security pack today")
    sweep(harness)
    await harness.work()
    [nudge] = nudges(harness, thread)
    channel = harness.deals_channel
    seen_then = nudge["blocks"][1]["elements"][0]["value"]  # the step as this nudge showed it
    # Snooze a day: due tomorrow, the nudge says so and loses its buttons; the card follows.
    await harness.actor.click(REP, channel, nudge["ts"], ActionId.STEP_SNOOZE_DAY)
    await harness.work()
    assert steps(harness)[0].due == date(2026, 12, 3)
    updated = seen(harness, harness.workspace.find_message(channel, nudge["ts"]))
    assert "Snoozed by @Riley Rep to Thu 3 Dec 2026" in updated and "[ Done ]" not in updated
    assert "Send the security pack — @Riley Rep · due tomorrow" in card(harness)
    # A stale button (an older copy of the nudge, as another device may still show): nothing changes.
    harness.workspace.add_button(channel, nudge["ts"], action_id=ActionId.STEP_SNOOZE_WEEK, text="Zz", value=seen_then)
    await harness.actor.click(REP, channel, nudge["ts"], ActionId.STEP_SNOOZE_WEEK)
    await harness.work()
    assert "I changed nothing: It changed since" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    assert steps(harness)[0].due == date(2026, 12, 3)
    # The next day's nudge. A value that does not parse, or a person who may not change the deal: nothing.
    harness.clock.advance(days=1)
    sweep(harness)
    await harness.work()
    second = nudges(harness, thread)[-1]
    await harness.actor.click(REP, channel, second["ts"], ActionId.STEP_DONE, value="not json")
    await harness.runtime.drain_background()
    assert "button's data is not valid" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    await harness.actor.click(OTHER_REP, channel, second["ts"], ActionId.STEP_DONE)
    await harness.work()
    assert "not yours" in harness.workspace.ephemeral_for(OTHER_REP)[-1]["text"]
    assert steps(harness)[0].status == NextStepStatus.OPEN
    # Reassign: a modal with a users_select; the new owner is told in the thread and the card follows.
    await harness.actor.click(REP, channel, second["ts"], ActionId.STEP_REASSIGN)
    await harness.runtime.drain_background()
    [modal] = harness.workspace.open_views_for(REP)
    await harness.actor.submit_view(REP, modal["id"], {"reassign_to": {"assignee": OTHER_REP}})
    await harness.work()
    assert steps(harness)[0].owner_slack_id == OTHER_REP
    assert "Reassigned by @Riley Rep to @Sam Seller" in seen(
        harness, harness.workspace.find_message(channel, second["ts"])
    )
    told = seen(harness, harness.thread(channel, thread)[-1])
    assert "@Sam Seller, @Riley Rep gave you a next step: Send the security pack" in told
    assert "Send the security pack — @Sam Seller · due today" in card(harness)
    # The new owner (the step is theirs now, the deal still is not) snoozes it a week, then marks it done.
    now_seen = f'{{"step_id": 1, "due": "2026-12-03", "owner": "{OTHER_REP}"}}'
    harness.workspace.add_button(channel, second["ts"], action_id=ActionId.STEP_SNOOZE_WEEK, text="x", value=now_seen)
    await harness.actor.click(OTHER_REP, channel, second["ts"], ActionId.STEP_SNOOZE_WEEK)
    await harness.work()
    assert steps(harness)[0].due == date(2026, 12, 10)
    harness.workspace.add_button(channel, second["ts"], action_id=ActionId.STEP_DONE, text="x", value=now_seen)
    await harness.actor.click(OTHER_REP, channel, second["ts"], ActionId.STEP_DONE)
    await harness.work()
    step = steps(harness)[0]
    assert step.status == NextStepStatus.DONE and step.done_by == OTHER_REP
    assert "Done, marked by @Sam Seller" in seen(harness, harness.workspace.find_message(channel, second["ts"]))
    assert "Send the security pack" not in card(harness)
    harness.workspace.add_button(channel, second["ts"], action_id=ActionId.STEP_DONE, text="x", value=now_seen)
    await harness.actor.click(REP, channel, second["ts"], ActionId.STEP_DONE)
    await harness.work()
    assert f"It was done already by <@{OTHER_REP}>" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    # A done step is nudged no more.
    harness.clock.advance(days=14)
    assert sweep(harness)["steps_due"] == 0


async def test_an_idle_deal_nudges_its_owner_then_escalates_to_the_manager_after_the_second_period(
    harness: Harness,
):
    thread = await open_deal(harness)
    harness.clock.advance(days=1)
    assert sweep(harness)["idle"] == 0
    harness.clock.advance(days=1)  # Friday: two days without activity on a new deal
    assert sweep(harness) | {"idle": sweep(harness)["idle"]} == {
        "steps_due": 0,
        "idle": 0,  # the second run of the same period claims nothing
        "escalated": 0,
        "at_risk": 0,
        "back_on_track": 0,
    }
    await harness.work()
    said = [seen(harness, m) for m in harness.thread(harness.deals_channel, thread)]
    assert any("@Riley Rep nothing has happened on Acme Corp (deal #1) for 2 days" in s for s in said)
    harness.clock.advance(days=3)  # Monday: a second period (three more days) and still nothing
    assert sweep(harness)["escalated"] == 1 and sweep(harness)["escalated"] == 0
    await harness.work()
    last = seen(harness, harness.thread(harness.deals_channel, thread)[-1])
    assert "@Morgan Manager Acme Corp (deal #1), @Riley Rep's deal, has been quiet for 5 days" in last
    with harness.runtime.session_factory() as session:
        escalation = session.scalars(select(FollowUp).where(FollowUp.kind == "idle_escalation")).one()
    assert escalation.recipients == [MANAGER] and escalation.sent_at is not None
    # Activity starts a new spell: nothing more until it is quiet for the stage's period again.
    await say(harness, thread, "They have 250 seats.")
    harness.clock.advance(days=1)
    assert sweep(harness)["idle"] == 0


async def test_a_target_close_date_that_passes_puts_the_deal_at_risk_and_tells_its_owner(harness: Harness):
    thread = await open_deal(harness)
    await say(harness, thread, "They need to sign by December 15.")
    harness.clock.set(datetime(2026, 12, 16, 15, 0, tzinfo=UTC))
    counts = sweep(harness)
    assert counts["at_risk"] == 1 and sweep(harness)["at_risk"] == 0
    await harness.work()
    with harness.runtime.session_factory() as session:
        assert session.get(Deal, 1).at_risk_since == datetime(2026, 12, 16, 15, 0, tzinfo=UTC)
    said = [seen(harness, m) for m in harness.thread(harness.deals_channel, thread)]
    assert any("the target close date of Acme Corp (deal #1) (Tue 15 Dec 2026) has passed" in s for s in said)
    assert "At risk (target close Tue 15 Dec 2026 passed)" in card(harness)
    # A new date ahead puts it back on track.
    await say(harness, thread, "They moved signing to January 29.")
    assert sweep(harness)["back_on_track"] == 1
    with harness.runtime.session_factory() as session:
        assert session.get(Deal, 1).at_risk_since is None
