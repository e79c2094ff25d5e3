"""Answers given from the knowledge base and the feedback people leave on them."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit
from core.clock import Clock
from core.jobs import insert_ignoring_conflict
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
