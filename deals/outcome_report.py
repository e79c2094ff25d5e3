"""The outcome report as people and machines read it: text tables, CSV rows, JSON.

The tables are the evaluation harness's (`core/evaluation.py`), one per section; CSV is one row per
figure (section, label, metric, value), so a spreadsheet can pivot it; JSON is the report itself.
"""

from __future__ import annotations

import csv
import enum
import io

from core.evaluation import Metric, Report, Row, render_text
from deals.outcomes import OutcomeReport


class OutcomeFormat(enum.StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def _metrics(**values: Metric | None) -> dict[str, Metric]:
    """A row's figures; one that could not be computed (nothing to measure) is left blank, never shown as 0."""
    return {name.replace("_", " "): value for name, value in values.items() if value is not None}


def sections(report: OutcomeReport) -> list[Report]:
    """The report as tables, in the order people read it."""
    speed = Report(
        title="time from the lead",
        rows=[
            Row(label=label, metrics=_metrics(deals=s.deals, median_hours=s.median_hours, mean_hours=s.mean_hours))
            for label, s in (
                ("to qualified", report.lead_to_qualified),
                ("to first proposal", report.lead_to_first_proposal),
            )
        ],
    )
    approvals = Report(
        title="approval level",
        rows=[
            Row(
                label=level.level,
                metrics=_metrics(
                    decided=level.decided,
                    escalated=level.escalated,
                    median_hours=level.median_hours,
                    mean_hours=level.mean_hours,
                ),
            )
            for level in report.approval_cycle
        ],
        notes=[] if report.approval_cycle else ["no approval was asked for these deals"],
    )
    people = Report(
        title="human in the loop",
        rows=[
            Row(
                label=row.kind,
                metrics=_metrics(count=row.count, per_deal=row.per_deal, deals_with_any=row.deals_with_any),
                total=row.kind == "total",
            )
            for row in report.human_in_the_loop
        ],
    )
    wins = Report(
        title="segment",
        rows=[
            Row(
                label=row.segment,
                metrics=_metrics(deals=row.deals, won=row.won, lost=row.lost, win_rate=row.win_rate),
                total=row.segment == "all",
            )
            for row in report.win_rate
        ],
        notes=["win rate: won / (won + lost); deals still open or disqualified do not count"],
    )
    saved = report.time_saved
    time_saved = Report(
        title="time saved (estimate)",
        rows=[
            *(
                Row(
                    label=line.activity,
                    metrics=_metrics(done=line.done, minutes_each=line.minutes_each, minutes=line.minutes),
                )
                for line in saved.lines
            ),
            Row(label="total", metrics=_metrics(minutes=saved.total_minutes), total=True),
            Row(label="per deal", metrics=_metrics(minutes=saved.per_deal_minutes)),
        ],
        notes=[
            f"assumptions (version {saved.assumptions_version}), minutes a person spends by hand on each:",
            *(
                f"  {line.activity}: {line.minutes_each:g} min for each of the {line.counted}: {line.basis}"
                for line in saved.lines
            ),
        ],
    )
    return [speed, approvals, people, wins, time_saved]


def render_table(report: OutcomeReport) -> str:
    heading = f"Outcomes of {report.deals} {report.period} (as of {report.generated_at:%Y-%m-%d %H:%M} UTC)"
    return "\n\n".join([heading, *(render_text(section, failures=False) for section in sections(report))])


def render_csv(report: OutcomeReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "label", "metric", "value"])
    writer.writerow(["report", report.period, "deals", report.deals])
    for section in sections(report):
        for row in section.rows:
            for metric, value in row.metrics.items():
                writer.writerow([section.title, row.label, metric, value])
    return buffer.getvalue()


def render_json(report: OutcomeReport) -> str:
    return report.model_dump_json(indent=2)


def render(report: OutcomeReport, output: OutcomeFormat) -> str:
    if output is OutcomeFormat.CSV:
        return render_csv(report)
    if output is OutcomeFormat.JSON:
        return render_json(report)
    return render_table(report)
