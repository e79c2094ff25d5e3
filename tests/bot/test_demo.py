"""The demo's simulated time: it moves on to a working morning where the step's owner is, so the nudge it shows
is never held back by quiet hours, whatever the hour the demo runs at."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.demo import SCRIPT, Act, _working_morning
from deals.follow_up_rules import load_follow_up_rules

NEW_YORK = ZoneInfo("America/New_York")


def test_time_moves_on_to_ten_on_the_first_weekday_the_step_is_due_and_never_less_than_a_day():
    friday_night = datetime(2026, 12, 4, 23, 30, tzinfo=NEW_YORK)
    assert _working_morning(date(2026, 12, 4), after=friday_night) == datetime(2026, 12, 7, 10, 0, tzinfo=NEW_YORK)
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=NEW_YORK)
    assert _working_morning(date(2026, 12, 3), after=monday) == datetime(2026, 12, 3, 10, 0, tzinfo=NEW_YORK)
    assert _working_morning(date(2026, 11, 30), after=monday) == datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK)
    quiet = load_follow_up_rules().quiet_hours
    for after in (friday_night, monday):
        assert not quiet.is_quiet(_working_morning(date(2026, 12, 5), after=after))


def test_the_script_shows_a_nudge_after_time_passes_and_the_rep_acts_on_it_before_quoting():
    acts = [step.act for step in SCRIPT]
    passes, clicked = acts.index(Act.TIME_PASSES), acts.index(Act.CLICK_NUDGE)
    assert acts.index(Act.ACCEPT_FINDING) < passes < clicked < acts.index(Act.APPROVE_AS)
