"""Cost of the outcome report: computing it over a history of N deals, printing it, drawing its chart.

Run: .venv/bin/python bench/outcomes.py [--deals 1000] [--database-url URL] [--repeat 5]

Writes a history through the product's own use cases (each deal: opened, two qualification updates,
a 15% quote that asks the sales manager, the manager's decision, a proposal draft, won or lost), then
times `compute_outcomes` over every deal (what `lto report outcomes`, `/lto report`, a manager's Home
tab and a gauge refresh each do once), the table and the PNG chart. Prints the median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approvals import service as approvals  # noqa: E402
from approvals.policy import load_policy  # noqa: E402
from core import audit  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.db import create_db_engine, session_factory, upgrade  # noqa: E402
from deals import service as deals  # noqa: E402
from deals.models import DealStage  # noqa: E402
from deals.outcome_chart import render_png  # noqa: E402
from deals.outcome_report import render_table  # noqa: E402
from deals.outcomes import compute_outcomes, load_time_saved  # noqa: E402
from deals.qualification import Money, QualificationUpdate  # noqa: E402
from integrations.cpq import service as cpq  # noqa: E402
from integrations.cpq.catalog import load_catalog  # noqa: E402
from integrations.cpq.engine import LineRequest, QuoteRequest  # noqa: E402
from integrations.leads.routing import load_routing  # noqa: E402
from migrations import import_all_tables  # noqa: E402

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def seed(factory, count: int) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    policy, catalog = load_policy(), load_catalog()
    for n in range(count):
        clock.set(START + timedelta(hours=n))
        with factory() as session, session.begin():
            deal = deals.open_deal(session, company=f"Company {n}", owner_slack_id=f"U0REP{n % 7}", clock=clock)
            deal.account.employees = (50, 800, 8000)[n % 3]
            for update in (
                QualificationUpdate(pain="slow batch loads", seats=100 + n % 400),
                QualificationUpdate(
                    deployment="saas",
                    regions=["US"],
                    budget=Money(amount=Decimal("150000"), currency="USD"),
                    target_close=START.date() + timedelta(days=200),
                    economic_buyer="CFO",
                ),
            ):
                clock.advance(hours=2)
                deals.apply_qualification(
                    session, deal, update, clock=clock, actor_type="model", actor_id="offline", source={}
                )
            request = QuoteRequest(lines=[LineRequest(sku="HS-BUS", quantity=100)], discount_pct=Decimal(15))
            committed = cpq.commit_quote(
                session,
                deal=deal,
                request=request,
                catalog=catalog,
                policy=policy,
                actor_id=deal.owner_slack_id,
                clock=clock,
            )
            assert committed.approval_request_id is not None
            clock.advance(hours=3)
            approvals.decide(
                session,
                request_id=committed.approval_request_id,
                actor_id="U0MGR",
                actor_groups={"S0MANAGERS"},
                decision="approved",
                reason=None,
                policy=policy,
                clock=clock,
            )
            clock.advance(hours=1)
            deals.set_stage(
                session,
                deal,
                stage=DealStage.PROPOSAL,
                actor_id=deal.owner_slack_id,
                clock=clock,
                reason="proposal drafted",
            )
            audit.record(
                session,
                clock=clock,
                actor_type="model",
                actor_id="offline",
                action="proposal.draft",
                subject=f"deal:{deal.id}",
                deal_id=deal.id,
                outcome="drafted",
            )
            clock.advance(hours=24)
            deals.set_stage(
                session,
                deal,
                stage=(DealStage.WON, DealStage.LOST)[n % 2],
                actor_id="U0MGR",
                clock=clock,
                reason="closed",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    import_all_tables()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/lto.db"
    upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    started = time.perf_counter()
    seed(factory, args.deals)
    print(f"seeded {args.deals} deals in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")
    rules, assumptions = load_routing(), load_time_saved()
    now = START + timedelta(hours=args.deals + 100)
    timings: dict[str, list[float]] = {"compute": [], "table": [], "chart": []}
    for _ in range(args.repeat):
        with factory() as session:
            t0 = time.perf_counter()
            report = compute_outcomes(
                session, since=None, now=now, segment_of=rules.segment_of, assumptions=assumptions
            )
            t1 = time.perf_counter()
        render_table(report)
        t2 = time.perf_counter()
        png = render_png(report)
        t3 = time.perf_counter()
        timings["compute"].append(t1 - t0)
        timings["table"].append(t2 - t1)
        timings["chart"].append(t3 - t2)
    overall = report.overall_win_rate()
    rate = overall.win_rate if overall else None
    print(f"report: {report.deals} deals, win rate {rate}, chart {len(png):,} bytes")
    for name, values in timings.items():
        print(f"{name:>8}: median {statistics.median(values) * 1000:.0f} ms over {len(values)} runs")
    engine.dispose()


if __name__ == "__main__":
    main()
