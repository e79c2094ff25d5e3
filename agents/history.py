"""Conversation histories as stored (pydantic-ai messages as JSON): bounding them and joining turns.

A history is cut only where a user prompt starts, so a tool call and its result (or a paused call
and the decision that resumes it, matched by id) always stay together.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelRequest, UserPromptPart

HISTORY_TURNS = 12  # the model sees the last dozen exchanges; the record carries everything older


def _turn_starts(messages: list[ModelMessage]) -> list[int]:
    return [
        index
        for index, message in enumerate(messages)
        if isinstance(message, ModelRequest) and any(isinstance(p, UserPromptPart) for p in message.parts)
    ]


def bounded(messages: list[ModelMessage], *, turns: int = HISTORY_TURNS) -> list[ModelMessage]:
    """The last `turns` exchanges."""
    starts = _turn_starts(messages)
    if len(starts) <= turns:
        return messages
    return messages[starts[-turns] :]


def load(history_json: list[Any] | None) -> list[ModelMessage]:
    return ModelMessagesTypeAdapter.validate_python(history_json) if history_json else []


def dump(messages: list[ModelMessage]) -> list[Any]:
    return list(ModelMessagesTypeAdapter.dump_python(messages, mode="json"))


def last_turn(history_json: list[Any]) -> list[Any]:
    """A run's last turn: from its user prompt to the end."""
    messages = load(history_json)
    starts = _turn_starts(messages)
    return dump(messages[starts[-1] if starts else 0 :])


def append_turn(earlier_json: list[Any] | None, run_json: list[Any]) -> list[Any]:
    """The stored history with a run's last turn after it (other turns may have been saved while it ran)."""
    return dump(bounded(load(earlier_json) + load(last_turn(run_json))))
