"""The published contract: a JSON Schema per event type and version, generated from the models in core/events.py.

`python -m integrations.events.schemas` writes them to docs/events/ (`deal.stage_changed.v1.json`, ...);
`--check` only says which committed files differ from the models (tests/integrations/test_events.py
runs the same check, so a model changed without its schema fails CI).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from core.events import PUBLISHED_SCHEMAS, DomainEvent

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "events"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_of(model: type[DomainEvent]) -> dict[str, Any]:
    """The model's JSON Schema as subscribers receive the event (serialization mode: decimals are strings)."""
    return {"$schema": DIALECT, "$id": f"{model.schema_name()}.json", **model.model_json_schema(mode="serialization")}


def rendered(model: type[DomainEvent]) -> str:
    return json.dumps(schema_of(model), indent=2, ensure_ascii=False) + "\n"


def differences(folder: Path = SCHEMA_DIR) -> list[str]:
    """What is out of date in `folder`: missing or changed schema files, and files no model produces."""
    expected = {f"{model.schema_name()}.json": model for model in PUBLISHED_SCHEMAS}
    problems = []
    for name, model in expected.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif json.loads(path.read_text(encoding="utf-8")) != schema_of(model):
            problems.append(f"{name} differs from {model.__name__}")
    problems += [f"{p.name} matches no event model" for p in sorted(folder.glob("*.json")) if p.name not in expected]
    return problems


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for model in PUBLISHED_SCHEMAS:
        path = folder / f"{model.schema_name()}.json"
        path.write_text(rendered(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        found = differences()
        sys.stderr.write("".join(f"{line}\n" for line in found) or "event schemas are up to date\n")
        sys.exit(1 if found else 0)
    for path in write_schemas():
        sys.stderr.write(f"wrote {path}\n")
