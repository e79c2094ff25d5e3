"""Personal data: erase a person's identifier everywhere it was stored, and purge old conversation text.

The audit trail keeps what it must: ids, hashes, who and when. Erasing text from a sealed audit
event changes its content, so the erasure is itself an audit event that names the events it
touched; `audit.verify` still checks their links (position and hashes) and reports them as
erased instead of as tampered with. Erasure events record a hash of the identifier, never the
identifier itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core import audit
from core.clock import Clock
from core.models import AuditEvent, Job, OutboxEvent, SlackEffect

ERASED = "[erased]"
PURGED = "[purged: retention]"

# Every column that can hold free text from people (messages, notes, payloads, results). The kernel
# lists its own; each domain adds its columns with `holds_personal_text` where it declares its tables.
TEXT_COLUMNS: list[InstrumentedAttribute[Any]] = [
    Job.payload,
    Job.last_error,
    OutboxEvent.payload,
    SlackEffect.result,
    AuditEvent.inputs,
    AuditEvent.detail,
]


@dataclass(frozen=True)
class RetentionRule:
    """Rows of one table whose text goes after the retention period; the rows themselves stay."""

    name: str  # how the purge reports it, e.g. "messages"
    age: InstrumentedAttribute[datetime]  # the datetime column the period counts from
    replacements: dict[str, Any]  # attribute -> what replaces its text
    not_yet: ColumnElement[bool]  # a SQL condition true for rows not purged already


RETENTION_RULES: list[RetentionRule] = []


def holds_personal_text(*columns: InstrumentedAttribute[Any]) -> None:
    """Declare columns a privacy erasure must search and scrub (called by each domain's models)."""
    TEXT_COLUMNS.extend(column for column in columns if column not in TEXT_COLUMNS)


def retain(rule: RetentionRule) -> None:
    """Declare text the retention purge replaces after the retention period (called by each domain's models)."""
    if all(existing.name != rule.name for existing in RETENTION_RULES):
        RETENTION_RULES.append(rule)


def scrub(value: Any, pattern: re.Pattern[str], replacement: str = ERASED) -> tuple[Any, bool]:
    """`value` with every match of `pattern` in its strings replaced (dicts and lists walked)."""
    if isinstance(value, str):
        new = pattern.sub(replacement, value)
        return new, new != value
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            out[key], hit = scrub(item, pattern, replacement)
            changed |= hit
        return out, changed
    if isinstance(value, list):
        items = [scrub(item, pattern, replacement) for item in value]
        return [item for item, _ in items], any(hit for _, hit in items)
    return value, False


@dataclass
class Erasure:
    rows: dict[str, int] = field(default_factory=dict)
    audit_events: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def fingerprint(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode("utf-8")).hexdigest()


def erase(session: Session, *, identifier: str, actor_id: str, clock: Clock) -> Erasure:
    """Replace `identifier` (an email, a phone number) wherever it was stored; record that it was done."""
    identifier = identifier.strip()
    if len(identifier) < 5:
        raise ValueError("give the full email address or phone number to erase")
    pattern = re.compile(re.escape(identifier), re.IGNORECASE)
    result = Erasure()
    for column in TEXT_COLUMNS:
        model = column.class_
        # Narrow in SQL (JSON columns compared as text), then scrub each row's value in Python.
        rows: Sequence[Any] = session.scalars(select(model).where(cast(column, String).ilike(f"%{identifier}%"))).all()
        for row in rows:
            new, changed = scrub(getattr(row, column.key), pattern)
            if changed:
                setattr(row, column.key, new)
                name = f"{model.__tablename__}.{column.key}"
                result.rows[name] = result.rows.get(name, 0) + 1
                if model is AuditEvent and row.id not in result.audit_events:
                    result.audit_events.append(row.id)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=actor_id,
        action="privacy.erase",
        subject=f"person:{fingerprint(identifier)[:16]}",
        inputs={"identifier_sha256": fingerprint(identifier)},
        outcome="erased" if result.total else "nothing_found",
        detail={"rows": result.rows, "audit_events": result.audit_events},
    )
    return result


def purge_old_text(session: Session, *, clock: Clock, days: int) -> dict[str, int]:
    """Retention: conversation text older than `days` goes; the records, ids and audit links stay."""
    cutoff = clock.now() - timedelta(days=days)
    counts = {rule.name: 0 for rule in RETENTION_RULES}
    for rule in RETENTION_RULES:
        model = rule.age.class_
        row: object  # a row of whichever table the rule names
        for row in session.scalars(select(model).where(rule.age < cutoff, rule.not_yet)):
            for attribute, replacement in rule.replacements.items():
                setattr(row, attribute, replacement)
            counts[rule.name] += 1
    # The rep's own words quoted as evidence for a qualification change.
    touched: list[int] = []
    for event in session.scalars(
        select(AuditEvent).where(
            AuditEvent.at < cutoff,
            AuditEvent.action == "qualification.change",
            or_(
                cast(AuditEvent.detail, String).ilike('%"evidence": "%'),
                cast(AuditEvent.detail, String).ilike('%"evidence":"%'),
            ),
        )
    ):
        if event.detail.get("evidence") not in (None, PURGED):
            event.detail = {**event.detail, "evidence": PURGED}
            touched.append(event.id)
    counts["audit_evidence"] = len(touched)
    if any(counts.values()):
        audit.record(
            session,
            clock=clock,
            actor_type="system",
            actor_id="retention",
            action="privacy.purge",
            outcome="purged",
            inputs={"older_than_days": days},
            detail={"counts": counts, "audit_events": touched},
        )
    return counts


def erased_event_ids(session: Session) -> set[int]:
    """Audit events whose text a privacy erasure or a retention purge replaced (recorded by those events)."""
    ids: set[int] = set()
    details: Iterable[dict[str, Any] | None] = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action.in_(("privacy.erase", "privacy.purge")))
    )
    for detail in details:
        ids.update(int(i) for i in (detail or {}).get("audit_events", []))
    return ids
