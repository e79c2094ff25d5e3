"""A local OpenAI-compatible chat-completions server that answers from a script (the model provider's boundary)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """An assistant message that calls tools, as OpenAI's API returns it."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(calls)
        ],
    }


class ScriptedChatServer:
    """Each POST /v1/chat/completions gets the next scripted assistant message; requests are kept."""

    def __init__(self, script: list[Reply], *, api_key: str = "test-key", fail_first: int = 0) -> None:
        self.script = list(script)
        self.fail_first = fail_first  # answer this many requests with 503 first (a provider hiccup)
        self.requests: list[dict[str, Any]] = []
        self.api_key = api_key
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._complete)

    async def _complete(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}, 401)
        body = await request.json()
        self.requests.append(body)
        if self.fail_first > 0:
            self.fail_first -= 1
            return JSONResponse({"error": {"message": "overloaded", "type": "server_error"}}, 503)
        if not self.script:
            return JSONResponse({"error": {"message": "script exhausted", "type": "server_error"}}, 500)
        reply = self.script.pop(0)
        message = reply(body) if callable(reply) else reply
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "scripted"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
            }
        )
