"""What the product needs from a CRM, whichever CRM it is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel


class CrmAccount(BaseModel):
    id: str
    name: str
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    region: str | None = None  # where the company is: a country or region as the CRM holds it
    notes: str | None = None  # what the account team wrote about the company


class CrmDeal(BaseModel):
    id: str
    name: str
    stage: str
    account_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    properties: dict[str, Any] = {}


class CrmError(Exception):
    """The CRM refused or failed a call."""

    retryable = False


class CrmUnavailable(CrmError):
    """Down, timing out or answering 5xx: try again later."""

    retryable = True


class CrmRateLimited(CrmUnavailable):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CrmNotFound(CrmError):
    pass


class CrmConflict(CrmError):
    pass


class CrmPort(Protocol):
    """Every call is idempotent by its key or its natural identity, so a redelivery changes nothing."""

    def find_account(self, name: str) -> CrmAccount | None: ...

    def create_account(self, name: str, *, domain: str | None = None) -> CrmAccount: ...

    def get_deal(self, deal_key: str) -> CrmDeal | None: ...

    def upsert_deal(self, deal_key: str, *, name: str, account_name: str, properties: dict[str, Any]) -> CrmDeal: ...

    def set_stage(self, deal_key: str, stage: str) -> None: ...

    def add_note(self, deal_key: str, text: str, *, idempotency_key: str) -> None: ...

    def attach_quote_total(
        self, deal_key: str, *, amount: Decimal, currency: str, quote_version: int, idempotency_key: str
    ) -> None: ...
