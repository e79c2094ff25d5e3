"""How a Slack message becomes a model prompt: the same shape for the offline model and for LLMs."""

from __future__ import annotations

import re
from datetime import date

_HEADER = re.compile(r"^Message from (?P<user>\S+) on (?P<day>\d{4}-\d{2}-\d{2}):\n", re.MULTILINE)
MAX_PROMPT_CHARS = 8000


def turn_prompt(*, user: str, day: date, text: str) -> str:
    """The rep's words as quoted data, with who wrote them and when (relative dates need the day)."""
    if len(text) > MAX_PROMPT_CHARS:
        text = text[:MAX_PROMPT_CHARS] + "\n[message cut: it was longer than the assistant reads]"
    return f"Message from {user} on {day.isoformat()}:\n{text}"


def parse_turn_prompt(prompt: str) -> tuple[str | None, date | None, str]:
    """(user, day, text) back from `turn_prompt`; plain text gives (None, None, text)."""
    match = _HEADER.match(prompt)
    if not match:
        return None, None, prompt
    return match["user"], date.fromisoformat(match["day"]), prompt[match.end() :]
