"""The local e-signature adapter: the signer signs on a page `lto serve` serves, reached by a signed link.

The link carries a token (a JWT, HMAC-SHA256 with our secret) naming the envelope and when the link
expires, so the page needs no session and a forged, altered or expired link opens nothing. The
envelope id derives from our reference, so sending the same reference again gives the same envelope.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from core.clock import Clock
from integrations.esign.port import SentEnvelope, SigningRequest

AUDIENCE = "lto-signing-page"
ALGORITHM = "HS256"


class LinkInvalid(Exception):
    """Not a link we issued (forged, altered or truncated)."""


class LinkExpired(Exception):
    """A link we issued, past its expiry."""


def signing_token(secret: str, *, reference: str, expires_at: datetime) -> str:
    claims = {"sub": reference, "aud": AUDIENCE, "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_signing_token(secret: str, token: str, *, now: datetime) -> str:
    """The envelope reference a link names; LinkInvalid or LinkExpired otherwise. The expiry is checked against
    our clock (not the library's), so a test or a replay decides what "now" is."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"verify_exp": False, "require": ["sub", "exp", "aud"]},
        )
    except jwt.PyJWTError:
        raise LinkInvalid("This signing link is not valid.") from None
    reference, expires = claims.get("sub"), claims.get("exp")
    if not isinstance(reference, str) or not isinstance(expires, int):
        raise LinkInvalid("This signing link is not valid.")
    if now.timestamp() >= expires:
        raise LinkExpired("This signing link has expired.")
    return reference


class LocalESign:
    """Envelopes signed on our own page; nothing leaves the process."""

    provider = "local"

    def __init__(self, *, secret: str, base_url: str, link_valid: timedelta, clock: Clock) -> None:
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        self.link_valid = link_valid
        self.clock = clock

    def signing_url(self, reference: str) -> str:
        token = signing_token(self.secret, reference=reference, expires_at=self.clock.now() + self.link_valid)
        return f"{self.base_url}/sign/{token}"

    def send(self, request: SigningRequest) -> SentEnvelope:
        return SentEnvelope(envelope_id=f"local-{request.reference}", signing_url=self.signing_url(request.reference))

    def find_sent(self, reference: str, *, since: datetime) -> SentEnvelope | None:
        # The envelope is the reference itself: "finding" it is sending it again, which changes nothing.
        return SentEnvelope(envelope_id=f"local-{reference}", signing_url=self.signing_url(reference))
