"""Choosing the model: `offline` (deterministic, no network) or any pydantic-ai model name."""

from __future__ import annotations

from typing import Any

from pydantic_ai.models import Model
from pydantic_ai.models.function import FunctionModel

OFFLINE = "offline"


def resolve_model(
    name: str,
    *,
    offline: Any,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
) -> Model | str:
    """`offline` gives the agent's own rule-based function model; anything else goes to pydantic-ai.

    With `base_url`, an `openai:<model>` name talks to that OpenAI-compatible endpoint
    (vLLM, Ollama, LM Studio, a gateway). OpenAI-style models get the OpenAI SDK's own request
    timeout and retries (exponential back-off, Retry-After honoured); other providers use their
    SDKs' defaults. A run that still fails is retried later by the job queue, nothing lost.
    """
    if name == OFFLINE:
        return FunctionModel(offline, model_name=OFFLINE)
    if base_url or name.startswith("openai:"):
        from openai import AsyncOpenAI
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        model_name = name.split(":", 1)[1] if ":" in name else name
        client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or ("none" if base_url else None),  # None: the SDK reads OPENAI_API_KEY
            timeout=timeout,
            max_retries=retries,
        )
        return OpenAIChatModel(model_name, provider=OpenAIProvider(openai_client=client))
    return name


def is_external(name: str) -> bool:
    """Text sent to this model leaves the machine (so it is redacted first when configured)."""
    return name != OFFLINE


def model_from_settings(settings: Any, *, offline: Any) -> Model | str:
    """The model LTO_MODEL (and LTO_MODEL_BASE_URL / LTO_MODEL_API_KEY) name for an agent."""
    return resolve_model(
        settings.model,
        offline=offline,
        base_url=settings.model_base_url,
        api_key=settings.model_api_key.get_secret_value() if settings.model_api_key else None,
        timeout=settings.model_timeout,
        retries=settings.model_retries,
    )
