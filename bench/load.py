"""Load test of `lto serve` on PostgreSQL: open-loop signed Slack traffic at rising rates, then "no request is lost".

Run: .venv/bin/python bench/load.py [--rates 20,40,80,160,320] [--seconds 10]
         [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lto_load]

Everything runs on loopback and is started and stopped here:
  * the database named in --database-url is dropped and created again (never `test`), and dropped at the end
    unless --keep-database;
  * `lto serve` runs as a subprocess on it (HTTP listener plus its in-process worker); its Web API calls go to
    the project's Slack Web API emulator, which runs in this process on its own thread and event loop;
  * a few seed deals are opened first (by U0REP1), so thread replies and button clicks have a target.

The load is open loop: request k of a step is due at k/rate seconds, whatever happened to the earlier ones.
At most --connections requests are in flight; a request that gets no connection or no answer within
--deadline seconds (3, as Slack gives up after 3) is an error. Latency counts from the request's due time,
so waiting for a connection is part of it. Above its cap on requests in flight the server sheds: a slash command
is told at once it is busy (a 200 with that text), an event or a click gets a 503; shed requests are answered, but
not acked, and the latency percentiles are of acked requests. Once a step leaves over 1% unanswered (no answer at
all within the deadline) the server is saturated and the higher rates are skipped (they would only pile up
backlog; --all-steps runs them anyway). The load
generator and the emulator share the machine with the server and PostgreSQL: on 2 cores the figures are
those of the whole box. --worker separate|after runs jobs in an `lto worker` process instead (during or
only after the load), to see the ack path without the in-process worker.

The mix (per 20): `/lto help` (answered in the ack, no job), `/lto status`, `/lto new <Company>: notes`,
replies in a seed deal's thread (`message` events, from the deal's owner) and clicks on a seed deal card's
"Draft proposal" button. Slash commands come from many synthetic reps in many channels (each rep sends at
most --commands-per-user), so the product's per-person and per-channel command rate limits are not what is
measured; a command the bot refuses anyway is checked to have recorded nothing. The thread replies all come
from one owner, so the per-person limit, which counts messages too, is lifted (LTO_RATE_LIMIT_USER).

Afterwards: events that got no answer, or a 503, are delivered again as Slack retries them (same event id,
X-Slack-Retry-Num), the queue is waited on until no job is queued or running, and the run checks that every
accepted request made exactly one job of the right kind (by delivery key), that no refused, shed or help
request made one, that every job is `done`, and that each job's Slack effect is in the emulator exactly once (deal
cards, thread intros, discovery replies, response_url answers). Exit code 0 when nothing was lost or
duplicated, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import math
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
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
from bot.emulator.requests import (  # noqa: E402
    JSON,
    SlackRequest,
    button_click,
    event_callback,
    interaction,
    slack_user,
    slash_command,
)
from bot.emulator.workspace import BOT_USER, TEAM_ID  # noqa: E402
from bot.overload import BUSY_TEXT  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lto_load"
DEFAULT_MIX = "help=6,status=4,thread=4,click=4,new=2"
SALES_CHANNEL = "C0DEALS"
OWNER = "U0REP1"  # owns the seed deals, writes in their threads and clicks their cards
P99_GOAL_MS = 500.0
JOB_KIND = {"status": "deal.status", "new": "deal.open", "thread": "conversation.turn", "click": "deal.proposal"}
COMMANDS = ("help", "status", "new")
THREAD_TEXTS = (
    "Call notes: about 120 users today, they want SSO and audit logs.",
    "They asked whether we support SCIM provisioning.",
    "Champion is the platform lead; procurement joins next week.",
    "Budget is not confirmed yet, they will come back on it.",
)


# The emulator, on its own thread ----------------------------------------------------------------


# The database and the server ---------------------------------------------------------------------


class Server(LtoProcess):
    """`lto serve` as a subprocess in its own process group, its log in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, *, worker: bool = True) -> None:
        super().__init__(env, log_path)
        self.port = free_port()
        self.worker = worker
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *lto_command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    *([] if self.worker else ["--no-worker"]),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lto serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"lto serve did not answer /healthz within 60 s:\n{self.log_tail()}")


class WorkerProcess(LtoProcess):
    """`lto worker` as a subprocess, started and stopped (gracefully) as often as asked."""

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*lto_command(), "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def died(self) -> bool:
        return self.process is not None and self.process.poll() not in (None, 0)


# Requests, signed as Slack signs them -------------------------------------------------------------


@dataclass
class Deal:
    id: int
    channel: str
    ts: str
    card: dict[str, Any]


@dataclass
class Sent:
    """One request of the load and what became of it."""

    index: int
    kind: str
    step: int
    key: str | None = None  # the delivery key the bot records (command:<trigger>, event:<id>, action:<trigger>)
    status: int = 0
    error: str | None = None
    ack: str = ""  # a slash command's ack text
    latency: float = 0.0  # due time -> answer (or give-up)
    lag: float = 0.0  # due time -> the generator started it
    waited: float = 0.0  # due time -> a connection was free
    body: bytes = b""  # events only: what Slack would deliver again
    retries: int = 0

    @property
    def answered(self) -> bool:
        return 200 <= self.status < 300 and self.error is None

    @property
    def shed(self) -> bool:
        """Turned away at once above the cap on requests in flight: a command told it is busy, or a 503."""
        if self.kind in COMMANDS:
            return self.answered and self.ack == BUSY_TEXT
        return self.status == 503 and self.error is None

    @property
    def outcome(self) -> str:
        """accepted | refused | help | shed | listener error | error."""
        if self.shed:
            return "shed"
        if not self.answered:
            return "error"
        if self.kind == "help":
            return "help"
        if self.kind not in COMMANDS:
            return "accepted"  # events and clicks are acked with an empty body
        if self.ack.startswith(":hourglass"):
            return "accepted"
        if self.ack.startswith(":raised_hand:"):
            return "refused"
        return "listener error"


class Traffic:
    """Builds each kind of request as Slack shapes it (see bot/emulator/actor.py)."""

    def __init__(
        self, workspace: Workspace, emulator: EmulatorThread, *, users: list[str], channels: list[str], per_user: int
    ) -> None:
        self.ws = workspace
        self.emulator = emulator
        self.users = users
        self.channels = channels
        self.per_user = per_user
        # Rounded up, so the channels hold every rep's commands (the last one does not take the remainder).
        self.per_channel = per_user * max(1, math.ceil(len(users) / max(1, len(channels))))
        self.deals: list[Deal] = []
        self.run_id = secrets.token_hex(3)
        self.commands_sent = 0

    def _response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        response_id = secrets.token_hex(8)
        # One dict write; the emulator only reads the entry when the bot answers through the URL.
        self.ws.responses[response_id] = {"channel": channel, "user": user, "message_ts": message_ts}
        return f"{self.ws.base_url}/response/{response_id}"

    def command(self, index: int, text_: str, *, user: str | None = None) -> tuple[SlackRequest, str]:
        if user is None:  # the next synthetic rep, in the next channel, as their turn comes
            n = self.commands_sent
            self.commands_sent += 1
            user = self.users[min(n // self.per_user, len(self.users) - 1)]
            channel = self.channels[min(n // self.per_channel, len(self.channels) - 1)]
        else:
            channel = SALES_CHANNEL
        trigger = f"{index}.{self.run_id}.{secrets.token_hex(5)}"
        request = slash_command(
            command="/lto",
            text=text_,
            user_id=user,
            user_name=self.ws.users[user]["name"],
            channel_id=channel,
            channel_name=self.ws.channels[channel]["name"],
            team_domain=self.ws.team["domain"],
            response_url=self._response_url(channel, user),
            trigger_id=trigger,
        )
        return request, f"command:{trigger}"

    async def thread_message(self, index: int, deal: Deal, text_: str) -> tuple[SlackRequest, str]:
        """The owner writes in the deal's thread: recorded in the workspace, then the event is built."""
        ts = await self.emulator.acall(lambda: self.ws.post_as(OWNER, deal.channel, text_, thread_ts=deal.ts))
        event_id = f"Ev{index:07d}{self.run_id.upper()}"
        event = {
            "type": "message",
            "user": OWNER,
            "text": text_,
            "ts": ts,
            "channel": deal.channel,
            "event_ts": ts,
            "channel_type": "channel",
            "thread_ts": deal.ts,
            "parent_user_id": BOT_USER,
            "client_msg_id": secrets.token_hex(8),
            "team": TEAM_ID,
        }
        return event_callback(event, event_id=event_id), f"event:{event_id}"

    def click(self, index: int, deal: Deal) -> tuple[SlackRequest, str]:
        """The owner clicks "Draft proposal" on the deal card (the card as it was posted)."""
        trigger = f"{index}.{self.run_id}.{secrets.token_hex(5)}"
        try:
            payload = button_click(
                user=slack_user(OWNER, self.ws.users[OWNER]["name"]),
                message=deal.card,
                message_ts=deal.ts,
                channel_id=deal.channel,
                channel_name=self.ws.channels[deal.channel]["name"],
                team_domain=self.ws.team["domain"],
                action_id="deal.draft_proposal",
                trigger_id=trigger,
                response_url=self._response_url(deal.channel, OWNER, deal.ts),
            )
        except LookupError:
            raise LookupError(f"no Draft proposal button on deal #{deal.id}'s card") from None
        return interaction(payload), f"action:{trigger}"


# The load ---------------------------------------------------------------------------------------

# Where requests go: one URL, or a function giving the next replica's URL on each call (round robin).
Target = str | Callable[[], str]


def url_of(target: Target) -> str:
    return target if isinstance(target, str) else target()


async def post(
    client: httpx.AsyncClient,
    slots: asyncio.Semaphore,
    url: Target,
    secret: str,
    request: SlackRequest,
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    async with slots:
        # Signed when it leaves, as Slack does: a timestamp older than 5 minutes would be refused.
        return await client.post(url_of(url), content=request.body, headers=request.headers(secret, extra=extra))


async def send_one(
    client: httpx.AsyncClient,
    slots: asyncio.Semaphore,
    url: Target,
    secret: str,
    traffic: Traffic,
    sent: Sent,
    due: float,
    deadline: float,
) -> None:
    kind, i = sent.kind, sent.index
    sent.lag = time.perf_counter() - due
    try:
        async with asyncio.timeout(max(0.001, deadline - (time.perf_counter() - due))):
            if kind in COMMANDS:
                command = {"help": "help", "status": "status", "new": f"new Load-{traffic.run_id}-{i}: 80 seats, SSO"}
                request, sent.key = traffic.command(i, command[kind])
            elif kind == "thread":
                deal = traffic.deals[i % len(traffic.deals)]
                request, sent.key = await traffic.thread_message(i, deal, THREAD_TEXTS[i % len(THREAD_TEXTS)])
                sent.body = request.body
            else:
                request, sent.key = traffic.click(i, traffic.deals[i % len(traffic.deals)])
            response = await post(client, slots, url, secret, request)
        sent.status = response.status_code
        if kind in COMMANDS and response.content:
            try:
                sent.ack = str(response.json().get("text") or "")
            except ValueError:
                sent.ack = response.text[:200]
    except TimeoutError:
        sent.error = f"no answer within {deadline:g} s"
    except Exception as exc:  # a bench counts failures, it does not stop on them
        sent.error = f"{type(exc).__name__}: {exc}"[:160]
    sent.latency = time.perf_counter() - due


async def run_step(
    client: httpx.AsyncClient,
    slots: asyncio.Semaphore,
    url: Target,
    secret: str,
    traffic: Traffic,
    *,
    rate: int,
    seconds: float,
    step: int,
    first_index: int,
    deadline: float,
    mix: tuple[str, ...],
) -> list[Sent]:
    """Open loop: request k is due at start + k/rate, whether or not the earlier ones were answered."""
    total = int(rate * seconds)
    sent = [Sent(index=first_index + k, kind=mix[(first_index + k) % len(mix)], step=step) for k in range(total)]
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter() + 0.05
    for k, item in enumerate(sent):
        due = start + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_one(client, slots, url, secret, traffic, item, due, deadline)))
    await asyncio.gather(*tasks)
    return sent


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))] * 1000


def step_summary(rate: int, sent: list[Sent], wall: float) -> dict[str, Any]:
    # Acked: answered 2xx and taken in (or answered in the ack); shed: turned away at once, answered all the same.
    ok = [s for s in sent if s.answered and not s.shed]
    latencies = [s.latency for s in ok]
    outcomes = Counter(s.outcome for s in sent)
    return {
        "rate": rate,
        "skipped": False,
        "sent": len(sent),
        "ok": len(ok),
        "shed": outcomes["shed"],
        "errors": len(sent) - len(ok) - outcomes["shed"],
        "refused": outcomes["refused"] + outcomes["listener error"],
        "busy": sum(1 for s in ok if s.ack.startswith(":hourglass: I'm busy")),
        "acked_per_s": len(ok) / wall,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "lag99": percentile([s.lag for s in sent], 99),
        "by_kind": {
            kind: percentile([s.latency for s in ok if s.kind == kind], 99)
            for kind in dict.fromkeys(s.kind for s in sent)
        },
    }


async def generate(
    args: argparse.Namespace, url: Target, secret: str, traffic: Traffic
) -> tuple[list[Sent], list[Any]]:
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
    slots = asyncio.Semaphore(args.connections)
    all_sent: list[Sent] = []
    summary: list[dict[str, Any]] = []
    async with httpx.AsyncClient(limits=limits, timeout=args.deadline) as client:
        for step, rate in enumerate(args.rates):
            last = summary[-1] if summary else None
            if not args.all_steps and last and (last["skipped"] or last["errors"] > 0.01 * last["sent"]):
                # Past saturation a higher rate only adds unanswered requests and backlog, not information.
                summary.append({"rate": rate, "skipped": True})
                continue
            started = time.perf_counter()
            sent = await run_step(
                client,
                slots,
                url,
                secret,
                traffic,
                rate=rate,
                seconds=args.seconds,
                step=step,
                first_index=len(all_sent),
                deadline=args.deadline,
                mix=args.mix,
            )
            all_sent.extend(sent)
            row = step_summary(rate, sent, time.perf_counter() - started)
            summary.append(row)
            print(
                f"  {rate:>4} req/s: {row['sent']} sent, {row['ok']} acked, {row['shed']} shed (busy), "
                f"{row['errors']} errors, p99 {row['p99']:.0f} ms",
                flush=True,
            )
            await asyncio.sleep(args.pause)
    return all_sent, summary


async def redeliver(url: Target, secret: str, sent: list[Sent], connections: int) -> None:
    """Events that got no answer are delivered again, byte for byte, as Slack retries them (up to 3 times)."""
    pending = [s for s in sent if s.kind == "thread" and not s.answered and s.body]
    slots = asyncio.Semaphore(min(connections, 32))
    async with httpx.AsyncClient(timeout=30) as client:

        async def retry(s: Sent) -> None:
            for attempt in (1, 2, 3):
                retry_headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
                s.retries = attempt
                try:
                    response = await post(client, slots, url, secret, SlackRequest(s.body, JSON), retry_headers)
                except httpx.HTTPError as exc:
                    s.error = f"retried: {type(exc).__name__}: {exc}"[:160]
                    continue
                s.status, s.error = response.status_code, None
                if 200 <= response.status_code < 300:
                    return

        await asyncio.gather(*(retry(s) for s in pending))


# Checks -----------------------------------------------------------------------------------------


def wait_drained(engine: Engine, timeout: float) -> tuple[bool, float, dict[str, int]]:
    started = time.monotonic()
    while True:
        counts = queue_counts(engine)
        if not counts.get("queued") and not counts.get("running"):
            return True, time.monotonic() - started, counts
        if time.monotonic() - started > timeout:
            return False, time.monotonic() - started, counts
        time.sleep(0.5)


def open_seed_deals(
    url: Target, secret: str, traffic: Traffic, engine: Engine, emulator: EmulatorThread, n: int
) -> list[Deal]:
    keys = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            request, key = traffic.command(-1 - i, f"new Seed-{traffic.run_id}-{i}", user=OWNER)
            response = client.post(url_of(url), content=request.body, headers=request.headers(secret))
            if response.status_code != 200 or ":hourglass" not in response.text:
                raise RuntimeError(f"seed command answered {response.status_code}: {response.text[:200]}")
            keys.append(key)
    drained, _, counts = wait_drained(engine, 60)
    if not drained:
        raise RuntimeError(f"the seed deals' jobs did not finish: {counts}")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select d.id, d.channel_id, d.thread_ts from deals d join jobs j on d.origin = 'job:' || j.id "
                "where j.dedupe_key = any(:keys) order by d.id"
            ),
            {"keys": keys},
        ).all()
    deals = []
    for deal_id, channel, ts in rows:
        card = emulator.call(lambda channel=channel, ts=ts: copy.deepcopy(traffic.ws.find_message(channel, ts)))
        if card is None:
            raise RuntimeError(f"deal #{deal_id}'s card {ts} is not in the emulator")
        deals.append(Deal(id=deal_id, channel=channel, ts=ts, card=card))
    if len(deals) != n:
        raise RuntimeError(f"opened {len(deals)} seed deals of {n}")
    return deals


@dataclass
class Report:
    rows: list[tuple[str, Any, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def expect(self, what: str, expected: int, found: int) -> None:
        self.rows.append((what, expected, found))
        if expected != found:
            self.problems.append(f"{what}: expected {expected}, found {found}")

    def info(self, what: str, found: Any) -> None:
        self.rows.append((what, "-", found))


def check(engine: Engine, sent: list[Sent], state: dict[str, Any]) -> Report:
    report = Report()
    with engine.connect() as conn:
        jobs = conn.execute(text("select id, kind, status, attempts, dedupe_key, payload from jobs")).all()
        delivery_count = Counter(key for (key,) in conn.execute(text("select key from slack_deliveries")))
        deal_of_job = {
            int(origin.removeprefix("job:")): (deal_id, channel, ts)
            for deal_id, origin, channel, ts in conn.execute(
                text("select id, origin, channel_id, thread_ts from deals where origin like 'job:%'")
            )
        }
        turns = conn.execute(
            text(
                "select c.id, c.turns, count(m.id) from conversations c left join messages m "
                "on m.conversation_id = c.id and m.role = 'bot' group by c.id, c.turns"
            )
        ).all()
    jobs_by_key: dict[str, list[Any]] = {}
    for job in jobs:
        if job.dedupe_key:
            jobs_by_key.setdefault(job.dedupe_key, []).append(job)

    # 1. Requests -> jobs.
    outcomes = Counter((s.kind, s.outcome) for s in sent)
    for kind in ("status", "new", "thread", "click"):
        accepted = [s for s in sent if s.kind == kind and s.outcome == "accepted"]
        one = [s for s in accepted if len(jobs_by_key.get(s.key or "", [])) == 1 and delivery_count[s.key] == 1]
        report.expect(f"{kind}: accepted, made exactly one job", len(accepted), len(one))
        wrong = [s for s in accepted if any(j.kind != JOB_KIND[kind] for j in jobs_by_key.get(s.key or "", []))]
        if wrong:
            report.problems.append(f"{len(wrong)} {kind} requests made a job that is not {JOB_KIND[kind]}")
    not_recorded = [s for s in sent if s.outcome in ("help", "refused", "shed", "listener error")]
    recorded = [s for s in not_recorded if s.key and (delivery_count[s.key] or jobs_by_key.get(s.key))]
    report.expect(
        "help / refused / shed (busy) requests: answered at once, recorded nothing",
        len(not_recorded),
        len(not_recorded) - len(recorded),
    )
    refused = outcomes[("status", "refused")] + outcomes[("new", "refused")]
    if refused:
        report.notes.append(f"{refused} commands were refused by the bot's rate limits (and recorded nothing)")
    broken = [s for s in sent if s.outcome == "listener error"]
    if broken:
        report.problems.append(f"{len(broken)} commands were answered 2xx without an ack text (a listener error)")
    errored = [s for s in sent if s.outcome == "error"]
    # Unanswered or shed, Slack's retries included. A reply the generator could not even build before its deadline
    # (it writes the message in the emulator first) was never sent: the generator's shortfall, counted apart.
    events_lost = [s for s in sent if s.kind == "thread" and not s.answered and s.body]
    unsent = sum(1 for s in sent if s.kind == "thread" and not s.body)
    if unsent:
        report.info("thread replies the generator could not send within the deadline", unsent)
    report.expect(
        "thread: unanswered events, delivered again as Slack retries",
        sum(1 for s in sent if s.kind == "thread" and s.retries),
        sum(1 for s in sent if s.kind == "thread" and s.retries and s.answered),
    )
    if events_lost:
        why = Counter(s.error or f"HTTP {s.status}" for s in events_lost).most_common(3)
        report.problems.append(
            f"{len(events_lost)} events were never answered, even after Slack-style retries "
            f"(last answers: {'; '.join(f'{n} x {reason}' for reason, n in why)})"
        )
    anyway = [s for s in errored if s.key and jobs_by_key.get(s.key)]
    report.info("unanswered commands/clicks the bot recorded anyway", f"{len(anyway)} of {len(errored)}")
    doubled = [key for key, found in jobs_by_key.items() if len(found) > 1 or delivery_count[key] > 1]
    report.expect("delivery keys with more than one job or delivery", 0, len(doubled))

    # 2. Jobs -> done.
    load_keys = {s.key for s in sent if s.key}
    load_jobs = [job for key in load_keys for job in jobs_by_key.get(key, [])]
    by_status = Counter(job.status for job in load_jobs)
    report.expect("jobs of this load, done", len(load_jobs), by_status.get("done", 0))
    report.info("jobs that needed more than one attempt", sum(1 for job in load_jobs if job.attempts > 1))
    other = Counter(job.kind for job in jobs if job.dedupe_key not in load_keys)
    report.info("other jobs (seed deals, follow-ups)", ", ".join(f"{k} {v}" for k, v in sorted(other.items())))

    # 3. Jobs -> Slack effects in the emulator, each exactly once.
    keyed: Counter[str] = Counter()
    text_of: dict[str, str] = {}
    intro_ts: dict[tuple[str, str], str] = {}
    for channel, messages in state["messages"].items():
        for message in messages:
            key = effect_key(message)
            if key:
                keyed[key] += 1
                text_of[key] = message.get("text") or ""
                if key.endswith(":intro"):
                    intro_ts[(channel, message.get("thread_ts") or "")] = message["ts"]
    report.expect("keyed bot posts found more than once in the emulator", 0, sum(1 for n in keyed.values() if n > 1))
    done = [job for job in load_jobs if job.status == "done"]
    opened = [deal_of_job.get(job.id) for job in done if job.kind == "deal.open"]
    report.expect(
        "deal.open jobs with a deal", sum(1 for job in done if job.kind == "deal.open"), sum(map(bool, opened))
    )
    opened_deals = [deal for deal in opened if deal]
    report.expect(
        "deal.open: deal card posted once",
        len(opened_deals),
        sum(keyed[f"deal:{d[0]}:card"] == 1 for d in opened_deals),
    )
    report.expect(
        "deal.open: thread intro posted once",
        len(opened_deals),
        sum(keyed[f"deal:{d[0]}:intro"] == 1 for d in opened_deals),
    )
    status_keys = [f"turn:{d[1]}:{intro_ts[(d[1], d[2])]}:status" for d in opened_deals if (d[1], d[2]) in intro_ts] + [
        f"turn:{job.payload['channel_id']}:{job.payload['message_ts']}:status"
        for job in done
        if job.kind == "conversation.turn"
    ]
    expected_turns = len(opened_deals) + sum(1 for job in done if job.kind == "conversation.turn")
    report.expect(
        "discovery replies posted once (new deals, thread replies)",
        expected_turns,
        sum(keyed[k] == 1 for k in status_keys),
    )
    stuck = sum(1 for k in status_keys if text_of.get(k, "").startswith("Working on it"))
    report.expect("discovery replies still saying 'Working on it'", 0, stuck)
    answers: Counter[str] = Counter()
    for message in state["ephemeral"]:
        said = message.get("text") or ""
        if said.startswith(":white_check_mark: Deal #") and "Load-" in said:
            answers["deal.open"] += 1
        elif said.startswith(":no_entry:"):
            answers["deal.proposal"] += 1
        elif said.startswith(("*Your latest deals*", "You have no deals yet")):
            answers["deal.status"] += 1
        elif said.startswith("Something went wrong"):
            answers["error"] += 1
    for kind in ("deal.status", "deal.proposal", "deal.open"):
        report.expect(f"{kind}: response_url answers", sum(1 for job in done if job.kind == kind), answers[kind])
    report.expect("'Something went wrong' answers", 0, answers["error"])
    bot_posts = sum(1 for messages in state["messages"].values() for m in messages if m.get("bot_id"))
    report.info("bot messages in the emulator / ephemeral answers", f"{bot_posts} / {len(state['ephemeral'])}")

    # Not a lost request, but worth knowing: concurrent turns in one thread and their counters.
    off = [(cid, n, replies) for cid, n, replies in turns if n != replies]
    if off:
        lost = sum(replies - n for _, n, replies in off)
        report.notes.append(
            f"{len(off)} of {len(turns)} conversations count fewer turns than the replies recorded "
            f"({lost} increments lost): concurrent turns in one thread overwrite conversations.turns/history"
        )
    return report


# Main -------------------------------------------------------------------------------------------


def job_seconds(server_url: str) -> dict[str, tuple[int, float]]:
    """Job run time by kind from the server's /metrics: {kind: (count, mean seconds)}."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        body = httpx.get(f"{server_url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return {}
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(body):
        if family.name == "lto_job_seconds":
            for sample in family.samples:
                kind = sample.labels.get("kind", "?")
                if sample.name.endswith("_sum"):
                    sums[kind] = sample.value
                elif sample.name.endswith("_count"):
                    counts[kind] = int(sample.value)
    return {k: (n, sums.get(k, 0.0) / n) for k, n in counts.items() if n}


def server_ack_seconds(server_url: str) -> dict[str, tuple[int, float, float]]:
    """The server's own ack time (request read to answer, without the generator's lag or the network) from its
    /metrics histogram, whole run: {kind: (count, mean seconds, the bucket bound under which 99% fall)}."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        body = httpx.get(f"{server_url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return {}
    found: dict[str, tuple[int, float, float]] = {}
    for family in text_string_to_metric_families(body):
        if family.name != "lto_slack_ack_seconds":
            continue
        kinds = {sample.labels["kind"] for sample in family.samples if "kind" in sample.labels}
        for kind in kinds:
            samples = [sample for sample in family.samples if sample.labels.get("kind") == kind]
            count = int(next(x.value for x in samples if x.name.endswith("_count")))
            total = next(x.value for x in samples if x.name.endswith("_sum"))
            buckets = sorted((float(x.labels["le"]), x.value) for x in samples if x.name.endswith("_bucket"))
            p99 = next((bound for bound, below in buckets if count and below >= 0.99 * count), math.inf)
            if count:
                found[kind] = (count, total / count, p99)
    return found


def print_table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]], widths: tuple[int, ...]) -> None:
    def line(cells: tuple[Any, ...]) -> str:
        return "".join(
            f"{c!s:<{w}}" if i == 0 else f"{c!s:>{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(title)
    print(line(header))
    for row in rows:
        print(line(row))


def plan_people(args: argparse.Namespace) -> tuple[int, int]:
    """Synthetic reps and channels enough that nobody exceeds the per-minute command limits."""
    commands = sum(int(rate * args.seconds) for rate in args.rates) * sum(k in COMMANDS for k in args.mix)
    commands = commands // len(args.mix) + 1
    users = max(1, math.ceil(commands / args.commands_per_user))
    return users, max(1, math.ceil(users / 5))


def add_people(args: argparse.Namespace, workspace: Workspace, emulator: EmulatorThread) -> tuple[list[str], list[str]]:
    """The synthetic reps and channels plan_people counts, added to the emulator's workspace."""
    n_users, n_channels = plan_people(args)
    users = [f"U0LOAD{n:05d}" for n in range(n_users)]
    channels = [f"C0LOAD{n:04d}" for n in range(n_channels)]

    def people() -> None:
        for user in users:
            workspace.add_user(user, f"rep{user[6:]}", f"Load Rep {user[6:]}")
        for channel in channels:
            workspace.add_channel(channel, f"sales-{channel[6:]}")

    emulator.call(people)
    return users, channels


def lto_env(args: argparse.Namespace, home: Path, emulator_url: str, workspace: Workspace) -> dict[str, str]:
    """An `lto` subprocess's environment: this one's without its own LTO_, Slack and database settings."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LTO_", "SLACK_", "DATABASE_", "QDRANT_"))},
        "DATABASE_URL": args.database_url,
        "LTO_HOME": str(home),
        "SLACK_API_URL": f"{emulator_url}/api/",
        "SLACK_BOT_TOKEN": workspace.bot_token,
        "SLACK_SIGNING_SECRET": workspace.signing_secret,
        "LTO_LOG_LEVEL": "WARNING",
        # One owner writes every thread reply, and the per-person limit counts messages too: it is not what is
        # measured (the commands come from many reps, each under it).
        "LTO_RATE_LIMIT_USER": "1000000",
    }
    if args.worker_concurrency:
        env["LTO_WORKER_CONCURRENCY"] = str(args.worker_concurrency)
    return env


def print_steps(args: argparse.Namespace, summary: list[dict[str, Any]], sent: list[Sent]) -> None:
    """The ack latency of each step, overall and by request kind; the highest rate that kept the goal."""
    table: list[tuple[Any, ...]] = []
    for r in summary:
        if r["skipped"]:
            table.append((r["rate"], *("-" * 10), "skipped"))
            continue
        table.append(
            (
                r["rate"],
                r["sent"],
                r["ok"],
                r["errors"],
                r["refused"],
                r["busy"],
                r["shed"],
                f"{r['acked_per_s']:.0f}",
                f"{r['p50']:.1f}",
                f"{r['p95']:.1f}",
                f"{r['p99']:.1f}",
                f"{r['lag99']:.1f}",
            )
        )
    print_table(
        f"Ack latency of acked requests, {args.seconds:g} s per offered rate (ms from a request's due time to its "
        "answer); shed: turned away at once (busy), answered within the deadline all the same",
        (
            "rate/s",
            "sent",
            "acked 2xx",
            "errors",
            "refused",
            "busy ack",
            "shed",
            "acked/s",
            "p50",
            "p95",
            "p99",
            "gen lag p99",
        ),
        table,
        (8, 7, 11, 8, 9, 10, 7, 9, 9, 9, 9, 13),
    )
    kinds = list(dict.fromkeys(args.mix))
    print_table(
        "p99 ack latency by request kind, ms",
        ("rate/s", *kinds),
        [(r["rate"], *(f"{r['by_kind'].get(k, math.nan):.1f}" for k in kinds)) for r in summary if not r["skipped"]],
        (8, *(10 for _ in kinds)),
    )
    if any(r["skipped"] for r in summary):
        print(
            f"skipped: the rates after a step that left over 1% unanswered within {args.deadline:g} s "
            "(saturated; more would only add backlog). --all-steps runs them."
        )
    good = [r["rate"] for r in summary if not r["skipped"] and r["p99"] < P99_GOAL_MS and r["errors"] == 0]
    best = f"{max(good)} req/s" if good else "none of the rates"
    print(f"highest rate with p99 ack < {P99_GOAL_MS:.0f} ms and no errors: {best}")
    for error, n in Counter(s.error or f"HTTP {s.status}" for s in sent if s.outcome == "error").most_common(4):
        print(f"  unanswered x{n}: {error}")


def run(args: argparse.Namespace, tmp: Path, cleanup: list[Callable[[], None]]) -> int:
    workspace = Workspace()
    emulator = EmulatorThread(workspace)
    emulator_url = emulator.start()
    cleanup.append(emulator.stop)
    users, channels = add_people(args, workspace, emulator)
    n_users, n_channels = len(users), len(channels)
    recreate_postgres(args.database_url)
    if not args.keep_database:
        cleanup.append(lambda: recreate_postgres(args.database_url, create=False))
    env = lto_env(args, tmp / "home", emulator_url, workspace)
    server = Server(env, Path(args.server_log) if args.server_log else tmp / "server.log", worker=args.worker == "in")
    cleanup.append(server.stop)
    server.start()
    worker = WorkerProcess(env, tmp / "worker.log")
    cleanup.append(worker.stop)
    if args.worker != "in":
        worker.start()
    url = f"{server.url}/slack/events"
    engine = create_engine(args.database_url, pool_size=2)
    cleanup.append(engine.dispose)
    secret = workspace.signing_secret
    traffic = Traffic(workspace, emulator, users=users, channels=channels, per_user=args.commands_per_user)
    traffic.deals = open_seed_deals(url, secret, traffic, engine, emulator, args.seed_deals)
    database = make_url(args.database_url).render_as_string(hide_password=True)
    where = {
        "in": "lto serve (HTTP + in-process worker)",
        "separate": "`lto serve --no-worker` + `lto worker` (2 processes)",
        "after": "`lto serve --no-worker` (jobs run by `lto worker` after the load)",
    }[args.worker]
    if args.worker == "after":
        worker.stop()
    print(f"{where} at {server.url} on {database}; emulator {emulator_url}")
    print(
        f"{len(traffic.deals)} seed deals; {n_users} synthetic reps in {n_channels} channels send the commands. "
        f"Load: {len(args.rates)} steps of {args.seconds:g} s, open loop, at most {args.connections} in flight, "
        f"{args.deadline:g} s deadline; per {len(args.mix)} requests: "
        + ", ".join(f"{k} {v}" for k, v in Counter(args.mix).items()),
        flush=True,
    )
    started = time.monotonic()
    sent, summary = asyncio.run(generate(args, url, secret, traffic))
    load_seconds = time.monotonic() - started
    unanswered_events = sum(1 for s in sent if s.kind == "thread" and not s.answered and s.body)
    if unanswered_events:
        print(f"delivering {unanswered_events} unanswered events again, as Slack retries them...", flush=True)
        asyncio.run(redeliver(url, secret, sent, args.connections))
    if args.worker == "after":
        worker.start()
    print(f"waiting for the job queue to drain (at most {args.drain_timeout:g} s)...", flush=True)
    drained, drain_seconds, counts = wait_drained(engine, args.drain_timeout)
    state = emulator.call(
        lambda: {"messages": copy.deepcopy(workspace.messages), "ephemeral": copy.deepcopy(workspace.ephemeral)}
    )
    report = check(engine, sent, state)
    timings = job_seconds(server.url)
    acks = server_ack_seconds(server.url)
    if not server.alive():
        report.problems.append(f"lto serve died during the run:\n{server.log_tail()}")
    if worker.died():
        report.problems.append(f"lto worker died during the run:\n{worker.log_tail()}")
    if not drained:
        report.problems.append(f"the queue did not drain within {args.drain_timeout:g} s: {counts}")

    print()
    print_steps(args, summary, sent)
    good = [r["rate"] for r in summary if not r["skipped"] and r["p99"] < P99_GOAL_MS and r["errors"] == 0]
    best = f"{max(good)} req/s" if good else "none of the rates"
    print()
    print(
        f"queue {'drained' if drained else 'NOT drained'} {drain_seconds:.1f} s after the load "
        f"(load {load_seconds:.0f} s); jobs by status: {dict(sorted(counts.items()))}"
    )
    if timings:
        print(
            "job run time, mean: " + ", ".join(f"{k} {v[1] * 1000:.0f} ms x{v[0]}" for k, v in sorted(timings.items()))
        )
    if acks:
        print(
            "ack time inside the server, whole run: "
            + ", ".join(
                f"{k} mean {v[1] * 1000:.0f} ms, p99 <= {v[2] * 1000:g} ms x{v[0]}" for k, v in sorted(acks.items())
            )
        )
    errors, overruns = server.log_errors()
    if errors:
        print("server log errors: " + "; ".join(f"{n} x {msg}" for msg, n in errors.most_common(4)))
    with engine.connect() as conn:
        events, unsealed = conn.execute(text("select count(*), count(*) - count(seq) from audit_events")).one()
    print(
        f"audit trail: {events} events, {unsealed} not sealed yet; sweeps that overran their interval "
        f"(skipped runs): {overruns}"
    )
    print_table("No request lost", ("check", "expected", "found"), report.rows, (64, 10, 16))
    for note in report.notes:
        print(f"NOTE: {note}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    accepted = sum(1 for s in sent if s.outcome == "accepted")
    if report.problems:
        print(f"VERDICT: FAIL - {len(report.problems)} problem(s); p99 ack < {P99_GOAL_MS:.0f} ms up to {best}")
        return 1
    print(
        f"VERDICT: PASS - {accepted} requests accepted, none lost or duplicated: every job done once and its Slack "
        f"effect in the emulator once; p99 ack < {P99_GOAL_MS:.0f} ms up to {best}"
    )
    return 0


def parse_mix(value: str) -> tuple[str, ...]:
    mix: list[str] = []
    for part in value.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in ("help", *JOB_KIND):
            raise argparse.ArgumentTypeError(f"unknown request kind {kind.strip()!r}")
        mix.extend([kind.strip()] * int(weight or 1))
    # Interleaved (help status thread click new help ...), so any slice of a step carries the whole mix.
    seen: Counter[str] = Counter()
    order = []
    for position, kind in enumerate(mix):
        order.append((seen[kind] / mix.count(kind), position, kind))
        seen[kind] += 1
    return tuple(kind for _, _, kind in sorted(order))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="20,40,80,160,320", help="offered requests per second, one step each")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL; recreated, then dropped")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX), help=f"default {DEFAULT_MIX}")
    parser.add_argument("--connections", type=int, default=256, help="requests in flight at most")
    parser.add_argument("--deadline", type=float, default=3.0, help="seconds; Slack gives up on an ack after 3")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between steps")
    parser.add_argument(
        "--all-steps", action="store_true", help="run every rate, even after a step left over 1%% unanswered"
    )
    parser.add_argument("--seed-deals", type=int, default=16, help="deals for thread replies and clicks")
    parser.add_argument("--commands-per-user", type=int, default=20, help="slash commands per synthetic rep")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for the queue")
    parser.add_argument("--worker-concurrency", type=int, default=0, help="LTO_WORKER_CONCURRENCY (else the app's)")
    parser.add_argument(
        "--worker",
        choices=("in", "separate", "after"),
        default="in",
        help="jobs run in lto serve (default), in a separate `lto worker`, or in one started after the load",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--server-log", help="keep lto serve's log in this file")
    args = parser.parse_args()
    args.rates = [int(r) for r in args.rates.split(",") if r.strip()]
    if not make_url(args.database_url).drivername.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (postgresql+psycopg://...)")
    postgres_admin(args.database_url)  # refuses `test` before anything starts

    return run_with_cleanup("lto-load-", lambda tmp, cleanup: run(args, tmp, cleanup))


if __name__ == "__main__":
    sys.exit(main())
