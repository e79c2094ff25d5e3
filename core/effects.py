"""The journal of Web API calls made by jobs: one row per effect key, so a re-run never repeats a call.

A keyed call is journalled (pending) before it is made, marked attempted just before, and
completed with what Slack returned right after. The gateway owns the transactions; these
functions run inside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import Clock
from core.jobs import insert_ignoring_conflict
from core.models import SlackEffect


@dataclass(frozen=True)
class Effect:
    """What the journal knows about one keyed call."""

    key: str
    channel_id: str | None
    ts: str | None
    completed_at: datetime | None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def attempted(self) -> bool:
        """The call was made (or about to be) but its answer was never recorded: a crash in between."""
        return self.completed_at is None and bool(self.result.get("attempted"))


def journal(session: Session, *, key: str, method: str, channel_id: str | None, clock: Clock) -> Effect:
    """The effect for this key, journalled as pending if this is its first run."""
    insert_ignoring_conflict(
        session,
        SlackEffect,
        {"key": key, "method": method, "channel_id": channel_id, "result": {}, "created_at": clock.now()},
    )
    row = session.scalars(select(SlackEffect).where(SlackEffect.key == key)).one()
    return Effect(
        key=row.key, channel_id=row.channel_id, ts=row.ts, completed_at=row.completed_at, result=dict(row.result)
    )


def mark_attempted(session: Session, *, key: str) -> None:
    """The call is about to be made: a re-run that finds this mark looks for it before calling again."""
    session.execute(update(SlackEffect).where(SlackEffect.key == key).values(result={"attempted": True}))


def complete(
    session: Session, *, key: str, ts: str | None, channel_id: str | None, result: dict[str, Any], clock: Clock
) -> None:
    """Record what the call returned: a re-run returns this instead of calling again."""
    session.execute(
        update(SlackEffect)
        .where(SlackEffect.key == key)
        .values(ts=ts, channel_id=channel_id, result=result, completed_at=clock.now())
    )
