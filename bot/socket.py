"""Socket Mode and worker-only processes: the same app, worker and sweeps, without an HTTP server."""

from __future__ import annotations

import asyncio
import signal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import create_app
from bot.roles import Role, running
from bot.runtime import build_runtime
from core.settings import Settings


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT/SIGTERM: running jobs then finish or are released."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_socket_mode(settings: Settings) -> None:
    runtime = build_runtime(settings)
    await runtime.identify()
    app = create_app(runtime)
    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    stop = _stop_on_signals()
    async with running(runtime, Role.ALL.components):
        await handler.connect_async()
        await stop.wait()
        await handler.close_async()
    runtime.close()


async def run_worker_only(settings: Settings) -> None:
    """`lto worker`: jobs and sweeps, no listener."""
    runtime = build_runtime(settings)
    await runtime.identify()
    stop = _stop_on_signals()
    async with running(runtime, Role.WORKER.components) as started:
        assert started.worker is not None
        signalled = asyncio.ensure_future(stop.wait())
        # A worker loop that ends by itself has failed: leave, so its error ends the process.
        await asyncio.wait({signalled, started.worker}, return_when=asyncio.FIRST_COMPLETED)
        signalled.cancel()
    runtime.close()
