"""Personal data: erase a person's identifier everywhere it was stored, and purge old conversation text.

The audit trail keeps what it must: ids, hashes, who and when. Erasing text from a sealed audit
event changes its content, so the erasure re-seals it: the erasure's own audit event carries, for
each event it changed, the new content hash signed with the audit key (`audit.reseal`), and
`audit.verify` accepts the change only because of that. Erasure events record a hash of the
identifier, never the identifier itself. The bot's own Slack messages are reached by a job
(`EraseFromSlack`), which finds the identifier by its hash and reports what it could not edit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from core import audit, jobs
from core.clock import Clock
from core.job_kinds import EraseFromSlack
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
    slack_job: int | None = None  # the job that edits the bot's Slack messages carrying it

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def fingerprint(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode("utf-8")).hexdigest()


def erase(session: Session, *, identifier: str, actor_id: str, clock: Clock, keys: audit.Keyring) -> Erasure:
    """Replace `identifier` (an email, a phone number) wherever it was stored; record that it was done, re-seal
    the audit events it changed, and queue the job that reaches the bot's Slack messages."""
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
    event = audit.record(
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
    session.flush()  # its id: each re-seal names the erasure that made it
    event.detail = {**event.detail, "resealed": _reseal(session, keys, result.audit_events, by=event.id)}
    # Slack may still show it even when the database holds it nowhere (a purge came first): always look.
    result.slack_job = jobs.enqueue(
        session,
        job=EraseFromSlack(erasure_id=event.id, identifier_sha256=fingerprint(identifier), length=len(identifier)),
        clock=clock,
        dedupe_key=f"privacy.erase:{event.id}",
    )
    return result


def _reseal(session: Session, keys: audit.Keyring, event_ids: Iterable[int], *, by: int) -> list[dict[str, Any]]:
    """The signed new content of each audit event changed, as erasure (or purge) event `by` records it."""
    return [audit.reseal(keys, session.get_one(AuditEvent, event_id), by=by) for event_id in event_ids]


def purge_old_text(session: Session, *, clock: Clock, days: int, keys: audit.Keyring) -> dict[str, int]:
    """Retention: conversation text older than `days` goes; the records, ids and audit links stay.

    Rows are claimed (SKIP LOCKED), so replicas purging at once split them and each purge is recorded once."""
    cutoff = clock.now() - timedelta(days=days)
    counts = {rule.name: 0 for rule in RETENTION_RULES}
    for rule in RETENTION_RULES:
        model = rule.age.class_
        row: object  # a row of whichever table the rule names
        due = select(model).where(rule.age < cutoff, rule.not_yet).with_for_update(skip_locked=True)
        for row in session.scalars(due):
            for attribute, replacement in rule.replacements.items():
                setattr(row, attribute, replacement)
            counts[rule.name] += 1
    # The rep's own words quoted as evidence for a qualification change.
    touched: list[int] = []
    for event in session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.at < cutoff,
            AuditEvent.action == "qualification.change",
            or_(
                cast(AuditEvent.detail, String).ilike('%"evidence": "%'),
                cast(AuditEvent.detail, String).ilike('%"evidence":"%'),
            ),
        )
        .with_for_update(skip_locked=True)
    ):
        if event.detail.get("evidence") not in (None, PURGED):
            event.detail = {**event.detail, "evidence": PURGED}
            touched.append(event.id)
    counts["audit_evidence"] = len(touched)
    session.flush()
    if any(counts.values()):
        purge = audit.record(
            session,
            clock=clock,
            actor_type="system",
            actor_id="retention",
            action="privacy.purge",
            outcome="purged",
            inputs={"older_than_days": days},
            detail={"counts": counts, "audit_events": touched},
        )
        session.flush()
        purge.detail = {**purge.detail, "resealed": _reseal(session, keys, touched, by=purge.id)}
    return counts


# The bot's Slack messages -------------------------------------------------------------------------

MAILTO_LEFTOVER = re.compile(r"<(?:mailto|tel):\[erased\](?:\|\[erased\])?>")


@dataclass(frozen=True)
class Hashed:
    """An identifier known only by its hash (`fingerprint`) and length, as the Slack job receives it."""

    sha256: str
    length: int

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the identifier stands in `text` (any case), left to right, not overlapping."""
        found: list[tuple[int, int]] = []
        start = 0
        for index in range(len(text) - self.length + 1):
            if index < start:
                continue
            window = text[index : index + self.length].lower()
            if hashlib.sha256(window.encode("utf-8")).hexdigest() == self.sha256:
                found.append((index, index + self.length))
                start = index + self.length
        return found


def scrub_hashed(value: Any, target: Hashed) -> tuple[Any, bool]:
    """`value` with every occurrence of the hashed identifier in its strings replaced (dicts and lists walked)."""
    if isinstance(value, str):
        spans = target.spans(value)
        if not spans:
            return value, False
        out, last = [], 0
        for begin, end in spans:
            out += [value[last:begin], ERASED]
            last = end
        # Slack stores a linked address as <mailto:x|x>: leave plain [erased], not a link to it.
        return MAILTO_LEFTOVER.sub(ERASED, "".join(out) + value[last:]), True
    if isinstance(value, dict):
        changed = False
        out_dict = {}
        for key, item in value.items():
            out_dict[key], hit = scrub_hashed(item, target)
            changed |= hit
        return out_dict, changed
    if isinstance(value, list):
        items = [scrub_hashed(item, target) for item in value]
        return [item for item, _ in items], any(hit for _, hit in items)
    return value, False


def bot_posts(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    """(channel, ts) of every message the bot posted, oldest first, as the Slack-effects journal knows them."""
    with sessions() as session:
        rows = session.execute(
            select(SlackEffect.channel_id, SlackEffect.ts)
            .where(
                SlackEffect.method == "chat.postMessage",
                SlackEffect.channel_id.is_not(None),
                SlackEffect.ts.is_not(None),
            )
            .order_by(SlackEffect.id)
        ).all()
    return [(str(channel), str(ts)) for channel, ts in rows]


@dataclass
class SlackErasure:
    """What the Slack job did: messages it read, the bot's messages it edited, and what it could not reach."""

    checked: int = 0
    edited: list[tuple[str, str]] = field(default_factory=list)
    unreachable: list[tuple[str, str, str]] = field(default_factory=list)  # channel, ts, why


def record_slack_erasure(
    sessions: sessionmaker[Session], *, clock: Clock, erasure_id: int, report: SlackErasure
) -> None:
    """The Slack side of an erasure, in the audit trail beside the erasure it completes."""
    with sessions() as session, session.begin():
        audit.record(
            session,
            clock=clock,
            actor_type="system",
            actor_id="privacy",
            action="privacy.erase.slack",
            subject=f"audit:{erasure_id}",
            inputs={"erasure_event": erasure_id},
            outcome="incomplete" if report.unreachable else ("erased" if report.edited else "nothing_found"),
            detail={
                "checked": report.checked,
                "edited": [{"channel": c, "ts": ts} for c, ts in report.edited],
                "unreachable": [{"channel": c, "ts": ts, "why": why} for c, ts, why in report.unreachable],
            },
        )


@dataclass(frozen=True)
class ErasureReport:
    """One erasure as an operator reads it back: where it erased, and what its Slack job did (None: not yet)."""

    event_id: int
    at: datetime
    actor_id: str
    rows: dict[str, int]
    slack: dict[str, Any] | None


def erasure_reports(session: Session, *, limit: int = 10) -> list[ErasureReport]:
    """The latest erasures, newest first, each with its Slack outcome once its job has run."""
    erasures = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "privacy.erase").order_by(AuditEvent.id.desc()).limit(limit)
    ).all()
    slack = {
        event.subject: event.detail
        for event in session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "privacy.erase.slack",
                AuditEvent.subject.in_([f"audit:{e.id}" for e in erasures]),
            )
        )
    }
    return [
        ErasureReport(e.id, e.at, e.actor_id, dict((e.detail or {}).get("rows") or {}), slack.get(f"audit:{e.id}"))
        for e in erasures
    ]
