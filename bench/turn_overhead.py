"""Per-turn overhead of discovery with the offline model: history load/save, tools, Web API calls to the emulator.

Run: .venv/bin/python bench/turn_overhead.py [--turns 200] [--database-url URL] [--baseline REF --rounds 3]

With `--baseline REF`, the same benchmark of commit REF (checked out in a temporary git worktree)
runs alternately with this tree's, `--rounds` times each, and the medians are compared.

A deal thread is opened, then each rep message is sent as a signed Slack event and its job
run by the worker; the figure is the worker's time per turn (claim to commit, including
posting and updating messages in the emulator over HTTP). The offline model takes no time
of its own worth measuring, so this is the product's overhead around a model.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
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


def _run_tree(root: Path, turns: int, database_url: str | None) -> tuple[float, float]:
    """(p50, p95) of one run of the benchmark as it is in `root`, in its own process."""
    command = [sys.executable, str(root / "bench" / "turn_overhead.py"), "--turns", str(turns)]
    if database_url:
        command += ["--database-url", database_url]
    output = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
    found = re.search(r"p50 ([0-9.]+) ms\s+p95 ([0-9.]+) ms", output)
    if found is None:
        raise SystemExit(f"no figures in the output of {root}:\n{output}")
    return float(found[1]), float(found[2])


def compare(baseline: str, rounds: int, turns: int, database_url: str | None) -> None:
    """This tree against commit `baseline`, alternating runs so both see the same machine."""
    with tempfile.TemporaryDirectory(prefix="lto-baseline-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), baseline], cwd=ROOT, check=True, capture_output=True
        )
        try:
            runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "this tree": []}
            for _ in range(rounds):
                runs["baseline"].append(_run_tree(tree, turns, database_url))
                runs["this tree"].append(_run_tree(ROOT, turns, database_url))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    medians = {
        name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)) for name, rs in runs.items()
    }
    for name, (p50, p95) in medians.items():
        print(f"{name:>10}: p50 {p50:.1f} ms   p95 {p95:.1f} ms   (median of {rounds} runs of {turns} turns)")
    ratio = medians["this tree"][1] / medians["baseline"][1]
    print(f"p95 ratio this tree / {baseline}: {ratio:.2f}x (target: at most 1.2x)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--baseline", default=None, help="a git commit to compare with, in the same run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.baseline:
        compare(args.baseline, args.rounds, args.turns, args.database_url)
        return
    workspace = Workspace()
    async with run_emulator(workspace) as emulator_url:
        settings = load_settings(
            LTO_HOME=tempfile.mkdtemp(prefix="lto-turns-"),
            DATABASE_URL=args.database_url,
            SLACK_API_URL=f"{emulator_url}/api/",
            SLACK_BOT_TOKEN=workspace.bot_token,
            SLACK_SIGNING_SECRET=workspace.signing_secret,
            LTO_LOG_LEVEL="WARNING",
            LTO_RATE_LIMIT_USER="1000000",  # one rep sends every turn: the per-person limit is not measured here
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
