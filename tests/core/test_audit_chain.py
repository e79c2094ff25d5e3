"""The audit trail is tamper-evident: sealed events are chained, and any edit or deletion is found."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from bot.cli import app
from core import audit
from core.models import AuditEvent
from core.settings import load_settings
from tests.conftest import postgres_only

KEYS = audit.Keyring.from_settings(load_settings())  # the development key, as `lto audit verify` uses it here


def _write(sessions, clock, count: int, deal_id: int = 1) -> None:
    with sessions() as session, session.begin():
        for n in range(count):
            audit.record(
                session,
                clock=clock,
                actor_type="user",
                actor_id="U0REP1",
                action="deal.update",
                subject=f"deal:{deal_id}",
                deal_id=deal_id,
                inputs={"n": n},
                outcome="ok",
                detail={"seats": 100 + n},
            )


def _seal(sessions, clock) -> int:
    with sessions() as session, session.begin():
        return audit.seal(session, clock=clock, keys=KEYS)


def _verify(sessions) -> audit.Verification:
    with sessions() as session:
        return audit.verify(session, keys=KEYS)


def test_sealed_events_verify_and_later_events_extend_the_chain(sessions, clock):
    _write(sessions, clock, 5)
    assert _seal(sessions, clock) == 5 and _seal(sessions, clock) == 0
    _write(sessions, clock, 3)
    assert _verify(sessions).unsealed == 3
    assert _seal(sessions, clock) == 3
    result = _verify(sessions)
    assert result.intact and result.checked == 8 and result.unsealed == 0


def test_an_edited_event_is_named(sessions, clock):
    _write(sessions, clock, 5)
    _seal(sessions, clock)
    with sessions() as session, session.begin():
        session.execute(update(AuditEvent).where(AuditEvent.id == 3).values(detail={"seats": 10}))
    result = _verify(sessions)
    assert not result.intact and result.problems == ["edited: event 3 (position 3) was changed after it was sealed"]


def test_a_deleted_event_and_a_cut_off_end_are_found(sessions, clock):
    _write(sessions, clock, 6)
    _seal(sessions, clock)
    with sessions() as session, session.begin():
        session.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    assert "deleted: events at positions 2–2 are missing" in _verify(sessions).problems
    with sessions() as session, session.begin():
        session.execute(delete(AuditEvent).where(AuditEvent.id >= 5))
    assert any("events at the end were deleted" in p for p in _verify(sessions).problems)


def test_rewriting_an_event_and_its_hash_still_breaks_the_next_link(sessions, clock):
    _write(sessions, clock, 4)
    _seal(sessions, clock)
    with sessions() as session, session.begin():
        event = session.get_one(AuditEvent, 2)
        event.outcome = "forged"
        session.flush()
        assert event.seq is not None and event.key_id is not None
        event.hash = audit.keyed_link(KEYS, event.key_id, event.seq, event.prev_hash or "", event)
    problems = _verify(sessions).problems
    assert problems == ["edited: event 3 (position 3) does not follow the one before it"]


def test_the_cli_verifies_and_exports_a_deal_for_an_auditor(sessions, clock, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    _write(sessions, clock, 3, deal_id=1)
    _write(sessions, clock, 2, deal_id=2)
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact: 5 sealed events checked, 0 not yet sealed" in result.output
    exported = runner.invoke(app, ["audit", "export", "--deal", "2", "--format", "jsonl"])
    rows = [json.loads(line) for line in exported.output.splitlines()]
    assert [r["deal_id"] for r in rows] == [2, 2] and rows[0]["hash"] and rows[0]["detail"] == {"seats": 100}
    as_csv = runner.invoke(app, ["audit", "export", "--deal", "1", "--format", "csv"])
    table = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(table) == 3 and json.loads(table[2]["inputs"]) == {"n": 2}
    with sessions() as session, session.begin():
        session.execute(update(AuditEvent).where(AuditEvent.id == 4).values(actor_id="someone-else"))
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "edited: event 4 (position 4) was changed after it was sealed" in broken.output
    assert runner.invoke(app, ["audit", "export", "--since", "last week"]).exit_code == 2
    with sessions() as session:
        assert session.scalar(select(AuditEvent.seq).where(AuditEvent.id == 5)) == 5


@postgres_only
def test_replicas_sealing_at_once_while_events_are_written_make_one_unbroken_chain(sessions, clock):
    import threading

    _write(sessions, clock, 1)
    _seal(sessions, clock)  # the head row exists from here on, as after the migration
    errors: list[Exception] = []

    def writer() -> None:
        for _ in range(20):
            _write(sessions, clock, 5)

    def sealer() -> None:
        try:
            for _ in range(30):
                _seal(sessions, clock)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)] + [threading.Thread(target=sealer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _seal(sessions, clock)
    result = _verify(sessions)
    assert not errors and result.intact and result.checked == 201 and result.unsealed == 0
