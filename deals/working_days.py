"""The days work falls due on: not the weekend, not a public holiday of the team's calendar.

A step said "in two days" on a Thursday is due on Monday, and a POC's milestones skip Christmas Day. The
holidays come from the `holidays` package by country code (ISO 3166, with an optional subdivision:
"US", "GB-SCT", "DE-BY"), so a team names its calendar in the follow-up rules instead of listing dates.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta
from functools import lru_cache

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Weekday(enum.StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAYS = list(Weekday)
LONGEST_BREAK = 31  # days: no real calendar closes longer in a row; the bound keeps the search finite


class WorkingDays(BaseModel):
    """The team's working calendar, from the follow-up rules file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekend: tuple[Weekday, ...] = Field((Weekday.SAT, Weekday.SUN), description="Days nothing falls due on.")
    holidays: str | None = Field(
        "US", description='Public holidays nothing falls due on, by country code ("US", "GB-SCT"); null: none.'
    )

    @field_validator("holidays")
    @classmethod
    def _known_calendar(cls, code: str | None) -> str | None:
        if code:
            _holidays(code)  # raises ValueError with the codes it knows
        return code or None

    @field_validator("weekend")
    @classmethod
    def _some_working_day(cls, weekend: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(weekend)) == len(WEEKDAYS):
            raise ValueError("every day of the week is weekend: nothing could fall due")
        return weekend

    def holiday(self, day: date) -> str | None:
        """The public holiday `day` is, by name, or None."""
        return _holidays(self.holidays).get(day) if self.holidays else None

    def is_working(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] not in self.weekend and self.holiday(day) is None

    def on_or_after(self, day: date) -> date:
        """`day` if work falls due on it, else the next day that it does."""
        for offset in range(LONGEST_BREAK + 7):
            if self.is_working(day + timedelta(days=offset)):
                return day + timedelta(days=offset)
        raise ValueError(f"no working day within {LONGEST_BREAK + 7} days of {day.isoformat()}")

    def add(self, start: date, days: int) -> date:
        """`days` working days after `start` (0: `start` itself, or the next working day if it is not one)."""
        current = self.on_or_after(start) if days <= 0 else start
        for _ in range(days):
            current = self.on_or_after(current + timedelta(days=1))
        return current

    def describe(self) -> str:
        """How due dates are counted, in words for a plan's assumptions."""
        starts = [i for i in range(7) if WEEKDAYS[i - 1] in self.weekend and WEEKDAYS[i] not in self.weekend]
        week = WEEKDAYS[starts[0] :] + WEEKDAYS[: starts[0]] if starts else WEEKDAYS  # from after the weekend
        working = [day.value.capitalize() for day in week if day not in self.weekend]
        one_run = len(starts) <= 1 and len(working) > 2  # "Mon to Fri"; a split week is listed
        days = f"{working[0]} to {working[-1]}" if one_run else ", ".join(working)
        closed = f"; no {self.holidays} public holiday" if self.holidays else "; public holidays are not known"
        return f"Due dates count working days ({days}{closed})."


@lru_cache(maxsize=16)
def _holidays(code: str) -> holidays.HolidayBase:
    country, _, subdivision = code.upper().partition("-")
    try:
        return holidays.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError:
        raise ValueError(f"{code!r} is not a country code the holiday calendar knows (e.g. US, GB, DE)") from None
