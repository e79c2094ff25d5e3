"""Delivering outbox events to the configured CRM: one event, one idempotent port call."""

from __future__ import annotations

from decimal import Decimal

from core.outbox import DueEvent
from integrations.crm.port import CrmPort


class UnknownTopic(ValueError):
    pass


def deliver(event: DueEvent, crm: CrmPort) -> None:
    """Apply one event; raises the port's errors (retryable or not) for the sweep to record."""
    payload = event.payload
    if event.topic == "crm.deal.upsert":
        if crm.find_account(payload["account_name"]) is None:
            crm.create_account(payload["account_name"])
        crm.upsert_deal(
            payload["deal_key"],
            name=payload["name"],
            account_name=payload["account_name"],
            properties=payload["properties"],
        )
        if stage := payload["properties"].get("stage"):
            crm.set_stage(payload["deal_key"], stage)
    elif event.topic == "crm.deal.quote_total":
        crm.attach_quote_total(
            payload["deal_key"],
            amount=Decimal(payload["amount"]),
            currency=payload["currency"],
            quote_version=payload["quote_version"],
            idempotency_key=event.idempotency_key,
        )
    elif event.topic == "crm.deal.note":
        crm.add_note(payload["deal_key"], payload["text"], idempotency_key=event.idempotency_key)
    else:
        raise UnknownTopic(f"no CRM delivery for topic {event.topic}")
