"""The `/lto` slash command: parse, route to a job, ack with what happens next."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import commands
from bot.listeners.intake import accept_within_limits, clean_text, refusal_text
from bot.runtime import Runtime
from bot.views.help import usage_blocks, usage_text
from bot.views.text import as_dicts, escape
from core.admission import Refused
from core.job_kinds import (
    AdminCommand,
    AskKnowledge,
    DraftProposal,
    JobPayload,
    ListApprovals,
    OpenDeal,
    PriceQuote,
    QuoteLineAsk,
    ReportOutcomes,
    RequestReview,
    ScheduleMeeting,
    ShareDeal,
    ShowPoc,
    ShowStatus,
)

# Subcommand -> what the ack tells the rep.
ACKS: dict[type, str] = {
    commands.NewDeal: ":hourglass_flowing_sand: Opening a deal thread for *{company}*…",
    commands.Status: ":hourglass_flowing_sand: Looking that up…",
    commands.Ask: ":mag: Searching the knowledge base…",
    commands.Quote: ":hourglass_flowing_sand: Pricing it…",
    commands.Proposal: ":hourglass_flowing_sand: Drafting the proposal…",
    commands.Approvals: ":hourglass_flowing_sand: Gathering approval requests…",
    commands.Share: ":hourglass_flowing_sand: Sharing it…",
    commands.Admin: ":hourglass_flowing_sand: Checking you may do that…",
    commands.Report: ":bar_chart: Counting the team's outcomes…",
    commands.Poc: ":hourglass_flowing_sand: Drafting the POC plan…",
    commands.Schedule: ":calendar: Looking for times that suit everyone…",
    commands.Review: ":mag: Drafting the technical scope for sales engineering…",
}


def job_for(parsed: commands.Command, command: dict[str, Any]) -> JobPayload:
    """The typed job a parsed subcommand becomes."""
    who = {"user_id": command["user_id"], "response_url": command.get("response_url")}
    match parsed:
        case commands.NewDeal():
            return OpenDeal(**who, company=parsed.company, notes=parsed.notes)
        case commands.Status():
            return ShowStatus(**who, deal=parsed.deal)
        case commands.Ask():
            return AskKnowledge(**who, question=parsed.question, channel_id=command["channel_id"])
        case commands.Proposal():
            return DraftProposal(**who, deal=parsed.deal)
        case commands.Share():
            return ShareDeal(**who, deal=parsed.deal, share_with=parsed.user_id)
        case commands.Admin():
            return AdminCommand(**who, action=parsed.action, event_ids=parsed.event_ids)
        case commands.Approvals():
            return ListApprovals(**who)
        case commands.Report():
            return ReportOutcomes(**who, since=parsed.since)
        case commands.Poc():
            return ShowPoc(**who, deal=parsed.deal)
        case commands.Schedule():
            return ScheduleMeeting(**who, deal=parsed.deal, meeting_kind=parsed.kind, when=parsed.when)
        case commands.Review():
            return RequestReview(**who, deal=parsed.deal)
        case commands.Quote():
            return PriceQuote(
                **who,
                deal=parsed.deal,
                lines=tuple(QuoteLineAsk(sku=line.sku, quantity=line.quantity) for line in parsed.lines),
                discount_pct=Decimal(parsed.discount_pct or "0"),
                years=parsed.years,
                payment_terms_days=parsed.payment_terms_days,
                billing_frequency=parsed.billing_frequency,
                term_start=parsed.term_start,
                custom_sla=parsed.custom_sla,
                legal_changes=parsed.legal_changes,
                override_rules=parsed.override_rules,
                justification=parsed.justification,
            )
    raise commands.UsageError("That command is not known.")


async def lto(ack: AsyncAck, command: dict[str, Any], runtime: Runtime) -> None:
    try:
        parsed = commands.parse(clean_text(command.get("text") or ""))
    except commands.UsageError as problem:
        await ack(text=usage_text(str(problem)), blocks=as_dicts(usage_blocks(str(problem))), response_type="ephemeral")
        return
    if isinstance(parsed, commands.Help):
        await ack(text=usage_text(), blocks=as_dicts(usage_blocks()), response_type="ephemeral")
        return
    try:
        job = job_for(parsed, command)
    except ValidationError as exc:
        problem = f"{'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']}"
        await ack(text=usage_text(problem), blocks=as_dicts(usage_blocks(problem)), response_type="ephemeral")
        return
    taken = await accept_within_limits(
        runtime,
        key=f"command:{command['trigger_id']}",
        kind="command",
        job=job,
        actor=command["user_id"],
        channel_id=command["channel_id"],
    )
    if isinstance(taken, Refused):
        await ack(text=refusal_text(taken, runtime), response_type="ephemeral")
        return
    said = ACKS[type(parsed)].format(company=escape(getattr(parsed, "company", "")))
    if taken.queued_ahead >= runtime.settings.busy_queue_depth:
        # Honest about the wait rather than silent: the request is safe in the queue.
        said = (
            f":hourglass: I'm busy right now: your request is queued behind {taken.queued_ahead:,} others "
            "and nothing is lost. I'll answer here when it's done."
        )
    await ack(text=said, response_type="ephemeral")


def register(app: AsyncApp) -> None:
    app.command("/lto")(lto)
