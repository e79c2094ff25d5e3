"""The proposal agent: drafts the prose sections, grounded in retrieved knowledge; code inserts the prices.

The model writes claims and cites chunk ids it retrieved (checked by the output validator).
The guardrail then reads the rendered document: every amount and percentage must come from
the quote, every SKU from the catalog. A draft that fails is regenerated once, then posted
as needing review with the reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo
from pydantic_ai.usage import UsageLimits

from agents.allowlist import enforce
from agents.grounding import search_and_remember
from agents.offline.quoting import quote as best_sentences
from knowledge.models import Passage

PROPOSAL_LIMITS = UsageLimits(request_limit=8, tool_calls_limit=12)


class Claim(BaseModel):
    text: str = Field(description="One product capability statement, close to the cited passage's words.")
    chunk_id: str = Field(description="The retrieved chunk that supports it.")


class ProposalDraft(BaseModel):
    executive_summary: str
    situation: str = Field(description="The customer's situation in their words, from the qualification record.")
    solution: list[Claim] = Field(default_factory=list)
    security: list[Claim] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)


@dataclass
class ProposalDeps:
    brief: dict[str, Any]  # company, pain, requirements... (no prices: the model never sees or writes them)
    search: Callable[[str, str | None, str | None], list[Passage]] | None
    passages: list[Passage] = field(default_factory=list)


proposal_agent: Agent[ProposalDeps, ProposalDraft] = Agent(
    deps_type=ProposalDeps,
    output_type=ProposalDraft,
    name="proposal",
    instructions=(
        "Draft the prose sections of a sales proposal for Halyard Stream from the brief. Search the knowledge base "
        "for each requirement (integrations, deployment, security and compliance) and state capabilities only as "
        "claims that cite the chunk_id they come from. Never write prices, amounts, discounts or percentages: the "
        "pricing section is inserted by the CPQ engine. Never name a SKU the brief does not list."
    ),
    retries=2,
)


@proposal_agent.tool
def search_knowledge(ctx: RunContext[ProposalDeps], query: str) -> list[dict[str, Any]] | str:
    """Search the knowledge base; returns passages with chunk_id, title, section, source and text."""
    return search_and_remember(ctx.deps.search, ctx.deps.passages, query)


@proposal_agent.output_validator
def claims_cite_retrieved_chunks(ctx: RunContext[ProposalDeps], draft: ProposalDraft) -> ProposalDraft:
    retrieved = {p.chunk_id for p in ctx.deps.passages}
    unknown = [c.chunk_id for c in [*draft.solution, *draft.security] if c.chunk_id not in retrieved]
    if unknown:
        raise ModelRetry(f"Claims cite chunks that were not retrieved: {unknown}. Cite only retrieved chunk ids.")
    return draft


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
    import json

    last = messages[-1]
    output = info.output_tools[0].name if info.output_tools else "final_result"
    if isinstance(last, ModelRequest) and any(isinstance(p, UserPromptPart) for p in last.parts):
        prompt = next(str(p.content) for p in last.parts if isinstance(p, UserPromptPart))
        brief = json.loads(prompt)
        calls = [
            ToolCallPart("search_knowledge", {"query": q}, tool_call_id=f"{section}-{i}")
            for i, (section, q) in enumerate(brief_queries(brief))
        ]
        return ModelResponse(parts=calls, model_name="offline")
    brief = json.loads(
        next(
            str(p.content)
            for m in messages
            if isinstance(m, ModelRequest)
            for p in m.parts
            if isinstance(p, UserPromptPart)
        )
    )
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
        sections[section].append(
            {"text": best_sentences(passage["text"], query, limit=300), "chunk_id": passage["chunk_id"]}
        )
    company = brief.get("company", "the customer")
    pain = brief.get("pain") or "moving operational data to analytics faster and more reliably"
    draft = {
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
    return ModelResponse(parts=[ToolCallPart(output, draft)], model_name="offline")


_MONEY = re.compile(
    r"(?:[$€£]|\b(?:USD|EUR|GBP)\s?)\s?\d[\d,]*(?:\.\d+)?\s?[kKmM]?\b|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|dollars|euros)\b"
)
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?%")
_SKU = re.compile(r"\bHS-[A-Z]+\b")


def guardrail(
    document: str, *, allowed_money: set[str], allowed_percent: set[str], catalog_skus: set[str], grounded_text: str
) -> list[str]:
    """Problems with a rendered draft; empty when every number is the quote's and every SKU is real.

    `grounded_text` is the retrieved passages' text: figures quoted from them (an SLA of 99.95%)
    are the knowledge base's, not invented.
    """
    problems = []
    normal = lambda s: re.sub(r"\s", "", s)  # noqa: E731
    for match in _MONEY.finditer(document):
        token = normal(match.group(0))
        if token not in allowed_money and token not in normal(grounded_text):
            problems.append(f"amount '{match.group(0).strip()}' is not from the quote")
    for match in _PERCENT.finditer(document):
        token = normal(match.group(0))
        if token not in allowed_percent and token not in normal(grounded_text):
            problems.append(f"percentage '{match.group(0).strip()}' is not from the quote")
    for sku in sorted(set(_SKU.findall(document)) - catalog_skus):
        problems.append(f"SKU {sku} is not in the catalog")
    return problems


enforce(proposal_agent)  # least privilege: its tools are exactly those agents/allowlist.py names
