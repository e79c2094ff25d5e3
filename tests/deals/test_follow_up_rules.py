"""The governed follow-up rules: quiet hours in the recipient's own time, and a file that leaves no time to
send (or watches closed deals) refused with the field named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deals.follow_up_rules import FollowUpRulesError, load_follow_up_rules, send_after, zone

RULES = load_follow_up_rules()
QUIET = RULES.quiet_hours  # 19:00-08:00, Saturdays and Sundays
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 2, 15, 0, tzinfo=UTC), None),  # Wednesday 10:00 in New York: now
        (datetime(2026, 12, 3, 1, 0, tzinfo=UTC), datetime(2026, 12, 3, 13, 0, tzinfo=UTC)),  # 20:00: their 08:00
        (datetime(2026, 12, 3, 12, 30, tzinfo=UTC), datetime(2026, 12, 3, 13, 0, tzinfo=UTC)),  # 07:30
        (datetime(2026, 12, 5, 15, 0, tzinfo=UTC), datetime(2026, 12, 7, 13, 0, tzinfo=UTC)),  # Saturday: Monday
        (datetime(2026, 12, 5, 1, 0, tzinfo=UTC), datetime(2026, 12, 7, 13, 0, tzinfo=UTC)),  # Friday 20:00
    ],
)
def test_a_nudge_waits_for_the_end_of_quiet_hours_where_its_recipient_is(now: datetime, expected: datetime | None):
    assert send_after(now, NEW_YORK, QUIET) == expected


def test_a_step_due_tomorrow_where_they_are_waits_for_their_morning():
    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
    assert send_after(now, NEW_YORK, QUIET, not_before=date(2026, 12, 3)) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert send_after(now, NEW_YORK, QUIET, not_before=date(2026, 12, 2)) is None


def test_an_unknown_time_zone_reads_as_utc():
    assert zone("Mars/Olympus_Mons") == ZoneInfo("UTC") and zone(None) == ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("broken", "names"),
    [
        ('quiet_hours: {start: "19:00", end: "19:00"}', "leave no time"),
        ('quiet_hours: {start: "19:00", end: "08:00", days: [mon, tue, wed, thu, fri, sat, sun]}', "leave no time"),
        ('quiet_hours: {start: "25:00", end: "08:00"}', "quiet_hours.start"),
        (
            'quiet_hours: {start: "19:00", end: "08:00"}\nidle: {won: {owner_after_days: 1, manager_after_days: 1}}',
            "closed stages",
        ),
        (
            'quiet_hours: {start: "19:00", end: "08:00"}\nidle: {new: {owner_after_days: 0, manager_after_days: 1}}',
            "idle.new.owner_after_days",
        ),
    ],
)
def test_a_broken_rules_file_is_refused_naming_what_is_wrong(tmp_path: Path, broken: str, names: str):
    path = tmp_path / "follow_ups.yaml"
    path.write_text(f'version: "x"\n{broken}\n')
    with pytest.raises(FollowUpRulesError, match=names):
        load_follow_up_rules(path)
