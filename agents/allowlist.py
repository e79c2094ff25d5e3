"""Least privilege for agents: each agent's tools are named here, and nothing else may be registered.

A tool added to an agent without being added here fails at import (and in the test suite), so
giving an agent a new power is a visible, reviewed change. What each tool may touch is limited
by its deps: the deal of the thread, the knowledge search, the CRM port; never the database.
"""

from __future__ import annotations

from typing import Any

TOOL_ALLOWLIST: dict[str, frozenset[str]] = {
    "discovery": frozenset(
        {
            "record_qualification",
            "flag_risk",
            "search_knowledge",
            "get_account_context",
            "propose_disqualification",
            "propose_next_step",  # proposes only: the rep adds the step with a click
            "preview_price",  # read-only: a CPQ ballpark, nothing committed
            "schedule_meeting",  # offers times to the rep; books nothing
            "commit_quote",  # requires approval: code prices it and the policy decides
        }
    ),
    "knowledge_qa": frozenset({"search_knowledge"}),
    "proposal": frozenset({"search_knowledge"}),
}


def tool_names(agent: Any) -> set[str]:
    return {name for toolset in agent.toolsets for name in getattr(toolset, "tools", {})}


def enforce(agent: Any) -> Any:
    """Refuse an agent whose tools go beyond its allowlist."""
    allowed = TOOL_ALLOWLIST.get(agent.name)
    if allowed is None:
        raise RuntimeError(f"agent {agent.name!r} has no tool allowlist in agents/allowlist.py")
    extra = tool_names(agent) - allowed
    if extra:
        raise RuntimeError(f"agent {agent.name!r} has tools outside its allowlist: {sorted(extra)}")
    return agent
