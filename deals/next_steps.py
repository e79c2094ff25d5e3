"""Next steps: what someone will do for a deal by a date. Added from a finding by a click, from a step the
agent proposed by a click, or from people's words in the deal thread, then done, snoozed or reassigned from a
nudge; every change audited.

The agent only proposes: a proposal is an audit event (`next_step.proposed`, recorded with the turn that made
it) holding the title, owner and due date it suggested. Accepting it reads that event back (never text from a
button) and adds the step under the origin `proposal:<event id>`, so however many clicks arrive, one proposal
is one step; dismissing it is an event too, and a dismissed proposal is not added.

Each change is one conditional UPDATE on what the person saw (the step still open, still due when the
nudge said, still theirs), so a second click, a re-run of the click's job or a stale button changes
nothing and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import audit
from core.clock import Clock
from core.models import AuditEvent
from deals import access
from deals import service as deals
from deals.follow_up_rules import FollowUpRules
from deals.inspection import inspect_deal
from deals.models import Deal, DealStage, NextStep, NextStepSource, NextStepStatus
from deals.step_words import SaidStep

# A closed deal's steps are nobody's work any more: they are neither listed nor nudged.
CLOSED_STAGES = (DealStage.WON, DealStage.LOST, DealStage.DISQUALIFIED)


class StepNotFound(LookupError):
    """No next step has that id."""


class FindingGone(LookupError):
    """The finding a button proposed no longer applies to the deal."""


class ProposalGone(LookupError):
    """The proposed step cannot be added or dismissed: unknown, dismissed, added already, or its deal closed."""


@dataclass(frozen=True)
class StepNow:
    """A step as it is now (read before the refusing transaction ends), for the edge to say how it changed."""

    status: NextStepStatus
    owner_slack_id: str
    due: date
    done_by: str | None


class StepChanged(Exception):
    """The step is no longer as the person saw it (done, snoozed or reassigned since): nothing was changed."""

    def __init__(self, step: NextStep) -> None:
        super().__init__(f"next step #{step.id} changed since it was shown: {step.status}, due {step.due.isoformat()}")
        self.now = StepNow(status=step.status, owner_slack_id=step.owner_slack_id, due=step.due, done_by=step.done_by)


# Queries ------------------------------------------------------------------------------------------


def open_steps_for_owner(session: Session, owner_slack_id: str) -> list[NextStep]:
    """The person's open steps on deals still open, soonest due first."""
    return list(
        session.scalars(
            select(NextStep)
            .join(Deal, Deal.id == NextStep.deal_id)
            .where(
                NextStep.owner_slack_id == owner_slack_id,
                NextStep.status == NextStepStatus.OPEN,
                Deal.stage.not_in(CLOSED_STAGES),
            )
            .order_by(NextStep.due, NextStep.id)
        )
    )


def overdue_steps(session: Session, today: date) -> list[NextStep]:
    """Open steps on open deals whose due date is before `today`, most overdue first."""
    return list(
        session.scalars(
            select(NextStep)
            .join(Deal, Deal.id == NextStep.deal_id)
            .where(NextStep.status == NextStepStatus.OPEN, NextStep.due < today, Deal.stage.not_in(CLOSED_STAGES))
            .order_by(NextStep.due, NextStep.id)
        )
    )


# Adding -------------------------------------------------------------------------------------------


def add_step(
    session: Session,
    *,
    deal: Deal,
    title: str,
    owner_slack_id: str,
    due: date,
    source: NextStepSource,
    created_by: str,
    origin: str,
    clock: Clock,
    finding_code: str | None = None,
) -> tuple[NextStep, bool]:
    """Add a step (audited); returns it and whether this request added it: a re-run of the request that added it
    (the same origin) gets that step back as its own, without adding another."""
    existing = session.scalar(select(NextStep).where(NextStep.origin == origin))
    if existing is not None:
        return existing, True
    now = clock.now()
    step = NextStep(
        deal_id=deal.id,
        title=title,
        owner_slack_id=owner_slack_id,
        due=due,
        status=NextStepStatus.OPEN,
        source=source,
        finding_code=finding_code,
        created_by=created_by,
        origin=origin,
        created_at=now,
        updated_at=now,
    )
    session.add(step)
    session.flush()
    _audit(session, step, actor=created_by, action="next_step.add", clock=clock, detail={"source": source})
    return step, True


@dataclass(frozen=True)
class AddedStep:
    step: NextStep
    added: bool  # False: another request added it (the finding's step is open already)


@dataclass(frozen=True)
class AddedSteps:
    thread: deals.DealThread
    steps: list[AddedStep]


def accept_finding(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    deal_id: int,
    code: str,
    origin: str,
    rules: FollowUpRules,
    inspection: deals.Inspection,
    clock: Clock,
) -> AddedSteps:
    """A click on a finding's "Add as next step": the step the finding names, for the deal's owner, due by its severity.
    The finding is inspected again, so only what the rules find now can be added (never text from a button).
    Raises DealNotFound, access.Forbidden or FindingGone."""
    with session_factory() as session, session.begin():
        deal = deals.get_deal(session, deal_id, for_update=True)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        record = deals.qualification_of(deal)
        findings = inspect_deal(session, deal.id, record, catalog=inspection.catalog, today=inspection.today)
        finding = next((f for f in findings if f.code == code), None)
        if finding is None:
            raise FindingGone(f"That finding no longer applies to deal #{deal.id}; I added nothing.")
        already = session.scalar(
            select(NextStep).where(
                NextStep.deal_id == deal.id,
                NextStep.finding_code == code,
                NextStep.status == NextStepStatus.OPEN,
            )
        )
        if already is not None and already.origin != origin:
            return AddedSteps(thread=_thread(deal), steps=[AddedStep(step=already, added=False)])
        step, added = add_step(
            session,
            deal=deal,
            title=finding.next_step,
            owner_slack_id=deal.owner_slack_id,
            due=rules.finding_due(finding.severity, inspection.today),
            source=NextStepSource.FINDING,
            created_by=who.user_id,
            origin=origin,
            clock=clock,
            finding_code=code,
        )
        return AddedSteps(thread=_thread(deal), steps=[AddedStep(step=step, added=added)])


def add_said_steps(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    deal_id: int,
    said: Sequence[SaidStep],
    origin: str,
    rules: FollowUpRules,
    today: date,
    clock: Clock,
) -> AddedSteps:
    """The steps someone wrote in the deal thread: theirs unless they named someone, due when they said or after
    the default delay. Raises DealNotFound or access.Forbidden."""
    with session_factory() as session, session.begin():
        deal = deals.get_deal(session, deal_id)
        access.check(session, who, access.Action.CHANGE_DEAL, deal)
        added = []
        for index, step in enumerate(said):
            row, new = add_step(
                session,
                deal=deal,
                title=step.title,
                owner_slack_id=step.owner or who.user_id,
                due=step.due or rules.default_due(today),
                source=NextStepSource.REP,
                created_by=who.user_id,
                origin=f"{origin}:{index}",
                clock=clock,
            )
            added.append(AddedStep(step=row, added=new))
        return AddedSteps(thread=_thread(deal), steps=added)


# Proposed by the agent ----------------------------------------------------------------------------

PROPOSED = "next_step.proposed"
PROPOSAL_DISMISSED = "next_step.proposal_dismissed"
MAX_PROPOSAL_TITLE = 200


@dataclass(frozen=True)
class StepProposal:
    """A next step the agent proposes: what, for whom, by when (None: the default delay once accepted)."""

    title: str
    owner_slack_id: str
    due: date | None
    when_said: str | None = None  # the words the date was read from


@dataclass(frozen=True)
class ProposedStep:
    """A recorded proposal, as its message in the thread shows it (and its buttons carry its id)."""

    id: int
    deal_id: int
    title: str
    owner_slack_id: str
    due: date | None
    when_said: str | None


def _proposal_subject(key: str, index: int) -> str:
    return f"next_step_proposal:{key}:{index}"


def record_proposals(
    session: Session,
    *,
    deal: Deal,
    proposals: Sequence[StepProposal],
    key: str,
    actor_id: str,
    inputs: dict[str, Any],
    clock: Clock,
) -> None:
    """Record what the agent proposed in the turn `key` names (its channel and message), in the turn's
    transaction: one audit event per proposal, nothing added."""
    for index, proposal in enumerate(proposals):
        audit.record(
            session,
            clock=clock,
            actor_type="model",
            actor_id=actor_id,
            action=PROPOSED,
            subject=_proposal_subject(key, index),
            deal_id=deal.id,
            inputs=inputs,
            outcome="proposed",
            detail={
                "title": proposal.title[:MAX_PROPOSAL_TITLE],
                "owner": proposal.owner_slack_id,
                "due": proposal.due.isoformat() if proposal.due else None,
                "when_said": proposal.when_said,
            },
        )


def proposals_made(session_factory: sessionmaker[Session], *, deal_id: int, key: str) -> list[ProposedStep]:
    """The steps proposed in the turn `key` names, in the order proposed."""
    with session_factory() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.deal_id == deal_id,
                AuditEvent.action == PROPOSED,
                AuditEvent.subject.startswith(_proposal_subject(key, 0)[:-1], autoescape=True),
            )
            .order_by(AuditEvent.id)
        )
        return [_proposed(event) for event in events]


def _proposed(event: AuditEvent) -> ProposedStep:
    detail = event.detail
    assert event.deal_id is not None
    return ProposedStep(
        id=event.id,
        deal_id=event.deal_id,
        title=str(detail.get("title") or ""),
        owner_slack_id=str(detail.get("owner") or ""),
        due=date.fromisoformat(detail["due"]) if detail.get("due") else None,
        when_said=detail.get("when_said"),
    )


def _proposal_to_decide(
    session: Session, who: access.Identity, proposal_id: int
) -> tuple[AuditEvent, Deal, NextStep | None]:
    """The proposal, its deal (locked: an accept and a dismiss take turns) and the step it became, if any."""
    event = session.get(AuditEvent, proposal_id)
    if event is None or event.action != PROPOSED or event.deal_id is None:
        raise ProposalGone("That is not a step I proposed; I did nothing.")
    deal = deals.get_deal(session, event.deal_id, for_update=True)
    access.check(session, who, access.Action.CHANGE_DEAL, deal)
    if deal.stage in CLOSED_STAGES:
        raise ProposalGone(f"Deal #{deal.id} is {deal.stage}; I did nothing.")
    step = session.scalar(select(NextStep).where(NextStep.origin == f"proposal:{event.id}"))
    return event, deal, step


def _dismissal(session: Session, proposal_id: int) -> AuditEvent | None:
    return session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == PROPOSAL_DISMISSED, AuditEvent.subject == f"next_step_proposal:{proposal_id}"
        )
    )


def accept_proposal(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    proposal_id: int,
    rules: FollowUpRules,
    today: date,
    clock: Clock,
) -> AddedSteps:
    """A click on a proposed step's "Add as next step": the step as the agent proposed it (read back from its
    record), due when proposed (never before today) or after the default delay. One proposal is one step: a
    click after it was added gets that step back (`added` is True only for whoever added it). Raises
    DealNotFound, access.Forbidden or ProposalGone (dismissed, or its deal closed)."""
    with session_factory() as session, session.begin():
        event, deal, step = _proposal_to_decide(session, who, proposal_id)
        if step is not None:
            return AddedSteps(thread=_thread(deal), steps=[AddedStep(step=step, added=step.created_by == who.user_id)])
        if (dismissed := _dismissal(session, event.id)) is not None:
            raise ProposalGone(f"<@{dismissed.actor_id}> dismissed that proposal; I added nothing.")
        proposed = _proposed(event)
        due = max(proposed.due, today) if proposed.due else rules.default_due(today)
        step, _ = add_step(
            session,
            deal=deal,
            title=proposed.title,
            owner_slack_id=proposed.owner_slack_id or deal.owner_slack_id,
            due=due,
            source=NextStepSource.AGENT,
            created_by=who.user_id,
            origin=f"proposal:{event.id}",
            clock=clock,
        )
        return AddedSteps(thread=_thread(deal), steps=[AddedStep(step=step, added=True)])


def dismiss_proposal(
    session_factory: sessionmaker[Session], *, who: access.Identity, proposal_id: int, clock: Clock
) -> tuple[ProposedStep, deals.DealThread]:
    """A click on a proposed step's "Dismiss": recorded once; the proposal can no longer be added. Raises
    DealNotFound, access.Forbidden or ProposalGone (it was added as a step already)."""
    with session_factory() as session, session.begin():
        event, deal, step = _proposal_to_decide(session, who, proposal_id)
        if step is not None:
            raise ProposalGone(f"<@{step.created_by}> added it as a next step already; I dismissed nothing.")
        if _dismissal(session, event.id) is None:
            audit.record(
                session,
                clock=clock,
                actor_type="user",
                actor_id=who.user_id,
                action=PROPOSAL_DISMISSED,
                subject=f"next_step_proposal:{event.id}",
                deal_id=deal.id,
                outcome="dismissed",
            )
        return _proposed(event), _thread(deal)


# Changing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepChange:
    step: NextStep  # as it is now
    thread: deals.DealThread


def complete_step(
    session_factory: sessionmaker[Session], *, who: access.Identity, step_id: int, clock: Clock
) -> StepChange:
    """Mark the step done. Raises StepNotFound, access.Forbidden, or StepChanged when it was done already."""
    with session_factory() as session, session.begin():
        step, deal = _step_to_change(session, who, step_id)
        now = clock.now()
        _change(
            session,
            step,
            expected={"status": NextStepStatus.OPEN},
            values={"status": NextStepStatus.DONE, "done_at": now, "done_by": who.user_id, "updated_at": now},
        )
        _audit(session, step, actor=who.user_id, action="next_step.done", clock=clock)
        return StepChange(step=step, thread=_thread(deal))


def snooze_step(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    step_id: int,
    seen_due: date,
    days: int,
    today: date,
    clock: Clock,
) -> StepChange:
    """Push the due date `days` on from the later of the date the person saw and today. Raises StepNotFound,
    access.Forbidden, or StepChanged when the step is done or its date moved since the person saw it."""
    with session_factory() as session, session.begin():
        step, deal = _step_to_change(session, who, step_id)
        due = max(seen_due, today) + timedelta(days=days)
        _change(
            session,
            step,
            expected={"status": NextStepStatus.OPEN, "due": seen_due},
            values={"due": due, "updated_at": clock.now()},
        )
        _audit(session, step, actor=who.user_id, action="next_step.snooze", clock=clock, detail={"from": seen_due})
        return StepChange(step=step, thread=_thread(deal))


def reassign_step(
    session_factory: sessionmaker[Session],
    *,
    who: access.Identity,
    step_id: int,
    seen_owner: str,
    new_owner: str,
    clock: Clock,
) -> StepChange:
    """Give the step to someone else. Raises StepNotFound, access.Forbidden, or StepChanged when it is done or
    was reassigned since the person saw it."""
    with session_factory() as session, session.begin():
        step, deal = _step_to_change(session, who, step_id)
        if new_owner == seen_owner:
            raise StepChanged(step)
        _change(
            session,
            step,
            expected={"status": NextStepStatus.OPEN, "owner_slack_id": seen_owner},
            values={"owner_slack_id": new_owner, "updated_at": clock.now()},
        )
        _audit(session, step, actor=who.user_id, action="next_step.reassign", clock=clock, detail={"from": seen_owner})
        return StepChange(step=step, thread=_thread(deal))


def may_change(session: Session, who: access.Identity, step: NextStep, deal: Deal) -> None:
    """The step's owner may change it, and so may whoever may change its deal; anyone else is refused."""
    if step.owner_slack_id == who.user_id:
        return
    access.check(session, who, access.Action.CHANGE_DEAL, deal)


def _step_to_change(session: Session, who: access.Identity, step_id: int) -> tuple[NextStep, Deal]:
    step = session.get(NextStep, step_id)
    if step is None:
        raise StepNotFound(f"There is no next step #{step_id}.")
    deal = deals.get_deal(session, step.deal_id)
    may_change(session, who, step, deal)
    return step, deal


def _change(session: Session, step: NextStep, *, expected: dict[str, Any], values: dict[str, Any]) -> None:
    """One conditional UPDATE: applied only if the step is still as `expected`; else StepChanged with the step as
    it is now."""
    conditions = [getattr(NextStep, name) == value for name, value in expected.items()]
    won = session.execute(
        update(NextStep)
        .where(NextStep.id == step.id, *conditions)
        .values(values)
        .returning(NextStep.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(step)
    if won is None:
        raise StepChanged(step)


def _thread(deal: Deal) -> deals.DealThread:
    return deals.DealThread(
        deal_id=deal.id, company=deal.account.name, channel_id=deal.channel_id, thread_ts=deal.thread_ts
    )


def _audit(
    session: Session,
    step: NextStep,
    *,
    actor: str,
    action: str,
    clock: Clock,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=actor,
        action=action,
        subject=f"next_step:{step.id}",
        deal_id=step.deal_id,
        inputs={"origin": step.origin} if action == "next_step.add" else {},
        outcome=step.status,
        detail={
            "owner": step.owner_slack_id,
            "due": step.due.isoformat(),
            **{k: v.isoformat() if isinstance(v, date) else v for k, v in (detail or {}).items()},
        },
    )
