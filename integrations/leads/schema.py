"""The published JSON Schema of a lead posted to `POST /hooks/leads`, generated from the model.

`python -m integrations.leads.schema` writes docs/leads/lead.v1.json; `--check` says whether the
committed file differs from the model (the tests run the same check).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from integrations.leads.models import LeadIn

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "leads" / "lead.v1.json"


def lead_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "lead.v1.json",
        **LeadIn.model_json_schema(mode="validation"),
    }


def rendered() -> str:
    return json.dumps(lead_schema(), indent=2, ensure_ascii=False) + "\n"


def up_to_date(path: Path = SCHEMA_PATH) -> bool:
    return path.exists() and json.loads(path.read_text(encoding="utf-8")) == lead_schema()


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        fresh = up_to_date()
        sys.stderr.write("the lead schema is up to date\n" if fresh else f"{SCHEMA_PATH.name} differs from LeadIn\n")
        sys.exit(0 if fresh else 1)
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(rendered(), encoding="utf-8")
    sys.stderr.write(f"wrote {SCHEMA_PATH}\n")
