"""TEMPORARY minimal extractor (seats and compliance only), replaced by the full rule set."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, Field

from core.qualification import Qualification, QualificationUpdate


class Extraction(BaseModel):
    update: QualificationUpdate = Field(default_factory=QualificationUpdate)
    evidence: dict[str, str] = Field(default_factory=dict)
    disqualify_reason: str | None = None


def extract(text: str, *, today: date, known: Qualification | None = None) -> Extraction:
    update = QualificationUpdate()
    seats = re.findall(r"(\d+)\s+seats", text)
    if seats:
        update.seats = int(seats[-1])
    if "soc2" in text.lower() or "soc 2" in text.lower():
        update.compliance = ["SOC2"]
    if "frankfurt" in text.lower():
        update.regions = ["EU"]
    return Extraction(update=update)
