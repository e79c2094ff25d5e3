"""`lto demo`: the whole product on loopback, driven as a rep would drive it, printed as a transcript."""

from __future__ import annotations

import asyncio
import enum
import json
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from bot.emulator import SlackActor, Workspace, render_transcript, run_emulator
from bot.emulator.transcript import render_message
from bot.handlers.steps_said import timezone_of
from bot.http import create_api
from bot.ids import ActionId
from bot.runtime import Runtime, build_runtime
from bot.serving import serve_asgi
from core.clock import OffsetClock
from core.settings import load_settings
from deals import sweeps as deal_sweeps
from integrations.crm.sweeps import deliver_due
from knowledge.ingest import ingest

REP = "U0REP1"
DEMO_MORNING = clock_time(10, 0)  # when a simulated day starts: working hours where the owner is
SAMPLE_KNOWLEDGE = Path(__file__).resolve().parent.parent / "examples" / "knowledge"
SAMPLE_ACCOUNTS = Path(__file__).resolve().parent.parent / "examples" / "crm" / "accounts.yaml"


class Act(enum.StrEnum):
    """What a step of the script does; each kind has one function in ACTS that does it."""

    LEAD = "lead"  # the website's form posts the demo lead to /hooks/leads
    COMMAND = "command"  # Riley types `/lto <text>`
    REPLY = "reply"  # Riley writes <text> in the deal thread
    ACCEPT_FINDING = "accept_finding"  # Riley clicks "Add as next step" on the finding saying <text>
    ACCEPT_PROPOSAL = "accept_proposal"  # Riley clicks "Add as next step" on the latest proposed step
    TIME_PASSES = "time_passes"  # the clock moves on to when the earliest open step is due; the follow-up sweep runs
    CLICK_NUDGE = "click_nudge"  # Riley clicks <text> (an ActionId) on the latest nudge in the deal thread
    APPROVE_AS = "approve_as"  # <text> (a user id) clicks Approve on the latest approval card
    CLICK_CARD = "click_card"  # Riley clicks <text> on the deal card
    ORDER_FORM = "order_form"  # Riley fills in the order form modal
    SIGN = "sign"  # the customer signs on the local signing page
    CLICK = "click"  # Riley clicks <text> on the latest message in #deals
    CLAIM_REVIEW = "claim_review"  # <text> (a sales engineer) clicks Claim on the latest review card
    DECIDE_REVIEW = "decide_review"  # <text> (the claimer) submits the review modal with DEMO_REVIEWS[<about>]
    SEND_POC_FOR_REVIEW = "send_poc_for_review"  # Riley clicks "Send for SE review" on the POC plan in the thread
    BOOK_SLOT = "book_slot"  # Riley clicks the first time offered in the latest offer (shown only to Riley)


@dataclass(frozen=True)
class Step:
    """One thing someone does, and what the demo narrates about it."""

    say: str
    act: Act
    text: str = ""
    # TIME_PASSES, CLICK_NUDGE: words of the next step's title it is about ("": the soonest due);
    # DECIDE_REVIEW: which review form (DEMO_REVIEWS) the sales engineer fills in.
    about: str = ""


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
# What Sky, the sales engineer, writes in the review modals: the drafted items are kept as they are.
DEMO_REVIEWS: dict[str, dict[str, str]] = {
    "scope": {
        "verdict": "feasible_with_conditions",
        "conditions": "Oracle change capture needs supplemental logging enabled by their DBA before the POC starts.",
        "assumptions": "Sized for 300 seats\nSnowflake account in AWS us-east-1\n"
        "EU users read data processed in the EU",
        "notes": "Epic is mentioned in the lead: check whether they mean Clarity (SQL Server) before scoping it.",
    },
    "poc": {
        "verdict": "feasible",
        "conditions": "",
        "assumptions": "Northwind provides a read replica of the Oracle database for the POC",
        "notes": "I'll run the kick-off; Salesforce sandbox credentials needed in week 1.",
    },
}
SE = "U0SE1"  # Sky, a sales engineer
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

CHAMPION_STEP = "Find who gains most"  # the missing-champion finding's next step, as its title starts

SCRIPT: tuple[Step, ...] = (
    Step("A lead arrives from the website's contact form (signed webhook)", Act.LEAD),
    Step(
        "Riley shares the discovery call notes in the thread",
        Act.REPLY,
        "Call with Dana Lee (VP Data). Pain: nightly batch jobs from Oracle and Salesforce into Snowflake "
        "take 6 hours and break every week; analysts wait a day for fresh numbers. "
        "About 250 seats, budget around $180k, they want to sign by end of Q1. "
        "Patient data is involved so HIPAA is a must, and SOC 2. Users in Boston and Frankfurt.",
    ),
    Step(
        "Riley asks a product question the customer raised",
        Act.REPLY,
        "Do we sign a BAA on the Business edition? They'd rather not pay for Enterprise.",
    ),
    Step(
        "Riley adds what the second call established",
        Act.REPLY,
        "SaaS is fine. The CFO signs; decision by a committee of data, security and procurement after a 4-week POC. "
        "They're also looking at Fivetran. Need Okta SSO. Actually it's 300 seats, not 250.",
    ),
    Step(
        "Riley asks sales engineering to review the technical scope (deal card button)",
        Act.CLICK_CARD,
        "review.request",
    ),
    Step("Sky, a sales engineer, claims the review in #sales-engineering", Act.CLAIM_REVIEW, SE),
    Step(
        "Sky edits the scope in the review form and decides: feasible with conditions",
        Act.DECIDE_REVIEW,
        SE,
        about="scope",
    ),
    Step(
        "Riley wants a demo for the customer's data team; the assistant finds times that suit everyone",
        Act.REPLY,
        "Let's book a demo with their data team next week.",
    ),
    Step("Riley books the first time offered (one click)", Act.BOOK_SLOT),
    Step(
        "Riley records how the customer will judge the POC",
        Act.REPLY,
        "Success for the POC: Snowflake data fresh within 15 minutes (today it lands the next morning), "
        "and no failed loads over the 4 weeks.",
    ),
    Step("Riley drafts the POC plan from the deal's record", Act.COMMAND, "poc Northwind"),
    Step("Riley sends the POC plan to sales engineering (one click)", Act.SEND_POC_FOR_REVIEW),
    Step("Sky claims the POC plan's review", Act.CLAIM_REVIEW, SE),
    Step(
        "Sky agrees the plan: feasible; its milestones become next steps with owners and dates",
        Act.DECIDE_REVIEW,
        SE,
        about="poc",
    ),
    Step(
        "Riley mentions what Dana promised; the assistant proposes a next step from it",
        Act.REPLY,
        "Dana will send us their security questionnaire in two weeks.",
    ),
    Step("Riley adds the proposed step (one click)", Act.ACCEPT_PROPOSAL),
    Step(
        "Riley accepts the inspection's advice on the missing champion as a next step (one click)",
        Act.ACCEPT_FINDING,
        "No champion is named",
    ),
    Step("Riley checks the deal card", Act.COMMAND, "status Northwind"),
    Step(
        "Time passes (simulated): the champion step falls due, and the follow-up sweep runs",
        Act.TIME_PASSES,
        about=CHAMPION_STEP,
    ),
    Step(
        "Riley found the champion and says so in the thread",
        Act.REPLY,
        "Priya Shah (Director of Analytics) is our champion.",
    ),
    Step("Riley marks the champion step done from the nudge", Act.CLICK_NUDGE, ActionId.STEP_DONE, CHAMPION_STEP),
    Step(
        "Riley asks the assistant for the discount the customer wants",
        Act.REPLY,
        "They asked for 25% off Enterprise for all 300 seats with SSO and premium support on a 3-year term. "
        "Can we do that?",
    ),
    Step("Sam, a rep, tries to approve it from the approvals channel", Act.APPROVE_AS, "U0REP2"),
    Step("Val, the VP Sales, approves the discount", Act.APPROVE_AS, "U0VP"),
    Step(
        "Dana from the deal desk approves the contract size; the run resumes and the proposal follows",
        Act.APPROVE_AS,
        "U0DESK",
    ),
    Step("Riley fills in the order form from the customer's procurement email", Act.ORDER_FORM),
    Step("Riley sends the order form for signature (the link goes only to Riley)", Act.CLICK_CARD, "contract.send"),
    Step("Dana Lee signs the order form on the signing page", Act.SIGN),
    Step(
        "Riley asks the knowledge base for the customer's ops team",
        Act.COMMAND,
        "ask what is the P1 response time with premium support?",
    ),
    Step("Riley marks the answer helpful", Act.CLICK, "answer.helpful"),
)


class DemoFailed(Exception):
    """A step could not be done as a person would do it; the message says which and why."""


@dataclass
class Demo:
    """What the steps act on: the running app, the emulated workspace, the moved clock, the transcript."""

    runtime: Runtime
    workspace: Workspace
    actor: SlackActor
    app_url: str
    leads_secret: str
    clock: OffsetClock
    out: Console

    @property
    def channel(self) -> str:
        return self.workspace.channel_id("deals")


async def _lead(demo: Demo, step: Step) -> None:
    response = await _post_lead(f"{demo.app_url}/hooks/leads", demo.leads_secret)
    if response.status_code != 200:
        raise DemoFailed(f"the lead webhook answered {response.status_code}")


async def _command(demo: Demo, step: Step) -> None:
    demo.out.print(f"   [dim]/lto {step.text}[/dim]")
    response = await demo.actor.slash_command(REP, demo.channel, "/lto", step.text)
    if response.status_code != 200:
        raise DemoFailed(f"the app answered {response.status_code}")


async def _reply(demo: Demo, step: Step) -> None:
    await demo.actor.post_message(REP, demo.channel, step.text, thread_ts=_deal_thread(demo.runtime))


async def _accept_finding(demo: Demo, step: Step) -> None:
    finding = _finding_message(demo.workspace, demo.channel, _deal_thread(demo.runtime), step.text)
    await demo.actor.click(REP, demo.channel, finding["ts"], ActionId.ADD_NEXT_STEP)


async def _accept_proposal(demo: Demo, step: Step) -> None:
    proposal = _latest_in_thread(demo, ":bulb: Proposed next step", "proposed next step")
    await demo.actor.click(REP, demo.channel, proposal["ts"], ActionId.ADD_PROPOSED_STEP)


async def _time_passes(demo: Demo, step: Step) -> None:
    """The clock moves on to 10:00 on the working day the earliest open step is due, where its owner is (so quiet
    hours never hold the nudge back, whatever the hour the demo runs at); then the follow-up sweep runs once."""
    owner, due = await asyncio.to_thread(_earliest_open_step, demo.runtime, step.about)
    where = await timezone_of(demo.runtime, owner)
    before = demo.clock.now()
    moved = demo.clock.advance_to(_working_morning(due, after=before.astimezone(where)))
    local = moved.astimezone(where)
    days = (local.date() - before.astimezone(where).date()).days
    demo.out.print(
        f"   [dim]simulated clock: {days} day{'s' if days != 1 else ''} later, {local:%a %d %b %Y %H:%M} in "
        f"the owner's time zone ({where.key}; {moved:%H:%M} UTC, as the transcript shows it): working hours, so "
        "the nudge is not held for quiet hours[/dim]"
    )
    runtime = demo.runtime

    def sweep() -> dict[str, int]:
        with runtime.session_factory() as session, session.begin():
            return deal_sweeps.follow_up(
                session, rules=runtime.follow_up_rules(), roles=runtime.roles(), clock=demo.clock
            )

    # In a server the sweep runs every few minutes; the demo runs it once, now.
    await asyncio.to_thread(sweep)
    runtime.notify_worker()
    await _wait_for_work(runtime)
    nudge = _latest_in_thread(demo, ":alarm_clock:", "follow-up nudge", about=step.about)
    demo.out.print("   [dim]in the deal thread:[/dim]")
    for line in render_message(nudge, demo.workspace):
        demo.out.print(f"   {line}", markup=False, highlight=False, soft_wrap=True)


async def _click_nudge(demo: Demo, step: Step) -> None:
    nudge = _latest_in_thread(demo, ":alarm_clock:", "follow-up nudge", about=step.about)
    await demo.actor.click(REP, demo.channel, nudge["ts"], step.text)


async def _approve_as(demo: Demo, step: Step) -> None:
    approvals = demo.workspace.channel_id("deal-approvals")
    card = demo.workspace.history(approvals)[-1]
    await demo.actor.click(step.text, approvals, card["ts"], "approval.approve")


async def _click_card(demo: Demo, step: Step) -> None:
    card = demo.workspace.history(demo.channel)[0]
    await demo.actor.click(REP, demo.channel, card["ts"], step.text)


async def _order_form(demo: Demo, step: Step) -> None:
    card = demo.workspace.history(demo.channel)[0]
    await demo.actor.click(REP, demo.channel, card["ts"], "contract.order_form")
    await demo.runtime.drain_background()
    view = demo.workspace.open_views_for(REP)[-1]
    values = {name: {name: value} for name, value in DEMO_ORDER_FORM.items()}
    await demo.actor.submit_view(REP, view["id"], values)


async def _sign_order_form(demo: Demo, step: Step) -> None:
    signed = await _sign(demo.app_url, demo.workspace)
    if signed.status_code != 200:
        raise DemoFailed(f"the signing page answered {signed.status_code}")


async def _click_latest(demo: Demo, step: Step) -> None:
    latest = demo.workspace.history(demo.channel)[-1]
    await demo.actor.click(REP, demo.channel, latest["ts"], step.text)


async def _claim_review(demo: Demo, step: Step) -> None:
    channel = demo.workspace.channel_id("sales-engineering")
    card = demo.workspace.history(channel)[-1]
    await demo.actor.click(step.text, channel, card["ts"], ActionId.CLAIM_REVIEW)
    await demo.runtime.drain_background()  # the review form opens right after the ack


async def _decide_review(demo: Demo, step: Step) -> None:
    views = demo.workspace.open_views_for(step.text)
    if not views:
        raise DemoFailed("the review form did not open for the sales engineer")
    form = DEMO_REVIEWS[step.about]
    values = {
        "review_verdict": {"verdict": form["verdict"]},
        "review_conditions": {"review_conditions": form["conditions"]},
        "review_assumptions": {"review_assumptions": form["assumptions"]},
        "review_notes": {"review_notes": form["notes"]},
    }
    response = await demo.actor.submit_view(step.text, views[-1]["id"], values)
    if response.status_code != 200 or response.content.strip():
        raise DemoFailed(f"the review form was refused: {response.text[:200]}")


async def _send_poc_for_review(demo: Demo, step: Step) -> None:
    plan = _latest_in_thread(demo, "", "POC plan", about="POC plan")
    await demo.actor.click(REP, demo.channel, plan["ts"], ActionId.POC_SEND_FOR_REVIEW)


async def _book_slot(demo: Demo, step: Step) -> None:
    offers = [m for m in demo.workspace.ephemeral_for(REP) if ActionId.BOOK_SLOT in str(m.get("blocks", ""))]
    if not offers:
        raise DemoFailed("no times were offered to Riley")
    demo.out.print("   [dim]shown only to Riley:[/dim]")
    for line in render_message({**offers[-1], "user": None}, demo.workspace)[1:]:  # as ephemeral_only renders it
        demo.out.print(f"   {line}", markup=False, highlight=False, soft_wrap=True)
    await demo.actor.click_ephemeral(REP, offers[-1], f"{ActionId.BOOK_SLOT}.0")


ACTS: dict[Act, Callable[[Demo, Step], Awaitable[None]]] = {
    Act.LEAD: _lead,
    Act.COMMAND: _command,
    Act.REPLY: _reply,
    Act.ACCEPT_FINDING: _accept_finding,
    Act.ACCEPT_PROPOSAL: _accept_proposal,
    Act.TIME_PASSES: _time_passes,
    Act.CLICK_NUDGE: _click_nudge,
    Act.APPROVE_AS: _approve_as,
    Act.CLICK_CARD: _click_card,
    Act.ORDER_FORM: _order_form,
    Act.SIGN: _sign_order_form,
    Act.CLICK: _click_latest,
    Act.CLAIM_REVIEW: _claim_review,
    Act.DECIDE_REVIEW: _decide_review,
    Act.BOOK_SLOT: _book_slot,
    Act.SEND_POC_FOR_REVIEW: _send_poc_for_review,
}


def _earliest_open_step(runtime: Runtime, about: str) -> tuple[str, date]:
    """Whose the soonest-due open step of Riley's whose title holds `about` is, and when it is due."""
    from deals.next_steps import open_steps_for_owner

    with runtime.session_factory() as session:
        steps = [s for s in open_steps_for_owner(session, REP) if about.casefold() in s.title.casefold()]
        if not steps:
            raise DemoFailed(f"no open next step {about!r} to fall due")
        return steps[0].owner_slack_id, steps[0].due


def _working_morning(due: date, *, after: datetime) -> datetime:
    """10:00 on the first weekday on or after `due`, and after the moment `after` (local, aware): when a nudge
    about a step due then goes out at once."""
    day = max(due, after.date() + timedelta(days=1))
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return datetime.combine(day, DEMO_MORNING, tzinfo=after.tzinfo)


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
    # One clock for the app and the emulated Slack: when the demo lets time pass, messages are stamped then too.
    clock = OffsetClock()
    workspace = Workspace(clock=lambda: clock.now().timestamp())
    workspace.users[SE]["tz"] = "Europe/Berlin"  # Sky works from Berlin: the demo's times must suit both
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
        runtime = build_runtime(settings, clock=clock)
        started = clock.now().date()
        try:
            await asyncio.to_thread(_seed_crm, runtime)
            summary = await asyncio.to_thread(ingest, [SAMPLE_KNOWLEDGE], runtime.knowledge())
            out.print(f"[dim]knowledge base: {summary.documents} sample documents, {summary.added} chunks[/dim]")
            async with serve_asgi(create_api(runtime)) as app_url:
                actor = SlackActor(workspace, f"{app_url}/slack/events", workspace.signing_secret)
                demo = Demo(runtime, workspace, actor, app_url, leads_secret, clock, out)
                out.print(Rule("lead-to-order demo · Slack emulator on loopback · offline model"))
                out.print(f"[dim]database: {settings.effective_database_url}[/dim]")
                for step in SCRIPT:
                    out.print(f"[bold cyan]▶ {step.say}[/bold cyan]")
                    try:
                        await ACTS[step.act](demo, step)
                    except DemoFailed as exc:
                        out.print(f"[red]{escape(str(exc))}[/red]")
                        return 1
                    await _wait_for_work(runtime)
                # The delivery sweep runs every few seconds in a server; the demo runs it once, now.
                await asyncio.to_thread(
                    deliver_due, session_factory=runtime.session_factory, crm=runtime.crm, clock=runtime.clock
                )
                _print_channels(demo, folder if home else None)
            _print_crm(runtime, out)
            _print_outcomes(runtime, out, since=started)
        finally:
            runtime.close()
    return 0


def _print_channels(demo: Demo, folder: Path | None) -> None:
    """#deals and #deal-approvals as the team sees them, and what only Sam and Riley were shown."""
    workspace, out, channel = demo.workspace, demo.out, demo.channel
    out.print(Rule("#deals as the team sees it"))
    for file in workspace.files.values():
        if file.content and folder is not None:
            (folder / file.name).write_bytes(file.content)
    out.print(render_transcript(workspace, channel), markup=False, highlight=False, soft_wrap=True)
    approvals = workspace.channel_id("deal-approvals")
    out.print(Rule("#deal-approvals"))
    out.print(render_transcript(workspace, approvals), markup=False, highlight=False, soft_wrap=True)
    engineering = workspace.channel_id("sales-engineering")
    out.print(Rule("#sales-engineering"))
    out.print(render_transcript(workspace, engineering), markup=False, highlight=False, soft_wrap=True)
    refused = render_transcript(workspace, approvals, viewer="U0REP2", ephemeral_only=True)
    if refused.strip():
        out.print(Rule("only visible to Sam"))
        out.print(refused, markup=False, highlight=False, soft_wrap=True)
    ephemeral = render_transcript(workspace, channel, viewer=REP, ephemeral_only=True)
    if ephemeral.strip():
        out.print(Rule("only visible to Riley"))
        out.print(ephemeral, markup=False, highlight=False, soft_wrap=True)


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


def _print_outcomes(runtime: Runtime, out: Console, *, since: date) -> None:
    """The outcome report for the demo's deals (those started since the demo began, before its clock moved on), as
    `lto report outcomes` prints it."""
    from deals.outcome_report import render_table
    from deals.outcomes import compute_outcomes, load_time_saved

    with runtime.session_factory() as session:
        report = compute_outcomes(
            session,
            since=since,
            now=runtime.clock.now(),
            segment_of=runtime.routing().segment_of,
            assumptions=load_time_saved(runtime.settings.time_saved_path),
        )
    out.print(Rule("lto report outcomes (the demo's deals)"))
    out.print(render_table(report), markup=False, highlight=False, soft_wrap=True)


def _latest_in_thread(demo: Demo, starts: str, what: str, *, about: str = "") -> dict[str, Any]:
    """The latest message in the deal thread whose text starts with `starts` (and holds `about`)."""
    for message in reversed(demo.workspace.replies(demo.channel, _deal_thread(demo.runtime))):
        text = message.get("text", "")
        if text.startswith(starts) and about.casefold() in text.casefold():
            return message
    raise DemoFailed(f"no {what} in the deal thread")


def _deal_thread(runtime: Runtime) -> str:
    from deals import service as deals

    with runtime.session_factory() as session:
        thread = deals.latest_deal_thread(session)
    if thread is None:
        raise RuntimeError("no deal thread was opened")
    return thread
