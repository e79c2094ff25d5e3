"""Checking who sent a lead: HubSpot's v3 request signature, and ours (the same scheme as our outgoing webhooks).

Both are checked on the raw bytes before anything parses them, with a 5-minute window against replays
of an old request; a failed check is a 401 and records nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping

from integrations.events.webhooks import signature as lto_signature

WINDOW_SECONDS = 5 * 60
_DIGITS = re.compile(r"^[0-9]{1,16}$")  # ASCII digits, bounded before int(): `²` or a thousand nines are forgeries
# HubSpot signs the URI with these characters decoded (its "validating requests" guide, v3); the `?` that
# starts the query string is never encoded, so decoding %3F elsewhere cannot be confused with it.
_HUBSPOT_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_HUBSPOT_ENCODED = re.compile("|".join(_HUBSPOT_DECODED), re.IGNORECASE)


def _timestamp(value: str | None) -> int | None:
    return int(value) if value is not None and _DIGITS.fullmatch(value) else None


def hubspot_uri(uri: str) -> str:
    """The request URI as HubSpot signs it: the listed percent-encodings decoded, everything else as sent."""
    return _HUBSPOT_ENCODED.sub(lambda match: _HUBSPOT_DECODED[match.group(0).upper()], uri)


def hubspot_v3_signature(secret: str, *, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """Base64 HMAC-SHA256, keyed with the app's client secret, of method + URI + body + timestamp."""
    signed = method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def hubspot_signed(secret: str, *, method: str, uri: str, body: bytes, headers: Mapping[str, str], now_ms: int) -> bool:
    """X-HubSpot-Signature-v3 matches, and X-HubSpot-Request-Timestamp (ms) is within five minutes."""
    sent = headers.get("x-hubspot-request-timestamp")
    timestamp = _timestamp(sent)
    if sent is None or timestamp is None or abs(now_ms - timestamp) > WINDOW_SECONDS * 1000:
        return False
    expected = hubspot_v3_signature(secret, method=method, uri=uri, body=body, timestamp=sent)
    return hmac.compare_digest(expected.encode(), headers.get("x-hubspot-signature-v3", "").encode())


def lto_signed(secret: str, *, body: bytes, headers: Mapping[str, str], now: int) -> bool:
    """X-LTO-Signature (`v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>">`) matches, and X-LTO-Timestamp
    (Unix seconds) is within five minutes."""
    timestamp = _timestamp(headers.get("x-lto-timestamp"))
    if timestamp is None or abs(now - timestamp) > WINDOW_SECONDS:
        return False
    expected = lto_signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), headers.get("x-lto-signature", "").encode())
