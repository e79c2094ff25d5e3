"""The account brief: the first message in a lead's deal thread (who they are, likely needs, shareable stories,
questions for the first call). Every value from the lead, the CRM or a document is escaped."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, MarkdownTextObject, SectionBlock

from bot.views.answer import source_line
from bot.views.text import as_dicts, clip, escape
from integrations.leads.brief import AccountBrief

SEGMENT_NAMES = {"enterprise": "Enterprise", "mid_market": "Mid-market", "smb": "SMB"}


def _routing_line(brief: AccountBrief) -> str:
    where = " · ".join(
        escape(part) for part in (brief.territory, SEGMENT_NAMES.get(brief.segment or "", brief.segment)) if part
    )
    return f"Routed to <@{brief.owner}> by rule `{escape(brief.routing_rule)}`" + (f" ({where})" if where else "")


def _facts(brief: AccountBrief) -> list[MarkdownTextObject]:
    crm = brief.crm
    facts = {
        "Domain": brief.domain,
        "Industry": crm.industry if crm else None,
        "Employees": f"{crm.employees:,}" if crm and crm.employees else None,
        "Region": crm.region if crm else None,
    }
    if brief.contact:
        person = ", ".join(filter(None, [brief.contact.name, brief.contact.title]))
        facts["Contact"] = " · ".join(filter(None, [person, brief.contact.email]))
    return [
        MarkdownTextObject(text=clip(f"*{label}*\n{escape(value)}", 2000)) for label, value in facts.items() if value
    ]


def brief_text(brief: AccountBrief) -> str:
    """The fallback text (notifications, screen readers)."""
    return f"Account brief: {escape(brief.company)}. {_routing_line(brief)}."


def brief_blocks(brief: AccountBrief) -> list[dict[str, Any]]:
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(f":inbox_tray: *New lead: {escape(brief.company)}*\n{_routing_line(brief)}", 3000)
            )
        )
    ]
    facts = _facts(brief)
    if facts:
        blocks.append(SectionBlock(fields=facts[:10]))
    if brief.message:
        quoted = "\n".join(f">{line}" for line in escape(brief.message).splitlines() or [""])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"*They wrote*\n{quoted}", 3000))))
    if brief.crm and brief.crm.notes:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=clip(f"*From the CRM*\n{escape(brief.crm.notes)}", 3000)))
        )
    blocks.append(DividerBlock())
    needs = (
        "\n".join(f"• {source_line(p)}" for p in brief.needs)
        or "_Nothing in the lead to search the knowledge base by._"
    )
    if brief.needs or brief.message:
        needs = needs if brief.needs else "_Nothing shareable in the knowledge base matches what they wrote._"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"*What they likely need*\n{needs}", 3000))))
    stories = "\n".join(f"• {source_line(p)}" for p in brief.case_studies) or "_No shareable case study matches._"
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=clip(f"*Customer stories you may share*\n{stories}", 3000)))
    )
    questions = "\n".join(f"{n}. {escape(q)}" for n, q in enumerate(brief.questions, start=1))
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=clip(f"*Questions for the first call*\n{questions}", 3000)))
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Facts from the CRM record and the lead; material from the knowledge base is public or "
                    "customer-shareable. Reply in this thread to start discovery."
                )
            ]
        )
    )
    return as_dicts(blocks)
