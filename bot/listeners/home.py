"""The Home tab: opening it records a job that publishes the person's pipeline (the ack never waits on it)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners.intake import accept_within_limits
from bot.runtime import Runtime
from core.job_kinds import PublishHome


async def on_home_opened(body: dict[str, Any], event: dict[str, Any], runtime: Runtime) -> None:
    """Only the Home tab: the Messages tab of the app is a DM, whose messages arrive as message events."""
    if event.get("tab") != "home" or not isinstance(event.get("user"), str):
        return
    # Within the per-person limit of its own kind: someone clicking the tab back and forth keeps the Home
    # they have and spends none of their allowance for commands and messages.
    await accept_within_limits(
        runtime,
        key=f"event:{body['event_id']}",
        kind="home",
        job=PublishHome(user_id=event["user"]),
        actor=event["user"],
    )


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_home_opened)
