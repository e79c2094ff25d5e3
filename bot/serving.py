"""Serving an ASGI app in-process on a loopback port (port 0 picks a free one): demo, tests, benches."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from importlib.util import find_spec
from typing import Any

import uvicorn


def uvicorn_options() -> dict[str, str]:
    """The C HTTP parser and event loop of `uvicorn[standard]` (h11 costs about a quarter of an ack's CPU);
    uvloop does not build everywhere (Windows), where the standard loop stands in."""
    return {"http": "httptools", "loop": "uvloop" if find_spec("uvloop") else "asyncio"}


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, *, host: str = "127.0.0.1", port: int = 0, lifespan: str = "on") -> AsyncIterator[str]:
    """Run `app` with uvicorn until the block ends; yields its base URL (`http://host:port`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan=lifespan,
        timeout_graceful_shutdown=5,
        http=uvicorn_options()["http"],  # the loop is the caller's
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # surfaces the start-up error
                raise RuntimeError("the server stopped while starting")
            await asyncio.sleep(0.005)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
