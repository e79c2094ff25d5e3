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
    """The knowledge base's engine, its size and indexes, and what it was built with."""
    from knowledge.engine import EngineBusy, local_mode_collection, open_engine
    from knowledge.store import KnowledgeStore

    try:
        store = KnowledgeStore(open_engine(settings))
        try:
            info = store.info()
            built = store.built_with() if info.exists else None
        finally:
            store.close()
    except EngineBusy as exc:
        return None, f"not inspected: {exc}"
    except Exception as exc:  # a check reports, it does not raise
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    old = None if settings.qdrant_url else local_mode_collection(settings.effective_qdrant_path, store.collection)
    if old is not None and not info.points:
        return False, f"{info.engine}; {old} holds the earlier engine's data: rebuild with `lto ingest PATH...`"
    return True, info.describe() + (f"; built with embeddings {built}" if built else "")


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


def _governed(settings: Settings) -> Check:
    """The catalog, approval policy, roles, follow-up rules and time-saved assumptions files parse and validate."""
    from approvals.policy import DEFAULT_POLICY, load_policy
    from deals.access import DEFAULT_ROLES, load_roles
    from deals.follow_up_rules import DEFAULT_FOLLOW_UPS, load_follow_up_rules
    from deals.outcomes import load_time_saved
    from integrations.cpq.catalog import DEFAULT_CATALOG, load_catalog

    try:
        catalog = load_catalog(settings.catalog_path or DEFAULT_CATALOG)
        policy = load_policy(settings.policy_path or DEFAULT_POLICY)
        roles = load_roles(settings.roles_path or DEFAULT_ROLES)
        time_saved = load_time_saved(settings.time_saved_path)
        follow_ups = load_follow_up_rules(settings.follow_ups_path or DEFAULT_FOLLOW_UPS)
    except ValueError as exc:
        return False, str(exc)[:200]
    versions = f"catalog {catalog.version}, policy {policy.version}, roles {roles.version}"
    return True, f"{versions}, follow-ups {follow_ups.version}, time saved {time_saved.version}"


def _crm(settings: Settings) -> Check:
    if settings.crm != "hubspot":
        return True, "local CRM (in the database)"
    import httpx

    if settings.hubspot_token is None:
        return False, "LTO_CRM=hubspot needs HUBSPOT_TOKEN"
    try:
        response = httpx.get(
            f"{settings.hubspot_api_url.rstrip('/')}/crm/v3/objects/deals",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {settings.hubspot_token.get_secret_value()}"},
            timeout=5,
        )
    except httpx.HTTPError as exc:
        return False, f"{settings.hubspot_api_url} unreachable: {type(exc).__name__}"
    if response.status_code != 200:
        return False, f"HubSpot answered {response.status_code}: check the token's crm.objects.deals scopes"
    return True, f"HubSpot at {settings.hubspot_api_url}"


def _model(settings: Settings) -> Check:
    if settings.model == "offline":
        return True, "offline (deterministic, no network)"
    if not settings.model_base_url:
        return None, f"{settings.model}: provider reachability is not probed (it would spend tokens)"
    import httpx

    key = settings.model_api_key.get_secret_value() if settings.model_api_key else ""
    try:
        response = httpx.get(
            f"{settings.model_base_url.rstrip('/')}/models", headers={"Authorization": f"Bearer {key}"}, timeout=5
        )
    except httpx.HTTPError as exc:
        return False, f"{settings.model_base_url} unreachable: {type(exc).__name__}"
    ok = response.status_code == 200
    return ok, f"{settings.model} at {settings.model_base_url} ({response.status_code})"


def _queue(settings: Settings) -> Check:
    """Backlogs an operator should know about: queued and failed jobs, parked CRM events, unsealed audit."""
    from core import audit, jobs, outbox
    from core.db import session_factory

    engine = create_db_engine(settings.effective_database_url)
    try:
        with session_factory(engine)() as session:
            counts = jobs.counts_by_status(session)
            parked = outbox.count_parked(session)
            unsealed = audit.count_unsealed(session)
    except Exception as exc:  # a check reports, it does not raise
        return None, f"not readable: {type(exc).__name__}"
    finally:
        engine.dispose()
    detail = (
        f"jobs queued {counts.get('queued', 0)}, running {counts.get('running', 0)}, "
        f"failed {counts.get('failed', 0)}; CRM events parked {parked}; audit events not yet sealed {unsealed}"
    )
    return (False if parked or counts.get("failed") else True), detail


async def run_checks(settings: Settings) -> dict[str, Check]:
    database, qdrant, governed, crm, model = await asyncio.gather(
        asyncio.to_thread(_database, settings),
        asyncio.to_thread(_qdrant, settings),
        asyncio.to_thread(_governed, settings),
        asyncio.to_thread(_crm, settings),
        asyncio.to_thread(_model, settings),
    )
    checks = {"database": database, "qdrant": qdrant, "slack": await _slack(settings)}
    checks |= {"governed files": governed, "crm": crm, "model": model}
    if database[0]:
        checks["backlog"] = await asyncio.to_thread(_queue, settings)
    return checks
