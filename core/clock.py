"""Clocks: the one place the product asks what time it is, so tests and sweeps can drive time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None:
        """Wait until `seconds` have passed on this clock."""
        ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Sleeper(NamedTuple):
    wake_at: datetime
    wakeup: asyncio.Future[None]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the sleeper may have been cancelled meanwhile
        future.set_result(None)


class ManualClock:
    """A clock that only moves when told to: for tests, evals and replays.

    Sleepers wake when `advance` or `set` moves the clock to or past their wake-up time, so a test
    drives a heartbeat or a grace period by moving time rather than by waiting for it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._sleepers: list[_Sleeper] = []
        self._sleeper_watchers: list[asyncio.Future[None]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        self._wake_due_sleepers()
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
        self._wake_due_sleepers()

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        sleeper = _Sleeper(self._now + timedelta(seconds=seconds), asyncio.get_running_loop().create_future())
        self._sleepers.append(sleeper)
        self._tell_watchers()
        try:
            await sleeper.wakeup
        finally:
            if sleeper in self._sleepers:  # cancelled before its time came
                self._sleepers.remove(sleeper)

    @property
    def sleeping(self) -> int:
        """How many tasks are waiting on this clock right now."""
        return len(self._sleepers)

    async def wait_for_sleepers(self, count: int = 1) -> None:
        """Return once at least `count` tasks are asleep on this clock: the moment a test may move it."""
        while self.sleeping < count:
            watcher = asyncio.get_running_loop().create_future()
            self._sleeper_watchers.append(watcher)
            await watcher

    def _wake_due_sleepers(self) -> None:
        # A woken sleeper leaves the list at once, so `wait_for_sleepers` then waits for its next sleep.
        due = sorted((s for s in self._sleepers if s.wake_at <= self._now), key=lambda s: s.wake_at)
        self._sleepers = [s for s in self._sleepers if s.wake_at > self._now]
        for sleeper in due:
            # Thread-safe: sync tests and worker threads move this clock too.
            sleeper.wakeup.get_loop().call_soon_threadsafe(_resolve, sleeper.wakeup)

    def _tell_watchers(self) -> None:
        watchers, self._sleeper_watchers = self._sleeper_watchers, []
        for watcher in watchers:
            _resolve(watcher)


class OffsetClock:
    """Wall-clock time moved on by an offset that only grows: a demo lets a day pass in a moment (sweeps, due
    dates and quiet hours all read this clock), while anything that waits still waits in real time."""

    def __init__(self, offset: timedelta = timedelta(0), *, wall: Callable[[], datetime] | None = None) -> None:
        self._offset = offset
        self._wall = wall or SystemClock().now

    def now(self) -> datetime:
        return self._wall() + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def advance_to(self, when: datetime) -> datetime:
        """Move the clock on to `when` (aware); it never goes back."""
        moved = when - self.now()
        if moved < timedelta(0):
            raise ValueError(f"the clock does not go back ({when.isoformat()} has passed)")
        self._offset += moved
        return self.now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
