"""The governed follow-up rules (when steps fall due, when an idle deal is nudged and escalated, quiet hours),
and the pure time arithmetic they need: no I/O beyond reading the file."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.governed import GovernedFileError, load_governed
from deals.inspection import Severity
from deals.models import DealStage
from deals.working_days import WEEKDAYS, Weekday, WorkingDays

DEFAULT_FOLLOW_UPS = Path(__file__).resolve().parents[1] / "examples" / "governance" / "follow_ups.yaml"


class FollowUpRulesError(GovernedFileError):
    """The follow-up rules file is invalid; the message names the field."""


class QuietHours(BaseModel):
    """When nobody is nudged, in the local time of the person nudged: every night, and whole days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = Field(description="Local time the quiet night starts, e.g. 19:00.")
    end: time = Field(description="Local time it ends the next morning (or the same day, if after start).")
    days: tuple[Weekday, ...] = Field((), description="Whole days that are quiet, e.g. [sat, sun].")

    def is_quiet(self, local: datetime) -> bool:
        if WEEKDAYS[local.weekday()] in self.days:
            return True
        now = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_allowed(self, local: datetime) -> datetime:
        """The first moment at or after `local` that is not quiet (local time, same zone)."""
        moment = local
        for _ in range(16):  # a week of nights and days; a file making every hour quiet is refused on load
            if not self.is_quiet(moment):
                return moment
            if WEEKDAYS[moment.weekday()] in self.days:
                moment = _at(moment.date() + timedelta(days=1), self.end if self.start > self.end else time(0), moment)
                continue
            today_end = _at(moment.date(), self.end, moment)
            moment = today_end if today_end > moment else _at(moment.date() + timedelta(days=1), self.end, moment)
        raise ValueError("quiet hours leave no time to send")


def _at(day: date, at: time, like: datetime) -> datetime:
    return datetime.combine(day, at, tzinfo=like.tzinfo)


class StepRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    default_due_days: int = Field(
        2, ge=0, le=90, description="A step said without a date is due this many working days on."
    )
    finding_due_days: dict[Severity, int] = Field(
        default_factory=lambda: {Severity.HIGH: 1, Severity.MEDIUM: 3, Severity.LOW: 7},
        description="A finding's next step, accepted by a click, is due this many working days on, by severity.",
    )
    remind_every_days: int = Field(
        2, ge=0, le=30, description="An overdue step is nudged again after this many days; 0: only once."
    )


class IdlePeriods(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    owner_after_days: int = Field(ge=1, le=365, description="Days without activity before the owner is nudged.")
    manager_after_days: int = Field(
        ge=1, le=365, description="Days more, after the owner's nudge, before the owner's manager is."
    )


class FollowUpRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    quiet_hours: QuietHours
    next_steps: StepRules = Field(default_factory=StepRules)
    working_days: WorkingDays = Field(
        default_factory=WorkingDays, description="The days steps fall due on: no weekend, no public holiday."
    )
    idle: dict[DealStage, IdlePeriods] = Field(
        default_factory=dict, description="Stages watched for idleness; a stage not listed is not watched."
    )

    @model_validator(mode="after")
    def _some_time_to_send(self) -> FollowUpRules:
        if len(self.quiet_hours.days) == len(WEEKDAYS) or self.quiet_hours.start == self.quiet_hours.end:
            raise ValueError("quiet_hours leave no time to send a nudge")
        closed = {DealStage.WON, DealStage.LOST, DealStage.DISQUALIFIED} & set(self.idle)
        if closed:
            raise ValueError(f"idle: closed stages are not watched ({', '.join(sorted(closed))})")
        return self

    def finding_due(self, severity: Severity, today: date) -> date:
        days = self.next_steps.finding_due_days.get(severity, self.next_steps.default_due_days)
        return self.working_days.add(today, days)

    def default_due(self, today: date) -> date:
        """When a step said without a date falls due."""
        return self.working_days.add(today, self.next_steps.default_due_days)


def load_follow_up_rules(path: Path = DEFAULT_FOLLOW_UPS) -> FollowUpRules:
    return load_governed(path, FollowUpRules, what="follow-up rules", error=FollowUpRulesError)


def zone(name: str | None) -> ZoneInfo:
    """A person's time zone by its IANA name (Slack's `tz`); UTC when unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def send_after(now: datetime, tz: ZoneInfo, quiet: QuietHours, *, not_before: date | None = None) -> datetime | None:
    """When a nudge to someone in `tz` may go out: None for now, else the moment (UTC) quiet hours end. With
    `not_before`, not before that local day starts (a step due tomorrow where they are is not due yet)."""
    local = now.astimezone(tz)
    if not_before is not None and local.date() < not_before:
        local = datetime.combine(not_before, time(0), tzinfo=tz)
    allowed = quiet.next_allowed(local)
    if allowed <= now.astimezone(tz):
        return None
    return allowed.astimezone(now.tzinfo)
