"""The audit trail: one append-only row for every request handled, job run, API call and decision.

Events are written in the transaction of the change they describe, by many processes at once, so
they cannot be chained as they are written without serialising every writer. A sealer does it
after the fact instead: it locks the chain head, takes the committed events not yet sealed, and
gives each the next position and an HMAC (a key from LTO_AUDIT_KEYS, its id kept on the event) of
the position, the previous hash and the event's canonical JSON. Without the key nobody can
recompute the chain; with it, a rewritten chain still disagrees with the signed checkpoints of its
head that `anchor` appends to a file outside the database. An erasure that must change a sealed
event's text re-seals it: the erasure event carries the event's new content hash, signed with the
key, and `verify` accepts the change only if a later sealed erasure binds exactly that content.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.logging import current_correlation_id
from core.models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from core.settings import Settings

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


def append(
    session: Session,
    *,
    clock: Clock,
    actor_type: str,
    actor_id: str,
    action: str,
    outcome: str,
    subject: str | None = None,
    inputs: dict[str, Any] | None = None,
    correlation_id: str | None = None,
) -> None:
    """`record` as one INSERT, with no event object and no flush of the unit of work: for the ack path."""
    row = {
        "at": clock.now(),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "subject": subject,
        "deal_id": None,
        "inputs": inputs or {},
        "outcome": outcome,
        "detail": {},
        "correlation_id": correlation_id or current_correlation_id(),
    }
    session.connection().execute(_INSERT_EVENT, row)


_INSERT_EVENT = insert(cast(Table, AuditEvent.__table__))


def events(
    session: Session, *, deal_id: int | None = None, action: str | None = None, limit: int = 1000
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if deal_id is not None:
        query = query.where(AuditEvent.deal_id == deal_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.limit(limit)))


# Keys -------------------------------------------------------------------------------------------

# Events whose detail may re-seal events they changed (`reseal`): erasures and retention purges.
RESEALING_ACTIONS = ("privacy.erase", "privacy.purge")


@dataclass(frozen=True)
class Keyring:
    """The keys that seal the chain and sign re-seals and checkpoints: id -> secret, and the id in use."""

    current: str
    secrets: Mapping[str, bytes]

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        keys = settings.audit_signing_keys
        return cls(current=settings.audit_key, secrets={key_id: secret.encode() for key_id, secret in keys.items()})

    def sign(self, message: str, key_id: str | None = None) -> str:
        secret = self.secrets[key_id or self.current]
        return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def signed(self, key_id: Any, message: str, mac: Any) -> bool | None:
        """Whether `mac` signs `message` with key `key_id`; None when no such key is configured."""
        if not isinstance(key_id, str) or key_id not in self.secrets:
            return None
        return isinstance(mac, str) and hmac.compare_digest(self.sign(message, key_id), mac)


# The chain --------------------------------------------------------------------------------------


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


def content_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event).encode("utf-8")).hexdigest()


def link(prev_hash: str, event: AuditEvent) -> str:
    """The unkeyed link of events sealed before the chain was keyed (key_id None); verified, never written."""
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def keyed_link(keys: Keyring, key_id: str, seq: int, prev_hash: str, event: AuditEvent) -> str:
    return keys.sign(f"lto-audit/1|{key_id}|{seq}|{prev_hash}|{canonical(event)}", key_id)


SEAL_BATCH = 5000


def seal(session: Session, *, clock: Clock, keys: Keyring, limit: int = SEAL_BATCH) -> int:
    """Chain the committed events not yet sealed, in id order, at most `limit`; returns how many. One sealer at
    a time."""
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
        digest = keyed_link(keys, keys.current, seq, prev, event)
        links.append({"id": event.id, "seq": seq, "prev_hash": prev, "hash": digest, "key_id": keys.current})
        prev = digest
    if links:
        # One executemany by primary key: per-row ORM updates re-scan the session and grow quadratically.
        session.execute(update(AuditEvent), links)
    if pending:
        head.last_seq, head.last_hash, head.sealed_at = seq, prev, clock.now()
    return len(pending)


def seal_pending(
    session_factory: sessionmaker[Session], *, clock: Clock, keys: Keyring, batch: int = SEAL_BATCH, rounds: int = 20
) -> int:
    """Seal what is committed, a batch per transaction (another sealer waits one batch at most), until a batch is
    not full or after `rounds`; returns how many. One batch per sweep run would cap the chain at `batch` events
    a period; `rounds` lets a run end while events keep coming."""
    sealed = 0
    for _ in range(rounds):
        with session_factory() as session, session.begin():
            done = seal(session, clock=clock, keys=keys, limit=batch)
        sealed += done
        if done < batch:
            break
    return sealed


def _reseal_message(mark: Mapping[str, Any], by: int) -> str:
    return "lto-audit-reseal/1|{}|{}|{}|{}|{}|{}".format(
        mark.get("key_id"), by, mark.get("id"), mark.get("seq"), mark.get("hash"), mark.get("content")
    )


def reseal(keys: Keyring, event: AuditEvent, *, by: int) -> dict[str, Any]:
    """What erasure event `by` records for an event whose text it replaced: its new content hash, signed.

    Bound to the event's position and sealed hash, and to the erasure that made it, so it vouches for
    this event, in this chain, from this erasure only (copied into another row it proves nothing)."""
    mark: dict[str, Any] = {
        "id": event.id,
        "seq": event.seq,
        "hash": event.hash,
        "content": content_hash(event),
        "key_id": keys.current,
    }
    mark["mac"] = keys.sign(_reseal_message(mark, by))
    return mark


# Checkpoints: the chain's head, signed, in a file outside the database ---------------------------


class ChainBroken(Exception):
    """The chain's head does not match its last event: no checkpoint is written over a broken chain."""


def _checkpoint_message(point: Mapping[str, Any]) -> str:
    return "lto-audit-checkpoint/1|{}|{}|{}|{}".format(
        point.get("key_id"), point.get("seq"), point.get("hash"), point.get("at")
    )


def read_checkpoints(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    """(line number, checkpoint) for every line of the file; None for a line that is not a checkpoint."""
    if not path.exists():
        return []
    points: list[tuple[int, dict[str, Any] | None]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            point = json.loads(line)
        except ValueError:
            point = None
        ok = isinstance(point, dict) and isinstance(point.get("seq"), int) and isinstance(point.get("hash"), str)
        points.append((number, point if ok else None))
    return points


def anchor(
    session: Session, *, clock: Clock, keys: Keyring, path: Path, every: timedelta | None = None
) -> dict[str, Any] | None:
    """Append a signed checkpoint of the chain's head to `path` (append-only); None when the head has not moved,
    or when the file's last checkpoint is younger than `every`.

    The head stays locked until the caller commits, so processes that share the file take turns: the second
    finds the first one's checkpoint, and with `every` they write one per period between them."""
    head = session.get(AuditChainHead, STREAM, with_for_update=True)
    if head is None or head.last_seq == 0:
        return None
    checkpoints = [point for _, point in read_checkpoints(path) if point is not None]
    if checkpoints and (checkpoints[-1]["seq"], checkpoints[-1]["hash"]) == (head.last_seq, head.last_hash):
        return None
    if checkpoints and every is not None and clock.now() - _written_at(checkpoints[-1]) < every:
        return None
    last = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == head.last_seq))
    if last != head.last_hash:
        raise ChainBroken(f"the chain's head (position {head.last_seq}) does not match its last event")
    point: dict[str, Any] = {
        "seq": head.last_seq,
        "hash": head.last_hash,
        "key_id": keys.current,
        "at": clock.now().isoformat(),
    }
    point["mac"] = keys.sign(_checkpoint_message(point))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as sink:
        sink.write(json.dumps(point, sort_keys=True) + "\n")
        sink.flush()
        os.fsync(sink.fileno())
    return point


def _written_at(point: Mapping[str, Any]) -> datetime:
    """When a checkpoint was written; a line whose time does not read counts as long ago."""
    try:
        written = datetime.fromisoformat(str(point.get("at")))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return written if written.tzinfo else written.replace(tzinfo=UTC)


# Verification -----------------------------------------------------------------------------------


@dataclass
class Verification:
    checked: int = 0
    unsealed: int = 0
    erased: int = 0  # events whose text a later erasure or retention purge replaced and re-sealed
    unkeyed: int = 0  # events sealed before the chain was keyed (checked with the old unkeyed link)
    checkpoints: int = 0  # checkpoints the chain agrees with
    problems: list[str] = field(default_factory=list)  # each starts with what was found: "edited: ..."
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class _Reseals:
    """What the sealed erasures say: the latest signed re-seal of each event, and erasures that vouch unsigned."""

    latest: dict[int, tuple[AuditEvent, Mapping[str, Any]]] = field(default_factory=dict)
    unkeyed_erased: set[int] = field(default_factory=set)  # named by erasures sealed before the chain was keyed
    forged: list[str] = field(default_factory=list)


def _link_holds(keys: Keyring, event: AuditEvent) -> bool | None:
    """Whether a sealed event's hash is its link; None when its key is not configured."""
    if event.key_id is None:
        return link(event.prev_hash or "", event) == event.hash
    if event.key_id not in keys.secrets or event.seq is None:
        return None
    expected = keyed_link(keys, event.key_id, event.seq, event.prev_hash or "", event)
    return hmac.compare_digest(expected, event.hash or "")


def _where(event: AuditEvent) -> str:
    return f"event {event.id} (position {event.seq})"


def _reseals(session: Session, keys: Keyring) -> _Reseals:
    found = _Reseals()
    erasures = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.seq.is_not(None), AuditEvent.action.in_(RESEALING_ACTIONS))
        .order_by(AuditEvent.seq)
    )
    for erasure in erasures:
        if not _link_holds(keys, erasure):
            continue  # changed since it was sealed, or under an unknown key: the walk says so; it vouches for nothing
        # Whoever can write the table can shape these rows (and the sealer seals them): read them defensively.
        detail = erasure.detail if isinstance(erasure.detail, dict) else {}
        named = {int(i) for i in _listed(detail, "audit_events") if isinstance(i, int | str) and str(i).isdigit()}
        if erasure.key_id is None:  # written before re-seals existed, inside the unkeyed stretch
            found.unkeyed_erased |= named
            continue
        signed = set()
        for mark in _listed(detail, "resealed"):
            message = _reseal_message(mark, erasure.id) if isinstance(mark, dict) else ""
            if isinstance(mark, dict) and keys.signed(mark.get("key_id"), message, mark.get("mac")):
                found.latest[int(mark["id"])] = (erasure, mark)
                signed.add(int(mark["id"]))
        for event_id in sorted(named - signed):
            found.forged.append(
                f"forged erasure: {_where(erasure)} names event {event_id} as erased "
                "but carries no re-seal signed with an audit key"
            )
    return found


def _listed(detail: dict[str, Any], key: str) -> list[Any]:
    value = detail.get(key)
    return value if isinstance(value, list) else []


def _changed_event(event: AuditEvent, reseals: _Reseals, result: Verification) -> None:
    """A sealed event whose link no longer holds: erased and re-sealed, or edited."""
    assert event.seq is not None
    found = reseals.latest.get(event.id)
    if found is not None and found[0].seq is not None and found[0].seq > event.seq:
        erasure, mark = found
        if (mark.get("seq"), mark.get("hash"), mark.get("content")) == (event.seq, event.hash, content_hash(event)):
            result.erased += 1
            return
        result.problems.append(f"edited: {_where(event)} was changed after erasure event {erasure.id} re-sealed it")
        return
    if event.key_id is None and event.id in reseals.unkeyed_erased:
        result.erased += 1  # an erasure from before the chain was keyed: its word is all there is
        return
    result.problems.append(f"edited: {_where(event)} was changed after it was sealed")


def verify(session: Session, *, keys: Keyring, anchor_path: Path | None = None, batch: int = 5000) -> Verification:
    """Walk the chain in order, recompute every link, check re-seals and the checkpoints; name each problem."""
    result = Verification()
    reseals = _reseals(session, keys)
    checkpoints = read_checkpoints(anchor_path) if anchor_path is not None else []
    wanted = {point["seq"] for _, point in checkpoints if point is not None}
    hashes: dict[int, str] = {}
    unknown_keys: set[str] = set()
    head = session.get(AuditChainHead, STREAM)
    expected_seq, prev, keyed_from = 1, GENESIS, None
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
                result.problems.append(f"deleted: events at positions {expected_seq}–{event.seq - 1} are missing")
                prev = event.prev_hash or prev
            if event.prev_hash != prev:
                result.problems.append(f"edited: {_where(event)} does not follow the one before it")
            if event.key_id is None and keyed_from is not None:
                result.problems.append(
                    f"edited: {_where(event)} is sealed without a key after position {keyed_from}, "
                    "where keyed sealing began: the chain was rewritten"
                )
            elif event.key_id is None:
                result.unkeyed += 1
            elif keyed_from is None:
                keyed_from = event.seq
            holds = _link_holds(keys, event)
            if holds is None:
                unknown_keys.add(str(event.key_id))
            elif not holds:
                _changed_event(event, reseals, result)
            if event.seq in wanted:
                hashes[event.seq] = event.hash or ""
            prev, expected_seq = event.hash or "", event.seq + 1
            result.checked += 1
    end = expected_seq - 1
    result.problems.extend(reseals.forged)
    result.problems.extend(
        f"unknown key: events were sealed with key {key_id!r}, which LTO_AUDIT_KEYS does not list"
        for key_id in sorted(unknown_keys)
    )
    if head is not None and (head.last_seq != end or head.last_hash != prev):
        result.problems.append(
            f"deleted: the chain ends at position {end} but was sealed up to {head.last_seq}: "
            "events at the end were deleted"
        )
    if anchor_path is not None:
        _check_checkpoints(checkpoints, hashes, end, keys, anchor_path, result)
    if result.unkeyed:
        result.notes.append(
            f"positions 1–{result.unkeyed} were sealed before the chain was keyed: "
            "the keyed events after them and the checkpoints vouch for them"
        )
    result.unsealed = count_unsealed(session)
    return result


def _check_checkpoints(
    checkpoints: list[tuple[int, dict[str, Any] | None]],
    hashes: dict[int, str],
    end: int,
    keys: Keyring,
    path: Path,
    result: Verification,
) -> None:
    """Each checkpoint must be signed with an audit key and agree with the chain at its position."""
    anchored = 0
    for number, point in checkpoints:
        where = f"line {number} of {path}"
        signed = keys.signed(point.get("key_id"), _checkpoint_message(point), point.get("mac")) if point else False
        if signed is None:
            assert point is not None
            result.problems.append(f"unknown key: the checkpoint on {where} is signed with key {point['key_id']!r}")
            continue
        if not signed or point is None:
            result.problems.append(f"forged checkpoint: {where} is not a checkpoint signed with an audit key")
            continue
        seq, at = point["seq"], point.get("at")
        if seq > end:
            result.problems.append(
                f"deleted: the checkpoint of {at} anchored the chain up to position {seq}, "
                f"but it ends at position {end}"
            )
        elif hashes.get(seq) != point["hash"]:
            result.problems.append(
                f"disagrees with checkpoint: the chain at position {seq} is not what the checkpoint of {at} "
                "anchored: it was rewritten"
            )
        else:
            result.checkpoints += 1
            anchored = max(anchored, seq)
    if not checkpoints:
        result.notes.append(f"no checkpoint in {path} yet: nothing outside the database anchors the chain")
    elif anchored < end:
        result.notes.append(f"positions {anchored + 1}–{end} are not anchored yet: the next checkpoint covers them")


# Export -----------------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "id", "seq", "at", "actor_type", "actor_id", "action", "subject", "deal_id", "outcome",
    "inputs", "detail", "correlation_id", "hash", "key_id",
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
