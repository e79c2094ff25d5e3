"""The outcome report as a PNG chart, for people who would rather look than read (`--chart`, `/lto report`).

Drawn with matplotlib's Agg renderer through a Figure of its own (no pyplot: no global state, safe in a
worker thread). Every bar is a figure of the report; a panel with nothing measured says so in words.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from deals.outcomes import INTERVENTION_KINDS, OutcomeReport

COLOURS = ("#1d3557", "#457b9d", "#e63946", "#2a9d8f", "#f4a261", "#6d597a")
SIZE_INCHES = (11, 7.5)
DPI = 110


def _bars(axes: Axes, labels: list[str], values: list[float], *, unit: str, empty: str) -> None:
    if not labels:
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes, color="#555555")
        axes.set_xticks([])
        axes.set_yticks([])
        return
    bars = axes.barh(labels, values, color=[COLOURS[i % len(COLOURS)] for i in range(len(labels))])
    axes.bar_label(bars, labels=[f"{value:g}{unit}" for value in values], padding=3, fontsize=9)
    axes.invert_yaxis()  # the first row on top, as the table reads
    axes.margins(x=0.25)
    axes.spines[["top", "right"]].set_visible(False)


def _speed(axes: Axes, report: OutcomeReport) -> None:
    axes.set_title("Median hours from the lead", fontsize=11, loc="left")
    stats = (("to qualified", report.lead_to_qualified), ("to first proposal", report.lead_to_first_proposal))
    rows = [(f"{label} ({s.deals} deals)", s.median_hours) for label, s in stats if s.median_hours is not None]
    _bars(axes, [r[0] for r in rows], [r[1] for r in rows], unit=" h", empty="No deal qualified yet")


def _approvals(axes: Axes, report: OutcomeReport) -> None:
    axes.set_title("Approval cycle: median hours per level", fontsize=11, loc="left")
    rows = [
        (f"{c.level} ({c.decided} decided)", c.median_hours)
        for c in report.approval_cycle
        if c.median_hours is not None
    ]
    _bars(axes, [r[0] for r in rows], [r[1] for r in rows], unit=" h", empty="No approval decided yet")


def _wins(axes: Axes, report: OutcomeReport) -> None:
    axes.set_title("Win rate by segment: won / (won + lost)", fontsize=11, loc="left")
    rows = [
        (f"{row.segment} ({row.won}/{row.won + row.lost})", round(row.win_rate * 100, 1))
        for row in report.win_rate
        if row.win_rate is not None
    ]
    _bars(axes, [r[0] for r in rows], [r[1] for r in rows], unit="%", empty="No deal closed yet")
    if rows:
        axes.set_xlim(0, 115)


def _people(axes: Axes, report: OutcomeReport) -> None:
    axes.set_title("People stepping in, per deal", fontsize=11, loc="left")
    rows = [
        (row.kind, row.per_deal)
        for row in report.human_in_the_loop
        if row.kind in INTERVENTION_KINDS and row.per_deal is not None
    ]
    _bars(axes, [r[0] for r in rows], [r[1] for r in rows], unit="", empty="No deals in this period")


def render_png(report: OutcomeReport) -> bytes:
    """The report's four headline panels and the time-saved estimate, as PNG bytes."""
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    saved = report.time_saved
    per_deal = f"{saved.per_deal_minutes:g} min saved per deal (estimate)" if saved.per_deal_minutes is not None else ""
    figure.suptitle(f"Outcomes of {report.deals} {report.period}", fontsize=14, fontweight="bold")
    (speed, approvals), (wins, people) = figure.subplots(2, 2)
    _speed(speed, report)
    _approvals(approvals, report)
    _wins(wins, report)
    _people(people, report)
    footer = f"As of {report.generated_at:%Y-%m-%d %H:%M} UTC"
    if per_deal:
        footer += f" · {per_deal}, assumptions {saved.assumptions_version}: `lto report outcomes` lists them"
    figure.supxlabel(footer, fontsize=8, color="#555555")  # laid out with the panels: it overlaps none
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
