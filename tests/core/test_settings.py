"""Settings: one clear line naming the variable when something is wrong."""

from __future__ import annotations

import pytest

from core.settings import SettingsError, load_settings


def test_a_bad_value_names_the_variable():
    with pytest.raises(SettingsError, match=r"^LTO_WORKER_CONCURRENCY: "):
        load_settings(LTO_WORKER_CONCURRENCY="lots")
    with pytest.raises(SettingsError, match=r"^DATABASE_URL: only SQLite and PostgreSQL"):
        load_settings(DATABASE_URL="mysql://x")


def test_a_command_that_needs_a_missing_token_says_which():
    settings = load_settings(SLACK_BOT_TOKEN=None)
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN is not set"):
        settings.require("SLACK_BOT_TOKEN")


def test_production_refuses_placeholder_secrets():
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET must be set to a real value"):
        load_settings(LTO_ENV="production", SLACK_BOT_TOKEN="xoxb-1-real", SLACK_SIGNING_SECRET="changeme")


def test_doctor_masks_secrets():
    settings = load_settings(SLACK_BOT_TOKEN="xoxb-1234567890-secret", SLACK_SIGNING_SECRET="abcdef0123456789")
    shown = {name: value for name, value, _ in settings.described()}
    assert "secret" not in shown["SLACK_BOT_TOKEN"] and shown["SLACK_BOT_TOKEN"].startswith("xoxb-")
    assert "0123456789" not in shown["SLACK_SIGNING_SECRET"]


def test_postgres_urls_use_the_psycopg_driver():
    assert load_settings(DATABASE_URL="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"
