"""Answers given from the knowledge base and the feedback people leave on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from core import audit
from core.clock import Clock
from core.jobs import insert_ignoring_conflict
from knowledge import lexical
from knowledge.models import AnswerFeedback, KnowledgeAnswer


class AnswerNotFound(LookupError):
    pass


def record_answer(
    session: Session,
    *,
    question: str,
    asked_by: str,
    channel_id: str | None,
    chunk_ids: list[str],
    answer: str,
    model: str,
    clock: Clock,
) -> int:
    row = KnowledgeAnswer(
        question=question,
        asked_by=asked_by,
        channel_id=channel_id,
        chunk_ids=chunk_ids,
        answer=answer,
        model=model,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor_type="model",
        actor_id=model,
        action="knowledge.answer",
        subject=f"answer:{row.id}",
        inputs={"chunks": chunk_ids, "asked_by": asked_by},
        outcome="answered" if chunk_ids else "nothing_relevant",
    )
    return row.id


def record_feedback(session: Session, *, answer_id: int, user_id: str, helpful: bool, clock: Clock) -> None:
    """One vote per person per answer; voting again changes the vote."""
    if session.get(KnowledgeAnswer, answer_id) is None:
        raise AnswerNotFound(answer_id)
    values = {"answer_id": answer_id, "user_id": user_id, "helpful": helpful, "created_at": clock.now()}
    if not insert_ignoring_conflict(session, AnswerFeedback, values):
        session.execute(
            update(AnswerFeedback)
            .where(AnswerFeedback.answer_id == answer_id, AnswerFeedback.user_id == user_id)
            .values(helpful=helpful, created_at=clock.now())
        )


def feedback_counts(session: Session, answer_id: int) -> tuple[int, int]:
    rows = dict(
        session.execute(
            select(AnswerFeedback.helpful, func.count())
            .where(AnswerFeedback.answer_id == answer_id)
            .group_by(AnswerFeedback.helpful)
        ).all()
    )
    return rows.get(True, 0), rows.get(False, 0)


@dataclass(frozen=True)
class Gap:
    """A question the knowledge base could not answer (or answered unhelpfully), however often asked."""

    question: str  # the latest wording
    asked: int
    askers: int
    last_asked: datetime
    unanswered: int  # times it got "I don't know"
    unhelpful: int  # answers to it voted not helpful


def knowledge_gaps(session: Session, *, since: datetime) -> list[Gap]:
    """What reps asked that the knowledge base does not answer: questions that got "I don't know" or an
    answer voted unhelpful, one line per question (the same words in any order), most asked first."""
    unhelpful_answers = set(
        session.scalars(
            select(AnswerFeedback.answer_id)
            .join(KnowledgeAnswer, KnowledgeAnswer.id == AnswerFeedback.answer_id)
            .where(KnowledgeAnswer.created_at >= since)
            .group_by(AnswerFeedback.answer_id)
            .having(func.sum(case((AnswerFeedback.helpful, 1), else_=-1)) < 0)
        )
    )
    groups: dict[frozenset[str], list[KnowledgeAnswer]] = {}
    rows = session.scalars(
        select(KnowledgeAnswer).where(KnowledgeAnswer.created_at >= since).order_by(KnowledgeAnswer.created_at)
    )
    for row in rows:
        if row.chunk_ids and row.id not in unhelpful_answers:
            continue
        key = frozenset(lexical.tokens(row.question)) or frozenset({row.question.strip().lower()})
        groups.setdefault(key, []).append(row)
    gaps = [
        Gap(
            question=asked[-1].question,
            asked=len(asked),
            askers=len({row.asked_by for row in asked}),
            last_asked=asked[-1].created_at,
            unanswered=sum(not row.chunk_ids for row in asked),
            unhelpful=sum(row.id in unhelpful_answers for row in asked),
        )
        for asked in groups.values()
    ]
    return sorted(gaps, key=lambda gap: (-gap.asked, -gap.last_asked.timestamp()))
