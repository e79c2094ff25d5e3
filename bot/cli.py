"""The `lto` command line: serve, socket, worker, demo, db, doctor."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.evaluation import Case, CaseFileError, Report, ReportFormat, load_cases, render
from core.governed import GovernedFileError
from core.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from knowledge.embeddings import DenseEmbedder
    from knowledge.evaluation import Question, RetrievalReport
    from knowledge.models import Passage
    from knowledge.store import KnowledgeStore

Governed = TypeVar("Governed")

app = typer.Typer(help="The lead-to-order agent for Slack.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
outbox_app = typer.Typer(help="CRM write-back events: inspect and replay.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
kb_app = typer.Typer(help="Inspect the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
audit_app = typer.Typer(help="The tamper-evident audit trail: seal, verify, export.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
privacy_app = typer.Typer(help="Personal data: erase a person's identifiers.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
eval_app = typer.Typer(help="Measure the agents against scenario files.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
report_app = typer.Typer(help="Reports on the team's deals.", no_args_is_help=True)
app.add_typer(report_app, name="report")
console = Console()
errors = Console(stderr=True)


def clear_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A wrong setting is one red line naming the variable, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SettingsError as exc:
            errors.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def _settings() -> Settings:
    return load_settings()


@app.command()
@clear_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(3000, help="Port to listen on."),
    worker: bool = typer.Option(
        True, help="Also run jobs and sweeps here; --no-worker only acks (then run `lto worker` beside it)."
    ),
) -> None:
    """HTTP mode: Slack sends commands, events and interactivity to POST /slack/events."""
    import uvicorn

    from agents.tracing import configure_tracing
    from bot.http import create_api
    from bot.runtime import build_runtime
    from bot.serving import uvicorn_options
    from core.logging import configure_logging

    settings = _settings()
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    configure_logging(settings.log_level)
    configure_tracing(settings)
    runtime = build_runtime(settings)
    api = create_api(runtime, run_worker=worker, run_scheduler=worker)
    uvicorn.run(api, host=host, port=port, log_config=None, **uvicorn_options())


@app.command()
@clear_errors
def socket() -> None:
    """Socket Mode: connect out to Slack with SLACK_APP_TOKEN (no public URL needed)."""
    from agents.tracing import configure_tracing
    from bot.socket import run_socket_mode
    from core.logging import configure_logging

    settings = _settings()
    settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
    configure_logging(settings.log_level)
    configure_tracing(settings)
    asyncio.run(run_socket_mode(settings))


@app.command()
@clear_errors
def worker() -> None:
    """Run jobs and sweeps only (scale workers apart from the HTTP replicas)."""
    from agents.tracing import configure_tracing
    from bot.socket import run_worker_only
    from core.logging import configure_logging

    settings = _settings()
    settings.require("SLACK_BOT_TOKEN")
    configure_logging(settings.log_level)
    configure_tracing(settings)
    asyncio.run(run_worker_only(settings))


@app.command()
@clear_errors
def demo(
    home: str = typer.Option(None, help="Folder for the demo's database (default: a fresh temporary one)."),
) -> None:
    """Play a scripted sales scenario against the Slack emulator and print the channel transcript."""
    from bot.demo import run_demo

    sys.exit(asyncio.run(run_demo(home=home, out=console)))


@app.command()
@clear_errors
def emulator(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8900),
    request_url: str = typer.Option("http://127.0.0.1:3000/slack/events", help="Where to send Slack's requests."),
) -> None:
    """Run the Slack Web API emulator on its own (point SLACK_API_URL at http://HOST:PORT/api/)."""
    from bot.emulator import Workspace, serve_emulator

    workspace = Workspace()
    console.print(f"SLACK_API_URL=http://{host}:{port}/api/")
    console.print(f"SLACK_BOT_TOKEN={workspace.bot_token}")
    console.print(f"SLACK_SIGNING_SECRET={workspace.signing_secret}")
    serve_emulator(workspace, host=host, port=port)


@db_app.command("upgrade")
@clear_errors
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from core.db import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"database at [bold]{revision}[/bold]: {settings.effective_database_url}")


def _knowledge_store(settings: Settings, *, rebuild: bool = False, rebuild_on_mismatch: bool = False):  # type: ignore[no-untyped-def]
    """The runtime and its knowledge store; a store built with another embedding model is refused,
    or rebuilt when asked to."""
    from bot.runtime import build_runtime
    from knowledge.embeddings import EmbeddingsUnavailable, make_embedder
    from knowledge.engine import EngineBusy
    from knowledge.store import EmbeddingMismatch, KnowledgeStore

    runtime = build_runtime(settings, migrate=False)

    def rebuild_store() -> None:
        KnowledgeStore(runtime.knowledge_engine(), embedder=make_embedder(settings.embeddings)).recreate()

    try:
        if rebuild:
            rebuild_store()
        try:
            return runtime, runtime.knowledge()
        except EmbeddingMismatch as exc:
            if not rebuild_on_mismatch:
                raise
            console.print(f"[yellow]{exc}[/yellow]\nRebuilding the knowledge base with {settings.embeddings}.")
            rebuild_store()
            return runtime, runtime.knowledge()
    except (EmbeddingMismatch, EmbeddingsUnavailable, EngineBusy) as exc:
        runtime.close()
        raise SettingsError(str(exc)) from None


@app.command()
@clear_errors
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (recursive) inside the knowledge root."),
    root: Path = typer.Option(
        None, help="Knowledge root: document ids are paths relative to it (default: LTO_KNOWLEDGE_ROOT, else here)."
    ),
    rebuild: bool = typer.Option(
        False, "--rebuild", "--reembed", help="Drop the collection and build it again (e.g. with new LTO_EMBEDDINGS)."
    ),
) -> None:
    """Load documents into the knowledge base; re-running touches only what changed under PATHS."""
    from rich.progress import Progress

    from knowledge.engine import local_mode_collection, local_mode_notice
    from knowledge.ingest import PathRefused, check_paths
    from knowledge.ingest import ingest as run_ingest
    from knowledge.store import OutdatedDocumentIds

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        errors.print(f"[red]error:[/red] no such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    settings = _settings()
    knowledge_root = root or settings.knowledge_root or Path.cwd()
    try:
        check_paths(paths, root=knowledge_root)  # before a rebuild drops anything
        # Ingesting is the explicit write: a changed embedding model means rebuilding with it.
        runtime, store = _knowledge_store(settings, rebuild=rebuild, rebuild_on_mismatch=True)
        qdrant_path = settings.effective_qdrant_path
        if not settings.qdrant_url and local_mode_collection(qdrant_path, store.collection) and not store.count():
            console.print(f"[yellow]{escape(local_mode_notice(qdrant_path, store.collection, paths))}[/yellow]")
        try:
            with Progress(console=console, transient=True) as progress:
                summary = run_ingest(paths, store, root=knowledge_root, progress=progress)
        finally:
            runtime.close()
    except (PathRefused, OutdatedDocumentIds) as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(summary.render(), markup=False, highlight=False)


@app.command("crm-seed")
@clear_errors
def crm_seed(path: Path = typer.Argument(Path("examples/crm/accounts.yaml"), help="YAML list of accounts.")) -> None:
    """Load accounts into the local CRM (existing ones are kept)."""
    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory, upgrade
    from integrations.crm.local import seed_accounts

    settings = _settings()
    upgrade(settings.effective_database_url)
    engine = create_db_engine(settings.effective_database_url)
    with session_factory(engine)() as session, session.begin():
        added = seed_accounts(session, path, clock=SystemClock())
    engine.dispose()
    console.print(f"{added} accounts added to the local CRM")


@outbox_app.command("list")
@clear_errors
def outbox_list(
    status: str = typer.Option(None, help="pending, delivered or parked (default: all)."),
    limit: int = typer.Option(50),
) -> None:
    """Recent outbox events, newest first, with their delivery state and last error."""
    from core import outbox
    from core.db import create_db_engine, session_factory

    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    with session_factory(engine)() as session:
        events = outbox.listing(session, status=status, limit=limit)
    engine.dispose()
    table = Table("id", "topic", "deal", "status", "attempts", "last error", title="Outbox")
    for event in events:
        table.add_row(
            str(event.id), event.topic, event.aggregate, event.status, str(event.attempts), event.last_error or ""
        )
    console.print(table)


@outbox_app.command("replay")
@clear_errors
def outbox_replay(event_ids: list[int] = typer.Argument(..., help="Ids from `lto outbox list`.")) -> None:
    """Send parked events again from the start (the next delivery sweep picks them up)."""
    from core import audit, outbox
    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory

    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    clock = SystemClock()
    with session_factory(engine)() as session, session.begin():
        for event_id in event_ids:
            replayed = outbox.replay(session, event_id, clock=clock)
            audit.record(
                session,
                clock=clock,
                actor_type="user",
                actor_id="cli",
                action="outbox.replay",
                subject=f"outbox:{event_id}",
                outcome="queued" if replayed else "not_found_or_delivered",
            )
            console.print(
                f"event {event_id}: {'queued for delivery' if replayed else 'not found, or already delivered'}"
            )
    engine.dispose()


PROBLEMS_SHOWN = 50  # a rewritten chain breaks at every later event: the first ones say where


@audit_app.command("verify")
@clear_errors
def audit_verify(
    seal_first: bool = typer.Option(True, "--seal/--no-seal", help="Seal committed events first (as the sweep does)."),
) -> None:
    """Recompute the keyed chain and check it against the checkpoints; exit 1 naming each event that was edited,
    deleted or forged, or where the chain disagrees with a checkpoint."""
    from core import audit
    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory

    settings = _settings()
    keys = audit.Keyring.from_settings(settings)
    engine = create_db_engine(settings.effective_database_url)
    factory = session_factory(engine)
    if seal_first:
        with factory() as session, session.begin():
            audit.seal(session, clock=SystemClock(), keys=keys)
    with factory() as session:
        result = audit.verify(session, keys=keys, anchor_path=settings.effective_audit_anchor_path)
    engine.dispose()
    for problem in result.problems[:PROBLEMS_SHOWN]:
        kind, _, what = problem.partition(": ")
        console.print(f"[red]{escape(kind)}:[/red] {escape(what)}", soft_wrap=True)
    if len(result.problems) > PROBLEMS_SHOWN:
        console.print(f"[red]… and {len(result.problems) - PROBLEMS_SHOWN} more problems[/red]")
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}", soft_wrap=True)
    state = "intact" if result.intact else f"BROKEN in {len(result.problems)} place(s)"
    console.print(
        f"audit trail {state}: {result.checked} sealed events checked, {result.unsealed} not yet sealed, "
        f"{result.erased} erased and re-sealed, {result.checkpoints} checkpoints agree",
        soft_wrap=True,
    )
    if not result.intact:
        raise typer.Exit(1)


@audit_app.command("anchor")
@clear_errors
def audit_anchor() -> None:
    """Seal, then append a signed checkpoint of the chain's head to LTO_AUDIT_ANCHOR_PATH (the sweep does it hourly)."""
    from core import audit
    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory

    settings = _settings()
    keys = audit.Keyring.from_settings(settings)
    engine = create_db_engine(settings.effective_database_url)
    path = settings.effective_audit_anchor_path
    try:
        with session_factory(engine)() as session, session.begin():
            audit.seal(session, clock=SystemClock(), keys=keys)
            point = audit.anchor(session, clock=SystemClock(), keys=keys, path=path)
    except audit.ChainBroken as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}: run `lto audit verify`", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if point is None:
        console.print(f"nothing new to anchor: {path} already holds the chain's head", soft_wrap=True)
    else:
        console.print(f"anchored position {point['seq']} with key {point['key_id']} in {path}", soft_wrap=True)


@audit_app.command("rotate-key")
@clear_errors
def audit_rotate_key(
    key_id: str = typer.Option(None, "--id", help="Id of the new key (default: k<n> after the ones configured)."),
) -> None:
    """Make a new audit key and say how to switch to it; the old keys stay listed so their events still verify."""
    import re
    import secrets

    settings = _settings()
    current = settings.audit_signing_keys
    key_id = key_id or next(f"k{n}" for n in range(1, len(current) + 100) if f"k{n}" not in current)
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", key_id) or key_id in current:
        errors.print(f"[red]error:[/red] {escape(key_id)} is taken or not an id (letters, digits, -_.)")
        raise typer.Exit(2)
    pair = f"{key_id}:{secrets.token_urlsafe(36)}"
    # Unset, the chain so far was sealed with the public development key: keep it listed to verify those events.
    kept = (
        [f"{old}:…" for old in current] if settings.audit_keys is not None else [f"{k}:{v}" for k, v in current.items()]
    )
    listed = ",".join([*kept, pair])
    console.print(
        "1. Append this pair to LTO_AUDIT_KEYS on every replica, keeping the keys already there "
        f"(…: their secrets, unchanged), and restart them:\n   LTO_AUDIT_KEYS={listed}\n"
        f"2. Then set LTO_AUDIT_KEY_ID={key_id} on every replica and restart them: new events and checkpoints "
        "are sealed with it.\nNever remove a key while events it sealed must verify.",
        soft_wrap=True,
        markup=False,
    )


@audit_app.command("export")
@clear_errors
def audit_export(
    deal: int = typer.Option(None, "--deal", help="Deal number (default: every event)."),
    since: str = typer.Option(None, "--since", help="ISO date or time, e.g. 2026-11-01."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
) -> None:
    """Everything the trail holds about a deal, oldest first, for an auditor."""
    from datetime import UTC, datetime

    from core import audit
    from core.db import create_db_engine, session_factory

    if fmt not in ("jsonl", "csv"):
        errors.print("[red]error:[/red] --format is jsonl or csv")
        raise typer.Exit(2)
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        errors.print(f"[red]error:[/red] --since takes a date such as 2026-11-01, not {since!r}")
        raise typer.Exit(2) from None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    sink = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with session_factory(engine)() as session:
            for chunk in audit.export(session, deal_id=deal, since=start, fmt=fmt):
                sink.write(chunk)
    finally:
        if output:
            sink.close()
        engine.dispose()


@privacy_app.command("erase")
@clear_errors
def privacy_erase(
    email: str = typer.Option(None, "--email", help="The person's email address."),
    phone: str = typer.Option(None, "--phone", help="The person's phone number, as it was written."),
    operator: str = typer.Option("cli", "--operator", help="Who asked for the erasure (recorded in the audit trail)."),
) -> None:
    """Remove a person's email or phone number from every stored text and queue a job that edits the bot's
    Slack messages carrying it; the audit trail records that it was done."""
    from core import audit, privacy
    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory

    identifiers = [value for value in (email, phone) if value]
    if not identifiers:
        errors.print("[red]error:[/red] give --email or --phone")
        raise typer.Exit(2)
    settings = _settings()
    keys = audit.Keyring.from_settings(settings)
    engine = create_db_engine(settings.effective_database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            for identifier in identifiers:
                try:
                    result = privacy.erase(
                        session, identifier=identifier, actor_id=operator, clock=SystemClock(), keys=keys
                    )
                except ValueError as exc:
                    errors.print(f"[red]error:[/red] {exc}")
                    raise typer.Exit(2) from None
                where = ", ".join(f"{name} ×{count}" for name, count in sorted(result.rows.items())) or "nowhere"
                console.print(f"erased from {result.total} stored values ({where})", soft_wrap=True)
                console.print(
                    f"Slack: job {result.slack_job} edits the bot's messages that carry it once a worker runs it "
                    "(`lto serve` or `lto worker`); `lto privacy report` then lists what it could not reach.",
                    soft_wrap=True,
                )
    finally:
        engine.dispose()


@privacy_app.command("report")
@clear_errors
def privacy_report(limit: int = typer.Option(10, "--limit", help="How many of the latest erasures.")) -> None:
    """The latest erasures: where each erased, and what its Slack job edited or could not reach."""
    from core import privacy
    from core.db import create_db_engine, session_factory

    settings = _settings()
    engine = create_db_engine(settings.effective_database_url)
    try:
        with session_factory(engine)() as session:
            reports = privacy.erasure_reports(session, limit=limit)
    finally:
        engine.dispose()
    if not reports:
        console.print("no erasures yet")
    for report in reports:
        where = ", ".join(f"{name} ×{count}" for name, count in sorted(report.rows.items())) or "nothing stored"
        console.print(f"erasure {report.event_id} ({report.at:%Y-%m-%d %H:%M}, by {report.actor_id}): {where}")
        if report.slack is None:
            console.print("  Slack: not done yet (its job waits for a worker)")
            continue
        edited, unreachable = report.slack.get("edited") or [], report.slack.get("unreachable") or []
        console.print(f"  Slack: {report.slack.get('checked', 0)} messages read, {len(edited)} edited")
        for item in unreachable:
            line = f"  not reached: {item.get('channel')} {item.get('ts')}: {item.get('why')}"
            console.print(line, soft_wrap=True, markup=False)


@kb_app.command("stats")
@clear_errors
def kb_stats() -> None:
    """Documents and chunks in the knowledge base, by type and by audience."""
    runtime, store = _knowledge_store(_settings())
    try:
        stats = store.stats()
    finally:
        runtime.close()
    console.print(f"collection {stats['collection']}: {stats['documents']} documents, {stats['chunks']} chunks")
    for kind, count in sorted(stats["by_doc_type"].items()):
        console.print(f"  {kind:<16}{count:>6} chunks")
    console.print("by audience:")
    for audience, count in sorted(stats["by_audience"].items()):
        console.print(f"  {audience:<20}{count:>6} chunks")


@kb_app.command("gaps")
@clear_errors
def kb_gaps(
    days: int = typer.Option(90, min=1, help="Questions asked in the last DAYS days."),
    limit: int = typer.Option(50, min=1),
) -> None:
    """Questions the knowledge base could not answer (or answered unhelpfully): what to write next."""
    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory
    from knowledge.answers import knowledge_gaps

    settings = _settings()
    since = SystemClock().now() - timedelta(days=days)
    engine = create_db_engine(settings.effective_database_url)
    with session_factory(engine)() as session:
        gaps = knowledge_gaps(session, since=since)[:limit]
    engine.dispose()
    if not gaps:
        console.print(f"No knowledge gaps in the last {days} days.")
        return
    table = Table("asked", "people", "no answer", "unhelpful", "last asked", "question", title="Knowledge gaps")
    for gap in gaps:
        table.add_row(
            str(gap.asked),
            str(gap.askers),
            str(gap.unanswered),
            str(gap.unhelpful),
            gap.last_asked.strftime("%Y-%m-%d"),
            escape(gap.question),
        )
    console.print(table)


@kb_app.command("search")
@clear_errors
def kb_search(
    query: str = typer.Argument(...),
    product: str = typer.Option(None, help="Only this product."),
    doc_type: str = typer.Option(None, "--type", help="Only this document type."),
    limit: int = typer.Option(5),
) -> None:
    """Search the knowledge base as the agents do, with sources."""
    from knowledge.search import search

    runtime, store = _knowledge_store(_settings())
    try:
        passages = search(
            store, query, product=product, doc_type=doc_type, limit=limit, today=runtime.clock.now().date()
        )
    finally:
        runtime.close()
    if not passages:
        console.print("Nothing relevant in the knowledge base.")
    for rank, passage in enumerate(passages, start=1):
        stale = " (may be out of date)" if passage.stale else ""
        where = f"{passage.source} · {passage.audience.value}{stale}"
        console.print(f"[bold]{rank}. {passage.title}[/bold] › {passage.section}  [dim]{where}[/dim]")
        console.print(f"   {' '.join(passage.text.split())[:300]}", markup=False, highlight=False)


# Evaluations: cases loaded by the harness, scored in their domain, printed by the harness ----------

FORMAT_HELP = "text: a table for people; json: the same report for machines."
HYBRID_NOT_MEASURED = "hybrid: not measured, LTO_EMBEDDINGS=none (set it to local-minilm or a provider model)"


def _cases(path: Path, model: type[Case]) -> list[Case]:
    """The cases of an eval file, or one red line naming the file, the line and the field (exit 2)."""
    try:
        return load_cases(path, model)
    except CaseFileError as exc:
        errors.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None


def _governed(load: Callable[[Path], Governed], path: Path) -> Governed:
    """A governed file for an eval; a broken one is a one-line error (exit 2)."""
    try:
        return load(path)
    except GovernedFileError as exc:
        raise SettingsError(str(exc)) from None


def _show(report: Report, output: ReportFormat, *, failures: bool = True, fail_on_failures: bool = False) -> None:
    """Print the report; with `fail_on_failures`, exit 1 when any case failed."""
    typer.echo(render(report, output, failures=failures))
    if fail_on_failures and report.failures:
        raise typer.Exit(1)


@eval_app.command("discovery")
@clear_errors
def eval_discovery(
    scenarios: Path = typer.Option(Path("evals/discovery.jsonl"), help="JSONL: id, today, messages, expected."),
    show_misses: bool = typer.Option(True, help="List every field that differs."),
    output: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", help=FORMAT_HELP),
) -> None:
    """Replay discovery scenarios through the agent (LTO_MODEL) and report per-field precision/recall."""
    from agents.discovery_eval import evaluate
    from agents.models import model_from_settings
    from agents.offline.discovery_model import offline_discovery
    from agents.offline.evaluation import Scenario

    settings = _settings()
    cases = _cases(scenarios, Scenario)
    model = model_from_settings(settings, offline=offline_discovery)
    report = asyncio.run(evaluate(cases, model=model, model_name=settings.model))
    heading = f"{len(cases)} scenarios from {scenarios}, model {settings.model}"
    _show(report.summary(heading), output, failures=show_misses)


@eval_app.command("next-steps")
@clear_errors
def eval_next_steps(
    cases: Path = typer.Option(
        Path("evals/next_step_proposals.jsonl"), help="JSONL: id, split, today, text, expected steps."
    ),
    split: str = typer.Option("dev", help="dev, holdout or all: which cases to score (the holdout comes last)."),
    output: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", help=FORMAT_HELP),
) -> None:
    """Send each message through the discovery agent (LTO_MODEL); check the next steps it proposes."""
    from agents.models import model_from_settings
    from agents.next_step_eval import ProposalCase, evaluate
    from agents.offline.discovery_model import offline_discovery

    if split not in ("dev", "holdout", "all"):
        raise typer.BadParameter("choose dev, holdout or all", param_hint="--split")
    settings = _settings()
    chosen = [case for case in _cases(cases, ProposalCase) if split == "all" or case.split == split]
    model = model_from_settings(settings, offline=offline_discovery)
    heading = f"{len(chosen)} messages ({split}) from {cases}, model {settings.model}"
    report = asyncio.run(evaluate(chosen, model=model, model_name=settings.model, heading=heading))
    _show(report, output)


@eval_app.command("pricing")
@clear_errors
def eval_pricing(
    cases: Path = typer.Option(Path("evals/pricing.jsonl"), help="JSONL: lines, term, discount, expected total."),
    catalog: Path = typer.Option(None, help="Catalog YAML (default: the governed example catalog)."),
    output: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", help=FORMAT_HELP),
) -> None:
    """Check CPQ quote totals against hand-computed expectations."""
    from integrations.cpq.catalog import DEFAULT_CATALOG, load_catalog
    from integrations.cpq.evaluation import PricingCase, run_cases

    governed = _governed(load_catalog, catalog or DEFAULT_CATALOG)
    tally = run_cases(_cases(cases, PricingCase), governed)
    report = tally.report(
        heading=f"{tally.total} pricing cases from {cases}", title="pricing", label=f"catalog {governed.version}"
    )
    _show(report, output, fail_on_failures=True)


@eval_app.command("inspection")
@clear_errors
def eval_inspection(
    cases: Path = typer.Option(Path("evals/inspection.jsonl"), help="JSONL: today, record, quote, expected codes."),
    catalog: Path = typer.Option(None, help="Catalog YAML (default: the governed example catalog)."),
    output: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", help=FORMAT_HELP),
) -> None:
    """Check the findings deal inspection raises against expected ones; list the cases that differ."""
    from deals.inspection import catalog_facts
    from deals.inspection_eval import InspectionCase, run_cases
    from integrations.cpq.catalog import DEFAULT_CATALOG, load_catalog

    governed = _governed(load_catalog, catalog or DEFAULT_CATALOG)
    tally = run_cases(_cases(cases, InspectionCase), catalog_facts(governed))
    report = tally.report(
        heading=f"{tally.total} inspection cases from {cases}", title="inspection", label=f"catalog {governed.version}"
    )
    _show(report, output, fail_on_failures=True)


@eval_app.command("approvals")
@clear_errors
def eval_approvals(
    cases: Path = typer.Option(Path("evals/approvals.jsonl"), help="JSONL: facts and expected_levels."),
    policy: Path = typer.Option(None, help="Policy YAML (default: the governed example policy)."),
    output: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", help=FORMAT_HELP),
) -> None:
    """Check which approval levels requests need under the policy; list the cases that differ."""
    from approvals.evaluation import ApprovalCase, run_cases
    from approvals.policy import DEFAULT_POLICY, load_policy

    governed = _governed(load_policy, policy or DEFAULT_POLICY)
    tally = run_cases(_cases(cases, ApprovalCase), governed)
    report = tally.report(
        heading=f"{tally.total} approval cases from {cases}", title="approvals", label=f"policy {governed.version}"
    )
    _show(report, output, fail_on_failures=True)


@eval_app.command("retrieval")
@clear_errors
def eval_retrieval(
    questions: Path = typer.Option(
        Path("evals/retrieval.jsonl"), help="JSONL: id, question, expected_sources [, answerable, split]."
    ),
    kb: Path = typer.Option(None, help="Ingest this folder into a scratch collection first."),
    split: str = typer.Option("all", help="dev, holdout or all: which of a split question set to run."),
    show_misses: bool = typer.Option(True),
    output: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", help=FORMAT_HELP),
) -> None:
    """Recall@1, recall@5 and MRR on answerable questions; abstention on questions the corpus cannot answer."""
    from knowledge.evaluation import Question, summary

    if split not in ("dev", "holdout", "all"):
        raise typer.BadParameter("--split takes dev, holdout or all")
    settings = _settings()
    cases = [case for case in _cases(questions, Question) if split == "all" or case.split == split]
    reports = _retrieval_reports(settings, cases, kb)
    notes = [HYBRID_NOT_MEASURED] if kb is not None and len(reports) == 1 else []
    report = summary(reports, heading=f"{len(cases)} questions from {questions}", notes=notes)
    _show(report, output, failures=show_misses)


def _retrieval_reports(settings: Settings, cases: list[Question], kb: Path | None) -> list[RetrievalReport]:
    """The configured knowledge base's figures, or with `kb`: lexical, and hybrid when embeddings are set."""
    from datetime import date

    from knowledge.embeddings import EmbeddingsUnavailable, make_embedder
    from knowledge.evaluation import evaluate

    if kb is None:
        runtime, store = _knowledge_store(settings)
        try:
            return [evaluate(store, cases, mode=store.model_name, today=date.today(), answer=_answerer(store))]
        finally:
            runtime.close()
    try:
        embedder = make_embedder(settings.embeddings)
    except EmbeddingsUnavailable as exc:
        raise SettingsError(str(exc)) from None
    reports = [_scratch_retrieval(kb, cases, mode="lexical", embedder=None)]
    if embedder is not None:
        reports.append(_scratch_retrieval(kb, cases, mode=f"hybrid ({settings.embeddings})", embedder=embedder))
    return reports


def _answerer(store: KnowledgeStore) -> Callable[[str], str]:
    """Answers as `/lto ask` gives them (the offline model), for the answer-fact figures."""
    from datetime import date

    from agents.qa import offline_answerer
    from knowledge.search import BESIDE_FOR_ANSWERS, FURTHER_FOR_ANSWERS, search

    def search_store(query: str, product: str | None = None, doc_type: str | None = None) -> list[Passage]:
        options = {"further": FURTHER_FOR_ANSWERS, "beside": BESIDE_FOR_ANSWERS}
        return search(store, query, product=product, doc_type=doc_type, today=date.today(), **options)

    return offline_answerer(search_store)


def _scratch_retrieval(
    kb: Path, cases: list[Question], *, mode: str, embedder: DenseEmbedder | None
) -> RetrievalReport:
    """Ingest `kb` into a scratch collection of its own and measure retrieval there."""
    import tempfile
    from datetime import date

    from knowledge.edge_engine import EdgeEngine
    from knowledge.evaluation import evaluate
    from knowledge.ingest import ingest as run_ingest
    from knowledge.store import KnowledgeStore

    with tempfile.TemporaryDirectory(prefix="lto-eval-") as scratch:
        store = KnowledgeStore(EdgeEngine(Path(scratch)), collection="eval_scratch", embedder=embedder)
        try:
            run_ingest([kb], store)
            return evaluate(store, cases, mode=mode, today=date.today(), answer=_answerer(store))
        finally:
            store.close()


# Reports -----------------------------------------------------------------------------------------

OUTCOME_FORMATS = ("table", "csv", "json")


@report_app.command("outcomes")
@clear_errors
def report_outcomes(
    since: str = typer.Option(
        None, "--since", help="Only deals that started (lead received, or opened) on or after this date, YYYY-MM-DD."
    ),
    fmt: str = typer.Option("table", "--format", help="table (for people), csv or json."),
    chart: Path = typer.Option(None, "--chart", help="Also draw the headline figures as a PNG chart in this file."),
) -> None:
    """Lead-to-qualification and first-proposal times, approval cycle per level, how often people stepped in,
    win rate by segment, and the time saved (with the governed assumptions it rests on)."""
    from datetime import date

    from core.clock import SystemClock
    from core.db import create_db_engine, session_factory
    from deals.outcome_chart import render_png
    from deals.outcome_report import OutcomeFormat, render
    from deals.outcomes import DEFAULT_TIME_SAVED, compute_outcomes, load_time_saved
    from integrations.leads.routing import DEFAULT_ROUTING, load_routing

    if fmt not in OUTCOME_FORMATS:
        errors.print(f"[red]error:[/red] --format is one of {', '.join(OUTCOME_FORMATS)}, not {escape(fmt)!r}")
        raise typer.Exit(2)
    now = SystemClock().now()
    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        errors.print(f"[red]error:[/red] --since takes a date as YYYY-MM-DD, such as 2026-11-01, not {escape(since)!r}")
        raise typer.Exit(2) from None
    if start is not None and start > now.date():
        errors.print(f"[red]error:[/red] --since {start.isoformat()} is after today: no deal has started yet")
        raise typer.Exit(2)
    settings = _settings()
    rules = _governed(load_routing, settings.routing_path or DEFAULT_ROUTING)
    assumptions = _governed(load_time_saved, settings.time_saved_path or DEFAULT_TIME_SAVED)
    engine = create_db_engine(settings.effective_database_url)
    try:
        with session_factory(engine)() as session:
            report = compute_outcomes(
                session, since=start, now=now, segment_of=rules.segment_of, assumptions=assumptions
            )
    finally:
        engine.dispose()
    text = render(report, OutcomeFormat(fmt))
    typer.echo(text, nl=not text.endswith("\n"))
    if chart is not None:
        try:
            chart.write_bytes(render_png(report))
        except OSError as exc:
            errors.print(f"[red]error:[/red] cannot write {escape(str(chart))}: {escape(exc.strerror or str(exc))}")
            raise typer.Exit(2) from None
        errors.print(f"chart written to {escape(str(chart))}")


@app.command()
@clear_errors
def doctor() -> None:
    """Print the effective configuration (secrets masked) and check every dependency."""
    from bot.doctor import run_checks

    settings = _settings()
    table = Table("variable", "value", "what it is", title="Configuration", show_lines=False)
    for name, value, description in settings.described():
        table.add_row(name, value, description)
    console.print(table)
    checks = asyncio.run(run_checks(settings))
    status = Table("dependency", "state", title="Checks")
    failed = False
    for name, (ok, detail) in checks.items():
        failed |= ok is False
        mark = "[green]ok[/green]" if ok else ("[yellow]skipped[/yellow]" if ok is None else "[red]failed[/red]")
        status.add_row(name, f"{mark} {detail}")
    console.print(status)
    raise typer.Exit(1 if failed else 0)


def main() -> None:
    from migrations import import_all_tables

    import_all_tables()  # every command may touch any table (privacy erase, audit export, doctor)
    app()
