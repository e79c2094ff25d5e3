"""The DocuSign adapter: the e-signature port over the eSignature REST API v2.1.

It authenticates with the JWT grant (an RS256 assertion signed with the integration key's RSA private
key, for a user who consented to `signature impersonation`) and keeps the access token until shortly
before it expires. An envelope is created from one PDF and one signer with `status: sent`, so DocuSign
emails the signer at once; our reference rides along as a hidden envelope custom field, which is how
a send whose answer was lost is found again (`find_sent`) instead of sent twice. Status comes back
through DocuSign Connect (integrations/esign/connect.py).
"""

from __future__ import annotations

import base64
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from core.clock import Clock
from integrations.esign.port import ESignError, ESignUnavailable, SentEnvelope, SigningRequest

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPES = "signature impersonation"
ASSERTION_SECONDS = 3600  # DocuSign takes assertions valid for at most an hour
TOKEN_MARGIN = timedelta(minutes=5)  # a token this close to its expiry is renewed before use
REFERENCE_FIELD = "lto_reference"  # the hidden envelope custom field that carries our reference
# Where the signer's fields sit below the anchor (their party's name atop the signature block), in mm: the
# block's Signature, Name and Date lines (agents/proposal_pdf.py draws them 13 mm apart).
TAB_OFFSETS_MM = {"signHereTabs": 6, "fullNameTabs": 24, "dateSignedTabs": 50}


class DocuSignESign:
    provider = "docusign"

    def __init__(
        self,
        *,
        base_path: str,
        oauth_url: str,
        account_id: str,
        integration_key: str,
        user_id: str,
        private_key: str,
        clock: Clock,
        timeout: float = 15.0,
    ) -> None:
        self.base = f"{base_path.rstrip('/')}/v2.1/accounts/{account_id}"
        self.oauth_url = oauth_url.rstrip("/")
        self.audience = urlsplit(self.oauth_url).netloc  # the OAuth host, without its scheme
        self.integration_key, self.user_id, self.private_key = integration_key, user_id, private_key
        self.clock = clock
        self.http = httpx.Client(timeout=timeout)
        self._token: tuple[str, datetime] | None = None
        self._token_lock = threading.Lock()  # jobs run on several threads; one grant at a time

    # Authentication ------------------------------------------------------------------------------

    def assertion(self) -> str:
        now = int(self.clock.now().timestamp())
        claims = {
            "iss": self.integration_key,
            "sub": self.user_id,
            "aud": self.audience,
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
            "scope": SCOPES,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256")

    def access_token(self, *, renew: bool = False) -> str:
        with self._token_lock:
            now = self.clock.now()
            if renew or self._token is None or self._token[1] - TOKEN_MARGIN <= now:
                data = {"grant_type": JWT_GRANT, "assertion": self.assertion()}
                answer = self._request("POST", f"{self.oauth_url}/oauth/token", data=data, authorized=False)
                token = answer.get("access_token")
                if not isinstance(token, str) or not token:
                    raise ESignError("DocuSign's token endpoint answered without an access token")
                expires_in = answer.get("expires_in")
                lifetime = int(expires_in) if isinstance(expires_in, int | str) and str(expires_in).isdigit() else 3600
                self._token = (token, now + timedelta(seconds=lifetime))
            return self._token[0]

    # Calls ---------------------------------------------------------------------------------------

    def _request(self, method: str, url: str, *, authorized: bool = True, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self.access_token(renew=attempt > 0)}"} if authorized else {}
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                raise ESignUnavailable(f"DocuSign unreachable: {type(exc).__name__}") from exc
            if response.status_code == 401 and authorized and attempt == 0:
                continue  # the token was revoked or expired early: one new grant, then one more try
            return self._answer(response)
        raise ESignError("DocuSign refused a freshly granted token (401)")

    @staticmethod
    def _answer(response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 429 or response.status_code >= 500:
            raise ESignUnavailable(f"DocuSign {response.status_code}")
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 400:
            # DocuSign's errors carry errorCode and message; the OAuth endpoint's, error and error_description.
            code = body.get("errorCode") or body.get("error") or response.status_code
            message = body.get("message") or body.get("error_description") or response.text[:200]
            if code == "consent_required":
                message = "the DocuSign user has not granted consent to this integration key (signature impersonation)"
            raise ESignError(f"DocuSign refused it ({code}): {message}")
        return body if isinstance(body, dict) else {}

    @staticmethod
    def signer_tabs(anchor: str | None) -> dict[str, Any]:
        """The signer's signature, name and date fields, anchored on the document's text. Without an anchor (or
        when the text is not found) DocuSign lets the signer place the signature: free-form signing."""
        if not anchor:
            return {}
        return {
            kind: [
                {
                    "anchorString": anchor,
                    "anchorUnits": "mms",
                    "anchorXOffset": "0",
                    "anchorYOffset": str(offset),
                    "anchorIgnoreIfNotPresent": "true",
                }
            ]
            for kind, offset in TAB_OFFSETS_MM.items()
        }

    def envelope_definition(self, request: SigningRequest) -> dict[str, Any]:
        """The envelope as DocuSign's Envelopes: create takes it: one PDF, one signer, sent at once."""
        signer: dict[str, Any] = {
            "recipientId": "1",
            "routingOrder": "1",
            "name": request.signer_name,
            "email": request.signer_email,
        }
        if tabs := self.signer_tabs(request.signature_anchor):
            signer["tabs"] = tabs
        return {
            "emailSubject": request.email_subject[:100],
            "documents": [
                {
                    "documentId": "1",
                    "name": request.document_name,
                    "fileExtension": "pdf",
                    "documentBase64": base64.b64encode(request.document).decode(),
                }
            ],
            "recipients": {"signers": [signer]},
            "customFields": {
                "textCustomFields": [
                    {"name": REFERENCE_FIELD, "value": request.reference, "show": "false", "required": "false"}
                ]
            },
            "status": "sent",
        }

    def send(self, request: SigningRequest) -> SentEnvelope:
        answer = self._request("POST", f"{self.base}/envelopes", json=self.envelope_definition(request))
        envelope_id = answer.get("envelopeId")
        if not isinstance(envelope_id, str) or not envelope_id:
            raise ESignUnavailable("DocuSign answered without an envelope id")
        return SentEnvelope(envelope_id=envelope_id)

    def find_sent(self, reference: str, *, since: datetime) -> SentEnvelope | None:
        params = {
            "from_date": (since - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "custom_field": f"{REFERENCE_FIELD}={reference}",
        }
        answer = self._request("GET", f"{self.base}/envelopes", params=params)
        envelopes = answer.get("envelopes") or []
        found = [e for e in envelopes if isinstance(e, dict) and isinstance(e.get("envelopeId"), str)]
        return SentEnvelope(envelope_id=found[0]["envelopeId"]) if found else None

    def close(self) -> None:
        self.http.close()


def private_key_text(path: Path) -> str:
    """The PEM file's text; a clear error naming the file when it cannot be read."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ESignError(f"DOCUSIGN_PRIVATE_KEY_PATH {path}: {exc.strerror}") from None
    if "PRIVATE KEY" not in text:
        raise ESignError(f"DOCUSIGN_PRIVATE_KEY_PATH {path}: not a PEM private key")
    return text
