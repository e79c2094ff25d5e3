"""Two HTTP replicas and two workers on one PostgreSQL under bench/load.py's mixed load: nothing lost or
duplicated, each sweep's work done once per period, the audit chain intact.

Run: .venv/bin/python bench/replicas.py [--rates 10,20,40] [--seconds 30] [--approvals 4]
         [--mix help=6,status=4,...] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lto_replicas]

Started here, all on loopback:
  * the database named in --database-url, dropped and created again (never `test`), dropped at the end unless
    --keep-database, and migrated once (`lto db upgrade`) before any process starts;
  * --listeners (2) `lto serve --no-worker`: they only ack; the load generator sends each request to the next
    one in turn, as a round-robin load balancer would;
  * --workers (2) `lto worker`: jobs and every sweep, each process on its own schedule. They share one audit
    checkpoint file (LTO_AUDIT_ANCHOR_PATH, written every minute here), as processes on one host would;
  * the Slack Web API emulator and a webhook subscriber that counts the domain events it receives, each on a
    thread of this process;
  * an approval policy whose levels remind after 1 minute and escalate after 2, so the SLA sweep has due
    work during the run: --approvals deals are quoted over the rep's discount limit before the load.
Each process has its own LTO_HOME, because the embedded knowledge store takes one process per folder (in
production QDRANT_URL names a server they share), and its own PostgreSQL application_name, so the CPU of the
backends serving listeners and workers is told apart.

The load is bench/load.py's (its request builders, open loop, deadline, Slack-style retries of unanswered
events). Afterwards the queue is drained, the approval requests are given the time their SLA needs plus one
more period of the sweep, and then:
  * bench/load.py's checks: every accepted request made exactly one job of its kind, each done, its Slack
    effects in the emulator exactly once;
  * the audit trail: every job has exactly one `job.run` event that finished it (a job run twice has two);
  * each sweep, from the database, the audit trail, the checkpoint file and what the subscribers received:
    the chain sealed with no position twice and no event left unsealed longer than two periods; one
    checkpoint per period between both workers; every CRM outbox event and domain event claimed and
    delivered once; every due approval step reminded once and escalated once;
  * `audit.verify` (what `lto audit verify` runs) over the whole chain and the checkpoint file.

Figures: ack latency per step, requests per listener, jobs per worker, and the CPU time of every process
and of the PostgreSQL backends serving each role over the load and the drain, per 1,000 acks or jobs
(`--mix status=1` measures the ack of `/lto status` alone; `--mix thread=1` discovery turns alone). The load
generator and the emulator share the machine with everything else. Exit 0 when every check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hmac
import itertools
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    EmulatorThread,
    LtoProcess,
    cpu_seconds,
    lto_command,
    postgres_admin,
    recreate_postgres,
    run_with_cleanup,
)
from load import (  # noqa: E402
    DEFAULT_MIX,
    OWNER,
    Sent,
    Server,
    Traffic,
    WorkerProcess,
    add_people,
    check,
    generate,
    lto_env,
    open_seed_deals,
    parse_mix,
    print_steps,
    print_table,
    redeliver,
    wait_drained,
)
from replica_checks import (  # noqa: E402
    ANCHOR_MINUTES,
    SEAL_PERIOD,
    SLA_PERIOD,
    check_approval_sla,
    check_checkpoints,
    check_jobs_ran_once,
    check_outbox,
    check_sealing,
)

from approvals.policy import DEFAULT_POLICY  # noqa: E402
from bot.emulator import Workspace  # noqa: E402
from core import audit  # noqa: E402
from core.db import create_db_engine, session_factory  # noqa: E402
from core.settings import load_settings  # noqa: E402
from integrations.events.webhooks import signature  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lto_replicas"
BENCH_APP = "lto-bench"  # this script's own connections, left out of the backends' CPU
ESCALATE = timedelta(minutes=2)  # the run's policy: remind after 1 minute, escalate after 2
QUOTE = "HS-ENT 100 --discount 15%"  # over the rep's 10%: the sales manager approves


# A webhook subscriber ---------------------------------------------------------------------------


class EventReceiver:
    """Receives signed domain events, as a subscriber would, and counts each event id it is sent."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: Counter[str] = Counter()
        self.forged = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                timestamp = self.headers.get("X-LTO-Timestamp", "")
                expected = signature(receiver.secret, int(timestamp), body) if timestamp.isdigit() else ""
                with receiver._lock:
                    if hmac.compare_digest(expected, self.headers.get("X-LTO-Signature", "")):
                        receiver.received[self.headers.get("X-LTO-Event-Id", "")] += 1
                    else:
                        receiver.forged += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # the bench prints its own summary
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="event-receiver", daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/events"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.received)


# Database samples and CPU time ------------------------------------------------------------------


class Sampler:
    """Every second: the CPU time of the PostgreSQL backends of the database (by application_name), and how
    old the oldest unsealed audit event is."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backends: dict[int, tuple[str, float]] = {}  # pid -> (application_name, latest CPU seconds)
        self.oldest_unsealed = 0.0  # seconds, the most seen
        self.sealing_runs: set[Any] = set()  # distinct audit_chain_head.sealed_at: runs that sealed something
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception as exc:  # a missed sample is not a failed run
                print(f"sampler: {type(exc).__name__}: {exc}", file=sys.stderr)
            self._stop.wait(1.0)

    def sample(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "select pid, application_name from pg_stat_activity "
                    "where datname = current_database() and application_name <> :bench"
                ),
                {"bench": BENCH_APP},
            ).all()
            age, sealed_at = conn.execute(
                text(
                    "select extract(epoch from now() - (select min(at) from audit_events where seq is null)), "
                    "(select sealed_at from audit_chain_head limit 1)"
                )
            ).one()
        with self._lock:
            for pid, app in rows:
                try:
                    self.backends[pid] = (app or "?", cpu_seconds(pid))
                except OSError:  # ended meanwhile
                    continue
            self.oldest_unsealed = max(self.oldest_unsealed, float(age or 0))
            if sealed_at is not None:
                self.sealing_runs.add(sealed_at)

    def backends_now(self) -> dict[int, tuple[str, float]]:
        self.sample()
        with self._lock:
            return dict(self.backends)


@dataclass
class CpuWindow:
    """CPU seconds between its start and `close()`: each lto process, the backends serving each role
    (application_name without its number), and this process (load generator, emulator, subscriber)."""

    processes: dict[int, str]  # pid -> name (listener-1, worker-2, ...)
    sampler: Sampler
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    by_process: dict[str, float] = field(default_factory=dict)
    by_backend: dict[str, float] = field(default_factory=dict)
    here: float = 0.0
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self._own = {pid: cpu_seconds(pid) for pid in self.processes}
        self._backends = self.sampler.backends_now()
        self._here = time.process_time()

    def close(self) -> None:
        self.by_process = {name: cpu_seconds(pid) - self._own[pid] for pid, name in self.processes.items()}
        for pid, (app, cpu) in self.sampler.backends_now().items():
            role = app.rsplit("-", 1)[0]
            self.by_backend[role] = self.by_backend.get(role, 0.0) + cpu - self._backends.get(pid, (app, 0.0))[1]
        self.here = time.process_time() - self._here
        self.seconds = (datetime.now(UTC) - self.started_at).total_seconds()

    def role(self, role: str) -> tuple[float, float]:
        """(the role's processes, their backends) in CPU seconds."""
        own = sum(cpu for name, cpu in self.by_process.items() if name.startswith(role))
        return own, self.by_backend.get(f"lto-{role}", 0.0)


# The processes ----------------------------------------------------------------------------------


@dataclass
class Cluster:
    listeners: list[Server]
    workers: list[WorkerProcess]
    anchor_path: Path
    _urls: Any = None

    def __post_init__(self) -> None:
        self._urls = itertools.cycle([f"{listener.url}/slack/events" for listener in self.listeners])

    def next_url(self) -> str:
        """The next listener's URL: round robin, as a load balancer would."""
        return str(next(self._urls))

    @property
    def processes(self) -> dict[str, LtoProcess]:
        named: dict[str, LtoProcess] = {f"listener-{i}": s for i, s in enumerate(self.listeners, 1)}
        return named | {f"worker-{i}": w for i, w in enumerate(self.workers, 1)}

    @property
    def pids(self) -> dict[int, str]:
        return {p.process.pid: name for name, p in self.processes.items() if p.process is not None}


def start_cluster(
    args: argparse.Namespace,
    tmp: Path,
    cleanup: list[Callable[[], None]],
    emulator_url: str,
    workspace: Workspace,
    subscriber: EventReceiver,
) -> Cluster:
    """Migrate once, then start the workers and the listeners, each with its home and application_name."""
    anchor_path = tmp / "audit-checkpoints.jsonl"
    base = {
        "LTO_POLICY_PATH": str(fast_sla_policy(tmp / "policy.yaml")),
        "LTO_EVENT_SUBSCRIBERS": str(subscribers_file(tmp / "subscribers.yaml", subscriber.url, "LTO_WEBHOOK_SECRET")),
        "LTO_WEBHOOK_SECRET": subscriber.secret,
        "LTO_AUDIT_ANCHOR_PATH": str(anchor_path),
        "LTO_AUDIT_ANCHOR_MINUTES": str(ANCHOR_MINUTES),
    }

    def env(name: str) -> dict[str, str]:
        return {
            **lto_env(args, tmp / name, emulator_url, workspace),
            **base,
            "DATABASE_URL": with_application_name(args.database_url, name),
        }

    subprocess.run([*lto_command(), "db", "upgrade"], cwd=ROOT, env=env("lto-migrate"), check=True, capture_output=True)
    cluster = Cluster(
        listeners=[
            Server(env(f"lto-listener-{n}"), tmp / f"listener-{n}.log", worker=False)
            for n in range(1, args.listeners + 1)
        ],
        workers=[WorkerProcess(env(f"lto-worker-{n}"), tmp / f"worker-{n}.log") for n in range(1, args.workers + 1)],
        anchor_path=anchor_path,
    )
    for process in cluster.processes.values():
        cleanup.append(process.stop)
    for worker in cluster.workers:
        worker.start()
    for listener in cluster.listeners:
        listener.start()
    return cluster


# Setting up and waiting ---------------------------------------------------------------------------


def with_application_name(url: str, name: str) -> str:
    return make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)


def fast_sla_policy(path: Path) -> Path:
    """The example policy with every level reminding after 1 minute and escalating after 2."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    for level in policy["levels"].values():
        sla = level.setdefault("sla", {})
        sla["remind_after"] = "1m"
        if sla.get("escalate_to"):
            sla["escalate_after"] = "2m"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


def subscribers_file(path: Path, url: str, secret_env: str) -> Path:
    subscribers = {
        "version": "bench",
        "subscribers": [{"name": "bench-receiver", "url": url, "secret_env": secret_env, "events": ["*"]}],
    }
    path.write_text(yaml.safe_dump(subscribers, sort_keys=False))
    return path


def quote_for_approval(
    urls: Callable[[], str], secret: str, traffic: Traffic, engine: Engine, deals: list[Any]
) -> list[int]:
    """Quote each deal over the rep's discount limit; returns the approval requests' ids once their cards
    are posted."""
    if not deals:
        return []
    with httpx.Client(timeout=30) as client:
        for i, deal in enumerate(deals):
            request, _ = traffic.command(-1000 - i, f"quote #{deal.id} {QUOTE}", user=OWNER)
            response = client.post(urls(), content=request.body, headers=request.headers(secret))
            if response.status_code != 200 or ":hourglass" not in response.text:
                raise RuntimeError(f"quote command answered {response.status_code}: {response.text[:200]}")
    drained, _, counts = wait_drained(engine, 120)
    if not drained:
        raise RuntimeError(f"the quotes' jobs did not finish: {counts}")
    with engine.connect() as conn:
        rows = conn.execute(
            text("select id, card_ts from approval_requests where deal_id = any(:ids) and status = 'pending'"),
            {"ids": [deal.id for deal in deals]},
        ).all()
    if len(rows) != len(deals) or not all(card for _, card in rows):
        raise RuntimeError(f"{len(deals)} quotes made {len(rows)} pending approval requests with cards")
    return [request_id for request_id, _ in rows]


def sla_due_by(engine: Engine, request_ids: list[int]) -> datetime:
    """When the last first-level step's escalation came due."""
    with engine.connect() as conn:
        asked = conn.execute(
            text(
                "select max(coalesce(s.created_at, r.created_at)) from approval_steps s "
                "join approval_requests r on r.id = s.request_id "
                "where s.request_id = any(:ids) and s.escalated_from is null"
            ),
            {"ids": request_ids},
        ).scalar_one()
    return asked + ESCALATE


def wait_until(when: datetime, what: str) -> None:
    left = (when - datetime.now(UTC)).total_seconds()
    if left > 0:
        print(f"waiting {left:.0f} s {what}...", flush=True)
        time.sleep(left)


def wait_outbox_delivered(engine: Engine, timeout: float) -> None:
    """Until no outbox row is pending: the delivery sweeps (every 10 and 5 s) have caught up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if not conn.execute(text("select count(*) from outbox_events where status = 'pending'")).scalar_one():
                return
        time.sleep(1)


def wait_sealed(engine: Engine, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            unsealed = conn.execute(text("select count(*) from audit_events where seq is null")).scalar_one()
        if not unsealed or time.monotonic() > deadline:
            return int(unsealed)
        time.sleep(1)


def jobs_finished_since(engine: Engine, since: datetime) -> dict[str, tuple[int, float, float]]:
    """By kind: jobs done since `since`, and the p50 and p95 seconds from being recorded to done."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select kind, count(*), "
                "percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at)), "
                "percentile_cont(0.95) within group (order by extract(epoch from finished_at - created_at)) "
                "from jobs where status = 'done' and finished_at >= :t group by kind order by kind"
            ),
            {"t": since},
        ).all()
    return {kind: (n, p50, p95) for kind, n, p50, p95 in rows}


def verify_audit(database_url: str, anchor_path: Path, tmp: Path) -> audit.Verification:
    """What `lto audit verify --no-seal` runs, with the key the processes used (LTO_AUDIT_KEYS unset: development's)."""
    keys = audit.Keyring.from_settings(load_settings(LTO_HOME=str(tmp / "verify"), DATABASE_URL=database_url))
    engine = create_db_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return audit.verify(session, keys=keys, anchor_path=anchor_path)
    finally:
        engine.dispose()


def listener_requests(url: str) -> int:
    """Requests a listener answered on /slack/events, from its /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    body = httpx.get(f"{url}/metrics", timeout=10).text
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(body)
            if family.name == "lto_slack_requests"
            for sample in family.samples
            if sample.name == "lto_slack_requests_total"
        )
    )


# Main -------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, tmp: Path, cleanup: list[Callable[[], None]]) -> int:
    workspace = Workspace()
    emulator = EmulatorThread(workspace)
    emulator_url = emulator.start()
    cleanup.append(emulator.stop)
    subscriber = EventReceiver(secrets.token_urlsafe(24))
    subscriber.start()
    cleanup.append(subscriber.stop)
    users, channels = add_people(args, workspace, emulator)
    recreate_postgres(args.database_url)
    if not args.keep_database:
        cleanup.append(lambda: recreate_postgres(args.database_url, create=False))
    cluster = start_cluster(args, tmp, cleanup, emulator_url, workspace, subscriber)
    engine = create_engine(args.database_url, pool_size=2, connect_args={"application_name": BENCH_APP})
    cleanup.append(engine.dispose)
    secret = workspace.signing_secret
    traffic = Traffic(workspace, emulator, users=users, channels=channels, per_user=args.commands_per_user)
    run_started = datetime.now(UTC)
    deals = open_seed_deals(cluster.next_url, secret, traffic, engine, emulator, args.seed_deals + args.approvals)
    traffic.deals = deals[: args.seed_deals]
    request_ids = quote_for_approval(cluster.next_url, secret, traffic, engine, deals[args.seed_deals :])
    print(
        f"{len(cluster.listeners)} x `lto serve --no-worker` (round robin) and {len(cluster.workers)} x `lto worker` "
        f"on {make_url(args.database_url).render_as_string(hide_password=True)}; emulator {emulator_url}; "
        f"webhook subscriber {subscriber.url}"
    )
    print(
        f"{len(traffic.deals)} seed deals, {len(request_ids)} approval requests waiting for the SLA sweep; "
        f"{len(users)} synthetic reps in {len(channels)} channels. Load: {len(args.rates)} steps of "
        f"{args.seconds:g} s, open loop, at most {args.connections} in flight, {args.deadline:g} s deadline; "
        f"per {len(args.mix)} requests: " + ", ".join(f"{k} {v}" for k, v in Counter(args.mix).items()),
        flush=True,
    )

    sampler = Sampler(engine)
    sampler.start()
    cleanup.append(sampler.stop)
    cpu = CpuWindow(cluster.pids, sampler)
    started = time.monotonic()
    sent, summary = asyncio.run(generate(args, cluster.next_url, secret, traffic))
    load_seconds = time.monotonic() - started
    unanswered = sum(1 for s in sent if s.kind == "thread" and not s.answered and s.body)
    if unanswered:
        print(f"delivering {unanswered} unanswered events again, as Slack retries them...", flush=True)
        asyncio.run(redeliver(cluster.next_url, secret, sent, args.connections))
    print(f"waiting for the job queue to drain (at most {args.drain_timeout:g} s)...", flush=True)
    drained, drain_seconds, counts = wait_drained(engine, args.drain_timeout)
    cpu.close()
    jobs_done = jobs_finished_since(engine, cpu.started_at)
    answered = {name: listener_requests(s.url) for name, s in cluster.processes.items() if isinstance(s, Server)}
    if request_ids:
        # The SLA's due work, then one more period of the sweep on each worker in which to (wrongly) repeat it.
        due = sla_due_by(engine, request_ids) + timedelta(seconds=2 * SLA_PERIOD + 10)
        wait_until(due, "for the approval SLA sweep's periods")
        drained, _, counts = wait_drained(engine, args.drain_timeout)
    wait_outbox_delivered(engine, 60)
    unsealed = wait_sealed(engine, 3 * SEAL_PERIOD)
    sampler.stop()

    state = emulator.call(
        lambda: {"messages": copy.deepcopy(workspace.messages), "ephemeral": copy.deepcopy(workspace.ephemeral)}
    )
    report = check(engine, sent, state)
    workers = {pid: name for pid, name in cluster.pids.items() if name.startswith("worker")}
    by_worker = check_jobs_ran_once(engine, report, workers)
    check_sealing(
        engine,
        report,
        oldest_unsealed=sampler.oldest_unsealed,
        sealing_runs=len(sampler.sealing_runs),
        unsealed=unsealed,
    )
    check_checkpoints(cluster.anchor_path, report, run_started)
    check_outbox(engine, report, subscriber.counts())
    report.expect("webhook deliveries with a bad signature", 0, subscriber.forged)
    if request_ids:
        check_approval_sla(engine, report, request_ids, state, workspace.channel_id("deal-approvals"))
    report.info("purge_finished, purge_old_text (hourly, daily)", "not due in a run this short")
    verified = verify_audit(args.database_url, cluster.anchor_path, tmp)
    report.expect("audit.verify: problems in the chain or its checkpoints", 0, len(verified.problems))
    report.problems.extend(f"audit: {problem}" for problem in verified.problems[:10])
    for name, process in cluster.processes.items():
        if not process.alive():
            report.problems.append(f"{name} died during the run:\n{process.log_tail()}")
        errors, overruns = process.log_errors()
        if errors:
            report.notes.append(f"{name} log errors: " + "; ".join(f"{n} x {msg}" for msg, n in errors.most_common(3)))
        if overruns:
            report.notes.append(f"{name}: {overruns} sweep runs skipped because the one before overran")
    if not drained:
        report.problems.append(f"the queue did not drain within {args.drain_timeout:g} s: {counts}")

    print()
    print_steps(args, summary, sent)
    print(f"requests answered per listener (its /metrics): {answered}")
    print(f"jobs completed per worker (job.run audit events): {dict(sorted(by_worker.items()))}")
    print(
        f"queue {'drained' if drained else 'NOT drained'} {drain_seconds:.1f} s after the load "
        f"(load {load_seconds:.0f} s)"
    )
    print(
        "jobs done from the load's start to the drain, recorded -> done p50 / p95: "
        + ", ".join(f"{kind} x{n} {p50:.2f} / {p95:.2f} s" for kind, (n, p50, p95) in jobs_done.items())
    )
    print_cpu(cpu, sent, sum(n for n, _, _ in jobs_done.values()))
    print(
        f"audit.verify: {verified.checked} sealed events checked, {verified.unsealed} unsealed, "
        f"{verified.checkpoints} checkpoints agree: {'intact' if verified.intact else 'BROKEN'}"
    )
    print_table("Nothing lost, nothing twice", ("check", "expected", "found"), report.rows, (84, 10, 16))
    for note in report.notes:
        print(f"NOTE: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    if report.problems:
        print(f"VERDICT: FAIL - {len(report.problems)} problem(s)")
        return 1
    accepted = sum(1 for s in sent if s.outcome == "accepted")
    print(
        f"VERDICT: PASS - {accepted} requests accepted through {len(cluster.listeners)} listeners, run by "
        f"{len(cluster.workers)} workers: 0 lost, 0 duplicated; every sweep's due work done once; audit chain intact"
    )
    return 0


def print_cpu(cpu: CpuWindow, sent: list[Sent], jobs: int) -> None:
    acked = sum(1 for s in sent if s.answered)
    rows: list[tuple[Any, ...]] = []
    for role, work, unit in (("listener", acked, "answers"), ("worker", jobs, "jobs")):
        own, db = cpu.role(role)
        per = 1000 / work if work else float("nan")
        rows.append(
            (
                f"{role}s ({work} {unit})",
                f"{own:.1f}",
                f"{db:.1f}",
                f"{own * per:.2f}",
                f"{db * per:.2f}",
                f"{work / (own + db):.0f}" if own + db else "-",
            )
        )
    print_table(
        f"CPU from the load's start to the drain ({cpu.seconds:.0f} s wall, {os.cpu_count()} cores shared by all)",
        ("processes", "own CPU s", "their PG CPU s", "own s/1000", "PG s/1000", "per CPU-second"),
        rows,
        (26, 11, 16, 12, 11, 16),
    )
    other = sum(v for k, v in cpu.by_backend.items() if k not in ("lto-listener", "lto-worker"))
    print(
        f"by process: {', '.join(f'{k} {v:.1f}' for k, v in cpu.by_process.items())} CPU s; load generator, emulator "
        f"and subscriber (this process) {cpu.here:.1f} CPU s; other backends of the database {other:.1f} CPU s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,20,40", help="offered requests per second, one step each")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each step")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL; recreated, then dropped")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX), help=f"default {DEFAULT_MIX}")
    parser.add_argument("--listeners", type=int, default=2, help="`lto serve --no-worker` processes")
    parser.add_argument("--workers", type=int, default=2, help="`lto worker` processes")
    parser.add_argument("--approvals", type=int, default=4, help="approval requests for the SLA sweep (0: none)")
    parser.add_argument("--connections", type=int, default=256, help="requests in flight at most")
    parser.add_argument("--deadline", type=float, default=3.0, help="seconds; Slack gives up on an ack after 3")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between steps")
    parser.add_argument("--all-steps", action="store_true", help="run every rate, even after a saturated step")
    parser.add_argument("--seed-deals", type=int, default=16, help="deals for thread replies and clicks")
    parser.add_argument("--commands-per-user", type=int, default=20, help="slash commands per synthetic rep")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds to wait for the queue")
    parser.add_argument("--worker-concurrency", type=int, default=0, help="LTO_WORKER_CONCURRENCY (else the app's)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args()
    args.rates = [int(r) for r in args.rates.split(",") if r.strip()]
    if not make_url(args.database_url).drivername.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (postgresql+psycopg://...)")
    if args.listeners < 1 or args.workers < 1:
        parser.error("--listeners and --workers must be at least 1")
    postgres_admin(args.database_url)  # refuses `test` before anything starts
    return run_with_cleanup("lto-replicas-", lambda tmp, cleanup: run(args, tmp, cleanup))


if __name__ == "__main__":
    sys.exit(main())
