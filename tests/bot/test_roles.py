"""Which parts each kind of process runs: `lto serve` all three, `--no-worker` only the listener,
`lto worker` jobs and sweeps."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import SlackActor, Workspace, run_emulator
from bot.http import create_api
from bot.roles import Component, Role, running
from bot.runtime import Runtime, build_runtime
from bot.serving import serve_asgi
from core.models import Job, JobStatus
from core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
REP = "U0REP1"
# The schedule's sweeps that run whatever the settings (retention adds one more when it is set).
SWEEPS = {"purge_finished", "seal_audit", "anchor_audit", "deliver_outbox", "publish_events", "approval_sla"}


@pytest.fixture
async def emulated(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Workspace, Runtime]]:
    workspace = Workspace()
    async with run_emulator(workspace) as emulator_url:
        settings = load_settings(
            LTO_HOME=str(tmp_path / "home"),
            DATABASE_URL=database_url,
            SLACK_API_URL=f"{emulator_url}/api/",
            SLACK_BOT_TOKEN=workspace.bot_token,
            SLACK_SIGNING_SECRET=workspace.signing_secret,
        )
        runtime = build_runtime(settings, migrate=False)
        try:
            yield workspace, runtime
        finally:
            runtime.close()


def _sweeps(started) -> set[str]:
    assert started.scheduler is not None and started.scheduler.running
    return {job.id for job in started.scheduler.get_jobs()}


async def test_a_replica_without_the_worker_acks_and_records_but_runs_no_job_and_no_sweep(emulated):
    workspace, runtime = emulated
    api = create_api(runtime, run_worker=False, run_scheduler=False)
    async with serve_asgi(api) as url:
        started = api.state.running
        assert started.components == Role.LISTENER.components
        assert started.worker is None and started.scheduler is None
        actor = SlackActor(workspace, f"{url}/slack/events", workspace.signing_secret)
        ack = await actor.slash_command(REP, workspace.channel_id("deals"), "/lto", "new Acme")
        assert ack.status_code == 200 and ack.json()["text"].startswith(":hourglass")
    with runtime.session_factory() as session:
        assert session.scalars(select(Job.status)).all() == [JobStatus.QUEUED]  # for a worker elsewhere


async def test_the_default_process_runs_the_listener_the_worker_and_the_sweeps(emulated):
    _, runtime = emulated
    api = create_api(runtime)
    async with serve_asgi(api) as _:
        started = api.state.running
        assert started.components == Role.ALL.components == frozenset(Component)
        assert started.worker is not None and not started.worker.done()
        assert SWEEPS <= _sweeps(started)
    assert started.worker.done() and not started.scheduler.running  # stopped with the server


async def test_a_worker_process_runs_jobs_and_sweeps_and_stops_both(emulated):
    _, runtime = emulated
    async with running(runtime, Role.WORKER.components) as started:
        assert Component.LISTENER not in started.components
        assert started.worker is not None and not started.worker.done()
        assert SWEEPS <= _sweeps(started)
    assert started.worker.done() and not started.scheduler.running


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _components_said_at_start(process: asyncio.subprocess.Process) -> str:
    """The start-up line in which a process names what it runs (its log is JSON lines on stderr)."""
    assert process.stderr is not None
    seen = []
    while line := await process.stderr.readline():
        seen.append(line.decode(errors="replace"))
        try:
            message = json.loads(line).get("msg", "")
        except ValueError:
            continue
        if message.startswith("this process runs: "):
            return message.removeprefix("this process runs: ")
    raise AssertionError(f"the process ended before it said what it runs:\n{''.join(seen)[-3000:]}")


async def test_each_command_starts_the_components_of_its_role(database_url: str, tmp_path: Path):
    workspace = Workspace()
    commands = {
        "lto serve": ["serve", "--port", str(_free_port())],
        "lto serve --no-worker": ["serve", "--no-worker", "--port", str(_free_port())],
        "lto worker": ["worker"],
    }
    lto = Path(sys.executable).parent / "lto"
    async with run_emulator(workspace) as emulator_url:
        processes = {}
        for n, (name, args) in enumerate(commands.items()):
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("LTO_", "SLACK_", "DATABASE_", "QDRANT_"))},
                # Each its own home: the embedded knowledge store takes one process per folder.
                "LTO_HOME": str(tmp_path / f"home{n}"),
                "DATABASE_URL": database_url,
                "SLACK_API_URL": f"{emulator_url}/api/",
                "SLACK_BOT_TOKEN": workspace.bot_token,
                "SLACK_SIGNING_SECRET": workspace.signing_secret,
                "LTO_LOG_LEVEL": "INFO",
            }
            processes[name] = await asyncio.create_subprocess_exec(
                str(lto), *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
        try:
            said = dict(
                zip(
                    processes,
                    await asyncio.wait_for(
                        asyncio.gather(*(_components_said_at_start(p) for p in processes.values())), timeout=120
                    ),
                    strict=True,
                )
            )
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            codes = {}
            for name, process in processes.items():
                await process.communicate()  # reads what it still writes while it stops
                codes[name] = process.returncode
    assert said == {
        "lto serve": "listener, worker, sweeps",
        "lto serve --no-worker": "listener",
        "lto worker": "worker, sweeps",
    }
    # Each stops cleanly on SIGTERM (uvicorn raises the signal again once it has shut down, as its exit status).
    assert codes == {"lto serve": -signal.SIGTERM, "lto serve --no-worker": -signal.SIGTERM, "lto worker": 0}
