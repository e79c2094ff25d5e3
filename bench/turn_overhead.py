"""Per-turn overhead of discovery with the offline model: history load/save, tools, Web API calls to the emulator.

Run: .venv/bin/python bench/turn_overhead.py [--turns 200] [--database-url URL]

A deal thread is opened, then each rep message is sent as a signed Slack event and its job
run by the worker; the figure is the worker's time per turn (claim to commit, including
posting and updating messages in the emulator over HTTP). The offline model takes no time
of its own worth measuring, so this is the product's overhead around a model.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import SlackActor, Workspace, run_emulator  # noqa: E402
from bot.http import create_api  # noqa: E402
from bot.runtime import build_runtime  # noqa: E402
from bot.serving import serve_asgi  # noqa: E402
from core.settings import load_settings  # noqa: E402

MESSAGES = (
    "They have {n} seats and need SOC 2.",
    "Users are in Frankfurt and London; SaaS is fine.",
    "Budget is around $180k, they want to sign by end of Q1.",
    "The CFO signs. They're also looking at Fivetran. Need Okta SSO.",
    "Pain: nightly batch loads from Oracle into Snowflake take six hours.",
    "Actually {n} seats, not 250.",
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    workspace = Workspace()
    async with run_emulator(workspace) as emulator_url:
        settings = load_settings(
            LTO_HOME=tempfile.mkdtemp(prefix="lto-turns-"),
            DATABASE_URL=args.database_url,
            SLACK_API_URL=f"{emulator_url}/api/",
            SLACK_BOT_TOKEN=workspace.bot_token,
            SLACK_SIGNING_SECRET=workspace.signing_secret,
            LTO_LOG_LEVEL="WARNING",
        )
        runtime = build_runtime(settings)
        worker = runtime.worker
        assert worker is not None
        async with serve_asgi(create_api(runtime, run_worker=False, run_scheduler=False)) as app_url:
            actor = SlackActor(workspace, f"{app_url}/slack/events", workspace.signing_secret)
            channel = workspace.channel_id("deals")
            await actor.slash_command("U0REP1", channel, "/lto", "new Bench Corp")
            await worker.run_until_idle()
            thread = workspace.history(channel)[0]["ts"]
            durations = []
            for turn in range(args.turns):
                text = MESSAGES[turn % len(MESSAGES)].format(n=200 + turn)
                await actor.post_message("U0REP1", channel, text, thread_ts=thread)
                started = time.perf_counter()
                assert await worker.run_once()
                durations.append((time.perf_counter() - started) * 1000)
        runtime.close()
    q = statistics.quantiles(durations, n=100, method="inclusive")
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.turns} discovery turns, offline model, {backend}, Web API over loopback to the emulator")
    print(f"p50 {q[49]:.1f} ms   p95 {q[94]:.1f} ms   max {max(durations):.1f} ms   (target: p95 under 150 ms)")


if __name__ == "__main__":
    asyncio.run(main())
