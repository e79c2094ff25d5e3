"""Ack latency of `/slack/events`: signed `/lto help` requests at a fixed concurrency, ours beside a bare Bolt app.

Run: .venv/bin/python bench/ack_latency.py [--requests 4000] [--concurrency 16] [--rounds 3]

Each app runs in its own process (uvicorn, one worker); the load generator runs here. The
bare app is Bolt + FastAPI with a listener that only acks, configured like ours
(`process_before_response=True`), so the difference is what our ack path does.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import Workspace, run_emulator  # noqa: E402
from bot.emulator.requests import SlackRequest, slash_command  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_request(i: int, text: str) -> SlackRequest:
    """`/lto <text>` from one rep in #deals; a fresh trigger id each time, as Slack sends."""
    return slash_command(
        command="/lto",
        text=text,
        user_id="U0REP1",
        user_name="riley",
        channel_id="C0DEALS",
        channel_name="deals",
        team_domain="emulated",
        response_url="http://127.0.0.1:9/response",
        trigger_id=f"bench.{i}.{time.time_ns()}",
    )


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                await client.post(url, content=b"")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} did not start")


async def load(url: str, secret: str, *, requests: int, concurrency: int, text: str) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def user() -> None:
            nonlocal errors
            for i in counter:
                request = command_request(i, text)
                started = time.perf_counter()
                response = await client.post(url, content=request.body, headers=request.headers(secret))
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, latencies, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def measure(
    kind: str, api_url: str, workspace: Workspace, args: argparse.Namespace, text: str = "help"
) -> dict[str, float]:
    port = free_port()
    home = tempfile.mkdtemp(prefix=f"lto-bench-{kind}-")
    server = subprocess.Popen(  # noqa: ASYNC220 (a bench may block while it starts a server)
        [
            sys.executable,
            str(ROOT / "bench" / "ack_servers.py"),
            kind,
            str(port),
            api_url,
            workspace.bot_token,
            workspace.signing_secret,
            home,
        ],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        await wait_ready(url)
        await load(url, workspace.signing_secret, requests=args.warmup, concurrency=args.concurrency, text=text)
        rps, latencies, errors = await load(
            url, workspace.signing_secret, requests=args.requests, concurrency=args.concurrency, text=text
        )
    finally:
        server.terminate()
        server.wait(10)
    return {"rps": rps, "p50": pct(latencies, 50), "p99": pct(latencies, 99), "errors": errors}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the apps this many times; report medians")
    args = parser.parse_args()
    workspace = Workspace()
    results: dict[str, list[dict[str, float]]] = {"bare": [], "project": [], "project+job": []}
    async with run_emulator(workspace) as emulator_url:
        api_url = f"{emulator_url}/api/"
        for _ in range(args.rounds):
            results["bare"].append(await measure("bare", api_url, workspace, args))
            results["project"].append(await measure("project", api_url, workspace, args))
            # Not part of the goal: the path that records a delivery, a job and an audit event (SQLite),
            # with this process's worker off so the figure is the ack path's alone.
            results["project+job"].append(
                await measure("project-queue-only", api_url, workspace, args, text="status #1")
            )
    med = {
        k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p50", "p99", "errors")} for k, v in results.items()
    }
    print(
        f"signed /lto help, {args.requests} requests x {args.rounds} rounds, concurrency {args.concurrency} (medians)"
    )
    print(f"{'app':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for kind in ("bare", "project", "project+job"):
        r = med[kind]
        print(f"{kind:<12}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8.0f}")
    b, p = med["bare"], med["project"]
    print(
        f"project/bare: p50 x{p['p50'] / b['p50']:.2f}, p99 x{p['p99'] / b['p99']:.2f}, "
        f"throughput {100 * p['rps'] / b['rps']:.0f}% (goal: latency within 1.5x, throughput at least 60%)"
    )


if __name__ == "__main__":
    asyncio.run(main())
