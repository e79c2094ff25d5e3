"""`lto doctor`: is each dependency reachable with the configuration as given?"""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError

from core.db import create_db_engine, ping
from core.settings import Settings

Check = tuple[bool | None, str]  # (ok, detail); None means skipped


def _database(settings: Settings) -> Check:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from core.db import alembic_config

    url = settings.effective_database_url
    engine = create_db_engine(url)
    try:
        ping(engine)
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        if current != head:
            return False, f"schema at {current or 'nothing'}, newest is {head}: run `lto db upgrade`"
        return True, f"{engine.dialect.name}, schema {current}"
    except Exception as exc:  # a check reports, it does not raise
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    finally:
        engine.dispose()


def _qdrant(settings: Settings) -> Check:
    from qdrant_client import QdrantClient

    try:
        if settings.qdrant_url:
            key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
            client = QdrantClient(url=settings.qdrant_url, api_key=key, timeout=5)
            where = settings.qdrant_url
        else:
            settings.effective_qdrant_path.mkdir(parents=True, exist_ok=True)
            client = QdrantClient(path=str(settings.effective_qdrant_path))
            where = f"local mode at {settings.effective_qdrant_path}"
        collections = [c.name for c in client.get_collections().collections]
        client.close()
        return True, f"{where}; collections: {', '.join(collections) or 'none yet'}"
    except Exception as exc:  # a check reports, it does not raise
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"


async def _slack(settings: Settings) -> Check:
    if settings.slack_bot_token is None:
        return None, "SLACK_BOT_TOKEN not set"
    from bot.runtime import web_client

    try:
        response = await web_client(settings).auth_test()
    except SlackApiError as exc:
        return False, f"auth.test: {exc.response.get('error') if exc.response is not None else exc}"
    except Exception as exc:  # a check reports, it does not raise
        return False, f"{settings.slack_api_url} unreachable: {type(exc).__name__}"
    return True, f"team {response.get('team')} as @{response.get('user')} via {settings.slack_api_url}"


async def run_checks(settings: Settings) -> dict[str, Check]:
    database, qdrant = await asyncio.gather(
        asyncio.to_thread(_database, settings), asyncio.to_thread(_qdrant, settings)
    )
    return {"database": database, "qdrant": qdrant, "slack": await _slack(settings)}
