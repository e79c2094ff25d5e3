"""OpenTelemetry tracing, when a collector is configured: one trace per job, agent runs inside it.

pydantic-ai's own instrumentation records each agent run, model request and tool call as spans
(with token usage); the worker opens a span per job carrying the Slack request's correlation id,
so a trace follows a request from its job through the agent, its tools and its Web API calls.
Message content is left out of spans (`include_content=False`): it may hold personal data.
"""

from __future__ import annotations

import logging
from typing import Any

from core.settings import Settings

logger = logging.getLogger(__name__)


def configure_tracing(settings: Settings, *, exporter: Any = None) -> Any:
    """Install a tracer provider and instrument every agent; returns the provider (None when off).

    `exporter` overrides the OTLP exporter (tests pass an in-memory one).
    """
    if not settings.otel_endpoint and exporter is None:
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        logger.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the `otel` extra is not installed: no tracing")
        return None
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings

    provider = TracerProvider(resource=Resource.create({"service.name": "lead-to-order"}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # reads the OTEL_* variables
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    Agent.instrument_all(InstrumentationSettings(tracer_provider=provider, include_content=False))
    return provider
