"""The migrations build exactly the schema the models declare: a model change without its migration fails here."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from core.db import Base

# Migration 0012 tightened these to NOT NULL on PostgreSQL only: SQLite would have to copy the quotes table,
# which its foreign keys refuse. The code always writes them.
SQLITE_LEFT_NULLABLE = {("quotes", "payment_terms"), ("quotes", "billing_frequency"), ("quotes", "valid_until")}


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        found = compare_metadata(context, Base.metadata)
    differences = []
    for difference in found:
        if (
            isinstance(difference, tuple)
            and difference[0] == "remove_table"
            and difference[1].name == "alembic_version"
        ):
            continue  # Alembic's own version table is not a model
        if isinstance(difference, list) and len(difference) == 1:
            kind, _, table, column = difference[0][:4]
            if (
                kind == "modify_nullable"
                and engine.dialect.name == "sqlite"
                and (table, column) in SQLITE_LEFT_NULLABLE
            ):
                continue
        differences.append(difference)
    return differences


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    assert _differences(engine) == []
