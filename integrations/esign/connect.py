"""DocuSign Connect: the status webhooks DocuSign posts, checked and read.

Connect signs each message with every HMAC key of its configuration: `X-DocuSign-Signature-1`,
`-2`, ... each the base64 HMAC-SHA256 of the raw body under one key. One matching header is enough,
so keys can be rotated (add the new key here first, then at DocuSign). The body is the JSON SIM
format: `event` (`envelope-completed`, `envelope-declined`, ...) and `data` with the `envelopeId`
and, when the configuration includes it, the `envelopeSummary` with its recipients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

SIGNATURE_HEADER = re.compile(r"^x-docusign-signature-[0-9]{1,3}$")
Outcome = Literal["completed", "declined", "voided"]
# The events that settle an envelope; every other event (sent, delivered, ...) changes nothing here.
OUTCOMES: dict[str, Outcome] = {
    "envelope-completed": "completed",
    "envelope-declined": "declined",
    "recipient-declined": "declined",
    "envelope-voided": "voided",
}


class MalformedMessage(ValueError):
    """A signed body that is not a Connect JSON SIM message."""


def connect_signature(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def connect_signed(keys: Iterable[str], *, body: bytes, headers: Mapping[str, str]) -> bool:
    """Some X-DocuSign-Signature-N header is the HMAC of the raw body under one of our keys."""
    sent = [value.strip().encode() for name, value in headers.items() if SIGNATURE_HEADER.match(name.lower())]
    expected = [connect_signature(key, body).encode() for key in keys if key]
    return any(hmac.compare_digest(theirs, ours) for theirs in sent for ours in expected)


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Signer(_Read):
    name: str | None = None
    email: str | None = None
    status: str | None = None
    signed_at: AwareDatetime | None = Field(None, alias="signedDateTime")
    declined_reason: str | None = Field(None, alias="declinedReason")


class _Recipients(_Read):
    signers: list[_Signer] = Field(default_factory=list)


class _Summary(_Read):
    status: str | None = None
    completed_at: AwareDatetime | None = Field(None, alias="completedDateTime")
    declined_at: AwareDatetime | None = Field(None, alias="declinedDateTime")
    voided_at: AwareDatetime | None = Field(None, alias="voidedDateTime")
    voided_reason: str | None = Field(None, alias="voidedReason")
    recipients: _Recipients | None = None


class _Data(_Read):
    envelope_id: str = Field(alias="envelopeId", min_length=1, max_length=100)
    summary: _Summary | None = Field(None, alias="envelopeSummary")


class _Message(_Read):
    event: str = Field(min_length=1, max_length=60)
    generated_at: AwareDatetime | None = Field(None, alias="generatedDateTime")
    data: _Data


@dataclass(frozen=True)
class Signed:
    name: str
    email: str | None
    at: datetime | None


@dataclass(frozen=True)
class EnvelopeNews:
    """What a Connect message says about one envelope: its outcome (None: nothing that settles it), when,
    who signed, and why it was declined or voided."""

    envelope_id: str
    event: str
    outcome: Outcome | None
    at: datetime | None
    signers: tuple[Signed, ...]
    reason: str | None


def read_message(body: bytes) -> EnvelopeNews:
    """The envelope news in a Connect message; MalformedMessage says what is wrong with one that is not."""
    try:
        message = _Message.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "body"
        raise MalformedMessage(f"not a DocuSign Connect JSON message: {where}: {first['msg']}") from None
    summary = message.data.summary
    outcome = OUTCOMES.get(message.event)
    signers = summary.recipients.signers if summary and summary.recipients else []
    signed = tuple(
        Signed(name=s.name, email=s.email, at=s.signed_at) for s in signers if s.status == "completed" and s.name
    )
    at = None
    reason = None
    if summary is not None:
        at = {"completed": summary.completed_at, "declined": summary.declined_at, "voided": summary.voided_at}.get(
            outcome or ""
        )
        declined = next((s.declined_reason for s in signers if s.declined_reason), None)
        reason = summary.voided_reason if outcome == "voided" else declined if outcome == "declined" else None
    return EnvelopeNews(
        envelope_id=message.data.envelope_id,
        event=message.event,
        outcome=outcome,
        at=at or message.generated_at,
        signers=signed,
        reason=reason,
    )
