"""What every stored agent output records about its inputs, in one shape across agents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from core.settings import Settings

if TYPE_CHECKING:
    from pydantic_ai.usage import RunUsage


class RetrievedChunk(Protocol):
    """What provenance records of a retrieved passage (`knowledge.models.Passage`)."""

    @property
    def chunk_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def updated_at(self) -> str | None: ...


def model_of(settings: Settings) -> dict[str, Any]:
    """The model and the settings that shaped its answer (never a key)."""
    endpoint = urlparse(settings.model_base_url).netloc if settings.model_base_url else None
    return {
        "name": settings.model,
        "endpoint": endpoint,
        "timeout_s": settings.model_timeout,
        "retries": settings.model_retries,
        "redacted_before_model": settings.redact_before_model and settings.model != "offline",
    }


def chunks_of(passages: Sequence[RetrievedChunk]) -> list[dict[str, Any]]:
    """Retrieved chunks with their version: the id is derived from source and content, so it changes
    whenever the text does; `updated_at` is the document's own date."""
    return [{"id": p.chunk_id, "source": p.source, "updated_at": p.updated_at} for p in passages]


def usage_of(usage: RunUsage) -> dict[str, int]:
    return {
        "requests": usage.requests,
        "tool_calls": usage.tool_calls,
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
    }
