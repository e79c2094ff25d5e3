"""The events sweep: fan each published domain event out to its destinations, then deliver each copy.

Two kinds of outbox rows, both claimed with `core.outbox.claim_due` (in order per aggregate, with
claims, backoff and parking):

- `event.<type>` (aggregate `events:deal:<id>`): what `core.events.publish_event` wrote. The sweep
  claims it and, in one transaction, writes one delivery row per destination that subscribed to its
  type and marks the event done.
- `publish.<destination>` (aggregate `publish.<destination>:deal:<id>`): one event for one
  destination (`jetstream`, `webhook.<subscriber>`). Each is delivered, retried and parked on its
  own, so a destination that acked is never sent the event again by a retry for another one, and a
  dead subscriber holds back only its own deliveries, in order per deal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from core import outbox
from core.clock import Clock
from core.events import EVENT_TOPIC_PREFIX
from core.settings import Settings
from integrations.events.jetstream import JetStreamPublisher
from integrations.events.publishers import Outgoing, Publisher, PublishFailed
from integrations.events.webhooks import webhook_publishers

logger = logging.getLogger(__name__)

DELIVERY_TOPIC_PREFIX = "publish."


def publishers_from(settings: Settings, *, clock: Clock) -> list[Publisher]:
    """The destinations this process publishes to: the broker (LTO_NATS_URL) and the webhook subscribers
    (LTO_EVENT_SUBSCRIBERS). Raises SubscribersError, naming the file and field, when the list is invalid."""
    publishers: list[Publisher] = []
    if settings.nats_url:
        publishers.append(JetStreamPublisher(settings.nats_url))
    if settings.event_subscribers_path:
        publishers.extend(webhook_publishers(settings.event_subscribers_path, clock=clock))
    return publishers


def deliver_due(
    *,
    session_factory: sessionmaker[Session],
    publishers: Sequence[Publisher],
    clock: Clock,
    limit: int = 50,
    rounds: int = 20,
) -> dict[str, int]:
    """Fan out new events and deliver due copies; repeat while that unblocks later events of their deals."""
    counts = {"fanned_out": 0, "delivered": 0, "retry": 0, "parked": 0}
    by_name = {publisher.name: publisher for publisher in publishers}
    for _ in range(rounds):
        progress = counts["fanned_out"] + counts["delivered"]
        counts["fanned_out"] += _fan_out(
            session_factory=session_factory, publishers=publishers, clock=clock, limit=limit
        )
        with session_factory() as session, session.begin():
            due = outbox.claim_due(session, clock=clock, limit=limit, topic_prefix=DELIVERY_TOPIC_PREFIX)
        for copy in due:
            _deliver_one(copy, by_name=by_name, session_factory=session_factory, clock=clock, counts=counts)
        if counts["fanned_out"] + counts["delivered"] == progress:
            break
    return counts


def _fan_out(
    *, session_factory: sessionmaker[Session], publishers: Sequence[Publisher], clock: Clock, limit: int
) -> int:
    """One delivery row per destination that wants the event, written with the event's claim: all or none."""
    with session_factory() as session, session.begin():
        events = outbox.claim_due(session, clock=clock, limit=limit, topic_prefix=EVENT_TOPIC_PREFIX)
        for event in events:
            event_type = event.topic.removeprefix(EVENT_TOPIC_PREFIX)
            deal = event.aggregate.removeprefix("events:")
            for publisher in publishers:
                if publisher.accepts(event_type):
                    outbox.emit(
                        session,
                        topic=f"{DELIVERY_TOPIC_PREFIX}{publisher.name}",
                        aggregate=f"{DELIVERY_TOPIC_PREFIX}{publisher.name}:{deal}",
                        payload=event.payload,
                        idempotency_key=f"{event.idempotency_key}>{publisher.name}",
                        clock=clock,
                    )
            outbox.delivered(session, event, clock=clock)
        return len(events)


def _deliver_one(
    copy: outbox.DueEvent,
    *,
    by_name: dict[str, Publisher],
    session_factory: sessionmaker[Session],
    clock: Clock,
    counts: dict[str, int],
) -> None:
    destination = copy.topic.removeprefix(DELIVERY_TOPIC_PREFIX)
    publisher = by_name.get(destination)
    try:
        if publisher is None:
            raise PublishFailed(
                f"no destination {destination} is configured here (removed from LTO_EVENT_SUBSCRIBERS, "
                "or LTO_NATS_URL unset?)",
                retryable=False,
            )
        publisher.publish(Outgoing.of(copy.payload))
    except PublishFailed as exc:
        with session_factory() as session, session.begin():
            if exc.retryable:
                status = outbox.failed(session, copy, error=str(exc), clock=clock, retry_after=exc.retry_after)
            else:
                status = outbox.park(session, copy, error=str(exc), clock=clock)
        counts["parked" if status == "parked" else "retry"] += 1
        logger.warning("delivery of event %s to %s failed (%s): %s", copy.payload.get("id"), destination, status, exc)
    else:
        with session_factory() as session, session.begin():
            outbox.delivered(session, copy, clock=clock)
        counts["delivered"] += 1
