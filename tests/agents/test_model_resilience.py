"""A real-model path that survives provider hiccups: the SDK retries with back-off inside the request."""

from __future__ import annotations

from pydantic_ai import Agent, models

from agents.models import resolve_model
from bot.serving import serve_asgi
from tests.fakes.openai_compat import ScriptedChatServer


async def test_a_503_from_the_provider_is_retried_and_the_run_succeeds():
    server = ScriptedChatServer([{"role": "assistant", "content": "fine"}], fail_first=1)
    async with serve_asgi(server.app) as url:
        model = resolve_model("openai:gpt-test", offline=None, base_url=f"{url}/v1", api_key="test-key", retries=2)
        with models.override_allow_model_requests(True):
            result = await Agent(model).run("hello")
    assert result.output == "fine" and len(server.requests) == 2


async def test_with_no_retries_the_failure_reaches_the_caller_which_keeps_the_turn_for_later():
    import pytest
    from pydantic_ai.exceptions import ModelHTTPError

    server = ScriptedChatServer([{"role": "assistant", "content": "fine"}], fail_first=1)
    async with serve_asgi(server.app) as url:
        model = resolve_model("openai:gpt-test", offline=None, base_url=f"{url}/v1", api_key="test-key", retries=0)
        with models.override_allow_model_requests(True), pytest.raises(ModelHTTPError):
            await Agent(model).run("hello")
