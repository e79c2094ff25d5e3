"""Small text rules shared by every view: escaping user text and keeping within Block Kit limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

# Mrkdwn is made safe in one place, below bot/ because agents write mrkdwn too: `escape` for every
# value a person provided, `untrusted` for a reply a model wrote.
from agents.mrkdwn import escape, escape_keeping_mentions, untrusted

__all__ = ["as_dicts", "clip", "escape", "escape_keeping_mentions", "untrusted"]


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    """Validate (lengths, required fields) and serialise blocks for the Web API."""
    for block in blocks:
        block.validate_json()
    return [block.to_dict() for block in blocks]
