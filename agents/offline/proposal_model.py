"""The offline proposal model: one knowledge search per requirement, then claims from the passages found.

It speaks pydantic-ai's FunctionModel interface. First request: read the brief (the prompt is its
JSON) and call `search_knowledge` once per requirement. Second request (the passages are in):
write the draft, each claim the sentences of a retrieved passage that answer its query best, leaving out
sentences that state amounts or percentages or name a SKU the quote does not price (the proposal's
figures and SKUs are the quote's alone).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo

from agents import figures
from agents.offline.quoting import quote as best_sentences

SKU = re.compile(r"\bHS-[A-Z]+\b")


def brief_queries(brief: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, query) pairs the offline drafter searches for."""
    queries = [("solution", f"real-time data integration {brief.get('pain') or ''}")]
    for integration in brief.get("integrations", [])[:4]:
        queries.append(("solution", f"{integration} connector"))
    if brief.get("deployment"):
        queries.append(("security", f"{brief['deployment'].replace('_', '-')} deployment regions data residency"))
    for regime in brief.get("compliance", [])[:4]:
        queries.append(("security", f"{regime} compliance certification"))
    if brief.get("sso_required"):
        queries.append(("security", "SAML single sign-on SCIM"))
    return queries


def offline_proposal(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Offline: one search per requirement, then claims from the sentences that answer each query."""
    last = messages[-1]
    output = info.output_tools[0].name if info.output_tools else "final_result"
    if isinstance(last, ModelRequest) and any(isinstance(p, UserPromptPart) for p in last.parts):
        return _search_each_requirement(_brief_in([last]))
    brief = _brief_in(messages)
    sections = _claims_from_results(messages, last, quoted=set(brief.get("quoted_skus", [])))
    return ModelResponse(parts=[ToolCallPart(output, _draft(brief, sections))], model_name="offline")


def _brief_in(messages: list[ModelMessage]) -> dict[str, Any]:
    """The brief: the JSON of the first user prompt among these messages."""
    prompt = next(
        str(p.content)
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, UserPromptPart)
    )
    brief: dict[str, Any] = json.loads(prompt)
    return brief


def _search_each_requirement(brief: dict[str, Any]) -> ModelResponse:
    calls = [
        ToolCallPart("search_knowledge", {"query": q}, tool_call_id=f"{section}-{i}")
        for i, (section, q) in enumerate(brief_queries(brief))
    ]
    return ModelResponse(parts=calls, model_name="offline")


def _claims_from_results(
    messages: list[ModelMessage], last: ModelMessage, *, quoted: set[str]
) -> dict[str, list[dict[str, str]]]:
    """The best sentences of the first new passage each search returned, by the section it searched for,
    leaving out sentences with figures or with SKUs the quote does not price."""
    calls = {
        p.tool_call_id: p
        for m in messages
        if isinstance(m, ModelResponse)
        for p in m.parts
        if isinstance(p, ToolCallPart)
    }
    sections: dict[str, list[dict[str, str]]] = {"solution": [], "security": []}
    seen: set[str] = set()
    for part in last.parts:
        if not isinstance(part, ToolReturnPart) or not isinstance(part.content, list) or not part.content:
            continue
        passage = part.content[0]
        if passage["chunk_id"] in seen:
            continue
        seen.add(passage["chunk_id"])
        section = part.tool_call_id.split("-")[0]
        query = calls[part.tool_call_id].args_as_dict()["query"]
        # A proposal's figures and SKUs are the quote's alone: never copy a document's.
        usable = figures.without_amounts(passage["text"], percentages=True)
        usable = "\n".join(line for line in usable.split("\n") if set(SKU.findall(line)) <= quoted)
        text = best_sentences(usable, query, limit=300)
        if text:
            sections[section].append({"text": text, "chunk_id": passage["chunk_id"]})
    return sections


def _draft(brief: dict[str, Any], sections: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    company = brief.get("company", "the customer")
    pain = brief.get("pain") or "moving operational data to analytics faster and more reliably"
    return {
        "executive_summary": (
            f"{company} wants to fix this: {pain}. Halyard Stream replaces batch pipelines with continuous, "
            "log-based change data capture into the systems the team already uses, as a managed service."
        ),
        "situation": f"{company} told us: {pain}."
        + (f" Success means: {brief['metrics']}." if brief.get("metrics") else ""),
        "solution": sections["solution"],
        "security": sections["security"],
        "assumptions": [
            "Source systems allow log-based change data capture with the permissions listed in the connector guides.",
            "The customer provides a technical owner for the proof of concept.",
        ],
        "next_steps": [
            "Review this proposal with the economic buyer"
            + (f" ({brief['economic_buyer']})" if brief.get("economic_buyer") else "")
            + ".",
            "Run a 21-day proof of concept on the first source.",
            "Security review with the SOC 2 Type II report and the security questionnaire.",
            "Order form and signature.",
        ],
    }
