"""The SPC chart (NHS England's Making Data Count) of one KPI, and the same numbers as a table.

Points are coloured as the method's palette defines (NHSRplotthedots, R/ptd_spc_colours.R: common cause grey,
improvement blue, concern orange, neutral purple, the target red), and each kind also has its own marker shape and
its own legend entry, with a dark outline so every marker stands out from the white background: colour is never
the only signal. The mean is a solid line, the process limits dashed, the target dotted; where the limits restart
(a rebase) a vertical line says so.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpis.charts.figures import _layout, axis_title, place_below
from kpis.core.dates import month_year, short_date, short_month_year
from kpis.core.kpi import Kpi, Rebase
from kpis.core.spc import SpcResult

# point type -> (legend name, colour, marker symbol)
POINTS = {
    "common_cause": ("Common cause (no signal)", "#A6A6A6", "circle"),
    "special_cause_improvement": ("Special cause: improvement", "#00B0F0", "triangle-up"),
    "special_cause_concern": ("Special cause: concern", "#E46C0A", "square"),
    "special_cause_neutral_high": ("Special cause: higher (no better direction)", "#490092", "diamond"),
    "special_cause_neutral_low": ("Special cause: lower (no better direction)", "#490092", "diamond"),
}
WORDS = {kind: name for kind, (name, _, _) in POINTS.items()}
TARGET_COLOUR = "#DE1B1B"
LINE_COLOUR = "#3D3D3D"
OUTLINE = {"color": "#0B0C0C", "width": 1}


def limit_periods(result: SpcResult, rebases: tuple[Rebase, ...] | list[Rebase] = ()) -> dict[int, str]:
    """Each rebase group's name in words: 'Jun 2022 to Mar 2025' and, after a rebase, why the limits restarted."""
    why = {r.date: r.reason for r in rebases}
    out = {}
    for g in result.groups:
        words = f"{short_month_year(g.start)} to {short_month_year(g.end)}"
        if g.rebase_group != result.groups[0].rebase_group:
            words += f" (limits restarted: {why[g.start]})" if g.start in why else " (limits restarted)"
        out[g.rebase_group] = words
    return out


def spc_table(result: SpcResult, kpi: Kpi, rebases: tuple[Rebase, ...] | list[Rebase] = ()) -> pd.DataFrame:
    """Every point of the chart: its value, the mean and limits it is judged against, and what the rules found;
    where the limits were restarted (rebased), which limit period each point belongs to."""
    periods = limit_periods(result, rebases)
    rows = []
    for p in result.points:
        rows.append({"Date": p.date.isoformat(), **({"Limit period": periods[p.rebase_group]}
                                                    if len(result.groups) > 1 else {}),
                     "Value": kpi.format_value(p.value),
                     "Mean": kpi.format_value(p.mean), "Lower limit": _limit(kpi, p.lpl),
                     "Upper limit": _limit(kpi, p.upl), "Special cause": p.special_cause_type,
                     "Reading": WORDS[p.point_type] + (" (trial limits)" if p.trial_limits else "")})
    return pd.DataFrame(rows)


def _limit(kpi: Kpi, value: float) -> str:
    return "–" if pd.isna(value) else kpi.format_value(value)   # NaN: a one-point group has no limits


def spc_figure(result: SpcResult, kpi: Kpi, *, title: str | None = None, height: int = 420,
               font_size: int = 15, rebases: tuple[Rebase, ...] | list[Rebase] = ()) -> go.Figure:
    """The XmR chart: the values, the mean, the process limits, the target, and each point's reading.

    Where the limits restart (a rebase) a dotted vertical line is labelled "Limits restart (n)", and the note
    under the chart gives each restart's date and, from `rebases`, its reason in words."""
    dates = [p.date for p in result.points]
    traces = [go.Scatter(x=dates, y=[p.value for p in result.points], mode="lines", name="Value",
                         line={"color": LINE_COLOUR, "width": 1.5}, hoverinfo="skip", showlegend=False)]
    for group in result.groups:
        span = [p for p in result.points if p.rebase_group == group.rebase_group]
        x = [p.date for p in span]
        first = group.rebase_group == result.groups[0].rebase_group
        traces.append(go.Scatter(x=x, y=[p.mean for p in span], mode="lines", name="Mean",
                                 line={"color": LINE_COLOUR, "width": 2}, showlegend=first))
        for label, key, show in (("Process limits", "upl", first), ("Process limits", "lpl", False)):
            traces.append(go.Scatter(x=x, y=[getattr(p, key) for p in span], mode="lines", name=label,
                                     line={"color": LINE_COLOUR, "width": 1.5, "dash": "dash"},
                                     showlegend=show))
    if result.target is not None:
        traces.append(go.Scatter(x=[dates[0], dates[-1]], y=[result.target] * 2, mode="lines", name="Target",
                                 line={"color": TARGET_COLOUR, "width": 2, "dash": "dot"}))
    for kind, (name, colour, symbol) in POINTS.items():
        chosen = [p for p in result.points if p.point_type == kind]
        if not chosen:
            continue
        if kind == "special_cause_improvement" and result.improvement_direction == "decrease":
            symbol = "triangle-down"
        traces.append(go.Scatter(
            x=[p.date for p in chosen], y=[p.value for p in chosen], mode="markers", name=name,
            marker={"color": colour, "symbol": symbol, "size": 11, "line": OUTLINE},
            hovertemplate=[f"{short_date(p.date)}: {kpi.format_value(p.value)}<br>{p.special_cause_type}<extra></extra>"
                           for p in chosen]))
    trial = " (trial limits)" if result.trial_limits else ""
    layout = _layout(title=title or f"{kpi.id} {kpi.short_title}: signal or noise{trial}", height=height,
                     font_size=font_size)
    why = {r.date: r.reason for r in rebases}
    restarts = []
    middle = dates[0] + (dates[-1] - dates[0]) / 2
    for n, group in enumerate(result.groups[1:], start=1):
        layout.setdefault("shapes", []).append({"type": "line", "xref": "x", "yref": "paper", "x0": group.start,
                                                "x1": group.start, "y0": 0, "y1": 1,
                                                "line": {"color": LINE_COLOUR, "width": 2, "dash": "dot"}})
        label = "Limits restart" + (f" ({n})" if len(result.groups) > 2 else "")
        # the label on the side of the line with room for it, so it is never cut at the chart's edge
        layout.setdefault("annotations", []).append({"x": group.start, "y": 1, "xref": "x", "yref": "paper",
                                                     "text": label, "showarrow": False, "name": "rebase",
                                                     "xanchor": "left" if group.start <= middle else "right",
                                                     "yanchor": "bottom", "font": {"color": LINE_COLOUR}})
        restarts.append(f"{label} at {month_year(group.start)}"
                        + (f": {why[group.start]}" if group.start in why else ""))
    layout["yaxis"]["title"] = {"text": axis_title(kpi)}
    legend_rows = sum(1 for t in traces if t.showlegend is not False and t.name != "Value")
    note = "Mean +/- 2.66 x the mean moving range (NHS England, Making Data Count)."
    if restarts:
        note = "; ".join(restarts) + ". " + note
    layout = place_below(layout, legend_rows=legend_rows, note=note)
    return go.Figure(data=traces, layout=layout)
