"""Routing a lead to its owner by the governed rules: territory by country, segment by size, first rule wins.

The rules are pure (`match`); only a round robin needs state, and that state is a row per pool
advanced with one conditional UPDATE in the caller's transaction, so two replicas routing at once
take different turns, and a rolled-back routing gives its turn back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import Clock
from core.governed import GovernedFileError, load_governed
from core.jobs import insert_ignoring_conflict
from integrations.leads.models import RoutingCursor, country_code

DEFAULT_ROUTING = Path(__file__).resolve().parents[2] / "examples" / "governance" / "routing.yaml"

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,59}$")]
SlackUser = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,31}$")]


class RoutingError(GovernedFileError):
    """The routing rules file is invalid; the message names the file and the field."""


class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name
    min_employees: int = Field(ge=0)


class Rule(BaseModel):
    """When the lead's territory and segment match (an unset condition matches any), assign its owner."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name
    territory: Name | None = None
    segment: Name | None = None
    owner: SlackUser | None = None
    round_robin: list[SlackUser] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_assignment(self) -> Rule:
        if (self.owner is None) == (not self.round_robin):
            raise ValueError(f"rule {self.name} needs either owner or round_robin (a list of Slack user ids)")
        return self

    @property
    def reps(self) -> list[str]:
        return [self.owner] if self.owner else list(self.round_robin)


class RoutingRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str = Field(min_length=1)
    territories: dict[Name, list[str]] = Field(default_factory=dict)
    segments: list[Segment] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    fallback: Rule

    @field_validator("territories")
    @classmethod
    def _iso_countries(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        codes: dict[str, list[str]] = {}
        for territory, countries in value.items():
            for country in countries:
                code = country_code(country)
                if code is None:
                    raise ValueError(f"{territory}: {country!r} is not an ISO 3166 country")
                codes.setdefault(territory, []).append(code)
        return codes

    @model_validator(mode="after")
    def _known_names(self) -> RoutingRules:
        segments = {segment.name for segment in self.segments}
        names = [rule.name for rule in [*self.rules, self.fallback]]
        if len(set(names)) != len(names):
            raise ValueError("rule names must be unique (a round robin's turn is kept by its rule's name)")
        for rule in self.rules:
            if rule.territory is not None and rule.territory not in self.territories:
                raise ValueError(f"rule {rule.name}: territory {rule.territory} is not defined under territories")
            if rule.segment is not None and rule.segment not in segments:
                raise ValueError(f"rule {rule.name}: segment {rule.segment} is not defined under segments")
        if self.fallback.territory or self.fallback.segment:
            raise ValueError("the fallback takes every lead: it has no territory or segment")
        return self

    def territory_of(self, country: str | None) -> str | None:
        return next((name for name, codes in self.territories.items() if country in codes), None)

    def segment_of(self, employees: int | None) -> str | None:
        if employees is None:
            return None
        eligible = [s for s in self.segments if employees >= s.min_employees]
        return max(eligible, key=lambda s: s.min_employees).name if eligible else None

    def match(self, *, country: str | None, employees: int | None) -> Placement:
        """The rule that decides for a lead from this country of this size (the fallback if none does)."""
        territory, segment = self.territory_of(country), self.segment_of(employees)
        for rule in self.rules:
            if rule.territory not in (None, territory) or rule.segment not in (None, segment):
                continue
            return Placement(rule=rule, territory=territory, segment=segment)
        return Placement(rule=self.fallback, territory=territory, segment=segment)


@dataclass(frozen=True)
class Placement:
    rule: Rule
    territory: str | None
    segment: str | None


@dataclass(frozen=True)
class Assignment:
    owner: str
    rule: str
    territory: str | None
    segment: str | None
    version: str


def load_routing(path: Path = DEFAULT_ROUTING) -> RoutingRules:
    return load_governed(path, RoutingRules, what="routing", error=RoutingError)


def next_turn(session: Session, *, pool: str, clock: Clock) -> int:
    """This pool's next position (0, 1, 2 ...), taken in the caller's transaction: the row lock (PostgreSQL)
    or the single writer (SQLite) makes two concurrent routings take two different turns."""
    now = clock.now()
    insert_ignoring_conflict(session, RoutingCursor, {"pool": pool, "position": 0, "updated_at": now})
    taken = session.execute(
        update(RoutingCursor)
        .where(RoutingCursor.pool == pool)
        .values(position=RoutingCursor.position + 1, updated_at=now)
        .returning(RoutingCursor.position)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(taken) - 1


def assign(
    session: Session, rules: RoutingRules, *, country: str | None, employees: int | None, clock: Clock
) -> Assignment:
    """Who owns a lead from this country of this size, by the first rule that matches."""
    placement = rules.match(country=country, employees=employees)
    rule = placement.rule
    owner = (
        rule.owner
        if rule.owner
        else rule.round_robin[next_turn(session, pool=rule.name, clock=clock) % len(rule.round_robin)]
    )
    return Assignment(
        owner=owner, rule=rule.name, territory=placement.territory, segment=placement.segment, version=rules.version
    )


def pool_position(session: Session, pool: str) -> int:
    """How many turns a round-robin pool has given (0 for one never used)."""
    return session.scalar(select(RoutingCursor.position).where(RoutingCursor.pool == pool)) or 0
