"""The offline discovery model: rules that call the same tools an LLM would, then write the reply.

It speaks pydantic-ai's FunctionModel interface. First request of a turn: extract facts from
the rep's message and call `record_qualification`, `flag_risk`, `search_knowledge`,
`propose_disqualification`, `propose_next_step` (agents/offline/next_actions.py), `preview_price` (a price question) and `commit_quote` as needed.
Second request (the tool results are in): compose the reply from what the tools returned, never
from anything else; a price comes from `preview_price` (CPQ), never out of a retrieved document.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo

from agents.offline.answering import compose
from agents.offline.extraction import extract
from agents.offline.meetings import offered_text, read_meeting_ask
from agents.offline.next_actions import read_next_actions, split_sentences
from agents.offline.quote_ask import PRICE_QUESTION, read_price_question, read_quote_ask
from agents.offline.quoting import cite
from agents.prompts import parse_turn_prompt
from deals.qualification import (
    FIELD_LABELS,
    Qualification,
    assess,
    changes_in_words,
    display_value,
)

RECORD = re.compile(r"<<record>>(?P<json>.*?)<</record>>", re.DOTALL)
QUESTION = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?P<q>[^.!?\n]*\?)|"
    r"\b(?P<ask>(?:do|does|can|could|is|are|what|which|how|where|when|who)\b[^.!?\n]{8,}?"
    r"(?:support|offer|have|include|certif|comply|integrat|host|cost|handle|work)[^.!?\n]*)",
    re.IGNORECASE,
)
SMALL_TALK = re.compile(
    r"^\W*(hi|hello|hey|help|thanks|thank you|what can you do|who are you|how does this work)\b", re.IGNORECASE
)
HOSTED_REGIONS = {"US", "EU", "UK", "CA", "AU"}
MIN_PRICE_PER_SEAT = 420  # HS-TEAM list, USD per seat-year: below this a budget cannot cover the seats


def _last_prompt(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def _earlier_prompts(messages: list[ModelMessage]) -> str:
    """What the rep wrote in the thread's earlier turns (as far as the history goes), oldest first."""
    prompts = [
        part.content
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart) and isinstance(part.content, str)
    ]
    return "\n".join(parse_turn_prompt(prompt)[2] for prompt in prompts[:-1])


def _known_record(info: AgentInfo) -> Qualification | None:
    match = RECORD.search(info.instructions or "")
    if not match:
        return None
    return Qualification.model_validate_json(match["json"])


def _questions(text: str) -> list[str]:
    found = []
    for match in QUESTION.finditer(text):
        question = (match["q"] or match["ask"] or "").strip(" -•*")
        if len(question) >= 8:
            found.append(question)
    return found[:2]


def _risks(record: Qualification, today: date) -> list[dict[str, str]]:
    """Deterministic risk rules over the merged record."""
    risks = []
    regions = {r.value for r in record.regions}
    compliance = {c.value for c in record.compliance}
    if "FedRAMP" in compliance and regions - {"US"}:
        risks.append({"kind": "compliance", "reason": "FedRAMP is only offered on the US-only Government edition."})
    unhosted = sorted(regions - HOSTED_REGIONS)
    if unhosted and record.deployment in (None, "saas"):
        risks.append(
            {
                "kind": "region",
                "reason": f"SaaS is not hosted in {', '.join(unhosted)}: data residency needs self-hosted "
                "or a nearby region.",
            }
        )
    if record.competitors:
        risks.append({"kind": "competitor", "reason": f"they are also evaluating {', '.join(record.competitors)}."})
    # Only a budget they have, per year: a sign-off limit or the incumbent's price is not one.
    annual = record.budget.annual() if record.budget and record.budget.source in (None, "stated") else None
    if record.budget and annual is not None and record.seats and record.budget.currency == "USD":
        if annual < record.seats * MIN_PRICE_PER_SEAT:
            risks.append(
                {
                    "kind": "budget",
                    "reason": f"Budget {record.budget} is below list for {record.seats} seats even on Team.",
                }
            )
    if record.target_close and (record.target_close - today).days < 21:
        risks.append({"kind": "timeline", "reason": f"Target close {record.target_close} is under three weeks away."})
    return risks


def _first_request(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    _, today, text = parse_turn_prompt(_last_prompt(messages))
    today = today or date.today()
    known = _known_record(info)
    calls: list[ToolCallPart] = []
    tools = {tool.name for tool in info.function_tools}
    if known is not None and "record_qualification" in tools:
        found = extract(text, today=today, known=known, context=_earlier_prompts(messages))
        if not found.update.is_empty():
            calls.append(
                ToolCallPart(
                    "record_qualification",
                    {
                        "update": found.update.model_dump(mode="json", exclude_unset=True, exclude_none=True),
                        "evidence": found.evidence,
                    },
                )
            )
            merged, _ = known.merged(found.update)
            already = {r["reason"] for r in _risks(known, today)}
            for risk in _risks(merged, today):
                if risk["reason"] not in already:
                    calls.append(ToolCallPart("flag_risk", risk))
        if found.disqualify_reason:
            calls.append(ToolCallPart("propose_disqualification", {"reason": found.disqualify_reason}))
        if "propose_next_step" in tools:
            # A sentence asking to book a demo gets times offered (schedule_meeting): that is its step.
            unbooked = "\n".join(s for s in split_sentences(text) if read_meeting_ask(s) is None)
            for action in read_next_actions(unbooked, today=today):
                args: dict[str, Any] = {"title": action.title}
                if action.due is not None:
                    args["due"] = action.due.isoformat()
                    args["when_said"] = action.when_said
                if action.owner is not None:
                    args["owner"] = action.owner
                calls.append(ToolCallPart("propose_next_step", args))
        reading = read_quote_ask(text, known.merged(found.update)[0])
        if reading is not None and reading.ask is not None and "commit_quote" in tools:
            calls.append(ToolCallPart("commit_quote", {"ask": reading.ask}))
    # "Let's book a demo with their data team next week": times offered to the rep; booking is their click.
    meeting = read_meeting_ask(text) if known is not None and "schedule_meeting" in tools else None
    if meeting is not None:
        calls.append(ToolCallPart("schedule_meeting", meeting))
    # "Ballpark for 200 seats of Enterprise?": CPQ prices it; the documents' worked examples never answer it.
    pricing = read_price_question(text, known.merged(found.update)[0] if known is not None else None)
    previewed = pricing is not None and pricing.ask is not None and "preview_price" in tools
    if previewed and pricing is not None:
        calls.append(ToolCallPart("preview_price", {"ask": pricing.ask}))
    if "search_knowledge" in tools and not SMALL_TALK.match(text):
        for question in _questions(text):
            if not (previewed and PRICE_QUESTION.search(question)):
                calls.append(ToolCallPart("search_knowledge", {"query": question}))
    if calls:
        return ModelResponse(parts=calls, model_name="offline")
    return _final(info, calls=[], returns={}, text=text)


def _calls_and_returns(messages: list[ModelMessage]) -> tuple[list[ToolCallPart], dict[str, Any]]:
    """The tool calls of this turn's first response and their results, by call id."""
    calls: list[ToolCallPart] = []
    returns: dict[str, Any] = {}
    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
            break
        for part in message.parts:
            if isinstance(part, ToolReturnPart):
                returns[part.tool_call_id] = part.content
    return calls, returns


def _committed(result: Any) -> str:
    """The reply once a paused `commit_quote` call is decided: committed, or refused and why."""
    if isinstance(result, dict) and result.get("committed"):
        approved = result.get("approved_by")
        by = f", approved by {approved}" if approved else ", within your own discount authority"
        terms = f" Terms: {result['terms']}." if result.get("terms") else ""
        rules = "".join(f"\n• {rule}" for rule in result.get("product_rules") or [])
        return (
            f":white_check_mark: Committed quote v{result.get('version')}: *{result.get('summary')}*{by}.{terms} "
            f"These prices are final; I'm drafting the proposal from them.{rules}"
        )
    return (
        f":no_entry: {result} The quote stays uncommitted. Tell me what to change "
        "(for example a smaller discount) and I'll quote it again."
    )


# Free-text fields the rules write by canonical name: the reply shows the rep's own word beside it.
_CANONICAL_TEXT_FIELDS = frozenset({"identity_provider"})


def _as_said(name: str, value: str, words: str | None) -> str:
    """A canonical name with the rep's word beside it: "Microsoft Entra ID (you wrote “Azure AD”)"."""
    if name not in _CANONICAL_TEXT_FIELDS or not words or words.casefold() in value.casefold():
        return value
    return f"{value} (you wrote “{words}”)"


def _final(info: AgentInfo, *, calls: list[ToolCallPart], returns: dict[str, Any], text: str = "") -> ModelResponse:
    output = info.output_tools[0].name if info.output_tools else "final_result"
    decided = [c for c in calls if c.tool_name == "commit_quote" and c.tool_call_id in returns]
    if decided:
        # A resumed run: the turn's other results were reported when it paused.
        reply = "\n".join(_committed(returns[c.tool_call_id]) for c in decided)
        return ModelResponse(parts=[ToolCallPart(output, {"reply": reply, "next_questions": []})], model_name="offline")
    lines: list[str] = []
    next_questions: list[str] = []
    recorded: list[str] | None = None
    evidence: dict[str, str] = {}
    known = _known_record(info)
    for call in calls:
        args = call.args_as_dict()
        result = returns.get(call.tool_call_id)
        if call.tool_name == "record_qualification":
            status = json.loads(result) if isinstance(result, str) and result.startswith("{") else {}
            recorded = status.get("recorded", [])
            next_questions = status.get("next_questions", [])
            evidence = args.get("evidence") or {}
            if status.get("stage") == "qualified" and status.get("stage_before") != "qualified":
                lines.append(
                    f":white_check_mark: This deal is now *qualified* (score {status.get('score')}/100). "
                    "Use *Draft proposal* on the deal card when you are ready."
                )
        elif call.tool_name == "flag_risk":
            lines.append(f":warning: *{args.get('kind', 'risk').title()} risk:* {args.get('reason')}")
        elif call.tool_name == "propose_disqualification":
            lines.append(
                f":no_entry: That sounds like the deal is off ({args.get('reason')}). "
                "If so, use *Disqualify* on the deal card to close it out."
            )
        elif call.tool_name == "propose_next_step" and isinstance(result, dict) and result.get("proposed"):
            lines.append(f":bulb: A next step, for you to add below: *{result.get('title')}*")
        elif call.tool_name == "preview_price":
            lines.append(_preview(result))
        elif call.tool_name == "schedule_meeting":
            lines.append(offered_text(result))
        elif call.tool_name == "search_knowledge":
            lines.append(_answer(args.get("query", ""), result))
    if recorded and known is not None:
        # The instructions of this request already carry the record with the update applied.
        _, cleared = changes_in_words(known, recorded)
        facts = " · ".join(
            f"*{FIELD_LABELS[name]}:* {_as_said(name, display_value(known, name), evidence.get(name))}"
            for name in recorded
            if FIELD_LABELS[name] not in cleared
        )
        if cleared:
            lines.insert(0, f"Cleared — {', '.join(cleared)}")
        if facts:
            lines.insert(0, f"Noted — {facts}")
    reading = read_quote_ask(text, known) if text and known is not None else None
    if reading is not None and reading.missing:
        lines.append(
            f":grey_question: To quote it I need {' and '.join(reading.missing)}, for example "
            "_Enterprise, 300 seats, 3 years, 15% off_."
        )
    pricing = read_price_question(text, known) if text else None
    if pricing is not None and pricing.missing:
        lines.append(
            f":grey_question: For a ballpark I need {' and '.join(pricing.missing)}, for example "
            "_Enterprise, 300 seats, 3 years_."
        )
    scheduled = any(c.tool_name == "schedule_meeting" for c in calls)
    if known is not None and recorded is None and reading is None and pricing is None and not scheduled:
        assessment = assess(known)
        next_questions = assessment.next_questions
        if not any(c.tool_name in ("search_knowledge", "propose_next_step") for c in calls):
            first = assessment.score == 0
            lines.insert(
                0,
                "Let's qualify this deal. Tell me what you know in your own words; I'll keep the card up to date."
                if first
                else "I didn't find new qualification facts in that message.",
            )
    if known is None and not lines:
        lines.append(
            "I'm the deal desk's assistant. Ask me product, security or integration questions and I answer "
            "from the knowledge base with sources. To qualify a deal, open one with "
            "`/lto new <company> [what you know]` and reply in its thread; `/lto help` lists everything."
        )
    reply = "\n".join(lines) or "Noted."
    return ModelResponse(
        parts=[ToolCallPart(output, {"reply": reply, "next_questions": next_questions[:3]})],
        model_name="offline",
    )


def _preview(result: Any) -> str:
    """A CPQ ballpark in words: its figures exactly as the engine gave them, and that nothing is committed."""
    if not (isinstance(result, dict) and result.get("preview")):
        return f":grey_question: {result}"
    approvers = result.get("would_need_approval_from") or []
    who = f" As priced it would need approval from {', '.join(approvers)}." if approvers else ""
    terms = f" Terms: {result['terms']}." if result.get("terms") else ""
    rules = "".join(f"\n• {rule}" for rule in result.get("product_rules") or [])
    return (
        f":abacus: Ballpark from CPQ (a preview: nothing is committed): *{result.get('summary')}*.{who}{terms} "
        f"Ask me to quote it when you want to commit it.{rules}"
    )


PRICES_FROM_CPQ = (
    "what I found states prices, and I don't copy prices out of documents: they come from CPQ. "
    "Ask me for a ballpark (for example _ballpark for 200 seats of Enterprise_) or price it with `/lto quote`."
)


def _answer(query: str, result: Any) -> str:
    """A product question asked in the thread, answered as `/lto ask` answers it (agents/offline/answering.py)."""
    if isinstance(result, str):
        return f":grey_question: _{query}_ — {result}"
    passages = result or []
    composed = compose(query, passages)
    if not passages or (composed.empty and not composed.priced):
        return (
            f":grey_question: _{query}_ — the knowledge base has nothing relevant, so I won't guess. "
            "Ask the sales engineering team."
        )
    if composed.empty:
        return f":grey_question: _{query}_ — {PRICES_FROM_CPQ} The price list: {cite(composed.priced[0])}."
    lines = [f"*{composed.cell[0]}*"] if composed.cell is not None else []
    lines += [f"> {said}\n> — {cite(passage)}" for said, passage in composed.quotes]
    if composed.cell is not None and all(p is not composed.cell[1] for _, p in composed.quotes):
        lines.append(f"> — {cite(composed.cell[1])}")
    return f":books: _{query}_\n" + "\n".join(lines)


def offline_discovery(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """The FunctionModel entry point."""
    last = messages[-1]
    # A request that carries the rep's message starts a turn (it may also carry the previous
    # turn's final-result return); one with only tool returns asks for the reply.
    if isinstance(last, ModelRequest) and any(isinstance(p, UserPromptPart) for p in last.parts):
        return _first_request(messages, info)
    calls, returns = _calls_and_returns(messages)
    _, _, text = parse_turn_prompt(_last_prompt(messages))
    return _final(info, calls=calls, returns=returns, text=text)
