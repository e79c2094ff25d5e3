"""Draft a proposal: the use case drafts, checks and records it; this posts the summary and uploads the files."""

from __future__ import annotations

from agents.proposal import DraftedProposal, ProposalRefused, draft_proposal
from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.quote import quote_blocks, quote_text
from bot.views.text import as_dicts, escape
from core.job_kinds import DraftProposal
from core.jobs import ClaimedJob
from deals import access
from deals import service as deals
from deals.qualification import format_money


async def handle_proposal(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto proposal` or the card's button: draft it, share it in the deal's thread, tell the rep."""
    args = job.args(DraftProposal)
    try:
        who = await runtime.who(args.user_id)
        drafted = await draft_proposal(runtime, deal_ref=args.deal, who=who)
    except (deals.DealNotFound, ProposalRefused, access.Forbidden) as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")
        return
    comment = proposal_comment(drafted)
    channel, thread_ts = drafted.basis.channel_id, drafted.basis.thread_ts
    if channel and thread_ts:
        await _share_in_thread(runtime, job.id, drafted, comment, channel=channel, thread_ts=thread_ts)
        await refresh_deal_card(runtime, drafted.basis.deal_id)
    await respond(args.response_url, text=comment)


def proposal_comment(drafted: DraftedProposal) -> str:
    """What the rep reads beside the file: the quote it prices, its status, and what the guardrail found."""
    basis, quote = drafted.basis, drafted.basis.quote
    comment = (
        f"Proposal for *{escape(basis.company)}* (quote v{basis.quote_version}, "
        f"{format_money(quote.total, quote.currency)} over {quote.term_years} year(s)): *{drafted.status}*."
    )
    if drafted.problems:
        problems = "\n".join(f"• {escape(p)}" for p in drafted.problems)
        comment += "\nThe guardrail stopped it from going out as is:\n" + problems
    return comment


async def _share_in_thread(
    runtime: Runtime, job_id: int, drafted: DraftedProposal, comment: str, *, channel: str, thread_ts: str
) -> None:
    """The quote summary, then the Markdown and the PDF, each posted once per job."""
    basis, gateway = drafted.basis, runtime.gateway
    await gateway.post_message(
        key=f"job:{job_id}:proposal-summary",
        channel=channel,
        thread_ts=thread_ts,
        text=quote_text(basis.company, basis.quote_version, basis.quote),
        blocks=as_dicts(quote_blocks(basis.company, basis.quote_version, basis.quote, [])),
        deal_id=basis.deal_id,
    )
    files = (
        ("proposal-markdown", f"{drafted.file_stem}.md", drafted.markdown.encode(), " (Markdown)", ""),
        ("proposal", f"{drafted.file_stem}.pdf", drafted.pdf, "", comment),
    )
    for key, filename, content, format_note, said in files:
        await gateway.upload_file(
            key=f"job:{job_id}:{key}",
            channel=channel,
            thread_ts=thread_ts,
            filename=filename,
            content=content,
            title=f"Proposal for {basis.company}{format_note}",
            comment=said,
            deal_id=basis.deal_id,
        )
