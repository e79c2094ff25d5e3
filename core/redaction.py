"""Redaction of personal identifiers (emails, phone numbers) from text that leaves the product."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# International or North American phone numbers: 7+ digits with separators; not ISO dates or amounts.
_PHONE = re.compile(
    r"(?<![\w.$€£-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,3}(?![\w.%-])"
)
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or _DATE_LIKE.match(text) or not re.search(r"[\s.()+-]", text):
        return text
    return "[phone]"


def redact(text: str) -> str:
    """Replace emails and phone numbers with placeholders; everything else is kept."""
    return _PHONE.sub(_phone, _EMAIL.sub("[email]", text))
