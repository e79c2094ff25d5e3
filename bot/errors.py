"""Errors the Slack surface shows to people: each carries the sentence the user sees."""

from __future__ import annotations


class BotError(Exception):
    """A problem the user can act on; the message is shown to them ephemerally."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPayload(BotError):
    """A button value or modal metadata that does not parse: tampered with, or from an old version."""


class NotAllowed(BotError):
    """The person may not do this."""
