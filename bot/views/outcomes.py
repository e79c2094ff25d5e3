"""The team's outcome metrics as Slack shows them: headline lines for the Home tab and the report's message."""

from __future__ import annotations

from bot.views.text import escape
from deals.outcomes import OutcomeReport


def _hours(value: float) -> str:
    return f"{value:g} h"


def _percent(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def outcome_lines(report: OutcomeReport) -> list[str]:
    """One mrkdwn line per headline figure; a figure with nothing to measure says so instead of showing 0."""
    lines = [f"*Deals:* {report.deals} ({escape(report.period)})"]
    for label, stats, missing in (
        ("Lead → qualified", report.lead_to_qualified, "no deal qualified yet"),
        ("Lead → first proposal", report.lead_to_first_proposal, "no proposal yet"),
    ):
        figure = (
            f"median {_hours(stats.median_hours)} over {stats.deals} deal(s)"
            if stats.median_hours is not None
            else missing
        )
        lines.append(f"*{label}:* {figure}")
    cycles = [
        f"{escape(c.level)} {_hours(c.median_hours)} ({c.decided})"
        for c in report.approval_cycle
        if c.median_hours is not None
    ]
    escalated = sum(c.escalated for c in report.approval_cycle)
    approvals = " · ".join(cycles) or "no decision yet"
    if escalated:
        approvals += f"; {escalated} escalated past their SLA"
    lines.append(f"*Approval cycle (median, decisions):* {approvals}")
    counts = {row.kind: row.count for row in report.human_in_the_loop}
    per_deal = report.interventions_per_deal()
    if per_deal is not None:
        detail = ", ".join(f"{kind} {count}" for kind, count in counts.items() if kind != "total")
        lines.append(f"*People stepping in:* {per_deal:g} per deal ({detail})")
    overall = report.overall_win_rate()
    if overall is not None and overall.win_rate is not None:
        segments = " · ".join(
            f"{escape(row.segment)} {_percent(row.win_rate)}"
            for row in report.win_rate
            if row.segment != overall.segment and row.win_rate is not None
        )
        won = f"*Win rate:* {_percent(overall.win_rate)} ({overall.won} won, {overall.lost} lost)"
        lines.append(f"{won} · {segments}" if segments else won)
    else:
        lines.append("*Win rate:* no deal closed yet")
    saved = report.time_saved
    if saved.per_deal_minutes is not None:
        lines.append(
            f"*Time saved (estimate):* {saved.per_deal_minutes:g} min per deal, {saved.total_minutes:g} min in all "
            f"(assumptions {escape(saved.assumptions_version)}: `lto report outcomes` lists them)"
        )
    return lines
