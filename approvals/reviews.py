"""Technical reviews by sales engineering: request, claim, edit and decide exactly once. Slack-agnostic.

Any domain asks for a review of a draft (`request_review`: the technical scope of a deal, a POC plan); a
sales engineer claims it and decides it with their edit. Claiming and deciding are conditional UPDATEs, so
double clicks, retried deliveries and two engineers at once produce one claim and one decision; the others
learn who was first. What a decision changes for people is a `review.decided` job queued in the deciding
transaction; that job ends with the hook the review's kind registered here (`on_review_decided`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from approvals.review_models import (
    OPEN,
    REVIEW_KINDS,
    VERDICT_NAMES,
    ReviewDraft,
    ReviewItem,
    ReviewNotice,
    ReviewResult,
    ReviewSection,
    ReviewStatus,
    TechnicalReview,
    Verdict,
)
from approvals.review_policy import ReviewPolicy, load_review_policy
from core import audit, events, jobs
from core.clock import Clock
from core.job_kinds import DecideReview, PostReviewCard, ReviewDecided
from deals.access import Identity, Role
from deals.models import Deal

__all__ = [
    "ReviewDraft",
    "ReviewItem",
    "ReviewSection",
    "TechnicalReview",
    "latest_decided_review",
    "on_review_decided",
    "register_decided_hook",
    "request_review",
]

DecidedHook = Callable[[Session, TechnicalReview, Clock], None]
_DECIDED_HOOKS: dict[str, DecidedHook] = {}


class ReviewError(Exception):
    """A review step that cannot be taken; the message is for the person who asked."""


class NotAuthorized(ReviewError):
    pass


class AlreadyDecided(ReviewError):
    pass


class AlreadyClaimed(ReviewError):
    pass


class ReviewNotFound(ReviewError):
    pass


# Per-kind hooks -----------------------------------------------------------------------------------


def register_decided_hook(kind: str, fn: DecidedHook) -> None:
    """Run `fn(session, review, clock)` in the `review.decided` job's transaction when a review of `kind` is
    decided (after the card, the thread and the deal card were told). One hook per kind."""
    if kind not in REVIEW_KINDS:
        raise ValueError(f"unknown review kind {kind!r}")
    _DECIDED_HOOKS[kind] = fn


def on_review_decided(kind: str) -> Callable[[DecidedHook], DecidedHook]:
    """Decorator form of `register_decided_hook`."""

    def register(fn: DecidedHook) -> DecidedHook:
        register_decided_hook(kind, fn)
        return fn

    return register


def run_decided_hook(session: Session, review: TechnicalReview, *, clock: Clock) -> bool:
    """The hook of the review's kind, if one is registered; False when none is."""
    hook = _DECIDED_HOOKS.get(review.kind)
    if hook is None:
        return False
    hook(session, review, clock)
    return True


# Request ----------------------------------------------------------------------------------------


def request_review(
    session: Session,
    *,
    deal_id: int,
    kind: str,
    draft: ReviewDraft,
    requester: str,
    clock: Clock,
    origin: str | None = None,
    policy: ReviewPolicy | None = None,
) -> TechnicalReview:
    """Open a review of `draft` for the deal and queue its card, in the caller's transaction.

    Asked again with the same `origin` (a retried click, the same inspection finding, the same POC plan
    version), it returns the review that origin opened. While a review of the same kind is open for the deal,
    that one is returned: sales engineers review one draft of a kind at a time. `policy` is the governed
    review rules (default: the example file); its version is recorded on the review.
    """
    if kind not in REVIEW_KINDS:
        raise ValueError(f"unknown review kind {kind!r}")
    draft = ReviewDraft.model_validate(draft.model_dump())  # a copy, validated
    policy = policy or load_review_policy()
    if origin is not None:
        earlier = session.scalars(select(TechnicalReview).where(TechnicalReview.origin == origin)).first()
        if earlier is not None:
            return earlier
    # Two requests for one deal at once: the deal's row lock lets one open the review, the other find it.
    session.scalars(select(Deal.id).where(Deal.id == deal_id).with_for_update()).first()
    open_one = open_review(session, deal_id, kind)
    if open_one is not None:
        return open_one
    review = TechnicalReview(
        deal_id=deal_id,
        kind=kind,
        status=ReviewStatus.PENDING,
        requester=requester,
        title=draft.title,
        draft=draft.model_dump(mode="json"),
        policy_version=policy.version,
        origin=origin,
        created_at=clock.now(),
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor_type="user" if requester[:1] in ("U", "W") else "system",
        actor_id=requester,
        action="review.request",
        subject=f"review:{review.id}",
        deal_id=deal_id,
        inputs={"kind": kind, "policy_version": policy.version, "origin": origin},
        outcome="pending",
        detail={
            "sections": {section.name: len(section.items) for section in draft.sections},
            "cited": sum(1 for s in draft.sections for item in s.items if item.citation),
            "open_questions": len(draft.open_questions),
            "risks": len(draft.risks),
        },
    )
    jobs.enqueue(session, job=PostReviewCard(review_id=review.id), clock=clock, dedupe_key=f"review:{review.id}:card")
    return review


def open_review(session: Session, deal_id: int, kind: str) -> TechnicalReview | None:
    return session.scalars(
        select(TechnicalReview)
        .where(TechnicalReview.deal_id == deal_id, TechnicalReview.kind == kind, TechnicalReview.status.in_(OPEN))
        .order_by(TechnicalReview.id.desc())
    ).first()


def latest_decided_review(session: Session, deal_id: int, kind: str) -> TechnicalReview | None:
    """The deal's most recently decided review of `kind` (None before any decision)."""
    return session.scalars(
        select(TechnicalReview)
        .where(
            TechnicalReview.deal_id == deal_id,
            TechnicalReview.kind == kind,
            TechnicalReview.status == ReviewStatus.DECIDED,
        )
        .order_by(TechnicalReview.decided_at.desc(), TechnicalReview.id.desc())
    ).first()


def latest_review(session: Session, deal_id: int, kind: str | None = None) -> TechnicalReview | None:
    """The deal's newest review (of `kind`, or of any kind), whatever its state."""
    query = select(TechnicalReview).where(TechnicalReview.deal_id == deal_id)
    if kind is not None:
        query = query.where(TechnicalReview.kind == kind)
    return session.scalars(query.order_by(TechnicalReview.id.desc())).first()


def latest_reviews(session: Session, deal_id: int) -> list[TechnicalReview]:
    """The deal's newest review of each kind, the oldest kind first (what the deal card shows: the technical
    scope's verdict stays on it when a POC plan is reviewed later)."""
    newest: dict[str, TechnicalReview] = {}  # by kind, in the order each kind was first asked for
    for review in session.scalars(
        select(TechnicalReview).where(TechnicalReview.deal_id == deal_id).order_by(TechnicalReview.id)
    ):
        newest[review.kind] = review
    return list(newest.values())


def get_review(session: Session, review_id: int) -> TechnicalReview:
    review = session.get(TechnicalReview, review_id)
    if review is None:
        raise ReviewNotFound("That review does not exist; I did nothing.")
    return review


# Claim ------------------------------------------------------------------------------------------


def _check_sales_engineer(who: Identity, doing: str) -> None:
    if Role.SALES_ENGINEER not in who.roles:
        raise NotAuthorized(
            f"Only sales engineers can {doing} a technical review, and you do not have the sales engineer role. "
            "I did nothing."
        )


@dataclass(frozen=True)
class Claimed:
    review: TechnicalReview
    repeated: bool  # this engineer had claimed it already (a second click reopens the editor)


def claim_review(session: Session, *, review_id: int, who: Identity, clock: Clock) -> Claimed:
    """A sales engineer takes the review, once: the first claim wins; the deal records its sales engineer."""
    _check_sales_engineer(who, "claim")
    review = get_review(session, review_id)
    won = session.execute(
        update(TechnicalReview)
        .where(TechnicalReview.id == review_id, TechnicalReview.status == ReviewStatus.PENDING)
        .values(status=ReviewStatus.CLAIMED, claimed_by=who.user_id, claimed_at=clock.now())
        .returning(TechnicalReview.id)
    ).first()
    session.refresh(review)
    if won is None:
        if review.status == ReviewStatus.CLAIMED and review.claimed_by == who.user_id:
            return Claimed(review=review, repeated=True)
        raise _closed_or_taken(review)
    deal = session.get_one(Deal, review.deal_id)
    deal.sales_engineer_slack_id = who.user_id
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=who.user_id,
        action="review.claim",
        subject=f"review:{review.id}",
        deal_id=review.deal_id,
        inputs={"kind": review.kind, "policy_version": review.policy_version},
        outcome="claimed",
    )
    jobs.enqueue(
        session, job=PostReviewCard(review_id=review.id), clock=clock, dedupe_key=f"review:{review.id}:claimed"
    )
    return Claimed(review=review, repeated=False)


def _closed_or_taken(review: TechnicalReview) -> ReviewError:
    if review.status == ReviewStatus.CLAIMED:
        return AlreadyClaimed(f"<@{review.claimed_by}> already claimed this review; I did nothing.")
    if review.status == ReviewStatus.DECIDED:
        verdict = VERDICT_NAMES[Verdict(review.verdict)] if review.verdict else "decided"
        return AlreadyDecided(f"This review was already decided ({verdict}, by <@{review.decided_by}>).")
    return AlreadyDecided("This review expired without a decision; ask for a new one if it is still needed.")


# Decide -----------------------------------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    """One item a line: bullets and blank lines dropped, spacing normalised."""
    out = []
    for line in text.splitlines():
        cleaned = " ".join(line.strip().lstrip("•-*").split())
        if cleaned:
            out.append(cleaned[:500])
    return out


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def edited_draft(draft: ReviewDraft, sections: dict[str, str], assumptions: str) -> ReviewDraft:
    """The draft as the reviewer left it: each section's lines as items, a line unchanged from the draft keeping
    its citation, a new or reworded line without one (nobody checked a source for it)."""
    edited = []
    for section in draft.sections:
        cited = {_key(item.text): item.citation for item in section.items}
        text = sections.get(section.name)
        if text is None:  # not in the form: left as drafted
            edited.append(section)
            continue
        items = [ReviewItem(text=line, citation=cited.get(_key(line))) for line in lines_of(text)]
        edited.append(ReviewSection(name=section.name, items=items[:40]))
    return draft.model_copy(update={"sections": edited, "assumptions": lines_of(assumptions)[:40]})


def changes_between(draft: ReviewDraft, edited: ReviewDraft) -> dict[str, Any]:
    """What the reviewer changed, counted: per section the items kept, added and removed; the assumptions too."""

    def counted(before: list[str], after: list[str]) -> dict[str, int]:
        was, now = {_key(t) for t in before}, {_key(t) for t in after}
        return {"kept": len(was & now), "added": len(now - was), "removed": len(was - now)}

    by_name = {section.name: section for section in edited.sections}
    changed = {
        section.name: counted([i.text for i in section.items], [i.text for i in by_name[section.name].items])
        for section in draft.sections
        if section.name in by_name
    }
    return {"sections": changed, "assumptions": counted(draft.assumptions, edited.assumptions)}


@dataclass(frozen=True)
class Decided:
    review: TechnicalReview
    repeated: bool = False  # this job had recorded it already: nothing new was decided


def decide_review(
    session: Session,
    *,
    review_id: int,
    who: Identity,
    sections: dict[str, str],
    assumptions: str,
    conditions: str,
    verdict: Verdict | str,
    notes: str,
    clock: Clock,
    origin: str | None = None,
) -> Decided:
    """Record the claiming engineer's edit and verdict, exactly once.

    `sections` maps each section's name to its lines as edited. `origin` names the deciding job: that job,
    run again, gets its own decision back instead of AlreadyDecided. A conditional verdict needs its
    conditions (the customer reads them); "not feasible" needs notes saying why (the rep reads them).
    """
    _check_sales_engineer(who, "decide")
    verdict = Verdict(verdict)
    review = get_review(session, review_id)
    if origin is not None and review.decided_origin == origin and review.decided_by == who.user_id:
        return Decided(review=review, repeated=True)
    if review.status not in OPEN:
        raise _closed_or_taken(review)
    if review.status == ReviewStatus.CLAIMED and review.claimed_by != who.user_id:
        raise AlreadyClaimed(f"<@{review.claimed_by}> claimed this review, so they decide it; I did nothing.")
    condition_lines = lines_of(conditions)[:20]
    if verdict == Verdict.FEASIBLE_WITH_CONDITIONS and not condition_lines:
        raise ReviewError("Feasible with conditions needs the conditions, one a line.")
    if verdict == Verdict.NOT_FEASIBLE and len(notes.strip()) < 5:
        raise ReviewError("Not feasible needs notes saying why, for the rep.")
    draft = review.draft_model
    edited = edited_draft(draft, sections, assumptions)
    changes = changes_between(draft, edited)
    result = ReviewResult(
        draft=edited,
        conditions=condition_lines if verdict == Verdict.FEASIBLE_WITH_CONDITIONS else [],
        changes=changes,
    )
    now = clock.now()
    won = session.execute(
        update(TechnicalReview)
        .where(
            TechnicalReview.id == review_id,
            TechnicalReview.status.in_(OPEN),
            (TechnicalReview.claimed_by.is_(None)) | (TechnicalReview.claimed_by == who.user_id),
        )
        .values(
            status=ReviewStatus.DECIDED,
            verdict=verdict,
            notes=notes.strip() or None,
            result=result.model_dump(mode="json"),
            claimed_by=review.claimed_by or who.user_id,
            claimed_at=review.claimed_at or now,
            decided_by=who.user_id,
            decided_at=now,
            decided_origin=origin,
        )
        .returning(TechnicalReview.id)
    ).first()
    session.refresh(review)
    if won is None:
        raise _closed_or_taken(review)
    subject, inputs = f"review:{review.id}", {"kind": review.kind, "policy_version": review.policy_version}
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=who.user_id,
        action="review.edit",
        subject=subject,
        deal_id=review.deal_id,
        inputs=inputs,
        outcome="edited",
        detail={"draft_vs_edited": changes},
    )
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=who.user_id,
        action="review.decide",
        subject=subject,
        deal_id=review.deal_id,
        inputs={**inputs, "origin": origin},
        outcome=str(verdict),
        detail={"conditions": result.conditions, "notes": bool(review.notes)},
    )
    events.publish_event(
        session,
        events.ReviewDecided(
            id=events.event_id_for(f"review:{review.id}:decided"),
            occurred_at=now,
            deal_id=review.deal_id,
            data=events.ReviewDecision(
                review_id=review.id,
                kind=review.kind,
                verdict=str(verdict),
                decided_by=who.user_id,
                conditions=result.conditions,
                policy_version=review.policy_version,
            ),
        ),
        clock=clock,
    )
    jobs.enqueue(
        session,
        job=ReviewDecided(review_id=review.id, deal_id=review.deal_id, review_kind=review.kind),  # type: ignore[arg-type]
        clock=clock,
        dedupe_key=f"review:{review.id}:decided",
    )
    return Decided(review=review)


# Expire -----------------------------------------------------------------------------------------


def expire_review(session: Session, review: TechnicalReview, *, clock: Clock) -> bool:
    """Close an open review nobody decided in time; False when it was decided meanwhile."""
    won = session.execute(
        update(TechnicalReview)
        .where(TechnicalReview.id == review.id, TechnicalReview.status.in_(OPEN))
        .values(status=ReviewStatus.EXPIRED, decided_at=clock.now())
        .returning(TechnicalReview.id)
    ).first()
    if won is None:
        return False
    session.refresh(review)
    audit.record(
        session,
        clock=clock,
        actor_type="system",
        actor_id="sla",
        action="review.expire",
        subject=f"review:{review.id}",
        deal_id=review.deal_id,
        inputs={"kind": review.kind, "policy_version": review.policy_version},
        outcome="expired",
    )
    return True


# Transactions for the Slack surface ------------------------------------------------------------


def claim(session_factory: sessionmaker[Session], *, review_id: int, who: Identity, clock: Clock) -> Claimed:
    """A click on Claim, in its own transaction (see `claim_review`)."""
    with session_factory() as session, session.begin():
        return claim_review(session, review_id=review_id, who=who, clock=clock)


def decide(
    session_factory: sessionmaker[Session], *, ask: DecideReview, who: Identity, clock: Clock, origin: str | None
) -> Decided:
    """The edit modal's submission, in its own transaction (see `decide_review`)."""
    with session_factory() as session, session.begin():
        return decide_review(
            session,
            review_id=ask.review_id,
            who=who,
            sections=dict(ask.sections),
            assumptions=ask.assumptions,
            conditions=ask.conditions,
            verdict=ask.verdict,
            notes=ask.notes,
            clock=clock,
            origin=origin,
        )


def run_hook_once(session_factory: sessionmaker[Session], *, review_id: int, clock: Clock) -> bool:
    """The decided review's per-kind hook, run once whatever the re-runs of the job that calls it: its marker
    commits with the hook's own changes. False when it ran before (or the kind has no hook)."""
    with session_factory() as session, session.begin():
        review = get_review(session, review_id)
        if review.kind not in _DECIDED_HOOKS:
            return False
        first = jobs.insert_ignoring_conflict(
            session, ReviewNotice, {"review_id": review.id, "period": "decided-hook", "created_at": clock.now()}
        )
        return first and run_decided_hook(session, review, clock=clock)
