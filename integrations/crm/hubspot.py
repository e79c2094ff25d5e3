"""The HubSpot adapter: the CRM port over HubSpot's CRM v3 REST API with a private-app token.

Our deal is found again by the custom deal property `lto_deal_key`, and a note by the custom
note property `lto_idempotency_key`, so a redelivered event updates instead of duplicating.
Create both properties once in HubSpot (Settings → Properties) before enabling the adapter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pybreaker
import tenacity

from integrations.crm.port import (
    CrmAccount,
    CrmConflict,
    CrmDeal,
    CrmError,
    CrmNotFound,
    CrmRateLimited,
    CrmUnavailable,
)

STAGES = {
    "new": "appointmentscheduled",
    "discovery": "qualifiedtobuy",
    "qualified": "presentationscheduled",
    "proposal": "decisionmakerboughtin",
    "won": "closedwon",
    "lost": "closedlost",
    "disqualified": "closedlost",
}
COMPANY_PROPERTIES = ["name", "domain", "industry", "numberofemployees", "country", "description"]
DEAL_TO_COMPANY = 5  # HubSpot-defined association type id
NOTE_TO_DEAL = 214


def _is_transient(exc: BaseException) -> bool:
    """Worth one more quick try inside the call: the connection dropped or HubSpot answered 502-504."""
    return isinstance(exc, httpx.TransportError) or (isinstance(exc, _ServerError) and exc.status in (502, 503, 504))


class _ServerError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HubSpot {status}")
        self.status = status


class HubSpotCrm:
    """Calls time out, transient failures are retried briefly (tenacity), and after repeated outages
    a circuit breaker (pybreaker) fails fast for a while: the outbox keeps the changes meanwhile."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = "https://api.hubapi.com",
        timeout: float = 10.0,
        attempts: int = 3,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
        self.breaker = breaker or pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60, name="hubspot")
        self.retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_is_transient),
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential_jitter(multiplier=0.2, max=2),
            reraise=True,
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 500:
            raise _ServerError(response.status_code)
        return response

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.breaker.call(self.retrying, self._send, method, path, **kwargs)
        except pybreaker.CircuitBreakerError as exc:
            raise CrmUnavailable("HubSpot is failing: not calling it for a minute (circuit open)") from exc
        except httpx.TransportError as exc:
            raise CrmUnavailable(f"HubSpot unreachable: {type(exc).__name__}") from exc
        except _ServerError as exc:
            raise CrmUnavailable(str(exc)) from exc
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            raise CrmRateLimited("HubSpot rate limit", float(retry_after) if retry_after else 10.0)
        if response.status_code == 404:
            raise CrmNotFound(f"HubSpot 404 on {path}")
        if response.status_code == 409:
            raise CrmConflict(response.json().get("message", "conflict"))
        if response.status_code in (401, 403):
            raise CrmError(f"HubSpot refused the token ({response.status_code}): check the private app's scopes")
        if response.status_code >= 400:
            raise CrmError(f"HubSpot {response.status_code}: {response.text[:200]}")
        return response.json() if response.content else {}

    def _search(self, kind: str, prop: str, value: str, properties: list[str]) -> dict[str, Any] | None:
        body = {
            "filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}],
            "properties": properties,
            "limit": 1,
        }
        results = self._call("POST", f"/crm/v3/objects/{kind}/search", json=body).get("results", [])
        return results[0] if results else None

    @staticmethod
    def _account(row: dict[str, Any]) -> CrmAccount:
        props = row.get("properties", {})
        employees = props.get("numberofemployees")
        return CrmAccount(
            id=str(row["id"]),
            name=props.get("name") or "",
            domain=props.get("domain"),
            industry=props.get("industry"),
            employees=int(employees) if employees and str(employees).isdigit() else None,
            region=props.get("country"),
            notes=props.get("description"),
        )

    def find_account(self, name: str) -> CrmAccount | None:
        row = self._search("companies", "name", name, COMPANY_PROPERTIES)
        return self._account(row) if row else None

    def read_object(
        self, kind: str, object_id: str, *, properties: list[str], associations: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """One record (`contacts`, `companies` ...) with these properties and its associated records' ids."""
        params = {"properties": ",".join(properties)}
        if associations:
            params["associations"] = ",".join(associations)
        return self._call("GET", f"/crm/v3/objects/{kind}/{object_id}", params=params)

    def company(self, company_id: str) -> CrmAccount:
        return self._account(self.read_object("companies", company_id, properties=COMPANY_PROPERTIES))

    def create_account(self, name: str, *, domain: str | None = None) -> CrmAccount:
        properties = {"name": name, **({"domain": domain} if domain else {})}
        return self._account(self._call("POST", "/crm/v3/objects/companies", json={"properties": properties}))

    def _deal_row(self, deal_key: str) -> dict[str, Any] | None:
        return self._search(
            "deals", "lto_deal_key", deal_key, ["dealname", "dealstage", "amount", "deal_currency_code"]
        )

    def get_deal(self, deal_key: str) -> CrmDeal | None:
        row = self._deal_row(deal_key)
        if row is None:
            return None
        props = row.get("properties", {})
        stage = next((ours for ours, theirs in STAGES.items() if theirs == props.get("dealstage")), "new")
        amount = props.get("amount")
        return CrmDeal(
            id=str(row["id"]),
            name=props.get("dealname", ""),
            stage=stage,
            amount=Decimal(amount) if amount else None,
            currency=props.get("deal_currency_code"),
            properties=props,
        )

    def upsert_deal(self, deal_key: str, *, name: str, account_name: str, properties: dict[str, Any]) -> CrmDeal:
        hubspot = {
            "dealname": name,
            "lto_deal_key": deal_key,
            "dealstage": STAGES.get(str(properties.get("stage")), "appointmentscheduled"),
        }
        if properties.get("target_close"):
            hubspot["closedate"] = properties["target_close"]
        row = self._deal_row(deal_key)
        if row is None:
            account = self.find_account(account_name) or self.create_account(account_name)
            body = {
                "properties": hubspot,
                "associations": [
                    {
                        "to": {"id": account.id},
                        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": DEAL_TO_COMPANY}],
                    }
                ],
            }
            try:
                self._call("POST", "/crm/v3/objects/deals", json=body)
            except CrmConflict:
                pass  # created by an earlier delivery that timed out: update it below
            row = self._deal_row(deal_key)
        if row is not None:
            self._call("PATCH", f"/crm/v3/objects/deals/{row['id']}", json={"properties": hubspot})
        found = self.get_deal(deal_key)
        if found is None:
            raise CrmUnavailable("HubSpot did not return the deal it just wrote")
        return found

    def set_stage(self, deal_key: str, stage: str) -> None:
        row = self._deal_row(deal_key)
        if row is None:
            raise CrmNotFound(f"no HubSpot deal with lto_deal_key {deal_key}")
        self._call(
            "PATCH", f"/crm/v3/objects/deals/{row['id']}", json={"properties": {"dealstage": STAGES.get(stage, stage)}}
        )

    def add_note(self, deal_key: str, text: str, *, idempotency_key: str) -> None:
        if self._search("notes", "lto_idempotency_key", idempotency_key, ["hs_note_body"]) is not None:
            return
        row = self._deal_row(deal_key)
        if row is None:
            raise CrmNotFound(f"no HubSpot deal with lto_deal_key {deal_key}")
        body = {
            "properties": {"hs_note_body": text, "hs_timestamp": "now", "lto_idempotency_key": idempotency_key},
            "associations": [
                {
                    "to": {"id": row["id"]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_DEAL}],
                }
            ],
        }
        self._call("POST", "/crm/v3/objects/notes", json=body)

    def attach_quote_total(
        self, deal_key: str, *, amount: Decimal, currency: str, quote_version: int, idempotency_key: str
    ) -> None:
        row = self._deal_row(deal_key)
        if row is None:
            raise CrmNotFound(f"no HubSpot deal with lto_deal_key {deal_key}")
        props = {"amount": str(amount), "deal_currency_code": currency, "lto_quote_version": str(quote_version)}
        self._call("PATCH", f"/crm/v3/objects/deals/{row['id']}", json={"properties": props})
