"""What the benchmarks that drive `lto serve` as a subprocess share: the emulator on its own thread,
ports, the `lto` entry point, and reading the queue and the bot's keyed posts."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import Workspace, run_emulator  # noqa: E402


class EmulatorThread:
    """The Slack Web API emulator on its own thread and event loop: the load generator's loop stays free,
    and the emulator outlives the servers a benchmark kills and restarts."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="slack-emulator", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced to the thread that starts it
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with run_emulator(self.workspace) as url:
            self.url = url
            self._ready.set()
            await self._stop.wait()

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(30) or self._error is not None:
            raise RuntimeError(f"the emulator did not start: {self._error!r}")
        return self.url

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the emulator's loop (where the workspace is written) and return its result."""

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(60)

    async def acall(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return fn()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self._loop))

    def stop(self) -> None:
        if self._thread.is_alive() and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(15)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads, from /proc/<pid>/stat (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lto_command() -> list[str]:
    script = Path(sys.executable).parent / "lto"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from bot.cli import main; main()"]


def effect_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != "lto_effect":
        return None
    return (metadata.get("event_payload") or {}).get("key")


def queue_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(text("select status, count(*) from jobs group by status"))}


# A PostgreSQL database of the benchmark's own ------------------------------------------------------


def postgres_admin(url: str) -> tuple[str, str]:
    """(maintenance URL, database name); refuses the shared databases before anything starts."""
    parsed = make_url(url)
    name = parsed.database or ""
    if name in ("", "test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate database {name!r}: name one of your own, e.g. lto_load")
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False), name


def recreate_postgres(url: str, *, create: bool = True) -> None:
    """Drop the database (and create it again unless `create` is False)."""
    import psycopg

    admin, name = postgres_admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def run_with_cleanup(prefix: str, run: Callable[[Path, list[Callable[[], None]]], int]) -> int:
    """Run in a temp folder; every clean-up step `run` registers runs at the end, even on SIGTERM."""

    def terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    cleanup: list[Callable[[], None]] = []
    try:
        return run(tmp, cleanup)
    finally:
        for undo in reversed(cleanup):
            try:
                undo()
            except Exception as exc:  # the rest of the clean-up still runs
                print(f"cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


class LtoProcess:
    """An `lto` subprocess with its log in a file: the part a server and a worker share."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM (the graceful shutdown), then SIGKILL if it does not stop within 30 s."""
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_errors(self) -> tuple[Counter[str], int]:
        """Error lines of the JSON log by message and exception, and how often a sweep overran its interval."""
        found: Counter[str] = Counter()
        overruns = 0
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return found, overruns
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            overruns += "maximum number of running instances reached" in entry.get("msg", "")
            if entry.get("level") not in ("error", "critical"):
                continue
            last = (entry.get("exc") or "").strip().splitlines()[-1:] or [""]
            found[f"{re.sub(r'[0-9]+', 'N', entry.get('msg', ''))[:60].strip()} | {last[0][:90]}"] += 1
        return found, overruns

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
