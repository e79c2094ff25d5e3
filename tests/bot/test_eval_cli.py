"""`lto eval ...` as an operator meets it: the same figures as text or JSON, and one line for a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).resolve().parents[2]
EVALS = ROOT / "evals"
runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("LTO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LTO_MODEL", "offline")
    return tmp_path


def test_every_shipped_pricing_case_matches_and_the_table_says_so():
    result = runner.invoke(app, ["eval", "pricing", "--cases", str(EVALS / "pricing.jsonl")])
    assert result.exit_code == 0, result.output
    assert f"pricing cases from {EVALS / 'pricing.jsonl'}" in result.output
    assert result.output.splitlines()[-1].split()[-3:] == ["54", "54", "0"]


def test_the_approvals_report_in_json_is_the_same_figures_for_machines():
    result = runner.invoke(app, ["eval", "approvals", "--cases", str(EVALS / "approvals.jsonl"), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"][0]["label"].startswith("policy ") and report["failures"] == []
    assert report["rows"][0]["metrics"] == {"cases": 48, "match": 48, "differ": 0}


def test_a_case_that_differs_is_listed_and_fails_the_run(tmp_path):
    cases = tmp_path / "pricing.jsonl"
    line = (
        '{"id": "wrong", "lines": [{"sku": "HS-BUS", "quantity": 120}], "expected": {"total": "1", "currency": "USD"}}'
    )
    cases.write_text(line + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "pricing", "--cases", str(cases)])
    assert result.exit_code == 1
    assert "Differences" in result.output and "wrong: expected 1 USD, got 86112.00 USD" in result.output


def test_a_bad_case_line_is_one_line_naming_the_file_line_and_field(tmp_path):
    cases = tmp_path / "approvals.jsonl"
    cases.write_text('{"id": "a1", "total": {"amount": "50000"}, "expected_levels": []}\n{"id": "a2"}\n')
    result = runner.invoke(app, ["eval", "approvals", "--cases", str(cases)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{cases}:2: total: Field required (and 1 more)" in result.output


def test_a_broken_catalog_is_one_line_naming_the_file(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("version: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "pricing", "--catalog", str(catalog)])
    assert result.exit_code == 2 and f"catalog {catalog}: " in result.output


def test_discovery_reports_per_field_scores_and_exact_match():
    scenarios = EVALS / "discovery_holdout.jsonl"
    result = runner.invoke(app, ["eval", "discovery", "--scenarios", str(scenarios)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"15 scenarios from {scenarios}, model offline"
    assert lines[1].split() == ["field", "precision", "recall", "F1", "TP", "FP", "FN"]
    assert any(line.startswith("all fields (micro)") for line in lines)
    assert any(line.startswith("exact match: ") for line in lines)


def test_the_next_step_proposals_report_scores_the_dev_split_by_default_and_refuses_an_unknown_split(home):
    cases = home / "proposals.jsonl"
    cases.write_text(
        '{"id": "a", "split": "dev", "today": "2026-12-02", "text": "They\'ll send the NDA by Friday.", '
        '"expected": [{"title_has": ["NDA"], "due": "2026-12-04"}]}\n'
        '{"id": "b", "split": "dev", "today": "2026-12-02", "text": "They have 300 seats.", "expected": []}\n'
        '{"id": "c", "split": "holdout", "today": "2026-12-02", "text": "They have 300 seats.", '
        '"expected": [{"title_has": ["seats"]}]}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["eval", "next-steps", "--cases", str(cases), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [row["label"] for row in report["rows"]] == ["dev"] and report["failures"] == []
    assert report["rows"][0]["metrics"] == {"cases": 2, "match": 2, "false": 0, "missed": 0, "accuracy": 1.0}
    every = runner.invoke(app, ["eval", "next-steps", "--cases", str(cases), "--split", "all"])
    assert "c: expected 1 step(s), proposed nothing" in every.output
    refused = runner.invoke(app, ["eval", "next-steps", "--cases", str(cases), "--split", "test"])
    assert refused.exit_code == 2
