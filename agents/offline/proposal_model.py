"""The offline proposal model: one knowledge search per thing the proposal must answer, then claims from the passages.

It speaks pydantic-ai's FunctionModel interface. First request: read the brief (the prompt is its
JSON) and call `search_knowledge` once per rival to beat, per integration and per security
requirement. Second request (the passages are in): write the executive summary from the record's
own words, and each claim from the sentences of a retrieved passage that answer its query best,
leaving out what a customer's proposal must not say: amounts, percentages and dates (the quote's
alone), SKUs and products the quote does not price, and what we lack.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo

from agents import figures
from agents.offline.quoting import quote as best_sentences
from agents.offline.quoting import sentences
from agents.proposal_guardrail import DATES

SKU = re.compile(r"\bHS-[A-Z]+\b")
# A proposal says what the customer gets; what we do not offer belongs to discovery and the security review.
NEGATIVE = re.compile(r"\b(?:no|not|cannot|can't|never|lacks?|unless|only|except)\b", re.IGNORECASE)
# Sentences written for the sales team, not for the customer.
INTERNAL_VOICE = re.compile(
    r"\b(?:reps?|prospects?|battlecards?|opportunit(?:y|ies)|discounts?|quotes?|NDA)\b", re.IGNORECASE
)
HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:example|com|net|org|io)\b|@", re.IGNORECASE)
# Words an edition's short name shares with a common term ("Business Associate Agreement" is HIPAA's).
NOT_AN_EDITION = ("associate",)
FAMILY = "Halyard Stream "


def brief_queries(brief: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(section, topic, query) triples the offline drafter searches for."""
    # Battlecards are internal: why us rests on what public material says sets the product apart.
    queries: list[tuple[str, str | None, str]] = [
        ("why_us", None, "real-time data integration event streaming platform one control plane"),
        ("why_us", None, "log-based change data capture consistent snapshot without table locks"),
        ("why_us", None, "exactly-once delivery SQL transformations field-level masking"),
    ]
    for integration in brief.get("integrations", [])[:4]:
        queries.append(("solution", integration, f"{integration} connector"))
    for regime in brief.get("compliance", [])[:4]:
        queries.append(("security", regime, f"{regime} safeguards"))
    if brief.get("deployment"):
        deployment = brief["deployment"].replace("_", "-")
        regions = " ".join(brief.get("regions", []))
        queries.append(("security", "deployment", f"{deployment} deployment hosting regions {regions} data residency"))
    if brief.get("sso_required"):
        provider = brief.get("identity_provider") or "Okta"
        queries.append(("security", "SSO", f"supported identity providers {provider} SAML OIDC SCIM"))
    return queries


def offline_proposal(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Offline: one search per question the proposal answers, then claims from the sentences that answer each."""
    last = messages[-1]
    output = info.output_tools[0].name if info.output_tools else "final_result"
    if isinstance(last, ModelRequest) and any(isinstance(p, UserPromptPart) for p in last.parts):
        return _search_each_question(_brief_in([last]))
    brief = _brief_in(messages)
    sections = _claims_from_results(brief, last)
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


def _search_each_question(brief: dict[str, Any]) -> ModelResponse:
    calls = [
        ToolCallPart("search_knowledge", {"query": query}, tool_call_id=f"{section}-{index}")
        for index, (section, _, query) in enumerate(brief_queries(brief))
    ]
    return ModelResponse(parts=calls, model_name="offline")


def _unnamed(brief: dict[str, Any]) -> re.Pattern[str] | None:
    """Product names the proposal may not use: each unquoted product's name and its edition's short name."""
    names: set[str] = set()
    for name in brief.get("never_name", []):
        if SKU.fullmatch(name):
            continue
        names.add(re.escape(name))
        if name.startswith(FAMILY):
            short = re.escape(name[len(FAMILY) :])
            names.add(rf"{short}(?!\s+(?:{'|'.join(NOT_AN_EDITION)}))")
    if not names:
        return None
    return re.compile(rf"\b(?:{'|'.join(sorted(names))})\b", re.IGNORECASE)


def _squeezed(text: str) -> str:
    """Lower case without spaces or hyphens: "SOC 2" and "SOC2" read the same."""
    return re.sub(r"[\s-]", "", text).lower()


def usable_sentences(text: str, brief: dict[str, Any], *, mentioning: str | None = None) -> str:
    """The passage's sentences a customer's proposal may repeat: prose only (a table row read out is no sentence
    for a customer), whole statements (not a fragment of a chunk cut mid-sentence, a question or a page header),
    positive, free of what the quote alone may state, and, given `mentioning`, naming it."""
    quoted = set(brief.get("quoted_skus", []))
    unnamed = _unnamed(brief)
    prose = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("|"))
    kept = []
    for unit in sentences(figures.without_amounts(prose, percentages=True)):
        if not unit[:1].isalpha() or not unit.rstrip().endswith(".") or NEGATIVE.search(unit):
            continue
        if mentioning and _squeezed(mentioning) not in _squeezed(unit):
            continue
        if set(SKU.findall(unit)) - quoted or (unnamed is not None and unnamed.search(unit)):
            continue
        if DATES.search(unit) or INTERNAL_VOICE.search(unit) or HOST.search(unit):
            continue
        kept.append(unit)
    return "\n".join(kept)


def _on_topic_first(passages: list[dict[str, Any]], topic: str | None) -> list[dict[str, Any]]:
    """Passages whose title or heading names the topic (a HIPAA page for HIPAA) before the others; a section
    about what is not supported, or written for the sales team, answers nothing."""
    answering = [
        p
        for p in passages
        if not (NEGATIVE.search(p.get("section") or "") or INTERNAL_VOICE.search(p.get("section") or ""))
    ]
    if not topic:
        return answering
    return sorted(
        answering, key=lambda p: _squeezed(topic) not in _squeezed(f"{p.get('title', '')} {p.get('section', '')}")
    )


def _claims_from_results(brief: dict[str, Any], last: ModelMessage) -> dict[str, list[dict[str, Any]]]:
    """For each search, the best usable sentences of the first passage that has some, by section and topic."""
    questions = brief_queries(brief)
    sections: dict[str, list[dict[str, Any]]] = {"why_us": [], "solution": [], "security": []}
    seen: set[str] = set()
    for part in last.parts:
        if not isinstance(part, ToolReturnPart) or not isinstance(part.content, list):
            continue
        section, topic, query = questions[int(part.tool_call_id.rsplit("-", 1)[1])]
        for passage in _on_topic_first(part.content, topic):
            if passage["chunk_id"] in seen:
                continue
            # A compliance answer must name the regime it answers, or it answers another question.
            regime = topic if section == "security" and topic in brief.get("compliance", []) else None
            usable = usable_sentences(passage["text"], brief, mentioning=regime)
            # A security answer or a reason to choose us is one sentence; how a system connects may take more.
            text = best_sentences(usable, query, limit=300 if section == "solution" else 1) if usable else ""
            if text:
                seen.add(passage["chunk_id"])
                sections[section].append({"text": text, "chunk_id": passage["chunk_id"], "topic": topic})
                break
    return sections


def _draft(brief: dict[str, Any], sections: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    company = brief.get("company", "Your team")
    pain = (brief.get("pain") or "").strip().rstrip(".")
    summary = (
        f"{company} told us: {pain[:1].lower() + pain[1:]}. "
        if pain
        else f"{company} wants fresher, more reliable data. "
    )
    how = {
        "saas": "run for you as a managed service",
        "hybrid": "with agents inside your network for the sources behind your firewall",
        "self_hosted": "running in your own environment",
    }.get(brief.get("deployment") or "", "run the way your team prefers")
    summary += (
        "We propose to replace batch pipelines with continuous, log-based change data capture into the systems "
        f"your team already uses, {how}, so that the business works from data that is current rather than hours "
        "old."
    )
    if brief.get("metrics"):
        summary += " We will measure the result the way you do, as set out below."
    return {"executive_summary": summary, **sections}
