"""Working days: nothing falls due on a weekend or on a public holiday of the team's calendar, and a rules file
naming a calendar nobody knows is refused with the field named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from deals.follow_up_rules import FollowUpRulesError, load_follow_up_rules
from deals.inspection import Severity
from deals.working_days import Weekday, WorkingDays

US = WorkingDays()
THURSDAY = date(2026, 12, 3)
CHRISTMAS_EVE = date(2026, 12, 24)  # a Thursday


def test_working_days_skip_the_weekend():
    assert US.add(THURSDAY, 1) == date(2026, 12, 4)
    assert US.add(THURSDAY, 2) == date(2026, 12, 7)  # Friday, then Monday
    assert US.add(date(2026, 12, 5), 0) == date(2026, 12, 7)  # said on a Saturday, due "today": Monday


def test_working_days_skip_the_calendars_public_holidays():
    assert US.holiday(date(2026, 12, 25)) == "Christmas Day"
    assert US.add(CHRISTMAS_EVE, 1) == date(2026, 12, 28)
    assert US.add(date(2026, 11, 25), 1) == date(2026, 11, 27)  # Thanksgiving is the 26th
    assert WorkingDays(holidays=None).add(CHRISTMAS_EVE, 1) == date(2026, 12, 25)


def test_a_subdivision_has_its_own_holidays():
    scotland, england = WorkingDays(holidays="GB-SCT"), WorkingDays(holidays="GB-ENG")
    st_andrews_day = date(2026, 11, 30)  # a Monday, a bank holiday in Scotland only
    assert not scotland.is_working(st_andrews_day) and england.is_working(st_andrews_day)


def test_another_weekend():
    friday_saturday = WorkingDays(weekend=(Weekday.FRI, Weekday.SAT), holidays=None)
    assert friday_saturday.add(date(2026, 12, 3), 1) == date(2026, 12, 6)  # Thursday, then Sunday
    assert friday_saturday.describe() == "Due dates count working days (Sun to Thu; public holidays are not known)."


def test_the_shipped_rules_count_working_days_for_steps_said_without_a_date_and_for_findings():
    rules = load_follow_up_rules()
    assert rules.default_due(THURSDAY) == date(2026, 12, 7)
    assert rules.finding_due(Severity.MEDIUM, date(2026, 12, 2)) == date(2026, 12, 7)
    assert rules.finding_due(Severity.HIGH, CHRISTMAS_EVE) == date(2026, 12, 28)


@pytest.mark.parametrize(
    ("working_days", "names"),
    [
        ("{holidays: XX}", "working_days.holidays"),
        ("{holidays: US-ZZ}", "not a country code"),
        ("{weekend: [mon, tue, wed, thu, fri, sat, sun]}", "working_days.weekend"),
    ],
)
def test_a_calendar_nobody_knows_is_refused_naming_the_field(tmp_path: Path, working_days: str, names: str):
    path = tmp_path / "follow_ups.yaml"
    path.write_text(f'version: "x"\nquiet_hours: {{start: "19:00", end: "08:00"}}\nworking_days: {working_days}\n')
    with pytest.raises(FollowUpRulesError, match=names):
        load_follow_up_rules(path)
