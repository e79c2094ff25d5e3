"""Fault test: `lto serve` killed with SIGKILL while jobs run, then the Slack Web API answering 429s and 500s.

Run: .venv/bin/python bench/faults.py [--commands 200] [--kills 3] [--fault-commands 100] [--fault-seconds 12]
         [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lto_faults]

Everything runs on loopback and is started and stopped here: the project's Slack Web API emulator (in this
process, on its own thread) and `lto serve` (a subprocess; SQLite in a temp dir unless --database-url names a
PostgreSQL database, which is dropped and created again, never `test`). Jobs run in lto serve's own worker.
The job lease is --lease seconds (10; the app's default is 120) so a killed worker's jobs are claimed again
quickly; nothing else about the app is changed.

Part 1, crashes. --commands `/lto new Crash-N: notes` are sent (from synthetic reps spread over channels, so
the per-person command limits do not refuse them) and acked; each opens a deal, posts its card in #deals (the
thread's parent), an intro in the thread and a discovery reply. While those jobs run, the server is killed
with SIGKILL --kills times and started again on the same database and emulator. The kills are aimed: the
first is fired by the emulator right after it stored a deal card and before it answered the bot (Slack has
the message, the bot never learns its ts), the second right after a thread reply, the others at a random
moment while jobs are running. --chatter N has people post N messages in #deals while the bot is down.

Part 2, Web API faults. Every Web API method the jobs use answers 429 (Retry-After: 1) for the first half of
--fault-seconds and 500 for the second half, while --fault-commands more `/lto new Fault-N` commands are sent;
then the faults stop.

Checked for every command: acked, exactly one job and it is `done`, exactly one deal for its company, exactly
one card (the thread parent) in #deals, one intro and one discovery reply in its thread (filled in, not
"Working on it"), and no keyed bot post anywhere twice. Exit code 0 when nothing is missing or duplicated, 1
otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    EmulatorThread,
    LtoProcess,
    effect_key,
    free_port,
    lto_command,
    postgres_admin,
    queue_counts,
    recreate_postgres,
    run_with_cleanup,
)

from bot.emulator import Workspace  # noqa: E402
from bot.emulator.requests import SlackRequest, slash_command  # noqa: E402

SALES_CHANNEL = "C0DEALS"
FAULTY_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.getPermalink",
    "conversations.history",
    "conversations.replies",
    "conversations.list",
    "usergroups.users.list",
)
CHECKED = ("jobs", "deals", "cards (thread parents)", "thread intros", "discovery replies", "any keyed post")
NOTES = "250 seats, SOC 2 required, users in Frankfurt, CFO signs, want to sign by end of Q1"


# The emulator: a workspace that can kill the server at the worst moment --------------------------


class KillingWorkspace(Workspace):
    """A Workspace that, when armed, SIGKILLs the server right after storing a matching bot post.

    The kill happens inside the Web API call, before the emulator answers: Slack has the message, the bot
    never hears back, exactly the window the gateway's journal has to survive.
    """

    def __init__(self) -> None:
        super().__init__()
        self.armed: tuple[str, int] | None = None  # ("card" | "intro", pid)
        self.fired: list[str] = []

    def add_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        stored = super().add_message(channel, message)
        key = effect_key(stored) or ""
        if self.armed is not None and key:
            target, pid = self.armed
            if (target == "card" and key.endswith(":card")) or (target == "intro" and key.endswith(":intro")):
                self.armed = None
                self.fired.append(key)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        return stored


# Database and server ----------------------------------------------------------------------------


class Server(LtoProcess):
    """`lto serve` as a subprocess that can be killed and started again on the same port and database."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__(env, log_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.starts = 0

    def start(self) -> float:
        """Start and wait for /healthz; returns the seconds it took."""
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*lto_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        while time.monotonic() - started < 60:
            if self.process.poll() is not None:
                raise RuntimeError(f"lto serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"lto serve did not answer /healthz within 60 s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill9(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.wait_dead()

    def wait_dead(self) -> None:
        if self.process is not None:
            self.process.wait(30)

    def log_errors(self) -> Counter[str]:
        """Error lines of the JSON log by message and exception; "sweep overran" counts skipped sweep runs."""
        found: Counter[str] = Counter()
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return found
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "maximum number of running instances reached" in entry.get("msg", ""):
                found["sweep overran its interval (run skipped)"] += 1
            elif "database is locked" in (entry.get("exc") or ""):
                found[f"{re.sub(r'[0-9]+', 'N', entry.get('msg', ''))[:50]} | database is locked"] += 1
            elif entry.get("level") in ("error", "critical"):
                last = (entry.get("exc") or "").strip().splitlines()[-1:] or [""]
                found[f"{re.sub(r'[0-9]+', 'N', entry.get('msg', ''))[:50]} | {last[0][:90]}"] += 1
        return found


def metric(server_url: str, name: str) -> dict[str, float]:
    """One counter family from /metrics, by its labels joined with ','."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        body = httpx.get(f"{server_url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return {}
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        if family.name == name:
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    values[",".join(sample.labels.values())] = sample.value
    return values


# Commands ----------------------------------------------------------------------------------------


@dataclass
class Command:
    company: str
    key: str = ""
    status: int = 0
    ack: str = ""
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 200 and self.ack.startswith(":hourglass")


class Sender:
    """Signed `/lto new` commands from synthetic reps, at most 20 per rep and 100 per channel."""

    def __init__(self, workspace: Workspace, emulator: EmulatorThread, secret: str) -> None:
        self.ws = workspace
        self.emulator = emulator
        self.secret = secret
        self.sent = 0
        self.run_id = secrets.token_hex(3)

    def _who(self) -> tuple[str, str]:
        n = self.sent
        self.sent += 1
        user, channel = f"U0FLT{n // 20:05d}", f"C0FLT{n // 100:04d}"

        def ensure() -> None:
            if user not in self.ws.users:
                self.ws.add_user(user, f"rep{n // 20}", f"Fault Rep {n // 20}")
            if channel not in self.ws.channels:
                self.ws.add_channel(channel, f"sales-{n // 100}")

        self.emulator.call(ensure)
        return user, channel

    def request(self, command: Command) -> SlackRequest:
        user, channel = self._who()
        trigger = f"{self.sent}.{self.run_id}.{secrets.token_hex(5)}"
        command.key = f"command:{trigger}"
        response_id = secrets.token_hex(8)
        self.ws.responses[response_id] = {"channel": channel, "user": user, "message_ts": None}
        return slash_command(
            command="/lto",
            text=f"new {command.company}: {NOTES}",
            user_id=user,
            user_name=self.ws.users[user]["name"],
            channel_id=channel,
            channel_name=self.ws.channels[channel]["name"],
            team_domain=self.ws.team["domain"],
            response_url=f"{self.ws.base_url}/response/{response_id}",
            trigger_id=trigger,
        )

    def send(self, url: str, commands: list[Command], concurrency: int = 8) -> None:
        requests = [(c, self.request(c)) for c in commands]

        async def run() -> None:
            slots = asyncio.Semaphore(concurrency)
            async with httpx.AsyncClient(timeout=30) as client:

                async def one(command: Command, request: SlackRequest) -> None:
                    async with slots:
                        try:
                            response = await client.post(
                                url, content=request.body, headers=request.headers(self.secret)
                            )
                        except httpx.HTTPError as exc:
                            command.error = f"{type(exc).__name__}: {exc}"
                            return
                        command.status = response.status_code
                        with contextlib.suppress(ValueError):
                            command.ack = str(response.json().get("text") or "")

                await asyncio.gather(*(one(c, r) for c, r in requests))

        asyncio.run(run())


# Waiting and checking ----------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.1) -> bool:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return True
        time.sleep(every)
    return False


def done_count(engine: Engine, keys: list[str]) -> int:
    query = text("select count(*) from jobs where status = 'done' and dedupe_key in :keys").bindparams(
        bindparam("keys", expanding=True)
    )
    with engine.connect() as conn:
        return int(conn.scalar(query, {"keys": keys}) or 0)


def running_in(engine: Engine, pid: int) -> int:
    """Jobs the process with this pid holds (a worker id is host:pid:random)."""
    with engine.connect() as conn:
        query = text("select count(*) from jobs where status = 'running' and locked_by like :pid")
        return int(conn.scalar(query, {"pid": f"%:{pid}:%"}) or 0)


def wait_drained(engine: Engine, timeout: float) -> tuple[bool, float]:
    started = time.monotonic()
    drained = wait_for(lambda: not ({"queued", "running"} & set(queue_counts(engine))), timeout, every=0.25)
    return drained, time.monotonic() - started


@dataclass
class Outcome:
    name: str
    commands: int = 0
    acked: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0
    jobs_open: int = 0
    retried: int = 0
    duplicates: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    repeated_answers: int = 0
    drain_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return (
            not sum(self.duplicates.values())
            and not sum(self.missing.values())
            and self.acked == self.commands
            and self.jobs_done == self.commands
        )


def check(engine: Engine, commands: list[Command], state: dict[str, Any], outcome: Outcome) -> None:
    """One deal, one card, one intro, one reply per command; nothing twice."""
    with engine.connect() as conn:
        jobs = {
            row.dedupe_key: row
            for row in conn.execute(
                text("select id, status, attempts, dedupe_key from jobs where dedupe_key is not null")
            )
        }
        job_count = Counter(
            key for (key,) in conn.execute(text("select dedupe_key from jobs where dedupe_key is not null"))
        )
        deals_by_company: dict[str, list[Any]] = {}
        for row in conn.execute(
            text("select d.id, d.origin, d.thread_ts, a.name from deals d join accounts a on a.id = d.account_id")
        ):
            deals_by_company.setdefault(row.name, []).append(row)
    top_level: Counter[str] = Counter()  # keys of bot posts in #deals outside threads
    in_thread: Counter[str] = Counter()
    texts: dict[str, str] = {}
    for channel, messages in state["messages"].items():
        for message in messages:
            key = effect_key(message)
            if not key:
                continue
            texts[key] = message.get("text") or ""
            if channel == SALES_CHANNEL and message.get("thread_ts") in (None, message["ts"]):
                top_level[key] += 1
            else:
                in_thread[key] += 1
    intro_ts = {}
    for channel, messages in state["messages"].items():
        for message in messages:
            key = effect_key(message) or ""
            if key.endswith(":intro"):
                intro_ts[key] = (channel, message["ts"])
    answers = Counter()
    for message in state["ephemeral"]:
        said = message.get("text") or ""
        if said.startswith(":white_check_mark: Deal #"):
            answers[said.split("*")[1] if "*" in said else said] += 1

    outcome.commands = len(commands)
    outcome.acked = sum(c.accepted for c in commands)
    for command in commands:
        job = jobs.get(command.key)
        if job_count[command.key] > 1:
            outcome.duplicates["jobs"] += job_count[command.key] - 1
        if job is None:
            outcome.missing["jobs"] += 1
        else:
            outcome.jobs_done += job.status == "done"
            outcome.jobs_failed += job.status == "failed"
            outcome.jobs_open += job.status in ("queued", "running")
            outcome.retried += job.attempts > 1
        deals = deals_by_company.get(command.company, [])
        if len(deals) != 1:
            (outcome.missing if not deals else outcome.duplicates)["deals"] += 1 if not deals else len(deals) - 1
        for deal in deals:
            for what, counter, key in (
                ("cards (thread parents)", top_level, f"deal:{deal.id}:card"),
                ("thread intros", in_thread, f"deal:{deal.id}:intro"),
            ):
                if counter[key] == 0:
                    outcome.missing[what] += 1
                elif counter[key] > 1:
                    outcome.duplicates[what] += counter[key] - 1
            where = intro_ts.get(f"deal:{deal.id}:intro")
            reply = f"turn:{where[0]}:{where[1]}:status" if where else ""
            if not where or in_thread[reply] == 0:
                outcome.missing["discovery replies"] += 1
            else:
                outcome.duplicates["discovery replies"] += in_thread[reply] - 1
                if texts.get(reply, "").startswith("Working on it"):
                    outcome.missing["replies filled in"] += 1
        if answers[command.company] > 1:
            outcome.repeated_answers += answers[command.company] - 1
    everywhere = top_level + in_thread
    outcome.duplicates["any keyed post"] = sum(n - 1 for n in everywhere.values() if n > 1)


# The run ------------------------------------------------------------------------------------------


def snapshot(emulator: EmulatorThread, workspace: Workspace) -> dict[str, Any]:
    return emulator.call(
        lambda: {"messages": copy.deepcopy(workspace.messages), "ephemeral": copy.deepcopy(workspace.ephemeral)}
    )


def part_crashes(
    args: argparse.Namespace,
    server: Server,
    workspace: KillingWorkspace,
    emulator: EmulatorThread,
    sender: Sender,
    engine: Engine,
) -> Outcome:
    outcome = Outcome("crashes (SIGKILL)")
    commands = [Command(f"Crash-{sender.run_id}-{i}") for i in range(args.commands)]
    url = f"{server.url}/slack/events"
    print(f"part 1: sending {len(commands)} `/lto new` commands...", flush=True)
    sender.send(url, commands)
    keys = [c.key for c in commands]

    def done() -> int:
        return done_count(engine, keys)

    kills: list[dict[str, Any]] = []
    modes = ["card", "intro"] + ["random"] * max(0, args.kills - 2)
    for n, mode in enumerate(modes[: args.kills]):
        threshold = int(len(commands) * (n + 1) / (args.kills + 2))
        if not wait_for(lambda threshold=threshold: done() >= threshold, 120, every=0.2):
            raise RuntimeError(f"jobs did not progress to {threshold} done")
        pid = server.pid
        if mode == "random":
            wait_for(lambda: queue_counts(engine).get("running", 0) > 0, 10, every=0.02)
            time.sleep(random.uniform(0, 0.3))
            server.kill9()
            fired = "at a random moment"
        else:
            workspace.armed = (mode, pid)
            if not wait_for(lambda: not server.alive(), 60, every=0.01):
                workspace.armed = None
                raise RuntimeError(f"the emulator never saw a {mode} post to kill on")
            server.wait_dead()
            fired = f"by the emulator right after storing {workspace.fired[-1]}"
        running = running_in(engine, pid)
        finished = done()
        if args.chatter:

            def chatter() -> None:
                for i in range(args.chatter):
                    workspace.post_as("U0REP2", SALES_CHANNEL, f"channel chatter {i} while the bot is down")

            emulator.call(chatter)
        took = server.start()
        kills.append({"mode": fired, "done": finished, "running": running, "restart": took})
        print(
            f"  kill -9 #{n + 1} {fired}: {finished}/{len(commands)} done, {running} jobs running in the killed "
            f"process; restarted in {took:.1f} s",
            flush=True,
        )
    drained, outcome.drain_seconds = wait_drained(engine, args.drain_timeout)
    outcome.extra["kills"] = kills
    outcome.extra["drained"] = drained
    check(engine, commands, snapshot(emulator, workspace), outcome)
    return outcome


def part_web_api_faults(
    args: argparse.Namespace,
    server: Server,
    workspace: KillingWorkspace,
    emulator: EmulatorThread,
    sender: Sender,
    engine: Engine,
) -> Outcome:
    outcome = Outcome("Web API 429s and 500s")
    commands = [Command(f"Fault-{sender.run_id}-{i}") for i in range(args.fault_commands)]
    retries_before = metric(server.url, "lto_slack_web_api_retries")
    big = 10**9

    def faults(status: int) -> None:
        for method in FAULTY_METHODS:
            if status == 429:
                workspace.rate_limit(method, times=big, retry_after=1)
            else:
                workspace.fail(method, times=big, status=status)

    def injected() -> int:
        return sum(big - f.remaining for f in workspace.failures.values())

    half = args.fault_seconds / 2
    print(
        f"part 2: every Web API method answers 429 (Retry-After: 1) for {half:g} s, then 500 for {half:g} s "
        f"(each phase longer if the bot made fewer than {args.min_faults} calls in it); "
        f"sending {len(commands)} `/lto new` commands meanwhile...",
        flush=True,
    )
    started = time.monotonic()
    emulator.call(lambda: faults(429))
    sender.send(f"{server.url}/slack/events", commands)
    for status in (429, 500):
        if status == 500:
            emulator.call(lambda: faults(500))  # replaces the 429s, so the count starts again from zero
        since = started if status == 429 else time.monotonic()  # the 429 phase began before the commands went
        time.sleep(max(0.0, half - (time.monotonic() - since)))
        # A stalled bot makes no calls: keep the phase on until it has met the fault (at most 10 x as long).
        wait_for(lambda: emulator.call(injected) >= args.min_faults, 9 * half, every=0.5)
        outcome.extra[f"{status}s"] = emulator.call(injected)
    outcome.extra["fault seconds"] = time.monotonic() - started
    emulator.call(workspace.heal)
    outcome.extra["done during faults"] = done_count(engine, [c.key for c in commands])
    drained, outcome.drain_seconds = wait_drained(engine, args.drain_timeout)
    outcome.extra["drained"] = drained
    retries_after = metric(server.url, "lto_slack_web_api_retries")
    outcome.extra["sdk retries"] = {
        k: int(v - retries_before.get(k, 0)) for k, v in retries_after.items() if v - retries_before.get(k, 0)
    }
    check(engine, commands, snapshot(emulator, workspace), outcome)
    return outcome


def report(outcomes: list[Outcome]) -> None:
    header = ("", *(o.name for o in outcomes))
    rows: list[tuple[Any, ...]] = [
        ("commands sent / acked", *(f"{o.commands} / {o.acked}" for o in outcomes)),
        ("jobs done / failed / still open", *(f"{o.jobs_done} / {o.jobs_failed} / {o.jobs_open}" for o in outcomes)),
        ("jobs retried (more than one attempt)", *(o.retried for o in outcomes)),
    ]
    kinds = [*CHECKED, *sorted({k for o in outcomes for k in (*o.duplicates, *o.missing)} - set(CHECKED))]
    for kind in kinds:
        rows.append((f"{kind}: duplicates / missing", *(f"{o.duplicates[kind]} / {o.missing[kind]}" for o in outcomes)))
    rows.append(("repeated 'Deal is open' answers (response_url)", *(o.repeated_answers for o in outcomes)))
    rows.append(
        (
            "time to drain the queue",
            *(f"{o.drain_seconds:.1f} s" + ("" if o.extra.get("drained") else " (NOT drained)") for o in outcomes),
        )
    )
    widths = (50, *(26 for _ in outcomes))
    print("".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in enumerate(zip(header, widths, strict=True))))
    for row in rows:
        print(
            "".join(
                f"{c!s:<{w}}" if i == 0 else f"{c!s:>{w}}" for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def run(args: argparse.Namespace, tmp: Path, cleanup: list[Callable[[], None]]) -> int:
    workspace = KillingWorkspace()
    emulator = EmulatorThread(workspace)
    emulator_url = emulator.start()
    cleanup.append(emulator.stop)
    if args.database_url:
        recreate_postgres(args.database_url)
        if not args.keep_database:
            cleanup.append(lambda: recreate_postgres(args.database_url, create=False))
        database_url = args.database_url
    else:
        database_url = f"sqlite:///{(tmp / 'lto.db').as_posix()}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LTO_", "SLACK_", "DATABASE_", "QDRANT_"))},
        "DATABASE_URL": database_url,
        "LTO_HOME": str(tmp / "home"),
        "SLACK_API_URL": f"{emulator_url}/api/",
        "SLACK_BOT_TOKEN": workspace.bot_token,
        "SLACK_SIGNING_SECRET": workspace.signing_secret,
        "LTO_JOB_LEASE_SECONDS": str(args.lease),
        "LTO_LOG_LEVEL": "WARNING",
    }
    server = Server(env, Path(args.server_log) if args.server_log else tmp / "server.log")
    cleanup.append(server.stop)
    server.start()
    engine = create_engine(database_url)
    cleanup.append(engine.dispose)
    sender = Sender(workspace, emulator, workspace.signing_secret)
    shown = make_url(database_url).render_as_string(hide_password=True)
    print(f"lto serve {server.url} on {shown}, job lease {args.lease} s; Slack Web API emulator {emulator_url}")

    outcomes = [part_crashes(args, server, workspace, emulator, sender, engine)]
    if args.fault_commands:
        outcomes.append(part_web_api_faults(args, server, workspace, emulator, sender, engine))

    print()
    report(outcomes)
    kills = outcomes[0].extra["kills"]
    if kills:
        print(
            f"kills: {len(kills)}; {sum(k['running'] for k in kills)} jobs were running when the server died; "
            "restarts took " + ", ".join(f"{k['restart']:.1f}" for k in kills) + " s"
        )
    if len(outcomes) > 1:
        extra = outcomes[1].extra
        print(
            f"Web API faults injected over {extra['fault seconds']:.0f} s: {extra['429s']} x 429, "
            f"{extra['500s']} x 500; "
            f"SDK retries {extra['sdk retries'] or 'none'}; {extra['done during faults']} jobs finished during them"
        )
    errors = server.log_errors()
    with engine.connect() as conn:
        events, unsealed = conn.execute(text("select count(*), count(*) - count(seq) from audit_events")).one()
    print(f"audit trail: {events} events, {unsealed} not sealed yet")
    if errors:
        print("server log: " + "; ".join(f"{n} x {msg}" for msg, n in errors.most_common(4)))
    problems = []
    for outcome in outcomes:
        if not outcome.clean:
            missing = {k: v for k, v in outcome.missing.items() if v}
            duplicates = {k: v for k, v in outcome.duplicates.items() if v}
            problems.append(
                f"{outcome.name}: {outcome.acked}/{outcome.commands} acked, {outcome.jobs_done} done, "
                f"missing {missing or 'none'}, duplicates {duplicates or 'none'}"
            )
        if not outcome.extra.get("drained"):
            problems.append(f"{outcome.name}: the queue did not drain within {args.drain_timeout:g} s")
    for outcome in outcomes:
        if outcome.repeated_answers:
            print(
                f"NOTE: {outcome.name}: {outcome.repeated_answers} 'Deal #N is open' response_url answers were sent "
                "twice (a re-run job answers again; response_url posts are not journalled)"
            )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    total = sum(o.commands for o in outcomes)
    if problems:
        print(f"VERDICT: FAIL - {len(problems)} problem(s) in {total} commands")
        return 1
    print(
        f"VERDICT: PASS - {total} commands, each exactly one job done, one deal, one card (thread parent), one intro "
        f"and one reply, through {len(kills)} SIGKILLs and Web API 429s/500s"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200, help="`/lto new` commands in part 1")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs in part 1 (card, intro, then random)")
    parser.add_argument("--chatter", type=int, default=0, help="people's messages in #deals while the bot is down")
    parser.add_argument("--fault-commands", type=int, default=100, help="`/lto new` commands in part 2 (0: skip it)")
    parser.add_argument("--fault-seconds", type=float, default=12.0, help="how long the Web API fails in part 2")
    parser.add_argument("--min-faults", type=int, default=8, help="Web API calls each fault phase must refuse")
    parser.add_argument("--lease", type=int, default=10, help="LTO_JOB_LEASE_SECONDS for the server")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds to wait for the queue")
    parser.add_argument("--database-url", help="a PostgreSQL database to recreate (default: SQLite in a temp dir)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the PostgreSQL database")
    parser.add_argument("--server-log", help="keep lto serve's log in this file")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the random kills")
    args = parser.parse_args()
    if args.database_url:
        if not make_url(args.database_url).drivername.startswith("postgresql"):
            parser.error("--database-url must be a PostgreSQL URL (or leave it out for SQLite)")
        postgres_admin(args.database_url)  # refuses `test` before anything starts
    random.seed(args.seed)

    return run_with_cleanup("lto-faults-", lambda tmp, cleanup: run(args, tmp, cleanup))


if __name__ == "__main__":
    sys.exit(main())
