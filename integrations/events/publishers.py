"""What every destination of domain events is: a Publisher that sends one event or says why it could not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One event as it leaves: its id and type, and the envelope as the JSON bytes that are sent."""

    id: str
    type: str
    body: bytes

    @classmethod
    def of(cls, envelope: dict[str, Any]) -> Outgoing:
        """From the envelope stored in the outbox (`DomainEvent.model_dump(mode="json")`)."""
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(id=str(envelope["id"]), type=str(envelope["type"]), body=body)


class PublishFailed(Exception):
    """The destination did not take the event. Retryable failures are sent again later (after
    `retry_after` seconds when the destination asked); the others are parked for an operator."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Publisher(Protocol):
    """A destination of domain events (the broker, one webhook subscriber)."""

    @property
    def name(self) -> str:
        """Its name in outbox topics: `jetstream`, `webhook.<subscriber>`; letters, digits, `.-_`."""
        ...

    def accepts(self, event_type: str) -> bool:
        """Whether this destination subscribed to events of this type."""
        ...

    def publish(self, event: Outgoing) -> None:
        """Send the event; return when the destination acknowledged it, else raise PublishFailed."""
        ...

    def close(self) -> None:
        """Let go of connections (at shutdown)."""
        ...
