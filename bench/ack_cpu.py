"""CPU seconds per 1,000 acked `/lto status` commands: what the HTTP listener spends to take one command in.

Run: .venv/bin/python bench/ack_cpu.py [--commands 2000] [--concurrency 8]
         [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lto_ack_cpu] [--baseline REF --rounds 3] [--h11]

The server is this tree's app (`create_api`) in its own process on PostgreSQL, with no job worker and no
sweeps, so its CPU time is the ack path's alone: HTTP, the signature, Bolt, admission and the commit. The
commands come from many synthetic reps in many channels (20 per rep, 100 per channel), as the load bench
sends them, so the per-person and per-channel limits are checked but not reached; every ack must say the
command was taken (":hourglass...") and every command must have made one job.

The figure is the server process's CPU time (user + system, every thread, from /proc) over the measured
commands, after a warm-up; the PostgreSQL backends serving that database are measured the same way and
shown beside it. With `--baseline REF`, commit REF is checked out in a temporary git worktree and its server
runs alternately with this tree's, `--rounds` times each, on the same machine; medians are compared. A tree
serves with the HTTP parser and event loop its own `lto serve` picks (the baseline, whose dependencies did not
include httptools or uvloop, with uvicorn's h11 and asyncio ones).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import EmulatorThread, free_port, postgres_admin, recreate_postgres  # noqa: E402

from bot.emulator import Workspace  # noqa: E402
from bot.emulator.requests import slash_command  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lto_ack_cpu"
ACCEPTED = ":hourglass"  # "Looking that up", or "busy: queued behind N" once the unworked queue is deep
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Serves a tree's app without a worker or sweeps; argv: port, HTTP protocol, event loop ("project": the tree's own).
SERVER = """
import sys
import uvicorn
from bot.http import create_api
from bot.runtime import build_runtime
from core.settings import load_settings

port, http, loop = sys.argv[1:4]
if http == "project":
    from bot.serving import uvicorn_options
    options = uvicorn_options()
else:
    options = {"http": http, "loop": loop}
app = create_api(build_runtime(load_settings()), run_worker=False, run_scheduler=False)
uvicorn.run(app, host="127.0.0.1", port=int(port), log_config=None, access_log=False, **options)
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def backends_cpu(database_url: str) -> float:
    """CPU time of the PostgreSQL backends connected to the database (0 where /proc is not readable)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            pids = conn.scalars(
                text("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
            ).all()
    finally:
        engine.dispose()
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:  # ended meanwhile, or another user's process
            continue
    return total


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000 if len(values) > 1 else 0.0


async def send_commands(url: str, secret: str, first: int, count: int, concurrency: int) -> tuple[Counter[str], list]:
    """`/lto status` from synthetic reps, `concurrency` at a time; outcomes and latencies."""
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    numbers = iter(range(first, first + count))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def rep() -> None:
            for n in numbers:
                request = slash_command(
                    command="/lto",
                    text="status",
                    user_id=f"U0CPU{n // 20:05d}",
                    user_name=f"rep{n // 20}",
                    channel_id=f"C0CPU{n // 100:04d}",
                    channel_name=f"sales-{n // 100}",
                    team_domain="emulated",
                    response_url="http://127.0.0.1:9/response",
                    trigger_id=f"cpu.{n}.{time.time_ns()}",
                )
                started = time.perf_counter()
                response = await client.post(url, content=request.body, headers=request.headers(secret))
                latencies.append(time.perf_counter() - started)
                said = response.json().get("text", "") if response.status_code == 200 else ""
                outcomes["accepted" if said.startswith(ACCEPTED) else f"HTTP {response.status_code} {said[:40]}"] += 1

        await asyncio.gather(*(rep() for _ in range(concurrency)))
    return outcomes, latencies


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer /healthz within 90 s:\n{log.read_text()[-3000:]}")


def measure_tree(tree: Path, protocol: tuple[str, str], args: argparse.Namespace) -> dict[str, float]:
    """One run: a fresh database, the tree's server, warm-up, then the measured commands."""
    workspace = Workspace()
    emulator = EmulatorThread(workspace)
    emulator_url = emulator.start()
    recreate_postgres(args.database_url)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LTO_", "SLACK_", "DATABASE_", "QDRANT_"))},
        "PYTHONPATH": str(tree),
        "DATABASE_URL": args.database_url,
        "LTO_HOME": tempfile.mkdtemp(prefix="lto-ack-cpu-"),
        "SLACK_API_URL": f"{emulator_url}/api/",
        "SLACK_BOT_TOKEN": workspace.bot_token,
        "SLACK_SIGNING_SECRET": workspace.signing_secret,
        "LTO_LOG_LEVEL": "WARNING",
    }
    log = Path(env["LTO_HOME"]) / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), *protocol],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, log)
        url, secret = f"{base}/slack/events", workspace.signing_secret
        warm, _ = asyncio.run(send_commands(url, secret, 0, args.warmup, args.concurrency))
        before, db_before, started = cpu_seconds(server.pid), backends_cpu(args.database_url), time.perf_counter()
        outcomes, latencies = asyncio.run(send_commands(url, secret, args.warmup, args.commands, args.concurrency))
        wall = time.perf_counter() - started
        used, db_used = cpu_seconds(server.pid) - before, backends_cpu(args.database_url) - db_before
        engine = create_engine(args.database_url)
        with engine.connect() as conn:
            jobs = conn.scalar(text("select count(*) from jobs where kind = 'deal.status'"))
        engine.dispose()
    finally:
        server.terminate()
        server.wait(30)
        emulator.stop()
        recreate_postgres(args.database_url, create=False)
    accepted = outcomes["accepted"] + warm["accepted"]
    if accepted != args.commands + args.warmup or jobs != accepted:
        raise SystemExit(f"{tree}: {dict(outcomes + warm)} acks, {jobs} jobs: every command must be accepted once")
    return {
        "cpu_per_1000": used / args.commands * 1000,
        "db_per_1000": db_used / args.commands * 1000,
        "per_second": args.commands / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


def report(name: str, runs: list[dict[str, float]]) -> dict[str, float]:
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(
        f"{name:>10}: {median['cpu_per_1000']:6.2f} CPU s per 1,000 acks (server), "
        f"{median['db_per_1000']:5.2f} (its PostgreSQL backends); {median['per_second']:5.0f} acks/s, "
        f"p50 {median['p50']:.1f} ms, p99 {median['p99']:.1f} ms  (median of {len(runs)})",
        flush=True,
    )
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000, help="measured commands per run")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="commands in flight")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL; recreated, then dropped")
    parser.add_argument("--baseline", default=None, help="a git commit to compare with, in the same run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--h11", action="store_true", help="serve this tree with h11 and asyncio too (the HTTP parser's share)"
    )
    args = parser.parse_args()
    if not make_url(args.database_url).drivername.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (postgresql+psycopg://...)")
    postgres_admin(args.database_url)  # refuses `test` before anything starts
    print(
        f"/lto status, {args.commands} measured commands per run after {args.warmup} warm-up, "
        f"{args.concurrency} in flight; server without worker or sweeps, on PostgreSQL",
        flush=True,
    )
    if not args.baseline:
        report("this tree", [measure_tree(ROOT, ("project", "project"), args) for _ in range(args.rounds)])
        if args.h11:
            report("tree, h11", [measure_tree(ROOT, ("h11", "asyncio"), args) for _ in range(args.rounds)])
        return 0
    with tempfile.TemporaryDirectory(prefix="lto-baseline-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.baseline], cwd=ROOT, check=True, capture_output=True
        )
        try:
            runs: dict[str, list[dict[str, float]]] = {"baseline": [], "this tree": []}
            if args.h11:
                runs["tree, h11"] = []
            for _ in range(args.rounds):
                runs["baseline"].append(measure_tree(tree, ("h11", "asyncio"), args))
                runs["this tree"].append(measure_tree(ROOT, ("project", "project"), args))
                if args.h11:
                    runs["tree, h11"].append(measure_tree(ROOT, ("h11", "asyncio"), args))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    medians = {name: report(name, found) for name, found in runs.items()}
    ratio = medians["this tree"]["cpu_per_1000"] / medians["baseline"]["cpu_per_1000"]
    print(f"server CPU per ack, this tree / {args.baseline}: {ratio:.2f}x (target: at most 0.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
