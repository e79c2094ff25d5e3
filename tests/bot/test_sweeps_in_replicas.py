"""Sweeps that several processes run, each on its own schedule, do each period's work once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from core import audit, privacy
from core.models import AuditEvent
from core.settings import load_settings
from tests.bot.conftest import Harness
from tests.bot.test_discovery_in_slack import open_deal, reply
from tests.conftest import postgres_only

KEYS = audit.Keyring.from_settings(load_settings())
HOURLY = timedelta(hours=1) * 0.9  # as bot/scheduler.py asks for an hourly anchor


def _seal(harness: Harness) -> None:
    with harness.runtime.session_factory() as session, session.begin():
        audit.seal(session, clock=harness.clock, keys=KEYS)


def _anchor(harness: Harness, path: Path) -> dict | None:
    with harness.runtime.session_factory() as session, session.begin():
        return audit.anchor(session, clock=harness.clock, keys=KEYS, path=path, every=HOURLY)


async def test_processes_sharing_a_checkpoint_file_write_one_checkpoint_per_period(harness: Harness, tmp_path: Path):
    path = tmp_path / "checkpoints.jsonl"
    await open_deal(harness)
    _seal(harness)
    first = _anchor(harness, path)  # one process, on its schedule
    await open_deal(harness, "new Globex")  # the chain's head moves on
    _seal(harness)
    harness.clock.advance(minutes=30)
    assert first is not None and _anchor(harness, path) is None  # the other process, half a period later
    harness.clock.advance(minutes=30)
    second = _anchor(harness, path)  # the first one again, a period after its checkpoint
    assert second is not None and second["seq"] > first["seq"]
    assert [point for _, point in audit.read_checkpoints(path)] == [first, second]
    with harness.runtime.session_factory() as session:
        result = audit.verify(session, keys=KEYS, anchor_path=path)
    assert result.intact and result.checkpoints == 2
    # An operator's `lto audit anchor` (no period) writes at once whenever the head moved.
    await open_deal(harness, "new Initech")
    _seal(harness)
    with harness.runtime.session_factory() as session, session.begin():
        assert audit.anchor(session, clock=harness.clock, keys=KEYS, path=path) is not None


async def test_one_sealing_run_seals_every_committed_event_a_batch_at_a_time(harness: Harness):
    await open_deal(harness)
    with harness.runtime.session_factory() as session:
        committed = session.scalar(select(func.count()).select_from(AuditEvent))
    assert committed > 4  # more than two batches of two
    sealed = audit.seal_pending(harness.runtime.session_factory, clock=harness.clock, keys=KEYS, batch=2)
    assert sealed == committed
    with harness.runtime.session_factory() as session:
        result = audit.verify(session, keys=KEYS)
    assert result.intact and result.checked == committed and result.unsealed == 0
    # Bounded, so a run ends while events keep coming; the next run goes on from there.
    await open_deal(harness, "new Globex")
    assert audit.seal_pending(harness.runtime.session_factory, clock=harness.clock, keys=KEYS, batch=2, rounds=1) == 2


def _waiting_on_a_lock(harness: Harness) -> bool:
    with harness.runtime.engine.connect() as conn:
        waiting = conn.execute(
            text(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return waiting > 0


@postgres_only
async def test_two_processes_purging_at_once_purge_each_text_once_and_record_one_purge(harness: Harness):
    thread = await open_deal(harness, "new Acme Corp")
    await reply(harness, thread, "They have 250 seats and need SOC 2; users in Frankfurt.")
    _seal(harness)
    harness.clock.advance(days=31)
    other: dict[str, dict[str, int]] = {}

    def other_process() -> None:
        with harness.runtime.session_factory() as session, session.begin():
            other["counts"] = privacy.purge_old_text(session, clock=harness.clock, days=30, keys=KEYS)

    with harness.runtime.session_factory() as session, session.begin():
        counts = privacy.purge_old_text(session, clock=harness.clock, days=30, keys=KEYS)
        # The other process's purge runs while this one's is not committed yet: it must not wait for these
        # rows and then purge them again.
        racing = threading.Thread(target=other_process)
        racing.start()
        deadline = time.monotonic() + 30
        while racing.is_alive() and not _waiting_on_a_lock(harness) and time.monotonic() < deadline:
            racing.join(0.05)
    racing.join()
    assert counts["messages"] >= 2 and counts["audit_evidence"] >= 1
    assert other["counts"] == dict.fromkeys(counts, 0)
    with harness.runtime.session_factory() as session:
        purges = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.purge")).all()
    assert len(purges) == 1
    _seal(harness)
    with harness.runtime.session_factory() as session:
        assert audit.verify(session, keys=KEYS).intact
