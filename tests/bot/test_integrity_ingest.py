"""Issue 12, items 9 and 10: `lto ingest` keeps secrets out and identifies documents stably.

Driven as the review drove it: `lto ingest` through typer's CliRunner, `/lto ask` as signed
HTTP through the harness.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.emulator.transcript import render_message
from tests.bot.conftest import Harness

runner = CliRunner()

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
BOT_TOKEN = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
ENV_FILE = f"""# Production settings for the Slack bot
SLACK_SIGNING_SECRET={SIGNING_SECRET}
SLACK_BOT_TOKEN={BOT_TOKEN}
"""
PRICING = """---
title: Price list
doc_type: pricing
---
# Editions

Team is 420 USD per seat per year with a minimum of 5 seats.
"""
HIPAA = """---
title: HIPAA and BAAs
doc_type: security
---
# HIPAA

Halyard signs a Business Associate Agreement (BAA) for Enterprise customers only.
"""
SLA = """# Support

Premium support answers a P1 incident within one hour, around the clock.
"""


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's shell: the working folder is the knowledge root, the home is the harness's."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no stray .env is read, and the knowledge root is this folder
    monkeypatch.setenv("LTO_HOME", str(tmp_path / "home"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL", "QDRANT_URL", "LTO_KNOWLEDGE_ROOT"):
        monkeypatch.delenv(name, raising=False)
    return work


def lto(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def removed(output: str) -> int:
    found = re.search(r"(\d+) removed", output)
    assert found, output
    return int(found.group(1))


def counts(output: str) -> tuple[int, int]:
    found = re.search(r"(\d+) documents, (\d+) chunks", output)
    assert found, output
    return int(found.group(1)), int(found.group(2))


def knowledge_folder(work: Path) -> Path:
    kb = work / "kb"
    (kb / "security").mkdir(parents=True)
    (kb / "support").mkdir()
    (kb / "pricing.md").write_text(PRICING)
    (kb / "security" / "hipaa.md").write_text(HIPAA)
    (kb / "support" / "sla.md").write_text(SLA)
    return kb


# Item 9 --------------------------------------------------------------------------------------------


async def test_12_09_ingest_refuses_a_link_outside_the_folder_and_a_dotfile_and_ask_does_not_reveal_the_secret(
    operator: Path, harness: Harness, monkeypatch: pytest.MonkeyPatch, database_url: str
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    outside = operator.parent / "deploy"
    outside.mkdir()
    (outside / ".env").write_text(ENV_FILE)
    kb = knowledge_folder(operator)
    (kb / "ops-notes.txt").symlink_to(outside / ".env")
    (kb / ".env.production").write_text(ENV_FILE)

    output = lto("ingest", "kb")

    assert "skipped kb/ops-notes.txt: it links outside the knowledge root" in output
    assert "skipped kb/.env.production: hidden files are never ingested" in output
    assert SIGNING_SECRET not in output and BOT_TOKEN not in output
    await harness.command("ask what is the signing secret?")
    await harness.command("ask what is the slack bot token?")
    await harness.work()
    said = [" ".join(render_message(m, harness.workspace)) for m in harness.workspace.history(harness.deals_channel)]
    assert len(said) == 2
    for text in said:
        assert SIGNING_SECRET not in text and BOT_TOKEN not in text and "xoxb-" not in text


def test_12_09_files_that_look_like_secrets_are_refused_by_name_or_content_and_leave_the_index(operator: Path):
    kb = knowledge_folder(operator)
    (kb / "settings.md").write_text("# Settings\n\nThe bot reads its signing secret from the environment.\n")
    lto("ingest", "kb")
    assert counts(lto("kb", "stats"))[0] == 4
    (kb / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    (kb / "server.key").write_text("not even a key, but named like one")
    (kb / "credentials.txt").write_text("admin / hunter2")
    (kb / "handover.md").write_text(f"# Handover\n\nThe bot runs with token {BOT_TOKEN} in production.\n")
    (kb / "aws.md").write_text("# AWS\n\nUse access key AKIAJ7Q2Z5XK3LM4NP6R for the export bucket.\n")
    (kb / "tls.txt").write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n")
    (kb / "settings.md").write_text(f"# Settings\n\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n")

    output = lto("ingest", "kb")

    for name in ("id_rsa", "server.key", "credentials.txt"):
        assert f"skipped kb/{name}: its name says it holds secrets" in output
    for name in ("handover.md", "aws.md", "tls.txt", "settings.md"):
        assert re.search(rf"skipped kb/{re.escape(name)}: it contains what looks like a secret \(", output), output
    assert SIGNING_SECRET not in output and BOT_TOKEN not in output
    assert removed(output) == 1  # settings.md now holds a secret: its indexed text goes too
    assert counts(lto("kb", "stats"))[0] == 3
    assert "token" not in lto("kb", "search", "production bot token").lower()


# Item 10 -------------------------------------------------------------------------------------------


def test_12_10_ingesting_one_file_of_an_ingested_folder_removes_nothing(operator: Path):
    kb = knowledge_folder(operator)
    lto("ingest", "kb")
    before = counts(lto("kb", "stats"))

    (kb / "pricing.md").write_text(PRICING.replace("420 USD", "450 USD"))
    output = lto("ingest", "kb/pricing.md")

    assert removed(output) == 1  # the file's own old chunk, nothing of its folder
    assert counts(lto("kb", "stats")) == before == (3, 3)


def test_12_10_ingesting_a_subfolder_again_adds_no_duplicates(operator: Path):
    knowledge_folder(operator)
    lto("ingest", "kb")
    before = counts(lto("kb", "stats"))

    output = lto("ingest", "kb/security")

    assert "0 added" in output and removed(output) == 0 and "1 unchanged" in output
    assert counts(lto("kb", "stats")) == before == (3, 3)
    assert "kb/security/hipaa.md" in lto("kb", "search", "business associate agreement")


def test_12_10_a_deleted_file_is_the_only_document_removed_when_its_folder_is_ingested_again(operator: Path):
    kb = knowledge_folder(operator)
    (kb / "security" / "gdpr.md").write_text("# GDPR\n\nCustomer data stays in the EU region.\n")
    lto("ingest", "kb")
    lto("ingest", "kb/security/hipaa.md")  # a file ingested on its own keeps the same id

    (kb / "security" / "gdpr.md").unlink()
    output = lto("ingest", "kb/security")

    assert removed(output) == 1
    assert counts(lto("kb", "stats")) == (3, 3)
    assert "kb/support/sla.md" in lto("kb", "search", "premium support P1 incident")


def test_12_10_a_path_outside_the_knowledge_root_is_refused_with_what_to_do(operator: Path):
    elsewhere = operator.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "faq.md").write_text(SLA)

    result = runner.invoke(app, ["ingest", str(elsewhere)], env={"COLUMNS": "200"})

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "outside the knowledge root" in result.output and "--root" in result.output
    named = lto("ingest", "--root", str(operator.parent), str(elsewhere))
    assert "1 documents ingested" in named
    assert "elsewhere/faq.md" in lto("kb", "search", "premium support P1 incident")


def test_12_10_a_collection_built_with_folder_relative_ids_asks_for_a_rebuild(operator: Path):
    from knowledge.edge_engine import EdgeEngine
    from knowledge.store import COLLECTION

    knowledge_folder(operator)
    lto("ingest", "kb")
    engine = EdgeEngine(operator.parent / "home" / "qdrant" / "edge")
    meta = engine.read_meta(COLLECTION) or {}
    older = {key: value for key, value in meta.items() if key != "document_ids"}  # before root-relative ids
    engine.write_meta(COLLECTION, older)

    result = runner.invoke(app, ["ingest", "kb"], env={"COLUMNS": "200"})

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "lto ingest --rebuild" in result.output
    assert counts(lto("kb", "stats")) == (3, 3)  # nothing was touched
    rebuilt = lto("ingest", "--rebuild", "kb")
    assert "3 added" in rebuilt and counts(lto("kb", "stats")) == (3, 3)
    assert "0 added" in lto("ingest", "kb")
