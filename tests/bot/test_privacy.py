"""Personal data: an erasure reaches every stored copy, retention purges old text, the audit chain verifies."""

from __future__ import annotations

from sqlalchemy import String, cast, select
from typer.testing import CliRunner

from bot.cli import app
from core import audit, privacy
from core.models import AuditEvent
from core.settings import load_settings
from deals.models import Conversation, Message
from tests.bot.conftest import Harness
from tests.bot.test_discovery_in_slack import open_deal, reply

EMAIL = "dana.lee@northwind.example"
KEYS = audit.Keyring.from_settings(load_settings())


def _occurrences(harness: Harness, needle: str) -> list[str]:
    found = []
    with harness.runtime.session_factory() as session:
        for column in privacy.TEXT_COLUMNS:
            hits = session.scalar(
                select(cast(column, String)).where(cast(column, String).ilike(f"%{needle}%")).limit(1)
            )
            if hits:
                found.append(f"{column.class_.__tablename__}.{column.key}")
    return found


def _seal_and_verify(harness: Harness) -> audit.Verification:
    keys = audit.Keyring.from_settings(harness.runtime.settings)
    with harness.runtime.session_factory() as session, session.begin():
        audit.seal(session, clock=harness.clock, keys=keys)
    with harness.runtime.session_factory() as session:
        return audit.verify(session, keys=keys)


async def test_erasing_an_email_reaches_every_copy_and_the_chain_still_verifies(harness: Harness, monkeypatch):
    thread = await open_deal(harness, f"new Northwind: inbound from Dana Lee ({EMAIL}), 300 seats")
    await reply(harness, thread, f"Dana ({EMAIL}) says the CFO signs; SOC 2 needed.")
    with harness.runtime.session_factory() as session, session.begin():  # e.g. an approver's reason quoting it
        audit.record(
            session,
            clock=harness.clock,
            actor_type="user",
            actor_id="U0VP",
            action="approval.decide",
            outcome="changes_requested",
            detail={"reason": f"Confirm with {EMAIL} first"},
        )
    assert {"messages.text", "audit_events.detail"} <= set(_occurrences(harness, EMAIL))
    assert _seal_and_verify(harness).intact

    monkeypatch.setenv("DATABASE_URL", harness.runtime.settings.effective_database_url)
    result = CliRunner().invoke(app, ["privacy", "erase", "--email", EMAIL.upper(), "--operator", "U0ADMIN"])
    assert result.exit_code == 0, result.output
    assert "erased from" in result.output and "messages.text" in result.output
    assert _occurrences(harness, EMAIL) == []
    check = _seal_and_verify(harness)
    assert check.intact and check.erased >= 1
    with harness.runtime.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).one()
        assert EMAIL not in str(event.inputs) and event.inputs["identifier_sha256"] == privacy.fingerprint(EMAIL)
        assert event.actor_id == "U0ADMIN"


async def test_retention_purges_old_conversation_text_but_keeps_records_and_links(harness: Harness):
    thread = await open_deal(harness, "new Acme Corp")
    await reply(harness, thread, "They have 250 seats and need SOC 2; users in Frankfurt.")
    _seal_and_verify(harness)
    with harness.runtime.session_factory() as session, session.begin():
        assert privacy.purge_old_text(session, clock=harness.clock, days=30, keys=KEYS) == {
            "messages": 0,
            "histories": 0,
            "answers": 0,
            "next_steps": 0,
            "audit_evidence": 0,
        }
    harness.clock.advance(days=31)
    with harness.runtime.session_factory() as session, session.begin():
        counts = privacy.purge_old_text(session, clock=harness.clock, days=30, keys=KEYS)
    assert counts["messages"] >= 2 and counts["histories"] == 1 and counts["audit_evidence"] >= 3
    with harness.runtime.session_factory() as session:
        assert set(session.scalars(select(Message.text))) == {privacy.PURGED}
        assert session.scalars(select(Conversation.history)).all() == [[]]
    assert _occurrences(harness, "Frankfurt") == [] or _occurrences(harness, "Frankfurt") == ["jobs.payload"]
    check = _seal_and_verify(harness)
    assert check.intact and check.erased == counts["audit_evidence"]
