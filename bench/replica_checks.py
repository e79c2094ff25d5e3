"""What bench/replicas.py checks after its run, read back from the database, the audit trail, the checkpoint
file and the webhook subscriber: each job ran once, and each sweep did each period's work once."""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import Report  # noqa: E402

from core import audit  # noqa: E402
from core.events import EVENT_TOPIC_PREFIX  # noqa: E402
from integrations.crm.sweeps import CRM_TOPICS  # noqa: E402
from integrations.events.sweeps import DELIVERY_TOPIC_PREFIX  # noqa: E402

SEAL_PERIOD = 15.0  # seconds between sealing runs on each process (bot/scheduler.py)
SLA_PERIOD = 60.0  # seconds between approval SLA sweeps on each process
ANCHOR_MINUTES = 1  # LTO_AUDIT_ANCHOR_MINUTES for the run


def check_jobs_ran_once(engine: Engine, report: Report, worker_pids: dict[int, str]) -> Counter[str]:
    """Every finished job has exactly one `job.run` audit event that completed it; returns jobs by worker."""
    with engine.connect() as conn:
        done = conn.execute(text("select id from jobs where status = 'done'")).scalars().all()
        runs = conn.execute(
            text("select subject, actor_id from audit_events where action = 'job.run' and outcome = 'done'")
        ).all()
    completions = Counter(subject for subject, _ in runs)
    report.expect(
        "jobs done with exactly one completing job.run audit event",
        len(done),
        sum(completions[f"job:{job_id}"] == 1 for job_id in done),
    )
    by_worker: Counter[str] = Counter()
    for _, actor in runs:
        pid = int(actor.split(":")[1]) if actor.count(":") >= 2 and actor.split(":")[1].isdigit() else -1
        by_worker[worker_pids.get(pid, actor)] += 1
    return by_worker


def check_sealing(engine: Engine, report: Report, *, oldest_unsealed: float, sealing_runs: int, unsealed: int) -> None:
    """The chain has positions 1..N once each, nothing was left unsealed, and no event waited two periods."""
    with engine.connect() as conn:
        total, positions, top = conn.execute(
            text("select count(*), count(distinct seq), max(seq) from audit_events where seq is not null")
        ).one()
    report.expect("seal_audit: events left unsealed after the run", 0, unsealed)
    report.expect(
        "seal_audit: positions sealed twice or skipped (1..N, each once)",
        0,
        abs(total - positions) + abs((top or 0) - total),
    )
    report.expect(
        f"seal_audit: oldest unsealed event older than two periods ({2 * SEAL_PERIOD:.0f} s)",
        0,
        int(oldest_unsealed > 2 * SEAL_PERIOD),
    )
    report.info(
        "seal_audit: oldest unsealed event seen / sealing runs that sealed",
        f"{oldest_unsealed:.1f} s / {sealing_runs}",
    )


def check_checkpoints(path: Path, report: Report, run_started: datetime) -> None:
    """One checkpoint per period between all the processes sharing the file, none for a head already anchored,
    and no period of the run without one (an idle chain, whose head did not move, needs none)."""
    points = [point for _, point in audit.read_checkpoints(path) if point is not None]
    heads = Counter((point["seq"], point["hash"]) for point in points)
    report.expect("anchor_audit: heads anchored more than once", 0, sum(1 for n in heads.values() if n > 1))
    period = ANCHOR_MINUTES * 60
    times = sorted(datetime.fromisoformat(point["at"]) for point in points) or [datetime.now(UTC)]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise([run_started, *times])]
    report.expect(
        "anchor_audit: checkpoints written within 0.9 period of the one before",
        0,
        sum(gap < 0.9 * period for gap in gaps[1:]),
    )
    report.expect(
        "anchor_audit: gaps of over two periods without a checkpoint", 0, sum(gap > 2 * period for gap in gaps)
    )
    report.info(
        "anchor_audit: checkpoints / seconds from the start and between them",
        f"{len(points)} / {', '.join(f'{gap:.0f}' for gap in gaps)}",
    )


def check_outbox(engine: Engine, report: Report, received: Counter[str]) -> None:
    """Each outbox row was claimed once (a second claim counts a second attempt) and its effect happened once."""
    with engine.connect() as conn:
        rows = conn.execute(text("select topic, status, attempts, payload from outbox_events")).all()
    crm = [r for r in rows if r.topic.startswith(CRM_TOPICS)]
    report.expect("deliver_outbox: CRM events delivered", len(crm), sum(r.status == "delivered" for r in crm))
    report.expect("deliver_outbox: CRM events claimed more than once", 0, sum(r.attempts > 1 for r in crm))
    events = [r for r in rows if r.topic.startswith(EVENT_TOPIC_PREFIX)]
    ids = [r.payload.get("id") for r in events]
    report.expect("publish_events: domain events fanned out", len(events), sum(r.status == "delivered" for r in events))
    report.expect(
        "publish_events: domain events the subscriber received exactly once",
        len(ids),
        sum(received[i] == 1 for i in ids),
    )
    copies = [r for r in rows if r.topic.startswith(DELIVERY_TOPIC_PREFIX)]
    report.expect("publish_events: deliveries claimed more than once", 0, sum(r.attempts > 1 for r in copies))


def check_approval_sla(
    engine: Engine, report: Report, request_ids: list[int], state: dict[str, Any], approvals_channel: str
) -> None:
    """Every due step was reminded and escalated, each once: in its step row, the audit trail and the card's thread."""
    with engine.connect() as conn:
        steps = conn.execute(
            text(
                "select request_id, level, escalated_from, reminded_at, escalated_at from approval_steps "
                "where request_id = any(:ids)"
            ),
            {"ids": request_ids},
        ).all()
        escalations = Counter(
            (int(subject.removeprefix("approval:")), inputs["from"])
            for subject, inputs in conn.execute(
                text(
                    "select subject, inputs from audit_events where action = 'approval.escalate' and subject = any(:s)"
                ),
                {"s": [f"approval:{i}" for i in request_ids]},
            )
        )
        cards = dict(
            conn.execute(
                text("select id, card_ts from approval_requests where id = any(:ids)"), {"ids": request_ids}
            ).all()
        )
    said: Counter[tuple[int, str]] = Counter()
    for message in state["messages"].get(approvals_channel, []):
        for request_id, card_ts in cards.items():
            if message.get("thread_ts") == card_ts and message.get("ts") != card_ts:
                notice = (message.get("text") or "").split(" ", 1)[0]  # :bell: reminds, :arrow_up: escalates
                said[(request_id, notice)] += 1
    first = [s for s in steps if s.escalated_from is None]
    report.expect("approval_sla: first-level steps reminded", len(first), sum(s.reminded_at is not None for s in first))
    report.expect(
        "approval_sla: first-level steps escalated", len(first), sum(s.escalated_at is not None for s in first)
    )
    escalated = [s for s in steps if s.escalated_at is not None]
    report.expect(
        "approval_sla: escalated steps with exactly one escalation audit event",
        len(escalated),
        sum(escalations[(s.request_id, s.level)] == 1 for s in escalated),
    )
    report.expect(
        "approval_sla: escalation audit events of steps not escalated", 0, escalations.total() - len(escalated)
    )
    report.expect(
        "approval_sla: requests with one step per level",
        len(request_ids),
        sum(
            len([s for s in steps if s.request_id == i]) == len({s.level for s in steps if s.request_id == i})
            for i in request_ids
        ),
    )
    reminded = Counter(s.request_id for s in steps if s.reminded_at is not None)
    report.expect(
        "approval_sla: requests with one reminder in the card's thread per reminded step",
        len(request_ids),
        sum(said[(i, ":bell:")] == reminded[i] for i in request_ids),
    )
    moved = Counter(s.request_id for s in escalated)
    report.expect(
        "approval_sla: requests with one escalation notice in the card's thread per escalated step",
        len(request_ids),
        sum(said[(i, ":arrow_up:")] == moved[i] for i in request_ids),
    )
    report.info(
        "approval_sla: steps reminded / escalated (all levels)",
        f"{sum(reminded.values())} / {len(escalated)} of {len(steps)}",
    )
