"""Plotly figures for the analysts' explorer, in the palette of `kpis.charts.figures`.

Colour is never the only signal: bars carry their comparison in words, the
legend names each category, series have their own marker shapes and dashes,
and every figure has a table partner in `kpis.analysis.explore`, `kpis.analysis.timeseries` or
`kpis.analysis.inequalities`.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kpis.analysis.explore import Indicator
from kpis.charts.figures import FONT, place_below, vline, wrap
from kpis.core.colours import (
    AREA_COLOUR,
    COMPARISON_COLOURS,
    ENGLAND_COLOUR,
    NEIGHBOURS_COLOUR,
    PALETTE,
    REGION_COLOUR,
)
from kpis.core.words import RESULTS, SIGNIFICANCE_WORDS

TITLE_CHARS = 80     # an explorer chart spans the main area (about 860 px at 1366 px): its title wraps here
MAX_TICKS = 7        # period labels on a time axis ('2025/26 Q3' is ~80 px); more would overlap at 1366 px


def name_of(ind: Indicator) -> str:
    """An indicator as a chart names it: a KPI by its id and short title, a published one by its name, never by
    its internal code."""
    return ind.label if ind.kpi is not None else ind.name


def time_ticks(df: pd.DataFrame) -> dict:
    """Period labels for a time axis, up to the last period plotted (local quarters after the published years
    too): at most MAX_TICKS, each at its period's middle, none closer to the next than a MAX_TICKS-th of the span,
    chosen from the latest back so the latest is always labelled."""
    plotted = df[df["value"].notna()].drop_duplicates("period_label")
    if len(plotted) < 2:
        return {}
    mids = sorted(((_middle(s, e), p) for p, s, e in zip(plotted["period_label"], plotted["period_start"],
                                                         plotted["period_end"], strict=False)), key=lambda t: t[0])
    gap = (mids[-1][0] - mids[0][0]) / MAX_TICKS
    keep: list[tuple[pd.Timestamp, str]] = []
    for mid, label in reversed(mids):
        if not keep or keep[-1][0] - mid >= gap:
            keep.append((mid, label))
    keep.reverse()
    return {"tickvals": [m for m, _ in keep], "ticktext": [p for _, p in keep], "tickangle": 0}


def _middle(start, end) -> pd.Timestamp:
    """The middle of a period: where a point is placed on a time axis, as on the board's pages."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    return s + (e - s) / 2

SIG_STYLE = {  # fill colour, legend words
    **{result: (colour, SIGNIFICANCE_WORDS[result]) for result, colour in COMPARISON_COLOURS.items()},
    "not compared": ("#FFFFFF", "Not compared (no interval, or no value to compare with)"),
    "benchmark": ("#3D3D3D", "Benchmark"),
}
NO_VALUE = {"no value": ("#FFFFFF", "No value (suppressed or not available)")}
SHORT_WORDS = {code: code for code in (*RESULTS, "not compared", "benchmark")}   # a bar's label: 'better'
SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x", "star", "triangle-down", "hexagon", "cross",
           "pentagon", "hourglass", "bowtie")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def _layout(*, title: str, height: int) -> dict:
    """The explorer figures' layout, as a plain dict: a figure is built once from its traces and layout
    (`go.Figure(data=..., layout=...)`), which is many times quicker than updating a built figure in steps."""
    lines = wrap(title, TITLE_CHARS)      # wrapped, never cut off at the figure's edge
    return {"title": {"text": "<br>".join(lines), "x": 0, "xanchor": "left", "font": {"size": 17}},
            "font": dict(FONT), "height": height, "margin": {"l": 10, "r": 30, "t": 36 + 24 * len(lines), "b": 10},
            "plot_bgcolor": "#FFFFFF",
            "paper_bgcolor": "#FFFFFF", "legend": {"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0},
            "hoverlabel": {"font": {"size": 14}},
            "xaxis": {"linecolor": "#3D3D3D", "ticks": "outside", "gridcolor": "#E5E5E5"},
            "yaxis": {"linecolor": "#3D3D3D", "gridcolor": "#E5E5E5", "automargin": True}}  # labels never cut


def legend_below(layout: dict, *, height: int, rows: int, axis_px: int = 80) -> dict:
    """Put the legend under the x axis title without overlapping it, whatever the figure's height."""
    bottom = axis_px + 24 * rows + 10
    plot_px = max(height - 60 - bottom, 50)
    layout["margin"].update(b=bottom)
    layout["legend"].update(y=-(axis_px / plot_px), yanchor="top", x=0)
    layout["xaxis"]["automargin"] = False
    return layout


def _value_labels(cats: list[str], texts: list[str], x: float) -> go.Scatter:
    """Each bar's value and comparison in words, in a column right of the bars (clear of the whiskers)."""
    return go.Scatter(x=[x] * len(cats), y=cats, mode="text", text=texts, textposition="middle right",
                      textfont=dict(size=13, color="#0B0C0C"), showlegend=False, hoverinfo="skip", cliponaxis=False)


def _no_data(traces: list, *, title: str, height: int, text: str = "No figures for this choice") -> go.Figure:
    layout = _layout(title=title, height=height)
    layout["annotations"] = [dict(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                  font=dict(size=18))]
    layout["xaxis"]["visible"] = False
    layout["yaxis"]["visible"] = False
    return go.Figure(data=traces, layout=layout)


def _errors(d: pd.DataFrame) -> dict:
    has = d["lower_ci"].notna() & d["upper_ci"].notna()
    return dict(type="data", symmetric=False, visible=bool(has.any()), color="#0B0C0C", thickness=1.2, width=3,
                array=(d["upper_ci"] - d["value"]).where(has, 0).fillna(0).to_list(),
                arrayminus=(d["value"] - d["lower_ci"]).where(has, 0).fillna(0).to_list())


def _category(label: str, role: str) -> str:
    return f"<b>{label}</b>" if role in ("home", "england") else label


# -- compare areas ------------------------------------------------------------------------------
def compare_figure(df: pd.DataFrame, ind: Indicator, *, title: str | None = None) -> go.Figure:
    """Sorted horizontal bars, best at the top, with 95% limits; colour and words give the comparison."""
    traces = []
    d = df[df["value"].notna()] if not df.empty else df
    if d.empty:
        return _no_data(traces, title=title or name_of(ind), height=300)
    d = d.iloc[::-1]  # plotly draws the first category at the bottom
    cats = [_category(n, r) for n, r in zip(d["area_name"], d["role"], strict=False)]
    for code, (colour, words) in SIG_STYLE.items():
        mask = (d["significance"] == code).to_list()
        if not any(mask):
            continue
        part = d[mask]
        traces.append(go.Bar(
            x=part["value"], y=[c for c, m in zip(cats, mask, strict=False) if m], orientation="h", name=words,
            marker=dict(color=colour, line=dict(color="#3D3D3D", width=1)), error_x=_errors(part),
            hovertext=[f"{n}<br>{p}: {ind.format(v)}<br>{t}" + (f"<br>95% CI {ind.format(lo)} to {ind.format(hi)}"
                                                              if pd.notna(lo) else "")
                       for n, p, v, t, lo, hi in zip(part["area_name"], part["period_label"], part["value"],
                                                     part["significance_text"], part["lower_ci"], part["upper_ci"],
                                                     strict=False)],
            hoverinfo="text"))
    eng = df["england_value"].iloc[0] if "england_value" in df and len(df) else None
    top = pd.concat([d["value"], d["upper_ci"], pd.Series([eng], dtype="float64")]).max()  # labels clear England
    top = float(top) if pd.notna(top) and top > 0 else 1.0
    traces.append(_value_labels(cats, [ind.format(v) + ("" if c == "benchmark" else f" {SHORT_WORDS.get(c, '')}")
                                       for v, c in zip(d["value"], d["significance"], strict=False)], top * 1.04))
    height = max(320, 26 * len(d) + 200)
    layout = _layout(title=title or f"{name_of(ind)}, {d['period_label'].iloc[0]}", height=height)
    if eng is not None and pd.notna(eng):
        vline(layout, float(eng), line=dict(color=ENGLAND_COLOUR, width=2.5, dash="dash"),
              text=f"England {ind.format(eng)}")
    layout.update(barmode="overlay", bargap=0.25)
    layout["yaxis"].update(categoryorder="array", categoryarray=cats, automargin=True, title={"text": None})
    layout["xaxis"].update(title={"text": ind.axis_title}, range=[0, top * 1.4])
    legend_below(layout, height=height, rows=1 + d["significance"].nunique() // 4)
    return go.Figure(data=traces, layout=layout)


def spine_figure(sp: dict, ind: Indicator, *, title: str | None = None) -> go.Figure:
    """A Fingertips-style spine: councils' range and interquartile range, the median, England and the home area.

    Better is to the right (the axis is reversed where lower is better), as in Fingertips.
    """
    traces = []
    if not sp or "min" not in sp:
        return _no_data(traces, title=title or "Spread of councils", height=220)
    y = [name_of(ind)]
    traces.append(go.Bar(x=[sp["max"] - sp["min"]], base=[sp["min"]], y=y, orientation="h", width=0.5,
                         marker=dict(color="#E5E5E5", line=dict(color="#BFBFBF", width=1)),
                         name=f"Councils' range ({ind.format(sp['min'])} to {ind.format(sp['max'])})",
                         hoverinfo="name"))
    traces.append(go.Bar(x=[sp["p75"] - sp["p25"]], base=[sp["p25"]], y=y, orientation="h", width=0.5,
                         marker=dict(color="#8C8C8C"), name=f"Middle half of councils, 25th to 75th percentile "
                         f"({ind.format(sp['p25'])} to {ind.format(sp['p75'])})", hoverinfo="name"))
    traces.append(go.Scatter(x=[sp["median"]], y=y, mode="markers", name=f"Median council {ind.format(sp['median'])}",
                             marker=dict(symbol="line-ns", size=34, line=dict(width=3, color="#0B0C0C")),
                             hoverinfo="name"))
    if sp.get("england") is not None and pd.notna(sp["england"]):
        traces.append(go.Scatter(x=[sp["england"]], y=y, mode="markers", name=f"England {ind.format(sp['england'])}",
                                 marker=dict(symbol="diamond", size=16, color=ENGLAND_COLOUR,
                                             line=dict(color="#0B0C0C", width=1)), hoverinfo="name"))
    if sp.get("home") is not None:
        traces.append(go.Scatter(x=[sp["home"]], y=y, mode="markers+text", text=[sp["home_name"]],
                                 textposition="top center", name=f"{sp['home_name']} {ind.format(sp['home'])}",
                                 marker=dict(symbol="circle", size=16, color=AREA_COLOUR,
                                             line=dict(color="#FFFFFF", width=2)), hoverinfo="name"))
    layout = _layout(title=title or f"Where {sp.get('home_name') or 'the area'} sits among {sp['councils']} "
                     f"councils, {sp['period_label']}", height=390)
    layout["barmode"] = "overlay"
    layout["legend"]["orientation"] = "v"
    legend_below(layout, height=390, rows=5)
    reverse = ind.polarity == "lower_is_better"
    axis = ind.axis_title + ("  (better to the right)" if ind.polarity != "no_polarity" else "")
    layout["xaxis"].update(title={"text": axis}, autorange="reversed" if reverse else True)
    layout["yaxis"].update(showticklabels=False, showline=False, showgrid=False, zeroline=False)
    return go.Figure(data=traces, layout=layout)


# -- trends --------------------------------------------------------------------------------------
_ROLE_STYLE = {"home": (AREA_COLOUR, "circle", "solid", 3.5), "home_local": (AREA_COLOUR, "circle-open", "dot", 2),
               "england": (ENGLAND_COLOUR, "diamond", "dash", 3), "region": (REGION_COLOUR, "square", "dot", 2.5)}


def trend_figure(df: pd.DataFrame, ind: Indicator, *, band: pd.DataFrame | None = None, title: str | None = None,
                 show_ci: bool = True) -> go.Figure:
    """One line per series with 95% limits; optionally the neighbours' range as a shaded band. Each point sits at
    the middle of its period (as on the board's pages), and the axis labels periods to the last one plotted."""
    traces = []
    middles = ({} if df.empty else
               {p: _middle(s, e) for p, s, e in zip(df["period_label"], df["period_start"],
                                                    df["period_end"], strict=False)})
    if band is not None and not band.empty:
        b = band.sort_values("period_end")
        x = [middles.get(p, pd.Timestamp(e)) for p, e in zip(b["period_label"], b["period_end"], strict=False)]
        traces.append(go.Scatter(x=x + x[::-1], y=list(b["neighbours_max"]) + list(b["neighbours_min"])[::-1],
                                 fill="toself", fillcolor="rgba(128,22,80,0.12)", line=dict(width=0), mode="lines",
                                 name="Statistical neighbours: lowest to highest", hoverinfo="skip"))
        traces.append(go.Scatter(x=x, y=b["neighbours_median"], mode="lines+markers", name="Neighbours' median",
                                 line=dict(color=NEIGHBOURS_COLOUR, dash="dashdot", width=2),
                                 marker=dict(symbol="triangle-up", size=8, color=NEIGHBOURS_COLOUR)))
    if df.empty or df["value"].notna().sum() == 0:
        return _no_data(traces, title=title or name_of(ind), height=420)
    others = 0
    for series, part in df.groupby("series", sort=False):
        part = part.sort_values("period_end")
        role = part["role"].iloc[0]
        if role in _ROLE_STYLE:
            colour, symbol, dash, width = _ROLE_STYLE[role]
        else:
            colour = PALETTE[(others % 4) + 2] if others < 4 else PALETTE[(others % len(PALETTE))]
            symbol, dash, width = SYMBOLS[(others + 3) % len(SYMBOLS)], DASHES[others % len(DASHES)], 1.8
            others += 1
        traces.append(go.Scatter(
            x=[_middle(s, e) for s, e in zip(part["period_start"], part["period_end"], strict=False)], y=part["value"],
            mode="lines+markers", name=series,
            line=dict(color=colour, dash=dash, width=width), marker=dict(symbol=symbol, size=9, color=colour),
            error_y=_errors(part) | dict(color=colour) if show_ci else None,
            hovertext=[f"{series}<br>{p}: {ind.format(v)}<br>{t}" for p, v, t in
                       zip(part["period_label"], part["value"],
                           part["significance_text"], strict=False)], hoverinfo="text"))
    layout = _layout(title=title or name_of(ind), height=520)
    layout["yaxis"].update(title={"text": ind.axis_title}, rangemode="tozero")
    layout["xaxis"].update(time_ticks(df))
    layout["xaxis"]["title"] = {"text": "Period"}    # the page says the points sit at each period's middle
    # one legend entry a line, under the tick labels and the axis title (as the board's charts): the horizontal
    # legend sat over the period labels
    place_below(layout, legend_rows=sum(1 for t in traces if t.showlegend is not False))
    return go.Figure(data=traces, layout=layout)


# -- breakdowns ----------------------------------------------------------------------------------
def breakdown_figure(df: pd.DataFrame, ind: Indicator, *, title: str | None = None) -> go.Figure:
    """Bars by group with 95% limits, the area's all-children value as a line; comparison in colour and words."""
    traces = []
    if df.empty or df["value"].notna().sum() == 0:
        return _no_data(traces, title=title or "Breakdown", height=280)
    d = df.iloc[::-1]
    labels = [f"<b>{g}</b>" if t == "all" else g for g, t in zip(d["group"], d["breakdown_type"], strict=False)]
    d = d.assign(significance=d["significance"].where(d["value"].notna(), "no value"))
    for code, (colour, words) in (SIG_STYLE | NO_VALUE).items():
        mask = (d["significance"] == code).to_list()
        if not any(mask):
            continue
        part = d[mask]
        name = "All children" if code == "benchmark" else f"{words} than all children" if code in (
            "better", "worse", "higher", "lower") else words
        traces.append(go.Bar(
            x=part["value"].fillna(0), y=[lab for lab, m in zip(labels,
                                                                mask, strict=False) if m], orientation="h", name=name,
            marker=dict(color=colour, line=dict(color="#3D3D3D", width=1)), error_x=_errors(part), hoverinfo="text",
            hovertext=[f"{g}: {ind.format(v)}<br>{t}" for g, v, t in
                       zip(part["group"], part["value"], part["significance_text"], strict=False)]))
    top = pd.concat([d["value"], d["upper_ci"]]).max()
    top = float(top) if pd.notna(top) and top > 0 else 1.0
    traces.append(_value_labels(labels, [(f"{ind.format(v)} {SHORT_WORDS.get(c, '')}".strip() if c != "benchmark"
                                          else ind.format(v)) if pd.notna(v) else t
                                         for v, c, t in zip(d["value"], d["significance"],
                                                            d["significance_text"], strict=False)],
                                top * 1.04))
    height = max(320, 30 * len(d) + 200)
    layout = _layout(title=title or f"{name_of(ind)}: {df['group_type'].iloc[-1]}, {df['area_name'].iloc[0]}, "
                                    f"{df['period_label'].iloc[0]}", height=height)
    overall = df["all_value"].iloc[0]
    if overall is not None and pd.notna(overall):
        vline(layout, float(overall), line=dict(color="#3D3D3D", width=2, dash="dash"),
              text=f"All children {ind.format(overall)}")
    layout.update(barmode="overlay", bargap=0.25)
    layout["yaxis"].update(categoryorder="array", categoryarray=labels, automargin=True)
    layout["xaxis"].update(title={"text": ind.axis_title}, range=[0, top * 1.5])
    legend_below(layout, height=height, rows=1 + d["significance"].nunique() // 3)
    return go.Figure(data=traces, layout=layout)
