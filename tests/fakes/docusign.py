"""A local server that speaks DocuSign's side of the e-signature boundary: the OAuth JWT grant, eSignature REST
v2.1 envelopes (create, list by custom field), and the Connect messages it would post, HMAC-signed."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.esign.connect import connect_signature

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errorCode": code, "message": message}, status)


class FakeDocuSign:
    def __init__(self, *, account_id: str, integration_key: str, user_id: str, public_key: str) -> None:
        self.account_id, self.integration_key, self.user_id = account_id, integration_key, user_id
        self.public_key = public_key
        self.audience = ""  # the OAuth host the assertions must name; set once the server's address is known
        self.envelopes: dict[str, dict[str, Any]] = {}
        self.grants = 0
        self.tokens: set[str] = set()
        self.failures: list[int] = []
        self.lose_next_answer = False  # create the next envelope, then answer 503 as if the reply were lost
        self.app = FastAPI()
        self.app.post("/oauth/token")(self._token)
        self.app.post("/restapi/v2.1/accounts/{account_id}/envelopes")(self._create)
        self.app.get("/restapi/v2.1/accounts/{account_id}/envelopes")(self._list)

    async def _token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != JWT_GRANT:
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        try:
            claims = jwt.decode(
                form.get("assertion", ""), self.public_key, algorithms=["RS256"], audience=self.audience
            )
        except jwt.PyJWTError as exc:
            return JSONResponse({"error": "invalid_grant", "error_description": str(exc)}, 400)
        if claims.get("iss") != self.integration_key or claims.get("sub") != self.user_id:
            return JSONResponse({"error": "invalid_grant", "error_description": "unknown issuer or user"}, 400)
        if "signature" not in str(claims.get("scope", "")).split() or claims["exp"] - claims["iat"] > 3600:
            return JSONResponse({"error": "invalid_grant", "error_description": "scope or lifetime"}, 400)
        self.grants += 1
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 28800})

    def _gate(self, request: Request, account_id: str) -> JSONResponse | None:
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "AUTHORIZATION_INVALID_TOKEN", "The access token provided is expired or not valid.")
        if account_id != self.account_id:
            return _error(400, "INVALID_ACCOUNT", "Invalid account specified for user.")
        if self.failures:
            return _error(self.failures.pop(0), "INJECTED", "injected failure")
        return None

    async def _create(self, account_id: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request, account_id)) is not None:
            return refused
        body = await request.json()
        documents, signers = body.get("documents") or [], (body.get("recipients") or {}).get("signers") or []
        if body.get("status") != "sent":
            return _error(400, "INVALID_REQUEST_BODY", "status must be sent or created")
        if len(documents) != 1 or not base64.b64decode(documents[0].get("documentBase64", "")).startswith(b"%PDF"):
            return _error(400, "INVALID_REQUEST_BODY", "one PDF document is expected")
        if not signers or not all(s.get("email") and s.get("name") and s.get("recipientId") for s in signers):
            return _error(400, "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT", "each signer needs a name, an email and an id")
        envelope_id = str(uuid.uuid4())
        now = datetime.now(UTC).isoformat()
        fields = {f["name"]: f["value"] for f in (body.get("customFields") or {}).get("textCustomFields") or []}
        self.envelopes[envelope_id] = {**body, "envelopeId": envelope_id, "statusDateTime": now, "fields": fields}
        if self.lose_next_answer:
            self.lose_next_answer = False
            return _error(503, "SERVICE_UNAVAILABLE", "the answer was lost on its way back")
        return JSONResponse(
            {"envelopeId": envelope_id, "uri": f"/envelopes/{envelope_id}", "statusDateTime": now, "status": "sent"},
            201,
        )

    async def _list(self, account_id: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request, account_id)) is not None:
            return refused
        if not request.query_params.get("from_date"):
            return _error(400, "INVALID_REQUEST_PARAMETER", "from_date, envelope_ids or transaction_ids is required")
        name, _, value = request.query_params.get("custom_field", "").partition("=")
        found = [
            {"envelopeId": e["envelopeId"], "status": "sent", "statusChangedDateTime": e["statusDateTime"]}
            for e in self.envelopes.values()
            if not name or e["fields"].get(name) == value
        ]
        return JSONResponse({"resultSetSize": str(len(found)), "totalSetSize": str(len(found)), "envelopes": found})

    # What DocuSign Connect would post -----------------------------------------------------------------

    def connect_message(
        self, envelope_id: str, event: str = "envelope-completed", *, at: datetime | None = None, reason: str = ""
    ) -> bytes:
        """A JSON SIM message for the envelope, with its summary and recipients, as Connect posts it."""
        envelope = self.envelopes[envelope_id]
        moment = (at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
        signed = event == "envelope-completed"
        signers = [
            {
                "recipientId": s["recipientId"],
                "name": s["name"],
                "email": s["email"],
                "status": "completed" if signed else "declined" if event == "envelope-declined" else "sent",
                **({"signedDateTime": moment} if signed else {}),
                **({"declinedReason": reason} if event == "envelope-declined" else {}),
            }
            for s in envelope["recipients"]["signers"]
        ]
        status = {"envelope-completed": "completed", "envelope-declined": "declined", "envelope-voided": "voided"}
        summary: dict[str, Any] = {
            "status": status.get(event, "sent"),
            "emailSubject": envelope["emailSubject"],
            "recipients": {"signers": signers},
        }
        if signed:
            summary["completedDateTime"] = moment
        message = {
            "event": event,
            "apiVersion": "v2.1",
            "uri": f"/restapi/v2.1/accounts/{self.account_id}/envelopes/{envelope_id}",
            "retryCount": 0,
            "configurationId": 10501,
            "generatedDateTime": moment,
            "data": {
                "accountId": self.account_id,
                "userId": self.user_id,
                "envelopeId": envelope_id,
                "envelopeSummary": summary,
            },
        }
        return json.dumps(message).encode()

    @staticmethod
    def connect_headers(body: bytes, *keys: str) -> dict[str, str]:
        """The headers Connect sends: one X-DocuSign-Signature-N per HMAC key of its configuration."""
        headers = {"Content-Type": "application/json", "X-Authorization-Digest": "HMACSHA256"}
        for number, key in enumerate(keys, start=1):
            headers[f"X-DocuSign-Signature-{number}"] = connect_signature(key, body)
        return headers
