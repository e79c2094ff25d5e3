"""The `lto` command line as an operator meets it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("LTO_HOME", str(tmp_path / "home"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL", "QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_db_upgrade_then_doctor_reports_each_dependency_with_secrets_masked(home, monkeypatch):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "abcdef0123456789abcdef")
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "SLACK_SIGNING_SECRET" in result.output and "0123456789" not in result.output
    assert "database" in result.output and "qdrant" in result.output and "skipped" in result.output
    for check in ("governed files", "catalog 2026", "local CRM", "offline (deterministic", "backlog", "not yet sealed"):
        assert check in result.output


def test_doctor_fails_when_the_schema_is_behind(home):
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "lto db upgrade" in result.output


def test_a_bad_setting_is_one_line_naming_the_variable(home, monkeypatch):
    monkeypatch.setenv("LTO_WORKER_CONCURRENCY", "many")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "LTO_WORKER_CONCURRENCY" in result.output and "Traceback" not in result.output


def test_serve_without_slack_credentials_says_which_variable_is_missing(home):
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN is not set" in result.output
