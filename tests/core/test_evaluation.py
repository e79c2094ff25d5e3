"""The evaluation harness: case files that say which line is wrong, and one report format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from core.evaluation import (
    CaseFileError,
    Failure,
    Report,
    ReportFormat,
    Row,
    Tally,
    load_cases,
    render,
    render_text,
)


class Case(BaseModel):
    id: str
    question: str = Field(min_length=1)
    expected: list[str] = Field(min_length=1)


GOOD = '{"id": "q1", "question": "what?", "expected": ["a.md"]}'


def cases_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cases_load_in_order_and_blank_lines_are_skipped(tmp_path):
    path = cases_file(tmp_path, GOOD, "", GOOD.replace("q1", "q2"))
    assert [case.id for case in load_cases(path, Case)] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "q2", "question": "why?", "expected": []}', "cases.jsonl:3: expected: List should have at least 1"),
        ('{"id": "q2", "question": "", "expected": ["a"]}', "cases.jsonl:3: question: String should have at least"),
        ('{"id": "q2", "question": "why?"}', "cases.jsonl:3: expected: Field required"),
        ('{"id": "q2", "question": "why?", "expected": ["a"]', "cases.jsonl:3: not JSON (Expecting ',' delimiter"),
        ('["q2"]', "cases.jsonl:3: Input should be a valid dictionary"),
        (GOOD, "cases.jsonl:3: duplicate id 'q1'"),
    ],
)
def test_a_bad_line_is_one_line_naming_the_file_the_line_and_the_field(tmp_path, line, message):
    path = cases_file(tmp_path, GOOD, "", line)
    with pytest.raises(CaseFileError) as refused:
        load_cases(path, Case)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_domain_error_class_is_raised_for_callers_that_catch_it(tmp_path):
    class QuestionFileError(CaseFileError):
        pass

    with pytest.raises(QuestionFileError, match="cannot be read"):
        load_cases(tmp_path / "absent.jsonl", Case, error=QuestionFileError)


def report() -> Report:
    return Report(
        heading="2 questions from cases.jsonl",
        title="retrieval",
        rows=[
            Row(label="lexical", metrics={"recall@1": 0.5, "questions": 2}),
            Row(label="all", metrics={"recall@1": 2 / 3, "questions": 2}, total=True),
        ],
        notes=["hybrid: not measured"],
        failures=[Failure(case="q2", problem="rank 2", group="lexical")],
        failures_title="Not first",
    )


def test_the_text_report_is_a_table_with_notes_then_failures_by_group():
    assert render_text(report()).splitlines() == [
        "2 questions from cases.jsonl",
        "retrieval    recall@1  questions",
        "--------------------------------",
        "lexical         0.500          2",
        "--------------------------------",
        "all             0.667          2",
        "hybrid: not measured",
        "",
        "Not first (lexical)",
        "  q2: rank 2",
    ]
    assert "q2" not in render_text(report(), failures=False)


def test_the_json_report_keeps_full_precision_and_every_failure():
    data = json.loads(render(report(), ReportFormat.JSON, failures=False))
    assert data["rows"][1]["metrics"] == {"recall@1": 2 / 3, "questions": 2}
    assert data["failures"] == [{"case": "q2", "problem": "rank 2", "group": "lexical"}]
    assert Report.model_validate(data) == report()


def test_a_tally_counts_matches_and_keeps_each_difference():
    tally = Tally()
    tally.record("p1", None)
    tally.record("p2", "expected 10 USD, got 12 USD")
    assert (tally.passed, tally.total, [str(f) for f in tally.failures]) == (1, 2, ["p2: expected 10 USD, got 12 USD"])
    row = tally.report(heading="2 cases", title="pricing", label="catalog 1").rows[0]
    assert row.metrics == {"cases": 2, "match": 1, "differ": 1}
