"""Sending a claimed nudge: what it says and to whom, whether it still applies, waiting out quiet hours, and
recording where it went. The sweeps (deals/sweeps.py) decide what is due; these run in the nudge's job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import SendFollowUp
from deals import service as deals
from deals.models import Deal, FollowUp, FollowUpKind, NextStep, NextStepStatus
from deals.next_steps import CLOSED_STAGES
from deals.sweeps import last_activity


@dataclass(frozen=True)
class StepSeen:
    """A step as its nudge shows it (and its buttons carry)."""

    id: int
    title: str
    owner_slack_id: str
    due: date


@dataclass(frozen=True)
class Nudge:
    """A claimed nudge, ready to post: where, to whom, about what."""

    follow_up_id: int
    kind: FollowUpKind
    deal_id: int
    company: str
    owner_slack_id: str
    recipients: list[str]
    channel_id: str
    thread_ts: str
    step: StepSeen | None  # a step's nudge
    idle_days: int | None  # an idle deal's nudge: days since the last activity
    target_close: date | None  # an at-risk nudge: the date that passed
    sent_ts: str | None  # posted already (a re-run of its job)


@dataclass(frozen=True)
class Skip:
    """The nudge no longer applies; why, for the record."""

    reason: str


def nudge_to_send(session_factory: sessionmaker[Session], *, follow_up_id: int, clock: Clock) -> Nudge | Skip:
    """The nudge as it should go out now, or Skip when what it was about changed since it was claimed."""
    with session_factory() as session, session.begin():
        follow_up = session.get(FollowUp, follow_up_id)
        if follow_up is None:
            return Skip("no such follow-up")
        if follow_up.skipped:
            return Skip(follow_up.skipped)
        deal = deals.get_deal(session, follow_up.deal_id)
        step = session.get(NextStep, follow_up.step_id) if follow_up.step_id is not None else None
        reason = None if follow_up.sent_at else _no_longer_applies(session, follow_up, deal, step, clock)
        if reason is not None:
            _skip(session, follow_up, reason)
            return Skip(reason)
        if not (deal.channel_id and deal.thread_ts):
            _skip(session, follow_up, "the deal has no thread")
            return Skip("the deal has no thread")
        record = deals.qualification_of(deal)
        activity = last_activity(session, [deal.id]).get(deal.id, deal.updated_at)
        return Nudge(
            follow_up_id=follow_up.id,
            kind=follow_up.kind,
            deal_id=deal.id,
            company=deal.account.name,
            owner_slack_id=deal.owner_slack_id,
            recipients=[str(r) for r in follow_up.recipients],
            channel_id=deal.channel_id,
            thread_ts=deal.thread_ts,
            step=StepSeen(id=step.id, title=step.title, owner_slack_id=step.owner_slack_id, due=step.due)
            if step is not None
            else None,
            idle_days=(clock.now() - activity).days if follow_up.kind != FollowUpKind.STEP_DUE else None,
            target_close=record.target_close if follow_up.kind == FollowUpKind.AT_RISK else None,
            sent_ts=follow_up.ts,
        )


def _no_longer_applies(
    session: Session, follow_up: FollowUp, deal: Deal, step: NextStep | None, clock: Clock
) -> str | None:
    """Why a claimed nudge should not go out after all (the step was done, the deal moved on), or None."""
    if deal.stage in CLOSED_STAGES:
        return f"the deal is {deal.stage}"
    if follow_up.kind == FollowUpKind.STEP_DUE:
        assert step is not None
        if step.status != NextStepStatus.OPEN:
            return "the step was done"
        if f":due:{step.due.isoformat()}:" not in follow_up.key:
            return "the step was snoozed"
        # A nudge that waited out a weekend meets the next period's: only the newer one goes out.
        newer = select(FollowUp.id).where(FollowUp.step_id == step.id, FollowUp.id > follow_up.id).limit(1)
        if session.scalar(newer) is not None:
            return "a later nudge of the step replaces it"
    elif follow_up.kind in (FollowUpKind.DEAL_IDLE, FollowUpKind.IDLE_ESCALATION):
        since = last_activity(session, [deal.id]).get(deal.id)
        if since is None or f":idle:{since.isoformat()}:" not in follow_up.key:
            return "the deal moved on"
    elif follow_up.kind == FollowUpKind.AT_RISK and deal.at_risk_since is None:
        return "the deal is back on track"
    return None


def _skip(session: Session, follow_up: FollowUp, reason: str) -> None:
    session.execute(
        update(FollowUp).where(FollowUp.id == follow_up.id, FollowUp.sent_at.is_(None)).values(skipped=reason)
    )


def defer(session_factory: sessionmaker[Session], *, follow_up_id: int, until: datetime, clock: Clock) -> bool:
    """Quiet hours where the person is: the nudge waits for `until`, as a job of its own queued for then (once
    per moment: a re-run of this job queues nothing more). False when it was deferred to that moment already."""
    with session_factory() as session, session.begin():
        session.execute(update(FollowUp).where(FollowUp.id == follow_up_id).values(deferred_until=until))
        queued = jobs.enqueue(
            session,
            job=SendFollowUp(follow_up_id=follow_up_id),
            clock=clock,
            dedupe_key=f"follow_up:{follow_up_id}:after:{until.isoformat()}",
            delay=until - clock.now(),
        )
        return queued is not None


def mark_sent(
    session_factory: sessionmaker[Session], *, follow_up_id: int, channel_id: str, ts: str, clock: Clock
) -> None:
    with session_factory() as session, session.begin():
        follow_up = session.get_one(FollowUp, follow_up_id)
        if follow_up.sent_at is not None:
            return
        follow_up.sent_at, follow_up.channel_id, follow_up.ts = clock.now(), channel_id, ts
        audit.record(
            session,
            clock=clock,
            actor_type="system",
            actor_id="follow_ups",
            action="follow_up.sent",
            subject=f"follow_up:{follow_up.id}",
            deal_id=follow_up.deal_id,
            inputs={"key": follow_up.key},
            outcome=follow_up.kind,
            detail={"recipients": follow_up.recipients},
        )
