"""What the product needs from an e-signature provider, whichever provider it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SigningRequest:
    """One document for one signer. `reference` is ours: the provider keeps it with the envelope, so a send
    whose answer was lost can be found again instead of sent twice."""

    reference: str
    email_subject: str
    document: bytes  # a PDF
    document_name: str
    signer_name: str
    signer_email: str
    # Text printed just above the signer's lines (their party's name in the signature block): where a provider
    # that places fields on the document puts the signature, name and date.
    signature_anchor: str | None = None


@dataclass(frozen=True)
class SentEnvelope:
    envelope_id: str  # the provider's id
    signing_url: str | None = None  # a page to give the signer; None when the provider emails them itself


class ESignError(Exception):
    """The provider refused the request; sending it again as it is would fail again."""

    retryable = False


class ESignUnavailable(ESignError):
    """Down, timing out, rate limiting or answering 5xx: try again later."""

    retryable = True


class ESignPort(Protocol):
    provider: str

    def send(self, request: SigningRequest) -> SentEnvelope:
        """Create the envelope and send it to the signer."""
        ...

    def find_sent(self, reference: str, *, since: datetime) -> SentEnvelope | None:
        """The envelope sent with this reference since `since`, if the provider has one."""
        ...
