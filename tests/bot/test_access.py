"""Least privilege in Slack: reps work on their own and shared deals; roles come from users and user groups."""

from __future__ import annotations

from sqlalchemy import select

from core.models import AuditEvent
from deals.access import Role, load_roles
from deals.models import Deal
from tests.bot.conftest import OTHER_REP, REP, Harness
from tests.bot.test_discovery_in_slack import open_deal, seen


def _last_ephemeral(harness: Harness, user: str) -> str:
    return harness.workspace.ephemeral_for(user)[-1]["text"]


async def test_another_rep_can_neither_see_nor_change_a_deal_until_it_is_shared(harness: Harness):
    thread = await open_deal(harness, "new Acme Corp")
    await harness.actor.post_message(OTHER_REP, harness.deals_channel, "They have 900 seats.", thread_ts=thread)
    await harness.command("status #1", user=OTHER_REP)
    await harness.command("quote #1 HS-ENT 100", user=OTHER_REP)
    await harness.work()
    refusals = [m["text"] for m in harness.workspace.ephemeral_for(OTHER_REP)]
    assert any("did not record anything" in r and "not yours" in r and "U0REP1" not in r for r in refusals)
    assert any("cannot see it" in r for r in refusals) and any("cannot change it" in r for r in refusals)
    with harness.runtime.session_factory() as session:
        assert session.get(Deal, 1).qualification.get("seats") is None

    await harness.command(f"share #1 <@{OTHER_REP}|sam>")
    await harness.work()
    assert "shared this deal with @Sam" in seen(harness, harness.thread(harness.deals_channel, thread)[-1])
    await harness.actor.post_message(OTHER_REP, harness.deals_channel, "They have 900 seats.", thread_ts=thread)
    await harness.work()
    with harness.runtime.session_factory() as session:
        assert session.get(Deal, 1).qualification["seats"] == 900
        assert session.scalar(select(AuditEvent.outcome).where(AuditEvent.action == "deal.share")) == "shared"


async def test_managers_by_user_group_see_every_deal_and_legal_reads_but_does_not_change(harness: Harness):
    await open_deal(harness, "new Acme Corp")
    await harness.command("status #1", user="U0MGR")  # a manager through the S0MANAGERS user group
    await harness.command("status #1", user="U0LEGAL")
    await harness.command("quote #1 HS-ENT 100", user="U0LEGAL")
    await harness.work()
    assert harness.workspace.ephemeral_for("U0MGR")[-1].get("blocks")  # the deal card
    legal = [m for m in harness.workspace.ephemeral_for("U0LEGAL")]
    assert legal[0].get("blocks") and "cannot change it" in legal[-1]["text"]


async def test_admin_commands_are_for_admins_and_every_attempt_is_audited(harness: Harness):
    await harness.command("admin reload", user=REP)
    await harness.command("admin reload", user="U0ADMIN")
    await harness.command("admin replay 41", user="U0ADMIN")
    await harness.work()
    assert "Only admins can do that" in _last_ephemeral(harness, REP)
    said = [m["text"] for m in harness.workspace.ephemeral_for("U0ADMIN")]
    assert any("Reloaded on this replica: catalog" in s and "roles 2026.12.1" in s and "glossary" in s for s in said)
    assert any("Queued for delivery again: none" in s for s in said)
    with harness.runtime.session_factory() as session:
        outcomes = session.scalars(select(AuditEvent.outcome).where(AuditEvent.action == "admin.reload")).all()
        assert sorted(outcomes) == ["forbidden", "reloaded"]


def test_the_shipped_role_map():
    roles = load_roles()
    assert roles.of("U0ADMIN", set()) == {Role.ADMIN, Role.REP}
    assert roles.of("U0MGR", {"S0MANAGERS"}) == {Role.MANAGER, Role.REP}
    assert roles.of("U0SOMEONE", set()) == {Role.REP}
    assert roles.of("U0SE1", set()) == {Role.SALES_ENGINEER, Role.REP}
    assert roles.groups() == {"S0MANAGERS", "S0DEALDESK", "S0SALESENG"}
