"""Outcome metrics from a seeded history, every figure computed by hand (see tests/deals/outcome_history.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from core.clock import ManualClock
from deals.metrics import OutcomeGauges
from deals.models import Deal
from deals.outcome_chart import render_png
from deals.outcomes import TimeSavedError, compute_outcomes, load_time_saved, replaced_a_value
from tests.deals.outcome_history import RULES, START, seed_history

ASSUMPTIONS = load_time_saved()
# What the history did, counted by hand (the minutes are the example file's: 10, 2, 3, 25, 15 and 90).
DONE = {
    "lead_routing": 1,  # Acme's lead
    "qualification_fact": 16,  # Initech 1, Acme 2 + 5 + 1 (the correction), Globex 7
    "crm_update": 15,  # 3 deals opened, 5 qualification updates, 3 quote totals, 4 stage moves by hand
    "quote": 3,
    "approval_request": 3,
    "proposal": 2,  # Globex's held draft is not one
    "scope_draft": 0,
    "poc_plan": 0,
    "meeting_booking": 0,
}
MINUTES = 1 * 10 + 16 * 2 + 15 * 3 + 3 * 25 + 3 * 15 + 2 * 90  # 387


@pytest.fixture
def history(sessions):
    clock = ManualClock(START)
    return seed_history(sessions, clock)


def report_of(sessions, **kwargs):
    with sessions() as session:
        return compute_outcomes(
            session,
            since=kwargs.get("since", START.date()),
            now=START + timedelta(days=3),
            segment_of=RULES.segment_of,
            assumptions=ASSUMPTIONS,
        )


def test_every_figure_of_the_report_is_what_the_history_says(sessions, history):
    report = report_of(sessions)
    assert report.deals == 3
    # Acme 9 h after its lead, Globex 6 h after it was opened; Initech never qualified.
    assert report.lead_to_qualified.model_dump() == {"deals": 2, "median_hours": 7.5, "mean_hours": 7.5}
    # Acme's proposal at 20 h, Globex's clean one 12 h after it opened (its held draft does not count).
    assert report.lead_to_first_proposal.model_dump() == {"deals": 2, "median_hours": 16.0, "mean_hours": 16.0}
    cycle = {level.level: level.model_dump() for level in report.approval_cycle}
    assert cycle == {
        "manager": {"level": "manager", "decided": 1, "escalated": 1, "median_hours": 4.0, "mean_hours": 4.0},
        "vp_sales": {"level": "vp_sales", "decided": 1, "escalated": 0, "median_hours": 2.0, "mean_hours": 2.0},
    }
    people = {row.kind: (row.count, row.per_deal, row.deals_with_any) for row in report.human_in_the_loop}
    assert people == {
        "approval decisions": (2, 0.67, 2),
        "proposal reviews": (1, 0.33, 1),
        "technical reviews": (0, 0.0, 0),
        "record corrections": (1, 0.33, 1),  # Acme's seats, 300 → 350; filling a gap is no correction
        "total": (4, 1.33, 2),
    }
    wins = {row.segment: (row.deals, row.won, row.lost, row.win_rate) for row in report.win_rate}
    # Acme's segment comes from its lead's routing; the Slack deals' from their account's size.
    assert wins == {
        "enterprise": (1, 1, 0, 1.0),
        "mid_market": (1, 0, 1, 0.0),
        "smb": (1, 0, 0, None),
        "all": (3, 1, 1, 0.5),
    }
    saved = report.time_saved
    assert {line.activity: line.done for line in saved.lines} == DONE
    assert saved.total_minutes == MINUTES == 387
    assert saved.per_deal_minutes == 129.0
    assert saved.assumptions_version == ASSUMPTIONS.version


def test_deals_that_started_before_the_period_are_left_out(sessions, history):
    assert report_of(sessions, since=START.date() + timedelta(days=1)).deals == 0
    everything = report_of(sessions, since=None)
    assert everything.deals == 3 and everything.period == "all deals"


@pytest.mark.parametrize(
    ("old", "new", "correction"),
    [
        (None, 300, False),
        (300, 350, True),
        ([], ["US"], False),
        (["US"], ["US", "EU"], False),  # an addition
        (["US"], ["EU"], True),  # a replacement
        ({"amount": "1", "currency": "USD"}, {"amount": "2", "currency": "USD"}, True),
    ],
)
def test_a_correction_replaces_a_recorded_value(old, new, correction):
    assert replaced_a_value(old, new) is correction


@pytest.fixture(autouse=True)
def _no_stray_env_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the CLI reads only the environment each test gives it


def _cli(database_url, tmp_path, *args):
    env = {"DATABASE_URL": database_url, "LTO_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    return CliRunner().invoke(app, ["report", "outcomes", "--since", START.date().isoformat(), *args], env=env)


def test_lto_report_outcomes_as_a_table(database_url, tmp_path, history):
    result = _cli(database_url, tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Outcomes of 3 deals started since {START.date().isoformat()}")
    rows = {line.split()[0] + " " + line.split()[1]: line.split()[2:] for line in lines if len(line.split()) > 3}
    assert rows["to qualified"] == ["2", "7.500", "7.500"]
    assert rows["to first"] == ["proposal", "2", "16.000", "16.000"]
    assert "manager                 1          1         4.000       4.000" in result.stdout
    assert "total                     4     1.330               2" in result.stdout
    assert "all               3    1     1     0.500" in result.stdout
    assert "per deal                                     129.000" in result.stdout
    assert "proposal: 90 min for each of the proposals drafted that passed their checks" in result.stdout


def test_lto_report_outcomes_as_csv(database_url, tmp_path, history):
    result = _cli(database_url, tmp_path, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    figure = {(row["section"], row["label"], row["metric"]): row["value"] for row in rows}
    assert figure[("report", f"deals started since {START.date().isoformat()}", "deals")] == "3"
    assert figure[("time from the lead", "to qualified", "median hours")] == "7.5"
    assert figure[("approval level", "vp_sales", "median hours")] == "2.0"
    assert figure[("human in the loop", "record corrections", "count")] == "1"
    assert figure[("segment", "all", "win rate")] == "0.5"
    assert ("segment", "smb", "win rate") not in figure  # nothing closed: no figure, not a 0
    assert figure[("time saved (estimate)", "total", "minutes")] == "387.0"


def test_lto_report_outcomes_as_json_with_a_png_chart(database_url, tmp_path, history):
    chart = tmp_path / "outcomes.png"
    result = _cli(database_url, tmp_path, "--format", "json", "--chart", str(chart))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["deals"] == 3
    assert report["lead_to_first_proposal"]["median_hours"] == 16.0
    assert report["time_saved"]["per_deal_minutes"] == 129.0
    assert [row["segment"] for row in report["win_rate"]] == ["enterprise", "mid_market", "smb", "all"]
    with Image.open(chart) as image:
        assert image.format == "PNG" and image.size[0] >= 800 and image.size[1] >= 600
        assert len(image.convert("L").getcolors(maxcolors=100_000) or []) > 10  # drawn, not blank


def test_bad_report_options_are_one_line_errors(database_url, tmp_path):
    env = {"DATABASE_URL": database_url, "LTO_HOME": str(tmp_path / "home")}
    for args, problem in (
        (["--format", "xml"], "--format is one of table, csv, json"),
        (["--since", "last week"], "--since takes a date as YYYY-MM-DD"),
        (["--since", "2999-01-01"], "is after today"),
    ):
        result = CliRunner().invoke(app, ["report", "outcomes", *args], env=env)
        assert result.exit_code == 2 and problem in result.output and "Traceback" not in result.output


def test_a_broken_assumptions_file_names_the_field(tmp_path):
    broken = tmp_path / "time_saved.yaml"
    broken.write_text("version: x\nlead_routing: {minutes: -5, basis: b}\n", encoding="utf-8")
    with pytest.raises(TimeSavedError, match=r"time-saved assumptions .*lead_routing\.minutes"):
        load_time_saved(broken)


def test_the_chart_is_a_png_even_with_nothing_to_show(sessions):
    png = render_png(report_of(sessions))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()


def test_gauges_carry_the_headline_figures_and_leave_out_what_was_not_measured(sessions, history):
    gauges = OutcomeGauges(segment_of=RULES.segment_of, assumptions=lambda: ASSUMPTIONS, window=timedelta(days=30))
    with sessions() as session:
        families = {family.name: family for family in gauges(session, START + timedelta(days=3))}
    samples = {
        (name, tuple(sorted(sample.labels.items()))): sample.value
        for name, family in families.items()
        for sample in family.samples
    }
    assert samples[("lto_outcome_deals", ())] == 3
    assert samples[("lto_outcome_lead_to_hours", (("milestone", "qualified"),))] == 7.5
    assert samples[("lto_outcome_approval_cycle_hours", (("level", "manager"),))] == 4.0
    assert samples[("lto_outcome_human_steps_per_deal", (("kind", "total"),))] == 1.33
    assert samples[("lto_outcome_win_rate", (("segment", "all"),))] == 0.5
    assert ("lto_outcome_win_rate", (("segment", "smb"),)) not in samples
    assert samples[("lto_outcome_minutes_saved_per_deal", (("assumptions_version", ASSUMPTIONS.version),))] == 129.0


def test_scopes_plans_and_meetings_count_as_work_and_a_review_decided_as_a_person_in_the_loop(sessions, history):
    from core import audit

    clock = ManualClock(START + timedelta(hours=30))
    with sessions() as session, session.begin():
        deal_id = session.scalars(select(Deal.id).order_by(Deal.id)).first()
        for action, inputs in (
            ("review.request", {"kind": "scope"}),
            ("review.request", {"kind": "poc_plan"}),  # the POC plan is counted once, as drafted
            ("poc.draft", {}),
            ("review.decide", {"kind": "scope"}),
            ("meeting.book", {}),
        ):
            audit.record(
                session, clock=clock, actor_type="user", actor_id="U0REP1", action=action, subject="x",
                deal_id=deal_id, inputs=inputs, outcome="ok",
            )  # fmt: skip
    report = report_of(sessions)
    done = {line.activity: line.done for line in report.time_saved.lines}
    assert (done["scope_draft"], done["poc_plan"], done["meeting_booking"]) == (1, 1, 1)
    people = {row.kind: row.count for row in report.human_in_the_loop}
    assert people["technical reviews"] == 1
