"""Signed outgoing webhooks: the governed list of subscribers, and the publisher that POSTs events to one.

Each delivery is `POST <url>` with the event's envelope as the JSON body and these headers:
`X-LTO-Event-Id`, `X-LTO-Event-Type`, `X-LTO-Timestamp` (Unix seconds) and
`X-LTO-Signature: v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>" with the subscriber's secret>`.
A 2xx is delivered; 408, 429 (after its Retry-After), 5xx, timeouts and connection errors are
retried; any other answer (a 410 from a retired endpoint, a 401 for a wrong secret) parks the
delivery for an operator. Redirects are not followed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.clock import Clock
from core.events import EVENT_TYPES
from core.governed import GovernedFileError, load_governed
from integrations.events.publishers import Outgoing, PublishFailed

SIGNATURE_VERSION = "v1"
MIN_SECRET_LENGTH = 16
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class SubscribersError(GovernedFileError):
    """The subscribers file is invalid, or a subscriber's secret is not set; the message names which."""


class Subscriber(BaseModel):
    """One system that receives domain events by webhook."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,23}$", description="Short name: in logs and outbox topics.")
    url: str = Field(description="Where events are POSTed: https (http only to this machine, for tests).")
    secret_env: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]*$", description="Environment variable holding this subscriber's signing secret."
    )
    events: list[str] = Field(
        min_length=1, description="Event types it receives: exact (deal.stage_changed), deal.*, or *."
    )

    @field_validator("url")
    @classmethod
    def _https_or_loopback(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
            return value
        raise ValueError("must be an https URL (http only to localhost)")

    @field_validator("events")
    @classmethod
    def _known_event_types(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not fnmatch.filter(EVENT_TYPES, pattern):
                known = ", ".join(EVENT_TYPES)
                raise ValueError(f"{pattern!r} matches no event type (known: {known})")
        return value

    def wants(self, event_type: str) -> bool:
        return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in self.events)


class SubscriberList(BaseModel):
    """The governed file: `examples/governance/subscribers.yaml`."""

    model_config = ConfigDict(extra="forbid")

    version: str
    subscribers: list[Subscriber] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_are_unique(self) -> SubscriberList:
        names = [s.name for s in self.subscribers]
        if duplicates := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"subscriber names must be unique: {', '.join(duplicates)}")
        return self


def load_subscribers(path: Path) -> SubscriberList:
    return load_governed(path, SubscriberList, what="subscribers", error=SubscribersError)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 over `v1:<timestamp>:<body>`, the value of X-LTO-Signature."""
    signed = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


class WebhookPublisher:
    """POSTs signed events to one subscriber's URL."""

    def __init__(
        self,
        subscriber: Subscriber,
        *,
        secret: str,
        clock: Clock,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.subscriber = subscriber
        self._secret = secret
        self._clock = clock
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    @property
    def name(self) -> str:
        return f"webhook.{self.subscriber.name}"

    def accepts(self, event_type: str) -> bool:
        return self.subscriber.wants(event_type)

    def publish(self, event: Outgoing) -> None:
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "lead-to-order-events/1",
            "X-LTO-Event-Id": event.id,
            "X-LTO-Event-Type": event.type,
            "X-LTO-Timestamp": str(timestamp),
            "X-LTO-Signature": signature(self._secret, timestamp, event.body),
        }
        url = self.subscriber.url
        try:
            response = self._http.post(url, content=event.body, headers=headers)
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken responses
            raise PublishFailed(f"{url}: {type(exc).__name__} {exc}", retryable=True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        retryable = status in (408, 429) or status >= 500
        raise PublishFailed(f"{url} answered {status}", retryable=retryable, retry_after=_retry_after(response))

    def close(self) -> None:
        self._http.close()


def webhook_publishers(path: Path, *, clock: Clock, environ: Mapping[str, str] | None = None) -> list[WebhookPublisher]:
    """A publisher per subscriber in the governed file; refuses a subscriber whose secret is unset or short."""
    environ = os.environ if environ is None else environ
    publishers = []
    for subscriber in load_subscribers(path).subscribers:
        secret = environ.get(subscriber.secret_env, "").strip()
        if len(secret) < MIN_SECRET_LENGTH:
            raise SubscribersError(
                f"subscribers {path}: {subscriber.name}: set {subscriber.secret_env} to its signing secret "
                f"({MIN_SECRET_LENGTH}+ characters)"
            )
        publishers.append(WebhookPublisher(subscriber, secret=secret, clock=clock))
    return publishers
