"""Pydantic validation errors as one line a person can act on: the field path, then what is wrong."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails


def field_path(error: ErrorDetails) -> str:
    """`skus.3.prices.USD`: where in the document the problem is ('' for the document as a whole)."""
    return ".".join(str(part) for part in error["loc"])


def problem_text(error: ErrorDetails) -> str:
    """What is wrong, on one line; a rule's own sentence without pydantic's 'Value error, ' prefix."""
    cause = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
    text = str(cause) if cause is not None else error["msg"]
    return " ".join(text.split())


def one_line(exc: ValidationError) -> str:
    """The first problem as `path: what is wrong`, and how many more there are."""
    problems = exc.errors()
    first = problems[0]
    where = field_path(first)
    text = f"{where}: {problem_text(first)}" if where else problem_text(first)
    more = len(problems) - 1
    return f"{text} (and {more} more)" if more else text
