"""The bot as Slack sees it: the app served over HTTP, its Web API calls landing in the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.emulator import SlackActor, Workspace, run_emulator
from bot.http import create_api
from bot.runtime import Runtime, build_runtime
from bot.serving import serve_asgi
from core.clock import ManualClock
from core.settings import load_settings

REP = "U0REP1"
OTHER_REP = "U0REP2"


@dataclass
class Harness:
    """Everything a test needs to act as Slack and look at what the bot did."""

    workspace: Workspace
    actor: SlackActor
    runtime: Runtime
    app_url: str
    clock: ManualClock

    @property
    def deals_channel(self) -> str:
        return self.workspace.channel_id("deals")

    async def work(self) -> int:
        """Run every due job to the end (tests drive the queue; nothing runs behind their back)."""
        assert self.runtime.worker is not None
        return await self.runtime.worker.run_until_idle()

    async def command(self, text: str, *, user: str = REP, channel: str | None = None):
        return await self.actor.slash_command(user, channel or self.deals_channel, "/lto", text)

    def thread(self, channel: str, ts: str) -> list[dict]:
        return self.workspace.replies(channel, ts)


@pytest.fixture
async def harness(
    database_url: str, tmp_path: Path, clock: ManualClock, harness_settings: dict[str, str]
) -> AsyncIterator[Harness]:
    async with open_harness(Workspace(), database_url, tmp_path, clock, **harness_settings) as opened:
        yield opened


@asynccontextmanager
async def open_harness(
    workspace: Workspace, database_url: str, tmp_path: Path, clock: ManualClock, **harness_settings: str
) -> AsyncIterator[Harness]:
    """The app served on loopback, its Web API calls landing in `workspace`'s emulator, jobs run by the test."""
    async with run_emulator(workspace) as emulator_url:
        settings = load_settings(
            LTO_HOME=str(tmp_path / "home"),
            DATABASE_URL=database_url,
            SLACK_API_URL=f"{emulator_url}/api/",
            SLACK_BOT_TOKEN=workspace.bot_token,
            SLACK_SIGNING_SECRET=workspace.signing_secret,
            **harness_settings,
        )
        runtime = build_runtime(settings, clock=clock, migrate=False)
        try:
            async with serve_asgi(create_api(runtime, run_worker=False, run_scheduler=False)) as app_url:
                actor = SlackActor(workspace, f"{app_url}/slack/events", workspace.signing_secret)
                yield Harness(workspace=workspace, actor=actor, runtime=runtime, app_url=app_url, clock=clock)
        finally:
            runtime.close()
