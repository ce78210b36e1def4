"""The annual report's charts, drawn as PNG by kaleido (`kpis.packs.images`), each with its alt text. Every
chart's numbers are also in a table of the report, and its series differ by pattern as well as colour."""
from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from kpis.core.colours import PALETTE
from kpis.governance.annual_report import AnnualReport, attendance_by_meeting
from kpis.packs.images import render_png

WIDTH, HEIGHT = 900, 420
PATTERNS = {"Present": "", "Substitute": "/", "Apologies": ".", "Absent": "x"}


@dataclass(frozen=True)
class Chart:
    png: bytes
    alt: str
    caption: str


def _layout(fig: go.Figure, title: str, *, demo: bool) -> go.Figure:
    fig.update_layout(title=dict(text=title + (" (demo data)" if demo else ""), x=0.01, font=dict(size=20)),
                      template="simple_white", font=dict(family="Arial, Liberation Sans, sans-serif", size=15),
                      margin=dict(l=70, r=20, t=70, b=60), legend=dict(orientation="h", y=-0.18, x=0),
                      width=WIDTH, height=HEIGHT)
    return fig


def attendance_chart(report: AnnualReport) -> Chart | None:
    """Members present, substitutes, apologies and absences at each meeting of the year, stacked."""
    table = attendance_by_meeting(report)
    if table.empty:
        return None
    fig = go.Figure()
    for i, (status, pattern) in enumerate(PATTERNS.items()):
        fig.add_bar(x=table["Meeting"], y=table[status], name=status, text=table[status],
                    textposition="inside", marker=dict(color=PALETTE[i], pattern=dict(shape=pattern, fgcolor="white")))
    fig.update_layout(barmode="stack", yaxis_title="Members", legend=dict(traceorder="normal"))
    _layout(fig, "Attendance at each meeting", demo=report.is_demo)
    parts = "; ".join(f"{r['Meeting']}: {r['Present']} present, {r['Substitute']} substitutes, "
                      f"{r['Apologies']} apologies, {r['Absent']} absent" for r in table.to_dict("records"))
    return Chart(render_png(fig, width=WIDTH, height=HEIGHT),
                 alt=f"Stacked bar chart of attendance at each meeting of {report.year.label}. {parts}.",
                 caption="Attendance at each meeting: the numbers are in the attendance record's table.")


def actions_chart(report: AnnualReport) -> Chart | None:
    """Actions opened and closed in the year, and those open (and overdue) at its end."""
    s = report.actions_summary
    if not any(s.values()):
        return None
    labels = ["Agreed in the year", "Closed in the year", "Open at the end", "Overdue at the end"]
    values = [s["opened"], s["closed"], s["open_at_end"], s["overdue_at_end"]]
    fig = go.Figure(go.Bar(x=labels, y=values, text=values, textposition="outside",
                           marker=dict(color=[PALETTE[0], PALETTE[1], PALETTE[4], PALETTE[3]],
                                       pattern=dict(shape=["", "/", ".", "x"], fgcolor="white"))))
    fig.update_layout(yaxis_title="Actions", showlegend=False)
    _layout(fig, "Actions over the year", demo=report.is_demo)
    return Chart(render_png(fig, width=WIDTH, height=HEIGHT),
                 alt=(f"Bar chart of actions in {report.year.label}: {values[0]} agreed, {values[1]} closed, "
                      f"{values[2]} still open at the end of the year, of which {values[3]} overdue."),
                 caption="Actions over the year: the same numbers are in the sentence above the chart.")
