"""`lto demo`: the whole product on loopback, driven as a rep would drive it, printed as a transcript."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from bot.emulator import SlackActor, Workspace, render_transcript, run_emulator
from bot.http import create_api
from bot.runtime import Runtime, build_runtime
from bot.serving import serve_asgi
from core.settings import load_settings
from integrations.crm.sweeps import deliver_due
from knowledge.ingest import ingest

REP = "U0REP1"
SAMPLE_KNOWLEDGE = Path(__file__).resolve().parent.parent / "examples" / "knowledge"
SAMPLE_ACCOUNTS = Path(__file__).resolve().parent.parent / "examples" / "crm" / "accounts.yaml"


@dataclass(frozen=True)
class Step:
    """One thing the rep does, and what the demo narrates about it."""

    say: str
    action: str  # command | reply | click
    text: str = ""


SCRIPT: tuple[Step, ...] = (
    Step("Riley opens a deal from the sales channel", "command", "new Northwind Health: inbound from their VP Data"),
    Step(
        "Riley shares the discovery call notes in the thread",
        "reply",
        "Call with Dana Lee (VP Data). Pain: nightly batch jobs from Oracle and Salesforce into Snowflake "
        "take 6 hours and break every week; analysts wait a day for fresh numbers. "
        "About 250 seats, budget around $180k, they want to sign by end of Q1. "
        "Patient data is involved so HIPAA is a must, and SOC 2. Users in Boston and Frankfurt.",
    ),
    Step(
        "Riley asks a product question the customer raised",
        "reply",
        "Do we sign a BAA on the Business edition? They'd rather not pay for Enterprise.",
    ),
    Step(
        "Riley adds what the second call established",
        "reply",
        "SaaS is fine. The CFO signs; decision by a committee of data, security and procurement after a 4-week POC. "
        "They're also looking at Fivetran. Need Okta SSO. Actually it's 300 seats, not 250.",
    ),
    Step("Riley checks the deal card", "command", "status Northwind"),
    Step(
        "Riley asks the assistant for the discount the customer wants",
        "reply",
        "They asked for 25% off Enterprise for all 300 seats with SSO and premium support on a 3-year term. "
        "Can we do that?",
    ),
    Step("Sam, a rep, tries to approve it from the approvals channel", "approve_as", "U0REP2"),
    Step("Val, the VP Sales, approves the discount", "approve_as", "U0VP"),
    Step(
        "Dana from the deal desk approves the contract size; the run resumes and the proposal follows",
        "approve_as",
        "U0DESK",
    ),
    Step(
        "Riley asks the knowledge base for the customer's ops team",
        "command",
        "ask what is the P1 response time with premium support?",
    ),
    Step("Riley marks the answer helpful", "click", "answer.helpful"),
)


async def _wait_for_work(runtime: Runtime) -> None:
    """The worker runs in the app's lifespan; wait until the queue is drained."""
    from core import jobs

    for _ in range(600):
        with runtime.session_factory() as session:
            counts = jobs.counts_by_status(session)
        if not counts.get("queued") and not counts.get("running"):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the demo's jobs did not finish within 30 seconds")


async def run_demo(*, home: str | None, out: Console) -> int:
    folder = Path(home) if home else Path(tempfile.mkdtemp(prefix="lto-demo-"))
    workspace = Workspace()
    async with run_emulator(workspace) as emulator_url:
        settings = load_settings(
            LTO_HOME=str(folder),
            SLACK_API_URL=f"{emulator_url}/api/",
            SLACK_BOT_TOKEN=workspace.bot_token,
            SLACK_SIGNING_SECRET=workspace.signing_secret,
            DATABASE_URL=None,
        )
        runtime = build_runtime(settings)
        try:
            await asyncio.to_thread(_seed_crm, runtime)
            summary = await asyncio.to_thread(ingest, [SAMPLE_KNOWLEDGE], runtime.knowledge())
            out.print(f"[dim]knowledge base: {summary.documents} sample documents, {summary.added} chunks[/dim]")
            async with serve_asgi(create_api(runtime)) as app_url:
                actor = SlackActor(workspace, f"{app_url}/slack/events", workspace.signing_secret)
                channel = workspace.channel_id("deals")
                out.print(Rule("lead-to-order demo · Slack emulator on loopback · offline model"))
                out.print(f"[dim]database: {settings.effective_database_url}[/dim]")
                for step in SCRIPT:
                    out.print(f"[bold cyan]▶ {step.say}[/bold cyan]")
                    if step.action == "command":
                        out.print(f"   [dim]/lto {step.text}[/dim]")
                        response = await actor.slash_command(REP, channel, "/lto", step.text)
                        if response.status_code != 200:
                            out.print(f"[red]the app answered {response.status_code}[/red]")
                            return 1
                    elif step.action == "reply":
                        thread = _deal_thread(runtime)
                        await actor.post_message(REP, channel, step.text, thread_ts=thread)
                    elif step.action == "approve_as":
                        approvals = workspace.channel_id("deal-approvals")
                        card = workspace.history(approvals)[-1]
                        await actor.click(step.text, approvals, card["ts"], "approval.approve")
                    elif step.action == "click_card":
                        card = workspace.history(channel)[0]
                        await actor.click(REP, channel, card["ts"], step.text)
                    elif step.action == "click":
                        latest = workspace.history(channel)[-1]
                        await actor.click(REP, channel, latest["ts"], step.text)
                    await _wait_for_work(runtime)
                # The delivery sweep runs every few seconds in a server; the demo runs it once, now.
                await asyncio.to_thread(
                    deliver_due, session_factory=runtime.session_factory, crm=runtime.crm, clock=runtime.clock
                )
                out.print(Rule("#deals as the team sees it"))
                for file in workspace.files.values():
                    if file.content and home:
                        (folder / file.name).write_bytes(file.content)
                out.print(render_transcript(workspace, channel), markup=False, highlight=False, soft_wrap=True)
                approvals = workspace.channel_id("deal-approvals")
                out.print(Rule("#deal-approvals"))
                out.print(render_transcript(workspace, approvals), markup=False, highlight=False, soft_wrap=True)
                refused = render_transcript(workspace, approvals, viewer="U0REP2", ephemeral_only=True)
                if refused.strip():
                    out.print(Rule("only visible to Sam"))
                    out.print(refused, markup=False, highlight=False, soft_wrap=True)
                ephemeral = render_transcript(workspace, channel, viewer=REP, ephemeral_only=True)
                if ephemeral.strip():
                    out.print(Rule("only visible to Riley"))
                    out.print(ephemeral, markup=False, highlight=False, soft_wrap=True)
            _print_crm(runtime, out)
        finally:
            runtime.close()
    return 0


def _seed_crm(runtime: Runtime) -> None:
    from integrations.crm.local import seed_accounts

    with runtime.session_factory() as session, session.begin():
        seed_accounts(session, SAMPLE_ACCOUNTS, clock=runtime.clock)


def _print_crm(runtime: Runtime, out: Console) -> None:
    """What the local CRM holds after the outbox delivered the deal's changes."""
    from deals import service as deals

    with runtime.session_factory() as session:
        try:
            key = deals.deal_key(deals.get_deal(session, 1))
        except deals.DealNotFound:
            key = "lto-deal-1"
    crm_deal = runtime.crm.get_deal(key)
    if crm_deal is None:
        return
    out.print(Rule("the local CRM after write-back"))
    props = crm_deal.properties
    out.print(
        f"{crm_deal.name}: stage {crm_deal.stage}, {props.get('seats')} seats, close {props.get('target_close')}, "
        f"quote total {crm_deal.amount} {crm_deal.currency}",
        markup=False,
        highlight=False,
    )
    for note in runtime.crm.notes(key)[-3:]:
        out.print(f"  note: {note}", markup=False, highlight=False)


def _deal_thread(runtime: Runtime) -> str:
    from deals import service as deals

    with runtime.session_factory() as session:
        thread = deals.latest_deal_thread(session)
    if thread is None:
        raise RuntimeError("no deal thread was opened")
    return thread
