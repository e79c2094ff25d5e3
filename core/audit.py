"""The audit trail: one append-only row for every request handled, job run, API call and decision.

Events are written in the transaction of the change they describe, by many processes at once, so
they cannot be chained as they are written without serialising every writer. A sealer does it
after the fact instead: it locks the chain head, takes the committed events not yet sealed, and
gives each the next position and sha256(previous hash + the event's canonical JSON). Editing a
sealed event, deleting one, or cutting the chain short shows up in `verify`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clock import Clock
from core.logging import current_correlation_id
from core.models import AuditChainHead, AuditEvent

STREAM = "audit"
GENESIS = "0" * 64


def record(
    session: Session,
    *,
    clock: Clock,
    actor_type: str,
    actor_id: str,
    action: str,
    outcome: str,
    subject: str | None = None,
    deal_id: int | None = None,
    inputs: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    correlation_id: str | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction, so it commits or rolls back with the change."""
    event = AuditEvent(
        at=clock.now(),
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        subject=subject,
        deal_id=deal_id,
        inputs=inputs or {},
        outcome=outcome,
        detail=detail or {},
        correlation_id=correlation_id or current_correlation_id(),
    )
    session.add(event)
    return event


def events(
    session: Session, *, deal_id: int | None = None, action: str | None = None, limit: int = 1000
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if deal_id is not None:
        query = query.where(AuditEvent.deal_id == deal_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.limit(limit)))


# The hash chain ---------------------------------------------------------------------------------


def canonical(event: AuditEvent) -> str:
    """The sealed content of an event: every field but the chain's own, in a fixed form."""
    return json.dumps(
        {
            "id": event.id,
            "at": event.at.isoformat() if event.at else None,
            "actor_type": event.actor_type,
            "actor_id": event.actor_id,
            "action": event.action,
            "subject": event.subject,
            "deal_id": event.deal_id,
            "inputs": event.inputs,
            "outcome": event.outcome,
            "detail": event.detail,
            "correlation_id": event.correlation_id,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def link(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def seal(session: Session, *, clock: Clock, limit: int = 5000) -> int:
    """Chain the committed events not yet sealed, in id order; returns how many. One sealer at a time."""
    head = session.scalars(select(AuditChainHead).where(AuditChainHead.stream == STREAM).with_for_update()).first()
    if head is None:
        session.add(AuditChainHead(stream=STREAM, last_seq=0, last_hash=GENESIS))
        session.flush()
        head = session.scalars(select(AuditChainHead).where(AuditChainHead.stream == STREAM).with_for_update()).one()
    pending = list(
        session.scalars(select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(limit))
    )
    seq, prev = head.last_seq, head.last_hash
    links = []
    for event in pending:
        seq += 1
        digest = link(prev, event)
        links.append({"id": event.id, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    if links:
        # One executemany by primary key: per-row ORM updates re-scan the session and grow quadratically.
        session.execute(update(AuditEvent), links)
    if pending:
        head.last_seq, head.last_hash, head.sealed_at = seq, prev, clock.now()
    return len(pending)


@dataclass
class Verification:
    checked: int = 0
    unsealed: int = 0
    erased: int = 0  # events whose text a recorded privacy erasure or retention purge replaced
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(session: Session, *, batch: int = 5000) -> Verification:
    """Walk the chain in order and recompute every link; report each break with where it is."""
    from core.privacy import erased_event_ids  # privacy writes audit events: import here, not at the top

    result = Verification()
    erased = erased_event_ids(session)
    head = session.get(AuditChainHead, STREAM)
    expected_seq, prev = 1, GENESIS
    while True:
        rows = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq.is_not(None), AuditEvent.seq >= expected_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        if not rows:
            break
        for event in rows:
            assert event.seq is not None  # the query selects sealed events only
            if event.seq != expected_seq:
                result.problems.append(f"events at positions {expected_seq}–{event.seq - 1} are missing (deleted)")
                prev = event.prev_hash or prev
            if event.prev_hash != prev:
                result.problems.append(f"event {event.id} (position {event.seq}) does not follow the one before it")
            if event.id in erased:
                result.erased += 1  # its text was replaced on purpose, by a recorded request; its links still count
            elif link(event.prev_hash or "", event) != event.hash:
                result.problems.append(f"event {event.id} (position {event.seq}) was changed after it was sealed")
            prev, expected_seq = event.hash or "", event.seq + 1
            result.checked += 1
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev):
        result.problems.append(
            f"the chain ends at position {expected_seq - 1} but was sealed up to {head.last_seq}: "
            "events at the end were deleted"
        )
    result.unsealed = len(list(session.scalars(select(AuditEvent.id).where(AuditEvent.seq.is_(None)))))
    return result


# Export -----------------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "id", "seq", "at", "actor_type", "actor_id", "action", "subject", "deal_id", "outcome",
    "inputs", "detail", "correlation_id", "hash",
)  # fmt: skip


def export(
    session: Session, *, deal_id: int | None = None, since: datetime | None = None, fmt: str = "jsonl"
) -> Iterator[str]:
    """Everything the trail holds about a deal (or everything), oldest first, as JSON lines or CSV."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if deal_id is not None:
        query = query.where(AuditEvent.deal_id == deal_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_FIELDS)
        yield buffer.getvalue()
    for event in session.scalars(query.execution_options(yield_per=500)):
        row = {
            name: (value.isoformat() if isinstance(value, datetime) else value)
            for name in EXPORT_FIELDS
            for value in [getattr(event, name)]
        }
        if fmt == "csv":
            buffer = io.StringIO()
            csv.writer(buffer).writerow(
                json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict) else v for v in row.values()
            )
            yield buffer.getvalue()
        else:
            yield json.dumps(row, sort_keys=True, default=str) + "\n"


def count_unsealed(session: Session) -> int:
    """Committed events the sealer has not chained yet."""
    return session.scalar(select(func.count()).where(AuditEvent.seq.is_(None))) or 0
