"""`lto demo`: the whole product on loopback, driven as a rep would drive it, printed as a transcript."""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.rule import Rule

from bot.emulator import SlackActor, Workspace, render_transcript, run_emulator
from bot.http import create_api
from bot.ids import ActionId
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


# The website's contact form posts this, signed, to /hooks/leads: the deal opens on its own.
DEMO_LEAD = {
    "event_id": "web-form-20261130-0001",
    "company": "Northwind Health",
    "domain": "northwindhealth.example",
    "country": "US",
    "employees": 8200,
    "contact": {"name": "Dana Lee", "email": "dana.lee@northwindhealth.example", "title": "VP Data"},
    "message": "We move Epic and Oracle data into Snowflake every night and it keeps breaking. "
    "Patient data, so HIPAA matters. Can we talk about real-time pipelines?",
}
# Who gets the demo's leads: Riley owns the Americas (a routing file like examples/governance/routing.yaml).
# What the customer's procurement sent back: the order form's fields as the card's modal takes them.
DEMO_ORDER_FORM: dict[str, str | list[str]] = {
    "legal_entity": "Northwind Health, Inc.",
    "billing_address": "500 Boylston Street\nBoston, MA 02116",
    "billing_contact_name": "Accounts Payable",
    "billing_contact_email": "ap@northwindhealth.example",
    "po_required": ["required"],
    "po_number": "NWH-PO-2026-4471",
    "signer_name": "Dana Lee",
    "signer_email": "dana.lee@northwindhealth.example",
    "signer_title": "VP Data",
}
DEMO_ROUTING = f"""version: "demo"
territories:
  americas: [US, CA]
segments:
  - {{name: enterprise, min_employees: 5000}}
  - {{name: smb, min_employees: 1}}
rules:
  - {{name: americas-enterprise, territory: americas, segment: enterprise, owner: {REP}}}
fallback: {{name: inside-sales, round_robin: [{REP}]}}
"""

SCRIPT: tuple[Step, ...] = (
    Step("A lead arrives from the website's contact form (signed webhook)", "lead"),
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
    Step(
        "Riley accepts the inspection's advice on the missing champion as a next step (one click)",
        "accept_finding",
        "No champion is named",
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
    Step("Riley fills in the order form from the customer's procurement email", "order_form"),
    Step("Riley sends the order form for signature (the link goes only to Riley)", "click_card", "contract.send"),
    Step("Dana Lee signs the order form on the signing page", "sign"),
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
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "routing.yaml").write_text(DEMO_ROUTING, encoding="utf-8")
        leads_secret = secrets.token_hex(16)
        settings = load_settings(
            LTO_HOME=str(folder),
            LTO_LEADS_SECRET=leads_secret,
            LTO_ROUTING_PATH=str(folder / "routing.yaml"),
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
                    if step.action == "lead":
                        response = await _post_lead(f"{app_url}/hooks/leads", leads_secret)
                        if response.status_code != 200:
                            out.print(f"[red]the lead webhook answered {response.status_code}[/red]")
                            return 1
                    elif step.action == "command":
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
                    elif step.action == "accept_finding":
                        finding = _finding_message(workspace, channel, _deal_thread(runtime), step.text)
                        await actor.click(REP, channel, finding["ts"], ActionId.ADD_NEXT_STEP)
                    elif step.action == "order_form":
                        card = workspace.history(channel)[0]
                        await actor.click(REP, channel, card["ts"], "contract.order_form")
                        await runtime.drain_background()
                        view = workspace.open_views_for(REP)[-1]
                        values = {name: {name: value} for name, value in DEMO_ORDER_FORM.items()}
                        await actor.submit_view(REP, view["id"], values)
                    elif step.action == "sign":
                        signed = await _sign(app_url, workspace)
                        if signed.status_code != 200:
                            out.print(f"[red]the signing page answered {signed.status_code}[/red]")
                            return 1
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
            _print_outcomes(runtime, out)
        finally:
            runtime.close()
    return 0


async def _post_lead(url: str, secret: str) -> httpx.Response:
    """POST the demo lead as a web form would: JSON, with our HMAC signature (docs/operations.md)."""
    from integrations.events.webhooks import signature

    body = json.dumps(DEMO_LEAD).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-LTO-Timestamp": str(timestamp),
        "X-LTO-Signature": signature(secret, timestamp, body),
    }
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=body, headers=headers)


async def _sign(app_url: str, workspace: Workspace) -> httpx.Response:
    """The customer opens the signing link Riley forwarded, reads the order summary, types a name and signs."""
    link = next(m["text"] for m in reversed(workspace.ephemeral_for(REP)) if "/sign/" in m["text"])
    path = "/sign/" + link.split("/sign/", 1)[1].split("|", 1)[0]
    async with httpx.AsyncClient(base_url=app_url, timeout=10) as client:
        page = await client.get(path)
        if page.status_code != 200:
            return page
        return await client.post(path, data={"name": str(DEMO_ORDER_FORM["signer_name"]), "agree": "yes"})


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


def _finding_message(workspace: Workspace, channel: str, thread: str, says: str) -> dict[str, Any]:
    """The deal inspection's message in the thread that says `says` (it carries "Add as next step")."""
    for message in workspace.replies(channel, thread):
        if says in message.get("text", ""):
            return message
    raise RuntimeError(f"no finding saying {says!r} in the deal thread")


def _print_outcomes(runtime: Runtime, out: Console) -> None:
    """The outcome report for the demo's deals, as `lto report outcomes` prints it."""
    from deals.outcome_report import render_table
    from deals.outcomes import compute_outcomes, load_time_saved

    with runtime.session_factory() as session:
        report = compute_outcomes(
            session,
            since=runtime.clock.now().date(),
            now=runtime.clock.now(),
            segment_of=runtime.routing().segment_of,
            assumptions=load_time_saved(runtime.settings.time_saved_path),
        )
    out.print(Rule("lto report outcomes (the demo's deals)"))
    out.print(render_table(report), markup=False, highlight=False, soft_wrap=True)


def _deal_thread(runtime: Runtime) -> str:
    from deals import service as deals

    with runtime.session_factory() as session:
        thread = deals.latest_deal_thread(session)
    if thread is None:
        raise RuntimeError("no deal thread was opened")
    return thread
