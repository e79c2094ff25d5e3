"""Who may do what: roles from configuration, permissions from code. Slack-agnostic.

A rep sees and changes the deals they own or that were shared with them, and shares only the
deals they own; managers, the deal desk and admins see and change every deal (managers and admins
share any); legal and security see every deal (to review it) but change none; admin commands are
for admins. Each check returns the reason in words the person who was refused can act on, without
naming a deal or an owner the person may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core import audit, outbox
from core.clock import Clock
from core.governed import GovernedFileError, load_governed
from deals.models import Deal, DealShare

DEFAULT_ROLES = Path(__file__).resolve().parents[1] / "examples" / "governance" / "roles.yaml"


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    DEAL_DESK = "deal_desk"
    LEGAL = "legal"
    SECURITY = "security"
    SALES_ENGINEER = "sales_engineer"  # reviews technical scope and POC plans; joins demos
    ADMIN = "admin"


class Action(StrEnum):
    READ_DEAL = "read_deal"  # status, card, export
    CHANGE_DEAL = "change_deal"  # discovery replies, quotes, proposals, disqualify
    SHARE_DEAL = "share_deal"  # let someone else see and change it: the owner's call (or a manager's)
    ADMIN = "admin"  # outbox replay, reload governed files


SEE_EVERY_DEAL = {Role.MANAGER, Role.DEAL_DESK, Role.LEGAL, Role.SECURITY, Role.SALES_ENGINEER, Role.ADMIN}
CHANGE_EVERY_DEAL = {Role.MANAGER, Role.DEAL_DESK, Role.ADMIN}
SHARE_EVERY_DEAL = {Role.MANAGER, Role.ADMIN}
SEE_TEAM_OUTCOMES = {Role.MANAGER, Role.ADMIN}


class RolesError(GovernedFileError):
    """The roles file is invalid; the message names the field."""


class RoleMap(BaseModel):
    version: str
    roles: dict[Role, list[str]] = Field(default_factory=dict)
    reports_to: dict[str, str] = Field(
        default_factory=dict, description="A rep's manager (Slack user ids), told when the rep's deal goes quiet."
    )

    def managers_of(self, user_id: str) -> list[str]:
        """Who hears about this person's quiet deals: their manager, else everyone in the manager role."""
        if user_id in self.reports_to:
            return [self.reports_to[user_id]]
        return list(self.roles.get(Role.MANAGER, []))

    def of(self, user_id: str, groups: set[str]) -> set[Role]:
        identities = {user_id} | groups
        found = {role for role, members in self.roles.items() if identities & set(members)}
        return found | {Role.REP}

    def groups(self) -> set[str]:
        """The user groups the file names: the only ones worth asking Slack about."""
        return {member for members in self.roles.values() for member in members if member.startswith("S")}


def load_roles(path: Path = DEFAULT_ROLES) -> RoleMap:
    return load_governed(path, RoleMap, what="roles", error=RolesError)


@dataclass(frozen=True)
class Identity:
    user_id: str
    roles: frozenset[Role]


class Forbidden(Exception):
    """Refused; the message says why and what to do instead."""


def shared_with(session: Session, deal_id: int) -> set[str]:
    return set(session.scalars(select(DealShare.user_id).where(DealShare.deal_id == deal_id)))


def check(session: Session, who: Identity, action: Action, deal: Deal | None = None) -> None:
    """Raise Forbidden unless `who` may take `action` (on `deal`)."""
    if action is Action.ADMIN:
        if Role.ADMIN not in who.roles:
            raise Forbidden("Only admins can do that.")
        return
    assert deal is not None
    if action is Action.SHARE_DEAL:
        if deal.owner_slack_id == who.user_id or who.roles & SHARE_EVERY_DEAL:
            return
        check(session, who, Action.READ_DEAL, deal)  # one who may not see it is not told it exists
        raise Forbidden("Only the deal's owner or a sales manager can share it: ask them to share it.")
    if deal.owner_slack_id == who.user_id or who.user_id in shared_with(session, deal.id):
        return
    everyone = SEE_EVERY_DEAL if action is Action.READ_DEAL else CHANGE_EVERY_DEAL
    if who.roles & everyone:
        return
    # Neither the deal nor its owner is named: a refusal must not tell a rep what others are working on.
    verb = "see" if action is Action.READ_DEAL else "change"
    raise Forbidden(
        f"That deal is not yours and was not shared with you, so you cannot {verb} it. "
        "Its owner can share it with you (`/lto share`)."
    )


def check_team_outcomes(who: Identity) -> None:
    """The team's outcome metrics (every rep's deals, win rates, approval times) are for managers and admins."""
    if not who.roles & SEE_TEAM_OUTCOMES:
        raise Forbidden(
            "The team's outcome report is for sales managers and admins. Your own deals and follow-ups are on "
            "my Home tab."
        )


def sees_team_outcomes(who: Identity) -> bool:
    return bool(who.roles & SEE_TEAM_OUTCOMES)


def visible(session: Session, who: Identity, deal: Deal) -> bool:
    try:
        check(session, who, Action.READ_DEAL, deal)
    except Forbidden:
        return False
    return True


# Admin commands ---------------------------------------------------------------------------------

AdminAction = Literal["reload", "replay"]


@dataclass(frozen=True)
class AdminOutcome:
    """What an admin command did: refused (and why), or the versions reloaded, or the events replayed."""

    action: AdminAction
    refused: str | None = None
    versions: list[str] = field(default_factory=list)
    replayed: list[int] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)  # the event ids asked to be replayed


def run_admin_command(
    session_factory: sessionmaker[Session],
    *,
    clock: Clock,
    who: Identity,
    action: AdminAction,
    event_ids: Sequence[int] = (),
    reload: Callable[[], list[str]],
) -> AdminOutcome:
    """`/lto admin reload|replay`, admins only; every use is audited, refused or not.

    `reload` loads the governed files again on this replica and returns their versions; a broken
    file raises ValueError, which rolls this transaction back and leaves the running versions in place.
    """
    asked = list(event_ids)
    with session_factory() as session, session.begin():
        try:
            check(session, who, Action.ADMIN)
        except Forbidden as exc:
            _audit_admin(session, clock=clock, who=who, action=action, outcome="forbidden")
            return AdminOutcome(action=action, refused=str(exc))  # the refusal is recorded: this commits
        if action == "reload":
            outcome = AdminOutcome(action=action, versions=reload(), asked=asked)
            said = "reloaded"
        else:
            outcome = AdminOutcome(action=action, replayed=outbox.replay_many(session, asked, clock=clock), asked=asked)
            said = f"replayed:{len(outcome.replayed)}"
        _audit_admin(session, clock=clock, who=who, action=action, outcome=said, inputs={"event_ids": asked})
        return outcome


def _audit_admin(
    session: Session,
    *,
    clock: Clock,
    who: Identity,
    action: AdminAction,
    outcome: str,
    inputs: dict[str, list[int]] | None = None,
) -> None:
    audit.record(
        session,
        clock=clock,
        actor_type="user",
        actor_id=who.user_id,
        action=f"admin.{action}",
        inputs=inputs,
        outcome=outcome,
    )
