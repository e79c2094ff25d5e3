"""The POC plan through Slack: `/lto poc` drafts it in the deal thread, "Send for SE review" sends it once, the
decided review turns its milestones into next steps once, and the outcome modal records once, passing the deal on
or flagging it with what failed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from approvals import reviews
from approvals.review_models import TechnicalReview
from bot.emulator import Workspace
from bot.ids import ActionId, poc_measured_block, poc_outcome_block
from core.clock import ManualClock
from deals.access import Identity, Role
from deals.models import Deal, NextStep
from deals.poc_models import PocPlanRecord, PocStatus
from deals.qualification import Qualification
from tests.bot.conftest import OTHER_REP, REP, Harness, open_harness
from tests.bot.test_discovery_in_slack import seen

WEDNESDAY_10_NY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
SE = Identity(user_id="U0SE1", roles=frozenset({Role.REP, Role.SALES_ENGINEER}))
RECORD = Qualification(
    company="Acme Corp",
    pain="nightly batch takes 6 hours",
    metrics="want fresh data within 15 minutes; the ops team trusts the numbers",
    poc_weeks=2,
    integrations=["Postgres", "Snowflake"],
    champion="Raj <!channel> Patel",
    target_close=date(2027, 3, 31),
)


@pytest.fixture
async def harness(database_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    clock = ManualClock(WEDNESDAY_10_NY)
    async with open_harness(Workspace(clock=lambda: clock.now().timestamp()), database_url, tmp_path, clock) as opened:
        yield opened


async def deal_with_record(harness: Harness) -> str:
    """A deal whose discovery recorded POC facts; returns its thread."""
    await harness.command("new Acme Corp")
    await harness.work()
    with harness.runtime.session_factory() as session, session.begin():
        deal = session.get_one(Deal, 1)
        deal.qualification = RECORD.model_dump(mode="json")
    return harness.workspace.history(harness.deals_channel)[-1]["ts"]


def bot_replies(harness: Harness, thread: str) -> list[dict]:
    return [m for m in harness.thread(harness.deals_channel, thread)[1:] if m.get("user") != REP]


def plan_messages(harness: Harness, thread: str) -> list[dict]:
    return [m for m in bot_replies(harness, thread) if (m.get("text") or "").startswith("POC plan for deal")]


def button(message: dict, action_id: str) -> dict | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None


def plan_row(harness: Harness) -> PocPlanRecord:
    with harness.runtime.session_factory() as session:
        return session.scalars(select(PocPlanRecord)).one()


def steps(harness: Harness) -> list[NextStep]:
    with harness.runtime.session_factory() as session:
        return list(session.scalars(select(NextStep).order_by(NextStep.due, NextStep.id)))


async def drafted(harness: Harness) -> tuple[str, dict]:
    thread = await deal_with_record(harness)
    await harness.command("poc #1")
    await harness.work()
    [message] = plan_messages(harness, thread)
    return thread, message


async def agreed(harness: Harness) -> tuple[str, dict]:
    """Drafted, sent for review by a click, decided feasible by the sales engineer; returns the agreed plan."""
    thread, message = await drafted(harness)
    await harness.actor.click(REP, harness.deals_channel, message["ts"], ActionId.POC_SEND_FOR_REVIEW)
    await harness.work()
    review_id = plan_row(harness).review_id
    assert review_id is not None
    with harness.runtime.session_factory() as session, session.begin():
        reviews.decide_review(
            session,
            review_id=review_id,
            who=SE,
            sections={"Success criteria": "end-to-end latency ≤ 10 minutes (today: 6 hours)\nerror rate below 0.5%"},
            assumptions="",
            conditions="",
            verdict="feasible",
            notes="",
            clock=harness.clock,
        )
    await harness.work()
    return thread, plan_messages(harness, thread)[-1]


async def test_poc_drafts_the_plan_in_the_deal_thread_with_thresholds_read_and_none_made_up(harness: Harness):
    thread, message = await drafted(harness)
    text = seen(harness, message)
    assert "POC plan · Deal #1 · Acme Corp" in text
    assert "1. end-to-end latency ≤ 15 minutes (today: 6 hours)" in text
    assert "2. the ops team trusts the numbers — threshold to agree with the customer" in text
    assert "Thu 3 Dec 2026 · POC kick-off" in text and "Wed 16 Dec 2026 · POC readout" in text
    assert "Sales engineer SE to be assigned" in text  # no SE on the deal yet
    assert button(message, ActionId.POC_SEND_FOR_REVIEW) is not None
    assert button(message, ActionId.POC_RECORD_OUTCOME) is None
    # The champion's name is the rep's words: shown, never a mention or formatting.
    raw = json.dumps(message["blocks"])
    assert "<!channel>" not in raw
    assert "Customer Raj &lt;!channel&gt; Patel" in raw
    # Asked again: the same plan, shown again, not drafted twice.
    await harness.command("poc Acme")
    await harness.work()
    assert len(plan_messages(harness, thread)) == 2
    with harness.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PocPlanRecord)) == 1


async def test_a_rep_the_deal_is_not_shared_with_gets_no_plan(harness: Harness):
    thread = await deal_with_record(harness)
    await harness.command("poc #1", user=OTHER_REP)
    await harness.work()
    assert plan_messages(harness, thread) == []
    said = [m["text"] for m in harness.workspace.ephemeral_for(OTHER_REP)]
    assert any("not yours" in text for text in said)


async def test_sent_for_review_once_and_a_feasible_decision_makes_the_milestones_next_steps_once(harness: Harness):
    thread, message = await drafted(harness)
    await harness.command("poc #1")  # shown twice: two messages, each with the button
    await harness.work()
    shown_again = plan_messages(harness, thread)[-1]
    await harness.actor.click(REP, harness.deals_channel, message["ts"], ActionId.POC_SEND_FOR_REVIEW)
    await harness.work()
    await harness.actor.click(REP, harness.deals_channel, shown_again["ts"], ActionId.POC_SEND_FOR_REVIEW)
    await harness.work()
    assert "already with sales engineering" in harness.workspace.ephemeral_for(REP)[-1]["text"]
    with harness.runtime.session_factory() as session:
        [review] = session.scalars(select(TechnicalReview)).all()
        assert review.kind == "poc_plan"
    assert plan_row(harness).status == PocStatus.IN_REVIEW
    sent = [m for m in bot_replies(harness, thread) if "to sales engineering for review" in seen(harness, m)]
    assert len(sent) == 1
    # The clicked plan now says it is in review, without the button.
    updated = harness.workspace.find_message(harness.deals_channel, message["ts"])
    assert "With sales engineering for review" in seen(harness, updated)
    assert button(updated, ActionId.POC_SEND_FOR_REVIEW) is None

    with harness.runtime.session_factory() as session, session.begin():
        reviews.decide_review(
            session,
            review_id=review.id,
            who=SE,
            sections={"Success criteria": "end-to-end latency ≤ 10 minutes (today: 6 hours)\nerror rate below 0.5%"},
            assumptions="Staging replica of the orders database",
            conditions="",
            verdict="feasible",
            notes="",
            clock=harness.clock,
        )
    await harness.work()
    assert plan_row(harness).status == PocStatus.AGREED
    assert [(s.title, s.owner_slack_id, s.due) for s in steps(harness)] == [
        ("POC kick-off", REP, date(2026, 12, 3)),
        ("POC: connect the data sources", SE.user_id, date(2026, 12, 7)),
        ("POC: run the workload and measure the criteria", SE.user_id, date(2026, 12, 14)),
        ("POC readout: the outcome per criterion", REP, date(2026, 12, 16)),
    ]
    told = [seen(harness, m) for m in bot_replies(harness, thread) if "was reviewed" in seen(harness, m)]
    assert len(told) == 1 and "Thu 3 Dec 2026 · POC kick-off — @Riley Rep" in told[0]
    agreed_plan = plan_messages(harness, thread)[-1]
    assert "1. end-to-end latency ≤ 10 minutes (today: 6 hours)" in seen(harness, agreed_plan)
    assert button(agreed_plan, ActionId.POC_RECORD_OUTCOME) is not None
    # The decided review's hook again (a re-run of its job): no second set of steps, no second notice.
    assert reviews.run_hook_once(harness.runtime.session_factory, review_id=review.id, clock=harness.clock) is False
    await harness.work()
    assert len(steps(harness)) == 4
    assert len([m for m in bot_replies(harness, thread) if "was reviewed" in seen(harness, m)]) == 1


async def _open_outcome_modal(harness: Harness, message: dict, user: str = REP) -> dict:
    before = len(harness.workspace.open_views_for(user))
    await harness.actor.click(user, harness.deals_channel, message["ts"], ActionId.POC_RECORD_OUTCOME)
    await harness.runtime.drain_background()
    views = harness.workspace.open_views_for(user)
    assert len(views) == before + 1
    return views[-1]


def _answers(first: str, second: str) -> dict[str, dict[str, str]]:
    return {
        poc_outcome_block("c1"): {poc_outcome_block("c1"): first},
        poc_measured_block("c1"): {poc_measured_block("c1"): "8 minutes" if first == "met" else "22 minutes"},
        poc_outcome_block("c2"): {poc_outcome_block("c2"): second},
        poc_measured_block("c2"): {poc_measured_block("c2"): "0.1%"},
    }


async def test_the_outcome_is_recorded_once_under_double_submission_and_the_deal_moves_on(harness: Harness):
    thread, plan_message = await agreed(harness)
    modal = await _open_outcome_modal(harness, plan_message)
    assert modal["title"]["text"] == "POC outcome"
    await harness.actor.submit_view(REP, modal["id"], _answers("met", "met"))
    await harness.actor.submit_view(REP, modal["id"], _answers("met", "met"))  # a double click on Record
    other = await _open_outcome_modal(harness, plan_message)  # another modal, another answer
    await harness.actor.submit_view(REP, other["id"], _answers("not_met", "met"))
    await harness.work()
    row = plan_row(harness)
    assert row.status == PocStatus.PASSED and [r["outcome"] for r in row.outcome] == ["met", "met"]
    outcomes = [
        seen(harness, m) for m in bot_replies(harness, thread) if "recorded the POC outcome" in seen(harness, m)
    ]
    assert len(outcomes) == 1 and "passed, all 2 criteria met" in outcomes[0]
    assert "send the proposal, due Fri 4 Dec 2026" in outcomes[0]
    assert [(s.owner_slack_id, s.due) for s in steps(harness) if s.title == "Send the proposal: the POC passed"] == [
        (REP, date(2026, 12, 4))
    ]
    with harness.runtime.session_factory() as session:
        assert session.get_one(Deal, 1).at_risk_since is None
    dm = harness.workspace.open_dm(REP)
    assert any("already recorded (passed" in seen(harness, m) for m in harness.workspace.history(dm))


async def test_a_criterion_not_met_flags_the_deal_and_the_rep_is_told_what_failed(harness: Harness):
    thread, plan_message = await agreed(harness)
    modal = await _open_outcome_modal(harness, plan_message)
    await harness.actor.submit_view(REP, modal["id"], _answers("not_met", "met"))
    await harness.work()
    assert plan_row(harness).status == PocStatus.FAILED
    [told] = [seen(harness, m) for m in bot_replies(harness, thread) if "recorded the POC outcome" in seen(harness, m)]
    assert "failed, 1 of 2 criteria not met or not measured" in told
    assert "end-to-end latency ≤ 10 minutes (today: 6 hours): not met, measured 22 minutes" in told
    with harness.runtime.session_factory() as session:
        assert session.get_one(Deal, 1).at_risk_since == WEDNESDAY_10_NY
    card = seen(harness, harness.workspace.history(harness.deals_channel)[-1])
    assert "The POC failed 1 of 2 success criteria" in card


async def test_only_someone_who_may_change_the_deal_records_its_outcome(harness: Harness):
    _, plan_message = await agreed(harness)
    modal = await _open_outcome_modal(harness, plan_message, user=OTHER_REP)
    await harness.actor.submit_view(OTHER_REP, modal["id"], _answers("met", "met"))
    await harness.work()
    assert plan_row(harness).status == PocStatus.AGREED
    dm = harness.workspace.open_dm(OTHER_REP)
    assert any("not yours" in seen(harness, m) for m in harness.workspace.history(dm))


async def test_an_outcome_without_a_choice_for_every_criterion_is_refused_on_the_field(harness: Harness):
    _, plan_message = await agreed(harness)
    modal = await _open_outcome_modal(harness, plan_message)
    answers = _answers("met", "met")
    del answers[poc_outcome_block("c2")]
    response = await harness.actor.submit_view(REP, modal["id"], answers)
    assert response.json() == {
        "response_action": "errors",
        "errors": {poc_outcome_block("c2"): "Choose met, not met or not measured."},
    }
    await harness.work()
    assert plan_row(harness).status == PocStatus.AGREED


async def test_a_value_measured_that_contradicts_met_is_refused_on_its_field(harness: Harness):
    _, plan_message = await agreed(harness)
    modal = await _open_outcome_modal(harness, plan_message)
    answers = _answers("met", "met")
    answers[poc_measured_block("c1")] = {poc_measured_block("c1"): "22 minutes"}
    response = await harness.actor.submit_view(REP, modal["id"], answers)
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            poc_measured_block("c1"): "22 minutes does not meet end-to-end latency ≤ 10 minutes: choose not met, or "
            "correct the value."
        },
    }
    await harness.work()
    assert plan_row(harness).status == PocStatus.AGREED
