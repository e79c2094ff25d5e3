"""Follow-up sweeps: due next steps, idle deals, target close dates that passed.

Each nudge is claimed by inserting its row under a key naming the step (or deal) and the period
(`step:12:due:2026-12-08:0`, `deal:3:idle:<last activity>:owner`), and its job is queued in the same
transaction keyed the same way: replicas running the same schedule claim each nudge once (the second
insert of a key does nothing), and a crash loses none. A deal moves to at risk by a conditional UPDATE,
as approval SLAs are claimed. Quiet hours are the nudge's job's business: only Slack knows where people are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import SendFollowUp
from deals import access
from deals import service as deals
from deals.follow_up_rules import FollowUpRules
from deals.models import (
    Conversation,
    Deal,
    FollowUp,
    FollowUpKind,
    Message,
    MessageRole,
    NextStep,
    NextStepStatus,
)
from deals.next_steps import CLOSED_STAGES
from deals.poc_models import PocPlanRecord, PocStatus


def follow_up(session: Session, *, rules: FollowUpRules, roles: access.RoleMap, clock: Clock) -> dict[str, int]:
    """The whole sweep, one transaction: due steps, idle deals, deals at risk. Returns counts."""
    return {
        "steps_due": nudge_due_steps(session, rules=rules, clock=clock),
        **nudge_idle_deals(session, rules=rules, roles=roles, clock=clock),
        **watch_close_dates(session, clock=clock),
    }


@dataclass(frozen=True)
class Candidate:
    """A nudge whose time has come, unless its key was claimed already."""

    key: str
    kind: FollowUpKind
    deal_id: int
    recipients: list[str]
    step_id: int | None = None


CHECK_KEYS = 500  # keys looked up per statement


def claim_all(session: Session, candidates: Sequence[Candidate], *, clock: Clock) -> int:
    """Claim each nudge and queue its job; returns how many this run claimed. Keys claimed in an earlier period
    are skipped in bulk (the steady state: one look-up per few hundred); the insert that ignores a conflicting
    key is what decides between replicas sweeping at once."""
    keys = [candidate.key for candidate in candidates]
    taken: set[str] = set()
    for start in range(0, len(keys), CHECK_KEYS):
        taken.update(session.scalars(select(FollowUp.key).where(FollowUp.key.in_(keys[start : start + CHECK_KEYS]))))
    return sum(claim(session, candidate, clock=clock) for candidate in candidates if candidate.key not in taken)


def claim(session: Session, candidate: Candidate, *, clock: Clock) -> bool:
    """Claim one nudge and queue its job; False when its key was claimed before (by this or another replica)."""
    values: dict[str, Any] = {
        "key": candidate.key,
        "kind": candidate.kind,
        "deal_id": candidate.deal_id,
        "step_id": candidate.step_id,
        "recipients": candidate.recipients,
        "created_at": clock.now(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(FollowUp).values(**values).on_conflict_do_nothing().returning(FollowUp.id)
    follow_up_id = session.execute(statement).scalar()
    if follow_up_id is None:
        return False
    job = SendFollowUp(follow_up_id=follow_up_id)
    jobs.enqueue(session, job=job, clock=clock, dedupe_key=f"follow_up:{candidate.key}")
    return True


def nudge_due_steps(session: Session, *, rules: FollowUpRules, clock: Clock) -> int:
    """Nudge the owner of every open step due (once per step and period: on its due date, then every
    `remind_every_days` while it stays open)."""
    # A day begins earlier east of UTC: steps due tomorrow (UTC) may be due somewhere already; the nudge's job
    # waits until the owner's own day starts.
    today = clock.now().date()
    due = session.execute(
        select(NextStep.id, NextStep.deal_id, NextStep.owner_slack_id, NextStep.due)
        .join(Deal, Deal.id == NextStep.deal_id)
        .where(
            NextStep.status == NextStepStatus.OPEN,
            NextStep.due <= today + timedelta(days=1),
            Deal.stage.not_in(CLOSED_STAGES),
        )
        .order_by(NextStep.id)
    ).all()
    every = rules.next_steps.remind_every_days
    candidates = [
        Candidate(
            key=f"step:{step_id}:due:{due_on.isoformat()}:{max((today - due_on).days, 0) // every if every else 0}",
            kind=FollowUpKind.STEP_DUE,
            deal_id=deal_id,
            step_id=step_id,
            recipients=[owner],
        )
        for step_id, deal_id, owner, due_on in due
    ]
    return claim_all(session, candidates, clock=clock)


def last_activity(session: Session, deal_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """When each deal last saw activity: a change to the deal itself, a person's message in its threads, a next
    step added or changed. The bot's own messages (nudges among them) are not activity."""
    deal_filter = [Deal.id.in_(list(deal_ids))] if deal_ids is not None else []
    latest = {deal_id: at for deal_id, at in session.execute(select(Deal.id, Deal.updated_at).where(*deal_filter))}
    said = session.execute(
        select(Conversation.deal_id, func.max(Message.created_at))
        .join(Message, Message.conversation_id == Conversation.id)
        .where(Message.role == MessageRole.REP, Conversation.deal_id.in_(list(latest)))
        .group_by(Conversation.deal_id)
    ).all()
    changed = session.execute(
        select(NextStep.deal_id, func.max(NextStep.updated_at))
        .where(NextStep.deal_id.in_(list(latest)))
        .group_by(NextStep.deal_id)
    ).all()
    for deal_id, at in [*said, *changed]:
        if deal_id is not None and at is not None and at > latest[deal_id]:
            latest[deal_id] = at
    return latest


def nudge_idle_deals(session: Session, *, rules: FollowUpRules, roles: access.RoleMap, clock: Clock) -> dict[str, int]:
    """A deal quiet for its stage's period nudges its owner; quiet for a second period, the owner's manager.
    Once per quiet spell: any activity starts a new one."""
    watched = list(rules.idle)
    if not watched:
        return {"idle": 0, "escalated": 0}
    open_deals = session.execute(select(Deal.id, Deal.stage, Deal.owner_slack_id).where(Deal.stage.in_(watched))).all()
    activity = last_activity(session, [deal_id for deal_id, _, _ in open_deals])
    now = clock.now()
    owners: list[Candidate] = []
    managers: list[Candidate] = []
    for deal_id, stage, owner in open_deals:
        since = activity[deal_id]
        periods = rules.idle[stage]
        quiet = now - since
        spell = f"deal:{deal_id}:idle:{since.isoformat()}"
        if quiet >= timedelta(days=periods.owner_after_days):
            owners.append(Candidate(f"{spell}:owner", FollowUpKind.DEAL_IDLE, deal_id, [owner]))
        if quiet >= timedelta(days=periods.owner_after_days + periods.manager_after_days):
            managers.append(
                Candidate(f"{spell}:manager", FollowUpKind.IDLE_ESCALATION, deal_id, roles.managers_of(owner))
            )
    return {"idle": claim_all(session, owners, clock=clock), "escalated": claim_all(session, managers, clock=clock)}


def watch_close_dates(session: Session, *, clock: Clock) -> dict[str, int]:
    """An open deal whose target close date passed is at risk (its owner told once per date); one whose date
    moved out again, or that closed, is back on track."""
    today = clock.now().date()
    counts = {"at_risk": 0, "back_on_track": 0}
    # Only the close date is read from every open deal; a deal is loaded when its flag changes.
    close_dates = session.execute(
        select(Deal.id, Deal.qualification["target_close"].as_string(), Deal.at_risk_since)
        .where(Deal.stage.not_in(CLOSED_STAGES))
        .order_by(Deal.id)
    ).all()
    # A failed POC put these deals at risk: a close date ahead does not put them back on track.
    held_by_poc = set(session.scalars(select(PocPlanRecord.deal_id).where(PocPlanRecord.status == PocStatus.FAILED)))
    for row in close_dates:
        deal_id, target_close, at_risk_since = int(row[0]), row[1], row[2]
        passed = target_close is not None and date.fromisoformat(str(target_close)) < today
        if passed and at_risk_since is None:
            deal = deals.get_deal(session, deal_id)
            if _flag(session, deal, at_risk=True, clock=clock):
                key = f"deal:{deal.id}:at_risk:{target_close}"
                claim(session, Candidate(key, FollowUpKind.AT_RISK, deal.id, [deal.owner_slack_id]), clock=clock)
                counts["at_risk"] += 1
        elif not passed and at_risk_since is not None and deal_id not in held_by_poc:
            counts["back_on_track"] += _flag(session, deals.get_deal(session, deal_id), at_risk=False, clock=clock)
    for deal in session.scalars(select(Deal).where(Deal.stage.in_(CLOSED_STAGES), Deal.at_risk_since.is_not(None))):
        counts["back_on_track"] += _flag(session, deal, at_risk=False, clock=clock)
    return counts


def _flag(session: Session, deal: Deal, *, at_risk: bool, clock: Clock) -> bool:
    """Set or clear the deal's at-risk flag by a conditional UPDATE (one replica wins), audited and written back
    to the CRM; False when another replica did it first."""
    now = clock.now()
    unchanged = Deal.at_risk_since.is_(None) if at_risk else Deal.at_risk_since.is_not(None)
    won = session.execute(
        update(Deal)
        .where(Deal.id == deal.id, unchanged)
        .values(at_risk_since=now if at_risk else None)
        .returning(Deal.id)
        .execution_options(synchronize_session=False)
    ).first()
    if won is None:
        return False
    session.refresh(deal)
    target = deals.qualification_of(deal).target_close
    reason = (
        f"the target close date {target.isoformat()} passed" if at_risk and target else "the close date is ahead again"
    )
    audit.record(
        session,
        clock=clock,
        actor_type="system",
        actor_id="follow_ups",
        action="deal.at_risk" if at_risk else "deal.back_on_track",
        subject=f"deal:{deal.id}",
        deal_id=deal.id,
        inputs={"target_close": target.isoformat() if target else None},
        outcome="at_risk" if at_risk else "on_track",
        detail={"reason": reason},
    )
    deals.write_back(
        session,
        deal,
        key=f"deal:{deal.id}:{'at_risk' if at_risk else 'on_track'}:{now.isoformat()}",
        clock=clock,
        note=f"At risk: {reason}." if at_risk else f"Back on track: {reason}.",
    )
    return True
