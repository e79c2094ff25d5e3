"""Shared fixtures: a clean database per test (SQLite, or PostgreSQL when LTO_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic_ai import models
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from core.clock import ManualClock
from core.db import Base, create_db_engine, session_factory, upgrade
from migrations import import_all_tables

import_all_tables()

# No test may reach a real model provider.
models.ALLOW_MODEL_REQUESTS = False

PG_URL = os.environ.get("LTO_TEST_DATABASE_URL")


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (set LTO_TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; every test gets a copy of the migrated file."""
    path = tmp_path_factory.mktemp("template") / "lto.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> str:
    assert PG_URL
    engine = create_db_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(PG_URL)
    return PG_URL


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        url = request.getfixturevalue("_postgres_schema")
        yield url
        engine = create_db_engine(url)
        tables = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "lto.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def harness_settings() -> dict[str, str]:
    """More settings for the Slack harness's app (tests/bot/conftest.py); a module overrides it to configure an
    integration. Here, so a module that imports the harness fixture finds it too."""
    return {}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


postgres_only = pytest.mark.skipif(
    not PG_URL,
    reason="needs PostgreSQL: set LTO_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)",
)
