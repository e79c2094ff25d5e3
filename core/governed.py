"""Governed files (catalog, approval policy, role map): YAML validated by a pydantic model on load.

Every governed file is read the same way, and a broken one is refused with one line that names
the file and the failing field, e.g. `catalog examples/governance/catalog.yaml: skus.3.prices.USD:
Input should be a valid decimal`, so whoever edited it can fix it without reading a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.validation import one_line

Governed = TypeVar("Governed", bound=BaseModel)


class GovernedFileError(ValueError):
    """A governed file cannot be read or is invalid; the message is one line naming the file and field."""


def read_yaml(path: Path, *, what: str, error: type[GovernedFileError] = GovernedFileError) -> object:
    """The parsed document, or `error` saying why the file cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{what} {path} cannot be read: {unreadable_because(exc)}") from None


def unreadable_because(exc: Exception) -> str:
    """`line 4, column 7: expected ...` for a YAML syntax error; the system's reason for a missing file."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem or exc.context}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split())


def load_governed(
    path: Path, model: type[Governed], *, what: str, error: type[GovernedFileError] = GovernedFileError
) -> Governed:
    """Read `path` and validate it as `model`; `what` names the file's kind in the error ('catalog').

    `error` is the domain's own subclass of GovernedFileError, for callers that catch it by name.
    """
    document = read_yaml(path, what=what, error=error)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise error(f"{what} {path}: {one_line(exc)}") from None
