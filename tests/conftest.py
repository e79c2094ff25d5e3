"""Shared fixtures: a clean database per test (SQLite, or PostgreSQL when LTO_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn.server
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


class _AsyncioWithShortTicks:
    """`asyncio` as uvicorn's server module sees it, its sleeps at most 5 ms.

    uvicorn polls for `should_exit` every 100 ms and waits 100 ms more while shutting down, which cost
    the suite about half a second for every server a test starts and stops (the harness runs two).
    Only how often uvicorn looks changes: what it waits for, and its graceful-shutdown timeout, do not."""

    TICK = 0.005

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: object = None) -> object:
        return await asyncio.sleep(min(delay, _AsyncioWithShortTicks.TICK), result)


uvicorn.server.asyncio = _AsyncioWithShortTicks()  # type: ignore[assignment]


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (set LTO_TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; every test gets a copy of the migrated file."""
    path = tmp_path_factory.mktemp("template") / "lto.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[Engine]:
    """Migrate once; yields the engine that empties the tables after each test."""
    assert PG_URL
    engine = create_db_engine(PG_URL, pool_size=1, max_overflow=0)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(PG_URL)
    yield engine
    engine.dispose()


# Children first, so no foreign key is ever left pointing at a deleted row.
_DELETE_ALL = [text(f"DELETE FROM {table.name}") for table in reversed(Base.metadata.sorted_tables)]
# What TRUNCATE ... RESTART IDENTITY did: every sequence a test used starts again at 1.
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def _empty_postgres(engine: Engine) -> None:
    """Every table empty and every id sequence restarted, as after TRUNCATE ... RESTART IDENTITY CASCADE.

    DELETE of the few rows a test leaves costs a millisecond; TRUNCATE of all the tables costs about a
    tenth of a second on PostgreSQL (it swaps every table's and index's files), paid after every test."""
    with engine.begin() as connection:
        for statement in _DELETE_ALL:
            connection.execute(statement)
        connection.execute(_RESTART_USED_SEQUENCES)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        cleaner: Engine = request.getfixturevalue("_postgres_schema")
        yield PG_URL
        _empty_postgres(cleaner)
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
