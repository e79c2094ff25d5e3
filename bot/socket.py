"""Socket Mode and worker-only processes: the same app and worker, without an HTTP server."""

from __future__ import annotations

import asyncio
import signal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import create_app
from bot.runtime import build_runtime
from bot.scheduler import build_scheduler
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
    scheduler = build_scheduler(runtime)
    scheduler.start()
    assert runtime.worker is not None
    worker = asyncio.create_task(runtime.worker.run_forever(stop))
    await handler.connect_async()
    await stop.wait()
    await handler.close_async()
    scheduler.shutdown(wait=False)
    await worker
    runtime.close()


async def run_worker_only(settings: Settings) -> None:
    runtime = build_runtime(settings)
    await runtime.identify()
    stop = _stop_on_signals()
    scheduler = build_scheduler(runtime)
    scheduler.start()
    assert runtime.worker is not None
    await runtime.worker.run_forever(stop)
    scheduler.shutdown(wait=False)
    runtime.close()
