"""The local CRM: CRM records kept in our own database (the embedded default, seeded with sample accounts)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.jobs import insert_ignoring_conflict
from deals.models import Account
from deals.service import account_key, find_or_create_account
from integrations.crm.models import CrmDealRecord, CrmNote
from integrations.crm.port import CrmAccount, CrmDeal, CrmNotFound


class LocalCrm:
    """A CRM in the product's database, for teams without one and for every offline run."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self.session_factory = session_factory
        self.clock = clock

    @staticmethod
    def _account(row: Account) -> CrmAccount:
        return CrmAccount(
            id=str(row.id),
            name=row.name,
            domain=row.domain,
            industry=row.industry,
            employees=row.employees,
            region=row.region,
            notes=row.notes,
        )

    def find_account(self, name: str) -> CrmAccount | None:
        with self.session_factory() as session:
            row = session.scalar(select(Account).where(Account.name_key == account_key(name)))
            return self._account(row) if row else None

    def create_account(self, name: str, *, domain: str | None = None) -> CrmAccount:
        with self.session_factory() as session, session.begin():
            row = find_or_create_account(session, name=name, clock=self.clock)
            if domain and not row.domain:
                row.domain = domain
            return self._account(row)

    def _deal(self, session: Session, deal_key: str) -> CrmDealRecord | None:
        return session.scalar(select(CrmDealRecord).where(CrmDealRecord.deal_key == deal_key))

    def get_deal(self, deal_key: str) -> CrmDeal | None:
        with self.session_factory() as session:
            row = self._deal(session, deal_key)
            if row is None:
                return None
            return CrmDeal(
                id=row.deal_key,
                name=row.name,
                stage=row.stage,
                account_id=row.account_name,
                amount=Decimal(row.amount) if row.amount is not None else None,
                currency=row.currency,
                properties=row.properties,
            )

    def upsert_deal(self, deal_key: str, *, name: str, account_name: str, properties: dict[str, Any]) -> CrmDeal:
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            row = self._deal(session, deal_key)
            if row is None:
                row = CrmDealRecord(
                    deal_key=deal_key, name=name, account_name=account_name, stage="new", properties={}, updated_at=now
                )
                session.add(row)
            row.name, row.account_name = name, account_name
            row.properties = {**row.properties, **properties}
            row.updated_at = now
        found = self.get_deal(deal_key)
        assert found is not None
        return found

    def set_stage(self, deal_key: str, stage: str) -> None:
        with self.session_factory() as session, session.begin():
            row = self._deal(session, deal_key)
            if row is None:
                raise CrmNotFound(f"no CRM deal {deal_key}")
            row.stage, row.updated_at = stage, self.clock.now()

    def add_note(self, deal_key: str, text: str, *, idempotency_key: str) -> None:
        with self.session_factory() as session, session.begin():
            insert_ignoring_conflict(
                session,
                CrmNote,
                {
                    "deal_key": deal_key,
                    "text": text,
                    "idempotency_key": idempotency_key,
                    "created_at": self.clock.now(),
                },
            )

    def attach_quote_total(
        self, deal_key: str, *, amount: Decimal, currency: str, quote_version: int, idempotency_key: str
    ) -> None:
        with self.session_factory() as session, session.begin():
            row = self._deal(session, deal_key)
            if row is None:
                raise CrmNotFound(f"no CRM deal {deal_key}")
            if row.quote_version is None or quote_version >= row.quote_version:
                row.amount, row.currency, row.quote_version = str(amount), currency, quote_version
                row.updated_at = self.clock.now()

    def notes(self, deal_key: str) -> list[str]:
        with self.session_factory() as session:
            return list(session.scalars(select(CrmNote.text).where(CrmNote.deal_key == deal_key).order_by(CrmNote.id)))


def seed_accounts(session: Session, path: Path, *, clock: Clock) -> int:
    """Load sample accounts (name, domain, industry, employees, region, notes); existing ones are kept."""
    data = yaml.safe_load(path.read_text()) or []
    added = 0
    for entry in data:
        values = {
            "name": entry["name"],
            "name_key": account_key(entry["name"]),
            "domain": entry.get("domain"),
            "industry": entry.get("industry"),
            "employees": entry.get("employees"),
            "region": entry.get("region"),
            "notes": entry.get("notes"),
            "created_at": clock.now(),
        }
        added += insert_ignoring_conflict(session, Account, values)
    return added
