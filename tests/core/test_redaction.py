"""Redaction of emails and phone numbers, and what it must leave alone."""

from __future__ import annotations

import pytest

from core.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@acme.com today", "mail [email] today"),
        ("call +1 (617) 555-0142 or 020 7946 0958", "call [phone] or [phone]"),
        ("budget $180,000 by 2027-03-31", "budget $180,000 by 2027-03-31"),
        ("250 seats for 3 years at 22%", "250 seats for 3 years at 22%"),
    ],
)
def test_identifiers_are_replaced_and_numbers_that_matter_are_kept(text, expected):
    assert redact(text) == expected
