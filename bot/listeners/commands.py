"""The `/lto` slash command: parse, route to a job, ack with what happens next."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import commands
from bot.listeners.intake import accept, admit
from bot.runtime import Runtime
from bot.views.help import usage_blocks, usage_text
from bot.views.text import as_dicts, escape

# Subcommand -> (job kind, what the ack tells the rep).
ROUTES: dict[type, tuple[str, str]] = {
    commands.NewDeal: ("deal.open", ":hourglass_flowing_sand: Opening a deal thread for *{company}*…"),
    commands.Status: ("deal.status", ":hourglass_flowing_sand: Looking that up…"),
    commands.Ask: ("knowledge.ask", ":mag: Searching the knowledge base…"),
    commands.Quote: ("deal.quote", ":hourglass_flowing_sand: Pricing it…"),
    commands.Proposal: ("deal.proposal", ":hourglass_flowing_sand: Drafting the proposal…"),
    commands.Approvals: ("approvals.list", ":hourglass_flowing_sand: Gathering approval requests…"),
    commands.Share: ("deal.share", ":hourglass_flowing_sand: Sharing it…"),
    commands.Admin: ("admin", ":hourglass_flowing_sand: Checking you may do that…"),
}


def _payload(parsed: commands.Command, command: dict[str, Any]) -> dict[str, Any]:
    base = {
        "user_id": command["user_id"],
        "channel_id": command["channel_id"],
        "response_url": command.get("response_url"),
        "text": command.get("text", ""),
    }
    if isinstance(parsed, commands.NewDeal):
        base.update(company=parsed.company, notes=parsed.notes)
    elif isinstance(parsed, commands.Status):
        base.update(deal=parsed.deal)
    elif isinstance(parsed, commands.Ask):
        base.update(question=parsed.question)
    elif isinstance(parsed, commands.Proposal):
        base.update(deal=parsed.deal)
    elif isinstance(parsed, commands.Share):
        base.update(deal=parsed.deal, share_with=parsed.user_id)
    elif isinstance(parsed, commands.Admin):
        base.update(action=parsed.action, event_ids=list(parsed.event_ids))
    elif isinstance(parsed, commands.Quote):
        base.update(
            deal=parsed.deal,
            lines=[{"sku": line.sku, "quantity": line.quantity} for line in parsed.lines],
            discount_pct=parsed.discount_pct,
            years=parsed.years,
            payment_terms_days=parsed.payment_terms_days,
            custom_sla=parsed.custom_sla,
            legal_changes=parsed.legal_changes,
        )
    return base


async def lto(ack: AsyncAck, command: dict[str, Any], runtime: Runtime) -> None:
    try:
        parsed = commands.parse(command.get("text", ""))
    except commands.UsageError as problem:
        await ack(text=usage_text(str(problem)), blocks=as_dicts(usage_blocks(str(problem))), response_type="ephemeral")
        return
    if isinstance(parsed, commands.Help):
        await ack(text=usage_text(), blocks=as_dicts(usage_blocks()), response_type="ephemeral")
        return
    job_kind, message = ROUTES[type(parsed)]
    admission = await admit(runtime, user_id=command["user_id"], channel_id=command["channel_id"])
    if admission.refused:
        await ack(text=admission.refused, response_type="ephemeral")
        return
    await accept(
        runtime,
        key=f"command:{command['trigger_id']}",
        kind="command",
        job_kind=job_kind,
        payload=_payload(parsed, command),
        actor=command["user_id"],
        channel_id=command["channel_id"],
    )
    company = escape(getattr(parsed, "company", ""))
    said = message.format(company=company)
    if admission.queued_ahead >= runtime.settings.busy_queue_depth:
        # Honest about the wait rather than silent: the request is safe in the queue.
        said = (
            f":hourglass: I'm busy right now: your request is queued behind {admission.queued_ahead:,} others "
            "and nothing is lost. I'll answer here when it's done."
        )
    await ack(text=said, response_type="ephemeral")


def register(app: AsyncApp) -> None:
    app.command("/lto")(lto)
