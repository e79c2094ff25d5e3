"""With a collector configured, a thread message is one trace: the job's span, the agent run and its tool calls."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent

from agents.tracing import configure_tracing
from core.settings import load_settings
from tests.bot.conftest import Harness
from tests.bot.test_discovery_in_slack import open_deal, reply


@pytest.fixture
def spans(tmp_path):
    exporter = InMemorySpanExporter()
    provider = configure_tracing(load_settings(LTO_HOME=str(tmp_path)), exporter=exporter)
    yield exporter
    Agent.instrument_all(False)  # the rest of the suite runs uninstrumented
    provider.shutdown()


async def test_a_thread_message_is_traced_from_its_job_through_the_agent_and_tools(harness: Harness, spans):
    thread = await open_deal(harness, "new Acme Corp")
    spans.clear()
    await reply(harness, thread, "They have 250 seats. Do we support Okta SSO?")
    finished = spans.get_finished_spans()
    names = [span.name for span in finished]
    job = next(span for span in finished if span.name == "job conversation.turn")
    assert job.attributes["lto.correlation_id"]
    agent_run = next(span for span in finished if span.name.startswith("invoke_agent") or "agent run" in span.name)
    assert agent_run.context.trace_id == job.context.trace_id
    tools = [span for span in finished if "record_qualification" in span.name or "search_knowledge" in span.name]
    assert len(tools) >= 2 and all(t.context.trace_id == job.context.trace_id for t in tools), names
    # Message content stays out of spans (it may hold personal data).
    assert not any("250 seats" in str(span.attributes) for span in finished)
