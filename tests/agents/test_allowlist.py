"""Each agent has exactly the tools its allowlist names; a new tool is refused until it is listed."""

from __future__ import annotations

import pytest
from pydantic_ai import Agent

from agents.allowlist import TOOL_ALLOWLIST, enforce, tool_names
from agents.discovery import discovery_agent
from agents.proposal import proposal_agent
from agents.qa import qa_agent


def test_every_agent_has_exactly_its_allowlisted_tools():
    for agent in (discovery_agent, qa_agent, proposal_agent):
        assert tool_names(agent) == TOOL_ALLOWLIST[agent.name]


def test_a_tool_outside_the_allowlist_is_refused():
    rogue = Agent(name="knowledge_qa")

    @rogue.tool_plain
    def run_sql(query: str) -> str:
        return query

    with pytest.raises(RuntimeError, match=r"outside its allowlist: \['run_sql'\]"):
        enforce(rogue)
    with pytest.raises(RuntimeError, match="no tool allowlist"):
        enforce(Agent(name="unlisted"))


def test_commit_quote_always_waits_for_a_decision():
    toolset = next(t for t in discovery_agent.toolsets if "commit_quote" in getattr(t, "tools", {}))
    assert toolset.tools["commit_quote"].requires_approval
