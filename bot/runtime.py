"""The process's wiring: settings, database, clock, Web API client, gateway and worker, built at start."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session, sessionmaker

from agents.services import Services
from bot.gateway import SlackGateway
from bot.overload import RequestGate
from core import metrics
from core.admission import Admissions
from core.clock import Clock, SystemClock
from core.db import create_db_engine, session_factory, upgrade
from core.settings import Settings, SettingsError
from core.worker import Worker
from deals.access import Identity
from integrations.crm.local import LocalCrm
from integrations.crm.port import CrmPort
from migrations import import_all_tables

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is in the workspace (from `auth.test`, asked once at start)."""

    team_id: str
    user_id: str
    bot_id: str
    enterprise_id: str | None = None


class _Counted:
    """Counts each retry its handler decides on, by reason, for /metrics."""

    reason = "other"

    async def _can_retry_async(self, **kwargs: Any) -> bool:
        retry = await super()._can_retry_async(**kwargs)  # type: ignore[misc]
        if retry:
            metrics.WEB_API_RETRIES.labels(self.reason).inc()
        return retry


class CountedConnectionRetries(_Counted, AsyncConnectionErrorRetryHandler):
    reason = "connection"


class CountedRateLimitRetries(_Counted, AsyncRateLimitErrorRetryHandler):
    reason = "rate_limited"


class CountedServerErrorRetries(_Counted, AsyncServerErrorRetryHandler):
    reason = "server_error"


GROUP_CACHE_SECONDS = 60


def web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: Slack's or the emulator's by SLACK_API_URL, retrying 429s, 5xx and drops."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            CountedConnectionRetries(max_retry_count=2),
            CountedRateLimitRetries(max_retry_count=3),
            CountedServerErrorRetries(max_retry_count=2),
        ],
    )


@dataclass(kw_only=True)
class Runtime(Services):
    """The application's services plus the Slack side: the Web API client, the gateway, the worker, and what
    admits requests (rate limits and queue depth; the cap on requests in flight)."""

    client: AsyncWebClient
    gateway: SlackGateway
    admissions: Admissions
    requests: RequestGate
    # Admissions run on threads of their own: an ack never waits for a thread behind a job's database work.
    ack_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="lto-ack")
    )
    identity: BotIdentity | None = None
    worker: Worker | None = None
    _group_members: dict[str, tuple[float, set[str]]] = field(default_factory=dict)
    _thread_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)
    _channels: dict[str, str] = field(default_factory=dict)
    _background: set[asyncio.Task[Any]] = field(default_factory=set)

    def close(self) -> None:
        self.ack_threads.shutdown(wait=False)
        super().close()

    def notify_worker(self) -> None:
        if self.worker is not None:
            self.worker.notify()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a short follow-up after an ack (e.g. opening a modal while its trigger is fresh)."""
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._follow_up_done)

    def _follow_up_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a follow-up after an ack failed", exc_info=task.exception())

    def follow_ups_pending(self) -> int:
        """Follow-ups started after acks that have not finished yet."""
        return len(self._background)

    async def drain_background(self) -> None:
        """Wait for follow-ups started after acks (tests and shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def identify(self) -> BotIdentity:
        """Ask `auth.test` once; a bad token stops the start with one clear line."""
        try:
            response = await self.client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else str(exc)
            raise SettingsError(f"SLACK_BOT_TOKEN was refused by {self.settings.slack_api_url}: {error}") from None
        self.identity = BotIdentity(
            team_id=response["team_id"],
            user_id=response["user_id"],
            bot_id=response.get("bot_id") or "",
            enterprise_id=response.get("enterprise_id"),
        )
        self.gateway.actor_id = self.identity.user_id
        return self.identity

    async def channel_id(self, name_or_id: str) -> str:
        """Resolve a configured channel once per process (names do not change often; ids never)."""
        if name_or_id not in self._channels:
            self._channels[name_or_id] = await self.gateway.resolve_channel(name_or_id)
        return self._channels[name_or_id]

    def thread_lock(self, channel: str, thread_ts: str) -> asyncio.Lock:
        """Turns of one thread run one after another in this process, so each sees the one before.
        (Across processes the conversation's row lock keeps both turns; see agents/turns.py.)"""
        key = f"{channel}:{thread_ts}"
        lock = self._thread_locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._thread_locks[key] = lock
        return lock

    async def groups_of(self, user_id: str, groups: set[str]) -> set[str]:
        """Which of `groups` (Slack user group ids) this person is in; members are cached for a minute."""
        mine = set()
        for group in sorted(groups):
            cached = self._group_members.get(group)
            if cached is None or time.monotonic() - cached[0] > GROUP_CACHE_SECONDS:
                try:
                    response = await self.client.usergroups_users_list(usergroup=group)
                except SlackApiError:
                    continue  # an unknown or deleted group grants nothing
                cached = (time.monotonic(), set(response.get("users", [])))
                self._group_members[group] = cached
            if user_id in cached[1]:
                mine.add(group)
        return mine

    async def who(self, user_id: str) -> Identity:
        """Who this is, for access checks: their roles from the role map and their Slack user groups."""
        roles = self.roles()
        groups = await self.groups_of(user_id, roles.groups())
        return Identity(user_id=user_id, roles=frozenset(roles.of(user_id, groups)))


def crm_for(settings: Settings, factory: sessionmaker[Session], clock: Clock) -> CrmPort:
    """The CRM adapter LTO_CRM names."""
    if settings.crm == "hubspot":
        from integrations.crm.hubspot import HubSpotCrm

        assert settings.hubspot_token is not None
        return HubSpotCrm(settings.hubspot_token.get_secret_value(), base_url=settings.hubspot_api_url)
    return LocalCrm(factory, clock)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    client: AsyncWebClient | None = None,
    migrate: bool = True,
) -> Runtime:
    """Wire the process. Migrates the schema first unless told not to."""
    import_all_tables()
    url = settings.effective_database_url
    if migrate:
        upgrade(url)
    engine = create_db_engine(url)
    factory = session_factory(engine)
    clock = clock or SystemClock()
    client = client or web_client(settings)
    gateway = SlackGateway(client=client, session_factory=factory, clock=clock, actor_id="lto")
    runtime = Runtime(
        settings=settings,
        engine=engine,
        session_factory=factory,
        clock=clock,
        client=client,
        gateway=gateway,
        crm=crm_for(settings, factory, clock),
        admissions=Admissions(session_factory=factory, clock=clock),
        requests=RequestGate(settings.max_requests_in_flight),
    )
    from bot.handlers import job_handlers  # handlers need the runtime they are bound to
    from bot.handlers.meetings import SlackDirectory

    runtime.directory = SlackDirectory(client)  # meetings: who our people are, from the workspace

    runtime.worker = Worker(
        session_factory=factory,
        clock=clock,
        handlers=job_handlers(runtime),
        concurrency=settings.worker_concurrency,
        lease=timedelta(seconds=settings.job_lease_seconds),
        listener_busy=runtime.requests.busy,
    )
    return runtime
