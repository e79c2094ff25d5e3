"""Migrations on a database that already holds deals: each quote gets the terms it was priced with (0012), and
accounts get one per web domain without a table copy (0013)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.db import JSONType, UTCDateTime, create_db_engine, upgrade
from integrations.cpq.catalog import BillingFrequency
from integrations.cpq.models import QuoteRecord
from tests.conftest import PG_URL

COMMITTED = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)

# The tables as revision 0011 left them, written without the current models (which expect the new columns).
metadata = sa.MetaData()
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("name_key", sa.String),
    sa.Column("created_at", UTCDateTime()),
)
deals = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer),
    sa.Column("name", sa.String),
    sa.Column("owner_slack_id", sa.String),
    sa.Column("stage", sa.String),
    sa.Column("score", sa.Integer),
    sa.Column("qualification", JSONType),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("updated_at", UTCDateTime()),
)
quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deal_id", sa.Integer),
    sa.Column("version", sa.Integer),
    sa.Column("status", sa.String),
    sa.Column("currency", sa.String),
    sa.Column("total", sa.String),
    sa.Column("catalog_version", sa.String),
    sa.Column("request", JSONType),
    sa.Column("quote", JSONType),
    sa.Column("created_by", sa.String),
    sa.Column("created_at", UTCDateTime()),
)
approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deal_id", sa.Integer),
    sa.Column("quote_id", sa.Integer),
    sa.Column("requester", sa.String),
    sa.Column("status", sa.String),
    sa.Column("summary", sa.Text),
    sa.Column("fired", JSONType),
    sa.Column("policy_version", sa.String),
    sa.Column("created_at", UTCDateTime()),
)


@pytest.fixture
def database_at_0011(tmp_path: Path) -> Iterator[str]:
    """An empty database migrated to 0011: a SQLite file, or a schema of its own on PostgreSQL."""
    if not PG_URL:
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0011")
        yield url
        return
    schema = f"migration_{uuid.uuid4().hex[:8]}"
    admin = create_db_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    )
    try:
        upgrade(url, "0011")
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _an_account_with_a_deal(connection: sa.Connection, *, qualification: dict) -> None:
    connection.execute(accounts.insert().values(id=1, name="Acme", name_key="acme", created_at=COMMITTED))
    connection.execute(
        deals.insert().values(
            id=1,
            account_id=1,
            name="Acme",
            owner_slack_id="U0REP1",
            stage="qualified",
            score=80,
            qualification=qualification,
            created_at=COMMITTED,
            updated_at=COMMITTED,
        )
    )


def test_quotes_priced_before_terms_existed_get_the_terms_they_were_priced_with(database_at_0011: str):
    engine = create_db_engine(database_at_0011)
    with engine.begin() as connection:
        _an_account_with_a_deal(connection, qualification={"payment_terms_days": 60})
        for version, request in ((1, {"payment_terms_days": 60}), (2, {})):
            connection.execute(
                quotes.insert().values(
                    deal_id=1,
                    version=version,
                    status="approved",
                    currency="EUR",
                    total="95220.00",
                    catalog_version="2026.11.1",
                    request=request,
                    quote={},
                    created_by="U0REP1",
                    created_at=COMMITTED,
                )
            )
        connection.execute(
            approval_requests.insert().values(
                deal_id=1,
                quote_id=1,
                requester="U0REP1",
                status="approved",
                summary="net 60",
                fired=[{"rule": "legal", "level": "legal", "reason": "Payment terms net 60"}],
                policy_version="2026.12.1",
                created_at=COMMITTED,
            )
        )
    upgrade(database_at_0011, "0012")
    with Session(engine) as session:
        rows = session.scalars(sa.select(QuoteRecord).order_by(QuoteRecord.version)).all()
        assert [(q.payment_terms, q.billing_frequency, q.term_start, q.valid_until) for q in rows] == [
            ("net 60", BillingFrequency.ANNUAL, None, date(2026, 12, 20)),
            ("net 30", BillingFrequency.ANNUAL, None, date(2026, 12, 20)),
        ]
        assert str(rows[0].terms) == (
            "net 60 · billed annually in advance · starts on signature · EUR · prices valid until 2026-12-20"
        )
        assert session.scalar(sa.select(approval_requests.c.quote_id)) == rows[0].id  # still pointing at it
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("quotes")}
    assert columns["term_start"]["nullable"]
    if PG_URL:  # SQLite keeps them nullable: tightening would copy the table the approval requests point at
        assert not any(columns[name]["nullable"] for name in ("payment_terms", "billing_frequency", "valid_until"))
    engine.dispose()


def test_one_account_per_domain_is_added_to_a_database_that_holds_deals(database_at_0011: str):
    """0013 adds the domain's unique index in place: accounts that deals point at stay where they are."""
    engine = create_db_engine(database_at_0011)
    with engine.begin() as connection:
        _an_account_with_a_deal(connection, qualification={})
    upgrade(database_at_0011, "0013")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE accounts SET domain = 'acme.example' WHERE id = 1"))
        assert connection.scalar(sa.text("SELECT account_id FROM deals WHERE id = 1")) == 1
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO accounts (id, name, name_key, domain, created_at) "
                "VALUES (2, 'Acme Inc', 'acme inc', 'acme.example', :at)"
            ),
            {"at": COMMITTED},
        )
    engine.dispose()
