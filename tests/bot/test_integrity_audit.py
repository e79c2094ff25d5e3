"""Issue 12, item 3: `lto audit verify` is not fooled by whoever can write the audit table.

Driven as the review drove it: the product writes its trail through Slack (the harness), `lto audit
verify` / `lto privacy erase` / `lto audit anchor` run through typer's CliRunner, and the attacker
edits the database with plain SQL statements, with or without the audit key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from typer.testing import CliRunner

from bot.cli import app
from bot.scheduler import build_scheduler
from core import audit
from core.models import AuditChainHead, AuditEvent
from core.settings import SettingsError, load_settings
from tests.bot.conftest import Harness
from tests.bot.test_discovery_in_slack import open_deal

runner = CliRunner()
EMAIL = "dana.lee@northwind.example"
KEY_1 = "k1:" + "a1" * 24
KEY_2 = "k2:" + "b2" * 24


@pytest.fixture
def cli_env(harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The operator's shell: the product's database, its audit key and the checkpoint file."""
    anchors = tmp_path / "anchors" / "audit-checkpoints.jsonl"
    monkeypatch.setenv("DATABASE_URL", harness.runtime.settings.effective_database_url)
    monkeypatch.setenv("LTO_AUDIT_KEYS", KEY_1)
    monkeypatch.setenv("LTO_AUDIT_ANCHOR_PATH", str(anchors))
    monkeypatch.chdir(tmp_path)
    return anchors


def lto(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


async def _a_deal_with_history(harness: Harness) -> None:
    """A deal opened in Slack: the command, the deal, the bot's posts and the job are in the trail."""
    await open_deal(harness, "new Acme Corp")


def _sql(harness: Harness, *statements) -> None:  # type: ignore[no-untyped-def]
    """The attacker's session: plain statements against the audit table, committed."""
    with harness.runtime.session_factory() as session, session.begin():
        for statement in statements:
            session.execute(statement)


def _event(harness: Harness, action: str) -> AuditEvent:
    with harness.runtime.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).first()
        assert event is not None, action
        session.expunge(event)
        return event


def _recompute_from(harness: Harness, seq: int, link) -> None:  # type: ignore[no-untyped-def]
    """Re-link every event from `seq` on, and the head, as an attacker who knows the algorithm would."""
    with harness.runtime.session_factory() as session, session.begin():
        before = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)) or audit.GENESIS
        prev = before
        for event in session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq)):
            event.prev_hash = prev
            event.hash = prev = link(prev, event)
        head = session.get_one(AuditChainHead, audit.STREAM)
        head.last_seq = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
        head.last_hash = prev


def _sha256_link(prev: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev + audit.canonical(event)).encode("utf-8")).hexdigest()


async def test_12_03_a_forged_erasure_row_does_not_excuse_an_edited_event(harness: Harness, cli_env: Path):
    await _a_deal_with_history(harness)
    assert lto("audit", "verify")[0] == 0
    target = _event(harness, "deal.open")
    _sql(
        harness,
        insert(AuditEvent).values(
            at=target.at,
            actor_type="user",
            actor_id="U0ADMIN",
            action="privacy.erase",
            subject="person:0000000000000000",
            inputs={"identifier_sha256": "0" * 64},
            outcome="erased",
            detail={"rows": {"audit_events.detail": 1}, "audit_events": [target.id]},
        ),
        update(AuditEvent).where(AuditEvent.id == target.id).values(detail={**target.detail, "new": 900}),
    )
    code, output = lto("audit", "verify")  # seals the forged row first, as the sweep would
    assert code == 1, output
    assert f"edited: event {target.id} (position {target.seq}) was changed after it was sealed" in output
    forged = _event(harness, "privacy.erase")
    assert f"forged erasure: event {forged.id} (position {forged.seq}) names event {target.id}" in output


async def test_12_03_editing_an_event_a_real_erasure_touched_is_found(harness: Harness, cli_env: Path):
    await open_deal(harness, "new Acme Corp")
    await harness.command("quote Acme HS-ENT 150 --years 2 --discount 22%")
    await harness.work()
    approvals = harness.workspace.channel_id("deal-approvals")
    card = harness.workspace.history(approvals)[-1]
    await harness.actor.click("U0VP", approvals, card["ts"], "approval.reject")
    await harness.runtime.drain_background()
    view = harness.workspace.open_views_for("U0VP")[-1]
    reason = {"approval_reason": {"reason": f"Margin too thin; ask {EMAIL} for their budget"}}
    await harness.actor.submit_view("U0VP", view["id"], reason)
    await harness.work()
    assert lto("audit", "verify")[0] == 0

    code, output = lto("privacy", "erase", "--email", EMAIL, "--operator", "U0ADMIN")
    assert code == 0 and "audit_events.detail" in output, output
    code, output = lto("audit", "verify")  # a legitimate erasure re-seals what it changed
    assert code == 0 and "1 erased and re-sealed" in output, output

    decision = _event(harness, "approval.decide")
    assert decision.outcome == "rejected" and EMAIL not in json.dumps(decision.detail)
    erasure = _event(harness, "privacy.erase")
    _sql(harness, update(AuditEvent).where(AuditEvent.id == decision.id).values(outcome="approved"))
    code, output = lto("audit", "verify")
    assert code == 1, output
    assert (
        f"edited: event {decision.id} (position {decision.seq}) was changed after erasure event {erasure.id} "
        "re-sealed it"
    ) in output


@pytest.mark.parametrize("attack", ["edit", "edit posing as unkeyed", "delete"])
async def test_12_03_a_chain_recomputed_without_the_key_is_found(harness: Harness, cli_env: Path, attack: str):
    await _a_deal_with_history(harness)
    assert lto("audit", "verify")[0] == 0
    target = _event(harness, "deal.open")
    assert target.seq is not None
    if attack == "delete":  # remove an event and renumber the rest
        _sql(
            harness,
            delete(AuditEvent).where(AuditEvent.id == target.id),
            update(AuditEvent).where(AuditEvent.seq > target.seq).values(seq=AuditEvent.seq - 1),
        )
    else:
        _sql(harness, update(AuditEvent).where(AuditEvent.id == target.id).values(outcome="forged"))
    if attack == "edit posing as unkeyed":  # as if sealed before the chain was keyed
        _sql(harness, update(AuditEvent).where(AuditEvent.seq >= target.seq).values(key_id=None))
    # Every later link recomputed with sha256, as the old chain was made, and the head moved along.
    _recompute_from(harness, target.seq, _sha256_link)
    code, output = lto("audit", "verify", "--no-seal")
    assert code == 1, output
    where = f"(position {target.seq})"
    expected = {
        "edit": f"edited: event {target.id} {where} was changed after it was sealed",
        "edit posing as unkeyed": f"edited: event {target.id} {where} is sealed without a key after position 1",
        "delete": f"{where} was changed after it was sealed",  # the event now at that position
    }[attack]
    assert expected in output


async def test_12_03_a_chain_rewritten_with_the_key_disagrees_with_the_checkpoint(harness: Harness, cli_env: Path):
    await _a_deal_with_history(harness)
    code, output = lto("audit", "anchor")
    assert code == 0 and "anchored position" in output, output
    keys = audit.Keyring.from_settings(load_settings())
    target = _event(harness, "deal.open")
    assert target.seq is not None

    def keyed(prev: str, event: AuditEvent) -> str:
        assert event.seq is not None and event.key_id is not None
        return audit.keyed_link(keys, event.key_id, event.seq, prev, event)

    _sql(harness, update(AuditEvent).where(AuditEvent.id == target.id).values(outcome="forged"))
    _recompute_from(harness, target.seq, keyed)  # an insider with the key
    code, output = lto("audit", "verify", "--no-seal")
    assert code == 1, output
    assert "disagrees with checkpoint: the chain at position" in output and "it was rewritten" in output
    assert "edited:" not in output  # every link holds: only the anchor outside the database tells

    # Cutting the end off and moving the head back.
    last = json.loads(cli_env.read_text().splitlines()[-1])["seq"]
    _sql(harness, delete(AuditEvent).where(AuditEvent.seq > last - 3))
    _recompute_from(harness, last - 2, keyed)
    code, output = lto("audit", "verify", "--no-seal")
    assert code == 1 and f"anchored the chain up to position {last}, but it ends at position {last - 3}" in output

    # A checkpoint written without the key.
    with cli_env.open("a") as anchors:
        anchors.write(json.dumps({"seq": 1, "hash": "f" * 64, "key_id": "k1", "at": "x", "mac": "0" * 64}) + "\n")
    code, output = lto("audit", "verify", "--no-seal")
    assert code == 1 and f"forged checkpoint: line 2 of {cli_env}" in output


async def test_12_03_a_chain_sealed_before_the_upgrade_verifies_but_cannot_be_rewritten_as_such(
    harness: Harness, cli_env: Path
):
    await _a_deal_with_history(harness)
    assert lto("audit", "verify")[0] == 0
    # As the sealer before this release left it: sha256 links, no key id.
    _sql(harness, update(AuditEvent).values(key_id=None))
    _recompute_from(harness, 1, _sha256_link)
    code, output = lto("audit", "verify")
    assert code == 0 and "were sealed before the chain was keyed" in output, output
    await harness.command("new Globex")  # sealed with the key after the old stretch
    await harness.work()
    assert lto("audit", "anchor")[0] == 0
    assert lto("audit", "verify")[0] == 0

    # Rewriting the whole chain as if none of it had been keyed: only the checkpoint can tell.
    target = _event(harness, "deal.open")
    _sql(
        harness,
        update(AuditEvent).where(AuditEvent.id == target.id).values(outcome="forged"),
        update(AuditEvent).values(key_id=None),
    )
    _recompute_from(harness, 1, _sha256_link)
    code, output = lto("audit", "verify", "--no-seal")
    assert code == 1 and "disagrees with checkpoint" in output, output


async def test_12_03_old_keys_stay_verifiable_after_a_rotation(harness: Harness, cli_env: Path, monkeypatch):
    await _a_deal_with_history(harness)
    assert lto("audit", "anchor")[0] == 0
    code, output = lto("audit", "rotate-key")
    assert code == 0 and "LTO_AUDIT_KEY_ID=k2" in output and "k1:…,k2:" in output, output

    monkeypatch.setenv("LTO_AUDIT_KEYS", f"{KEY_1},{KEY_2}")
    monkeypatch.setenv("LTO_AUDIT_KEY_ID", "k2")
    await harness.command("new Globex")  # more events, sealed with the new key
    await harness.work()
    assert lto("audit", "anchor")[0] == 0
    code, output = lto("audit", "verify")
    assert code == 0 and "2 checkpoints agree" in output, output
    with harness.runtime.session_factory() as session:
        assert set(session.scalars(select(AuditEvent.key_id))) == {"k1", "k2"}

    monkeypatch.setenv("LTO_AUDIT_KEYS", KEY_2)  # a retired key dropped too early
    code, output = lto("audit", "verify")
    assert code == 1 and "unknown key: events were sealed with key 'k1'" in output


async def test_12_03_the_scheduler_anchors_the_chain_outside_the_database(harness: Harness, tmp_path: Path):
    await _a_deal_with_history(harness)
    anchors = tmp_path / "checkpoints.jsonl"
    harness.runtime.settings = harness.runtime.settings.model_copy(update={"audit_anchor_path": anchors})
    scheduler = build_scheduler(harness.runtime)
    await scheduler.get_job("seal_audit").func()
    await scheduler.get_job("anchor_audit").func()
    [point] = [json.loads(line) for line in anchors.read_text().splitlines()]
    with harness.runtime.session_factory() as session:
        head = session.get_one(AuditChainHead, audit.STREAM)
        assert (point["seq"], point["hash"], point["key_id"]) == (head.last_seq, head.last_hash, "dev")
        result = audit.verify(session, keys=audit.Keyring.from_settings(harness.runtime.settings), anchor_path=anchors)
    assert result.intact and result.checkpoints == 1


def test_12_03_production_refuses_a_missing_or_placeholder_audit_key():
    real = {"LTO_ENV": "production", "SLACK_BOT_TOKEN": "xoxb-1-real", "SLACK_SIGNING_SECRET": "0123456789abcdef"}
    for keys in (None, "k1:changeme", "k1:short-secret", "dev:lto-development-audit-key-not-for-production"):
        with pytest.raises(SettingsError, match="LTO_AUDIT_KEYS must hold a real key"):
            load_settings(**real, LTO_AUDIT_KEYS=keys)
    with pytest.raises(SettingsError, match="LTO_AUDIT_KEY_ID 'k9' is not one of the ids"):
        load_settings(LTO_AUDIT_KEYS=KEY_1, LTO_AUDIT_KEY_ID="k9")
    assert load_settings(**real, LTO_AUDIT_KEYS=f"{KEY_1},{KEY_2}").audit_key == "k2"
