"""The governed review rules: validated on load, a broken file refused with the field that is wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from approvals.review_policy import DEFAULT_REVIEWS, ReviewPolicyError, load_review_policy

VALID = """
version: "test-1"
channel: sales-engineering
reviewers: [S0SALESENG, U0SE1]
sla: {remind_after: 4h, escalate_after: 1d, escalate_to: [U0MGR], expire_after: 5d}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reviews.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_rules_load_with_their_version_channel_and_sla():
    policy = load_review_policy(DEFAULT_REVIEWS)
    assert policy.version and policy.channel == "sales-engineering" and "S0SALESENG" in policy.reviewers
    assert policy.sla.after("remind_after") == timedelta(hours=4) and policy.sla.expires_after == timedelta(days=5)


def test_a_valid_file_loads(tmp_path: Path):
    policy = load_review_policy(_write(tmp_path, VALID))
    assert policy.version == "test-1" and policy.sla.escalate_to == ["U0MGR"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("4h", "four hours"), "durations look like"),
        (("expire_after: 5d", "expire_after: 2h"), "remind_after must be shorter than expire_after"),
        (("escalate_to: [U0MGR], ", ""), "escalate_after needs escalate_to"),
        (("[S0SALESENG, U0SE1]", "[sales-engineers]"), "is not a Slack user"),
        (("channel: sales-engineering\n", ""), "channel"),
        (("reviewers: [S0SALESENG, U0SE1]", "reviewers: []"), "reviewers"),
    ],
)
def test_a_broken_file_is_refused_with_the_field_that_is_wrong(tmp_path: Path, change, named):
    with pytest.raises(ReviewPolicyError, match=named) as refused:
        load_review_policy(_write(tmp_path, VALID.replace(*change)))
    assert str(tmp_path) in str(refused.value)  # the message names the file


def test_an_unknown_field_is_refused(tmp_path: Path):
    with pytest.raises(ReviewPolicyError, match="reminder_after"):
        load_review_policy(_write(tmp_path, VALID + "reminder_after: 1h\n"))
