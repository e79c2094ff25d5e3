"""The broker: domain events published to a NATS JetStream stream, deduplicated by event id.

One connection per process, kept on an event loop thread of its own, so the (synchronous) events
sweep can publish from whichever worker thread runs it. The stream is made (or brought up to date)
on first use: subjects `<prefix>.>` and a duplicate window; each event is published to
`<prefix>.<type>` with the `Nats-Msg-Id` header set to the event id, so a second publish of the
same event inside the window is acknowledged as a duplicate and stored once. JetStream's ack is
the delivery: no ack (timeout, no stream, server down) is a retry.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from datetime import timedelta

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

from integrations.events.publishers import Outgoing, PublishFailed

logger = logging.getLogger(__name__)

STREAM = "LTO_EVENTS"
SUBJECT_PREFIX = "lto.events"
# Covers every automatic resend of the outbox (its backoff adds up to about 11 minutes, a claim's lease
# is 2): a resend after a lost ack is stored once. A replay by an operator hours later is not
# deduplicated by the broker; subscribers deduplicate by the event id.
DUPLICATE_WINDOW = timedelta(hours=1)


class JetStreamPublisher:
    """Publishes domain events to one JetStream stream; every event type goes to the broker."""

    name = "jetstream"

    def __init__(
        self,
        url: str,
        *,
        stream: str = STREAM,
        subject_prefix: str = SUBJECT_PREFIX,
        duplicate_window: timedelta = DUPLICATE_WINDOW,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.duplicate_window = duplicate_window
        self.timeout = timeout
        self._client: Client | None = None
        self._stream_ready = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lto-jetstream", daemon=True)
        self._thread.start()

    def subject_of(self, event_type: str) -> str:
        return f"{self.subject_prefix}.{event_type}"

    def accepts(self, event_type: str) -> bool:
        return True

    def publish(self, event: Outgoing) -> None:
        future = asyncio.run_coroutine_threadsafe(self._publish(event), self._loop)
        try:
            future.result(timeout=self.timeout * 3)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise PublishFailed(f"JetStream at {self.url} did not answer in time", retryable=True) from None

    def close(self) -> None:
        """Close the connection and stop the loop thread (at shutdown; tests)."""
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=self.timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=self.timeout)
        self._loop.close()

    async def _publish(self, event: Outgoing) -> None:
        try:
            js = await self._jetstream()
            ack = await js.publish(
                self.subject_of(event.type),
                event.body,
                timeout=self.timeout,
                stream=self.stream,
                headers={"Nats-Msg-Id": event.id, "LTO-Event-Type": event.type, "Content-Type": "application/json"},
            )
        except (nats.js.errors.NoStreamResponseError, nats.js.errors.NotFoundError) as exc:
            self._stream_ready = False  # deleted behind our back: make it again on the next attempt
            raise PublishFailed(f"JetStream has no stream {self.stream}: {exc!r}", retryable=True) from None
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise PublishFailed(f"JetStream at {self.url}: {type(exc).__name__} {exc}", retryable=True) from None
        if ack.duplicate:
            logger.debug("event %s was already in stream %s (seq %s)", event.id, ack.stream, ack.seq)

    async def _jetstream(self) -> JetStreamContext:
        if self._client is None or self._client.is_closed:
            # No reconnecting inside the client: a lost connection fails the publish (a retry of the outbox)
            # and the next attempt connects again, so a sweep never waits on a reconnect loop.
            self._client = await asyncio.wait_for(
                nats.connect(
                    self.url,
                    connect_timeout=max(1, round(self.timeout)),
                    allow_reconnect=False,
                    error_cb=self._on_error,
                ),
                timeout=self.timeout,
            )
            self._stream_ready = False
        js = self._client.jetstream(timeout=self.timeout)
        if not self._stream_ready:
            await self._ensure_stream(js)
            self._stream_ready = True
        return js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        """Make the stream, or add our subjects and duplicate window to one an operator made (its other
        settings, such as retention limits, are theirs and stay as they are)."""
        subjects = f"{self.subject_prefix}.>"
        window = self.duplicate_window.total_seconds()
        try:
            info = await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            await js.add_stream(StreamConfig(name=self.stream, subjects=[subjects], duplicate_window=window))
            logger.info("made JetStream stream %s for %s", self.stream, subjects)
            return
        config = info.config
        if subjects not in (config.subjects or []) or config.duplicate_window != window:
            await js.update_stream(
                config.evolve(subjects=sorted({*(config.subjects or []), subjects}), duplicate_window=window)
            )
            logger.info("updated JetStream stream %s: subjects %s, duplicate window %ss", self.stream, subjects, window)

    async def _close(self) -> None:
        if self._client is not None and not self._client.is_closed:
            await self._client.close()

    async def _on_error(self, exc: Exception) -> None:
        logger.warning("NATS connection to %s: %s", self.url, exc)
