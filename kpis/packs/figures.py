"""Figures made for printed packs: the recent window of a series, the trend chart laid out for
print with a demo-data label, and the HWBB report's small multiples (one small trend chart per
KPI of an outcome area; the home area's published figures, role `home_published`, are left
out of them).

The dashboard's own figures live in `kpis.charts.figures`; these reuse its palette and styles.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kpis.charts.figures import FONT, ROLE_STYLE, axis_title, trend_figure
from kpis.core.kpi import Kpi

WINDOW_YEARS = 3
MIN_POINTS = 6
HWBB_POINTS = 8
DEMO_LABEL = "Local figures are demo data (synthetic)"
NUMBER_COLUMNS = ["KPI", "Series", "Figures, oldest first"]


def recent_window(df: pd.DataFrame, *, years: int = WINDOW_YEARS, min_points: int = MIN_POINTS) -> pd.DataFrame:
    """Rows of a `trend_data` frame for the last `years` years before the newest local figure,
    stretched back to include at least `min_points` local figures (for annual KPIs)."""
    if df.empty:
        return df
    ends = pd.to_datetime(df["period_end"])
    home = df[(df["role"] == "home") & df["value"].notna()]
    home_ends = pd.to_datetime(home["period_end"]).sort_values()
    last = home_ends.iloc[-1] if not home_ends.empty else ends.max()
    start = last - pd.DateOffset(years=years)
    if len(home_ends) >= min_points:
        start = min(start, home_ends.iloc[-min_points])
    elif not home_ends.empty:
        start = min(start, home_ends.iloc[0])
    return df[ends >= start].reset_index(drop=True)


def mark_demo(fig: go.Figure, is_demo: bool) -> go.Figure:
    """Say on the chart itself, under its title, that its local figures are demo data (the top margin grows by
    the line it takes, so the note never meets the plot)."""
    if is_demo:
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
        fig.update_layout(title_subtitle=dict(text=DEMO_LABEL, font=dict(size=12, color="#3D3D3D")),
                          margin=dict(t=top + 20))
    return fig


def pack_trend_figure(df: pd.DataFrame, kpi: Kpi, *, title: str, is_demo: bool) -> go.Figure:
    """`kpis.charts.figures.trend_figure` for print: the title and the demo note on top, the legend and the sources
    below the chart (as `trend_figure` places them)."""
    fig = trend_figure(df, kpi, title=title, height=420, font_size=14)
    return mark_demo(fig, is_demo)


def _fmt(kpi: Kpi, value) -> str:
    return kpi.format_value(None if value is None or pd.isna(value) else float(value))


def area_overview_figure(kpis: list[Kpi], frames: list[pd.DataFrame], *,
                         title: str) -> tuple[go.Figure | None, pd.DataFrame]:
    """One small chart per KPI: its latest local figures (up to eight) and England's over the same time.

    Returns the figure (None when no KPI has a figure) and the numbers it shows.
    """
    numbers, shown = [], []
    for kpi, df in zip(kpis, frames, strict=False):
        if df.empty:
            continue
        home = df[(df["role"] == "home") & df["value"].notna()].sort_values("period_end").tail(HWBB_POINTS)
        eng = df[(df["role"] == "england") & df["value"].notna()].sort_values("period_end")
        if not home.empty:
            eng = eng[pd.to_datetime(eng["period_end"]) >= pd.to_datetime(home["period_start"]).min()]
        else:
            eng = eng.tail(HWBB_POINTS)
        if home.empty and eng.empty:
            continue
        shown.append((kpi, home, eng))
        for label, part in (("Local", home), ("England", eng)):
            if part.empty:
                continue
            demo = " (demo)" if part["is_demo"].fillna(False).astype(bool).any() else ""
            numbers.append({"KPI": f"{kpi.id} {kpi.short_title}", "Series": label + demo,
                            "Figures, oldest first": "; ".join(f"{p} {_fmt(kpi, v)}" for p, v in
                                                               zip(part["period_label"], part["value"], strict=False))})
    if not shown:
        return None, pd.DataFrame(columns=NUMBER_COLUMNS)
    rows = math.ceil(len(shown) / 2)
    fig = make_subplots(rows=rows, cols=2, subplot_titles=[f"{k.id} {k.short_title}" for k, _, _ in shown],
                        vertical_spacing=min(0.3 / rows, 0.14), horizontal_spacing=0.1)
    for i, (kpi, home, eng) in enumerate(shown):
        r, c = i // 2 + 1, i % 2 + 1
        colour, symbol, dash = ROLE_STYLE["home"]
        if not home.empty:
            mid = [pd.Timestamp(s) + (pd.Timestamp(e) - pd.Timestamp(s)) / 2
                   for s, e in zip(home["period_start"], home["period_end"], strict=False)]
            fig.add_trace(go.Scatter(x=mid, y=home["value"], mode="lines+markers", name="Local figures",
                                     line=dict(color=colour, width=2.5, dash=dash),
                                     marker=dict(symbol=symbol, size=7, color=colour),
                                     showlegend=i == 0, legendgroup="home"), row=r, col=c)
        colour, symbol, dash = ROLE_STYLE["england"]
        xs, ys = [], []
        for e in eng.to_dict("records"):
            xs += [pd.Timestamp(e["period_start"]), pd.Timestamp(e["period_end"]), None]
            ys += [e["value"], e["value"], None]
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name="England", connectgaps=False,
                                     line=dict(color=colour, width=2, dash=dash),
                                     marker=dict(symbol=symbol, size=7, color=colour),
                                     showlegend=not any(t.name == "England" for t in fig.data),
                                     legendgroup="england"), row=r, col=c)
        fig.update_yaxes(title_text=axis_title(kpi), title_font=dict(size=11), row=r, col=c,
                         rangemode="tozero" if kpi.unit == "count" else "normal")
    fig.update_layout(title=dict(text=title, x=0, xanchor="left", font=dict(size=17)), font={**FONT, "size": 12},
                      plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF", margin=dict(l=10, r=10, t=90, b=50),
                      legend=dict(orientation="h", yanchor="top", y=-0.35 / (rows * 2), x=0))
    fig.update_annotations(font_size=13)
    fig.update_layout(height=250 * rows + 150)
    fig.update_xaxes(showgrid=False, linecolor="#3D3D3D", ticks="outside")
    fig.update_yaxes(gridcolor="#E5E5E5", linecolor="#3D3D3D")
    return fig, pd.DataFrame(numbers, columns=NUMBER_COLUMNS)
