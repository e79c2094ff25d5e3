"""Lead intake under load: signed leads posted to `POST /hooks/leads` at a steady rate, then "every lead is one
deal and one thread".

Run: .venv/bin/python bench/leads.py [--leads 1000] [--rate 20]
         [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lto_leads_bench] [--no-kb]

Everything runs on loopback and is started and stopped here: the database named in --database-url is
dropped and created again (never `test`) and dropped at the end; the sample knowledge base is ingested
(unless --no-kb) so every account brief searches it; `lto serve` runs as a subprocess (HTTP listener and
its in-process worker) with its Web API calls going to the Slack Web API emulator on its own thread here.

The load is open loop: lead k is due at k/rate seconds whatever happened to the earlier ones, and its ack
latency counts from that due time. A fifth of the leads share a company domain with an earlier lead (one
account, two deals), and every tenth lead is sent twice (a sender's retry: it must record nothing).
Afterwards the queue is waited on until every lead's job is done; drain time is from the last post to then.
The run checks that each lead made exactly one deal (`leads.deal_id`, `deals.origin`), that each deal's card
and brief are in the emulator exactly once, and that no domain has two accounts. Exit code 0 when all hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    EmulatorThread,
    effect_key,
    free_port,
    lto_command,
    recreate_postgres,
    run_with_cleanup,
)

from bot.emulator import Workspace  # noqa: E402
from integrations.events.webhooks import signature  # noqa: E402

SECRET = "bench-leads-signing-secret"
COUNTRIES = ["DE", "FR", "US", "BR", "JP", None]
SIZES = [40, 800, 9000, None]
MESSAGES = [
    "We need our SAP data in Snowflake every hour.",
    "Moving our Rotterdam hub's data to Databricks.",
    "Looking at CDC from PostgreSQL into Kafka, with SSO via Okta.",
    "",
]


def lead(k: int) -> dict[str, Any]:
    """Lead k; one in five reuses the domain of lead k-1 (another person at the same company)."""
    company = k - 1 if k % 5 == 4 else k
    body: dict[str, Any] = {
        "event_id": f"bench-{k}",
        "company": f"Bench Company {company}",
        "domain": f"company-{company}.example",
        "contact": {"name": f"Buyer {k}", "email": f"buyer{k}@company-{company}.example"},
        "source": "web_form",
    }
    country, size, message = COUNTRIES[k % len(COUNTRIES)], SIZES[k % len(SIZES)], MESSAGES[k % len(MESSAGES)]
    body |= {"country": country} if country else {}
    body |= {"employees": size} if size else {}
    body |= {"message": message} if message else {}
    return body


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> tuple[int, float]:
    raw = json.dumps(body).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-LTO-Timestamp": str(timestamp),
        "X-LTO-Signature": signature(SECRET, timestamp, raw),
    }
    started = time.perf_counter()
    try:
        response = await client.post(url, content=raw, headers=headers)
        return response.status_code, time.perf_counter() - started
    except httpx.HTTPError:
        return 0, time.perf_counter() - started


async def load(url: str, count: int, rate: float) -> tuple[list[float], Counter[int], float]:
    """Post leads open loop; (ack latencies from each lead's due time, statuses, when the last answer came)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        start = time.perf_counter()

        async def one(k: int) -> None:
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status, _ = await post(client, url, lead(k))
            latencies.append(time.perf_counter() - due)
            statuses[status] += 1
            if k % 10 == 0:  # the sender retries: the same event id again
                statuses[-(await post(client, url, lead(k)))[0]] += 1

        await asyncio.gather(*(one(k) for k in range(count)))
    return latencies, statuses, time.perf_counter()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def check(engine: Any, workspace: Workspace, emulator: EmulatorThread, count: int) -> list[str]:
    problems = []
    with engine.connect() as conn:
        leads = conn.execute(text("select count(*), count(deal_id), count(distinct deal_id) from leads")).one()
        statuses = dict(conn.execute(text("select status, count(*) from leads group by status")).all())
        origins = conn.execute(text("select count(*) from deals where origin like 'lead:%'")).scalar_one()
        doubled = conn.execute(
            text(
                "select count(*) from (select domain from accounts where domain is not null group by domain "
                "having count(*) > 1) d"
            )
        ).scalar_one()
        domains = conn.execute(text("select count(*) from accounts where domain like 'company-%'")).scalar_one()
    if tuple(leads) != (count, count, count):
        problems.append(f"leads recorded/with a deal/distinct deals: {tuple(leads)}, expected {count} each")
    if statuses != {"posted": count}:
        problems.append(f"lead statuses {statuses}")
    if origins != count:
        problems.append(f"{origins} deals opened from leads, expected {count}")
    expected_domains = len({lead(k)["domain"] for k in range(count)})
    if doubled or domains != expected_domains:
        problems.append(f"{doubled} domains with two accounts; {domains} accounts for {expected_domains} domains")
    channel = workspace.channel_id("deals")

    def keys() -> Counter[str]:
        found: Counter[str] = Counter()
        for message in workspace.history(channel):
            found[effect_key(message) or "?"] += 1
            for reply in workspace.replies(channel, message["ts"])[1:]:
                found[effect_key(reply) or "?"] += 1
        return found

    posted = emulator.call(keys)
    cards = [k for k in posted if k.endswith(":card")]
    briefs = [k for k in posted if k.endswith(":brief")]
    if len(cards) != count or len(briefs) != count or any(posted[k] != 1 for k in cards + briefs):
        problems.append(f"{len(cards)} cards and {len(briefs)} briefs (each once?) for {count} leads")
    return problems


def start_server(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`lto serve` (listener and in-process worker) as a subprocess; returns it and its URL once healthy."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*lto_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lto serve exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("lto serve did not become healthy within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def log_errors(log_path: Path) -> list[str]:
    """The server's error lines (its JSON log), for the report."""
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("error", "critical"):
            found.append(f"server log: {entry.get('msg', '')[:120]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="leads posted per second")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/lto_leads_bench")
    parser.add_argument("--no-kb", action="store_true", help="do not ingest the sample knowledge base")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    args = parser.parse_args()

    def run(tmp: Path, cleanup: list) -> int:
        workspace = Workspace()
        emulator = EmulatorThread(workspace)
        emulator_url = emulator.start()
        cleanup.append(emulator.stop)
        recreate_postgres(args.database_url)
        cleanup.append(lambda: recreate_postgres(args.database_url, create=False))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("LTO_", "SLACK_", "DATABASE_", "QDRANT_"))},
            "DATABASE_URL": args.database_url,
            "LTO_HOME": str(tmp / "home"),
            "SLACK_API_URL": f"{emulator_url}/api/",
            "SLACK_BOT_TOKEN": workspace.bot_token,
            "SLACK_SIGNING_SECRET": workspace.signing_secret,
            "LTO_LEADS_SECRET": SECRET,
            "LTO_LOG_LEVEL": "WARNING",
        }
        if not args.no_kb:
            subprocess.run(
                [*lto_command(), "ingest", "examples/knowledge"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log_path = tmp / "server.log"
        process, server_url = start_server(env, log_path)
        cleanup.append(lambda: stop_server(process))
        engine = create_engine(args.database_url, pool_size=2)
        cleanup.append(engine.dispose)
        print(
            f"lto serve (HTTP + in-process worker) at {server_url}; {args.leads} leads at {args.rate:g}/s "
            f"to POST /hooks/leads; knowledge base {'none' if args.no_kb else 'examples/knowledge'}"
        )
        latencies, statuses, last_answer = asyncio.run(load(f"{server_url}/hooks/leads", args.leads, args.rate))
        deadline = time.perf_counter() + args.drain_timeout
        while time.perf_counter() < deadline:
            with engine.connect() as conn:
                waiting = conn.execute(text("select count(*) from jobs where status in ('queued', 'running')"))
                if waiting.scalar_one() == 0:
                    break
            time.sleep(0.2)
        drained = time.perf_counter() - last_answer
        with engine.connect() as conn:
            failed = conn.execute(text("select count(*) from jobs where status = 'failed'")).scalar_one()
        print(f"acks: {dict(statuses)} (negative: the retried duplicates' statuses)")
        print(
            f"ack latency from due time: p50 {percentile(latencies, 50) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 95) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
            f"max {max(latencies) * 1000:.1f} ms"
        )
        print(f"drain: {drained:.1f} s after the last ack until every job was done ({failed} failed)")
        problems = check(engine, workspace, emulator, args.leads)
        problems += log_errors(log_path)
        print(
            "\n".join(problems)
            if problems
            else f"every lead is exactly one deal, one card and one brief; {args.leads // 10} retries recorded nothing"
        )
        return 1 if problems else 0

    return run_with_cleanup("lto-bench-leads-", run)


if __name__ == "__main__":
    sys.exit(main())
