"""The follow-up sweep at scale: how long one run takes over many open deals, when it claims every nudge and
when it has nothing left to claim (the steady state between periods), and two sweepers at once.

Run: .venv/bin/python bench/follow_ups.py [--deals 5000]
         [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lto_follow_ups_bench]

Without --database-url it runs on a SQLite file in a temporary folder. A PostgreSQL database named in
--database-url is dropped and created again (never `test`) and dropped at the end. Each deal has a record
with a target close date (a third of them passed), one rep message in its thread and one open next step (half
of them due); every deal is idle past its stage's period. The sweep's runs are timed as the scheduler runs
them (one transaction each); then two sweepers run at once against a fresh set of periods and the run checks
that every nudge was claimed exactly once. Exit code 0 when that holds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clock import ManualClock  # noqa: E402
from core.db import create_db_engine, session_factory, upgrade  # noqa: E402
from core.models import Job  # noqa: E402
from deals import sweeps  # noqa: E402
from deals.access import load_roles  # noqa: E402
from deals.follow_up_rules import load_follow_up_rules  # noqa: E402
from deals.models import (  # noqa: E402
    Account,
    Conversation,
    Deal,
    DealStage,
    FollowUp,
    Message,
    MessageRole,
    NextStep,
    NextStepSource,
)
from migrations import import_all_tables  # noqa: E402

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def fresh_postgres(url: str) -> None:
    name = make_url(url).database
    if not name or name == "test":
        raise SystemExit("give a database of its own (not `test`): it is dropped and created again")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_postgres(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(factory, count: int) -> None:  # type: ignore[no-untyped-def]
    stages = [DealStage.NEW, DealStage.DISCOVERY, DealStage.QUALIFIED, DealStage.PROPOSAL]
    with factory() as session, session.begin():
        for n in range(count):
            account = Account(name=f"Account {n}", name_key=f"account {n}", created_at=START)
            session.add(account)
            session.flush()
            close = START.date() + timedelta(days=30 if n % 3 else -5)
            deal = Deal(
                account_id=account.id,
                name=f"Account {n} deal",
                owner_slack_id=f"U0REP{n % 40}",
                stage=stages[n % len(stages)],
                qualification={"company": f"Account {n}", "target_close": close.isoformat()},
                channel_id="C0DEALS",
                thread_ts=f"{1_700_000_000 + n}.000100",
                created_at=START,
                updated_at=START,
            )
            session.add(deal)
            session.flush()
            conversation = Conversation(
                channel_id="C0DEALS",
                thread_ts=deal.thread_ts or "",
                kind="deal",
                deal_id=deal.id,
                started_by=deal.owner_slack_id,
                history=[],
                created_at=START,
                updated_at=START,
            )
            session.add(conversation)
            session.flush()
            session.add(
                Message(
                    conversation_id=conversation.id,
                    slack_ts=f"{1_700_000_000 + n}.000200",
                    user_id=deal.owner_slack_id,
                    role=MessageRole.REP,
                    text="They have 250 seats.",
                    created_at=START,
                )
            )
            session.add(
                NextStep(
                    deal_id=deal.id,
                    title="Send the security pack",
                    owner_slack_id=deal.owner_slack_id,
                    due=START.date() + timedelta(days=1 if n % 2 else 20),
                    source=NextStepSource.REP,
                    created_by=deal.owner_slack_id,
                    origin=f"bench:{n}",
                    created_at=START,
                    updated_at=START,
                )
            )


def timed_sweep(factory, clock: ManualClock) -> tuple[float, dict[str, int]]:  # type: ignore[no-untyped-def]
    rules, roles = load_follow_up_rules(), load_roles()
    started = time.perf_counter()
    with factory() as session, session.begin():
        counts = sweeps.follow_up(session, rules=rules, roles=roles, clock=clock)
    return time.perf_counter() - started, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    import_all_tables()
    folder = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{folder.name}/bench.db"
    if args.database_url:
        fresh_postgres(url)
    try:
        upgrade(url)
        engine = create_db_engine(url)
        factory = session_factory(engine)
        started = time.perf_counter()
        seed(factory, args.deals)
        seeded = time.perf_counter() - started
        print(f"{make_url(url).get_backend_name()}: {args.deals} open deals seeded in {seeded:.1f} s")
        clock = ManualClock(START + timedelta(days=8))  # every deal idle past its stage's owner period
        first, counts = timed_sweep(factory, clock)
        print(f"first sweep (claims every nudge): {first * 1000:.0f} ms  {counts}")
        again, counts = timed_sweep(factory, clock)
        print(f"second sweep, same period (nothing to claim): {again * 1000:.0f} ms  {counts}")
        clock.advance(days=20)  # new periods for every open step and the managers' escalations
        results: list[dict[str, int]] = []
        barrier = threading.Barrier(2)

        def sweeper() -> None:
            barrier.wait()
            results.append(timed_sweep(factory, clock)[1])

        threads = [threading.Thread(target=sweeper) for _ in range(2)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        both = time.perf_counter() - started
        print(f"two sweepers at once: {both * 1000:.0f} ms  {results}")
        with factory() as session:
            follow_ups = session.scalar(select(func.count()).select_from(FollowUp)) or 0
            keys = session.scalar(select(func.count(func.distinct(FollowUp.key)))) or 0
            jobs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == "follow_up.send")) or 0
        claimed = sum(sum(r.values()) - r["back_on_track"] - r["at_risk"] for r in results)
        ok = follow_ups == keys == jobs
        print(f"follow-ups {follow_ups}, distinct keys {keys}, send jobs {jobs}: {'ok' if ok else 'DUPLICATES'}")
        print(f"nudges claimed by the two sweepers together: {claimed}")
        engine.dispose()
        return 0 if ok else 1
    finally:
        if args.database_url:
            drop_postgres(url)
        folder.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
