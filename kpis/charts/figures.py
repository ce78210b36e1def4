"""Plotly figures and their tables, in the Government Analysis Function's colour-blind-safe palette.

Every figure builder has a table partner returning the same numbers as a tidy
DataFrame, so a page can put the numbers beside the chart. Colour is never the
only signal: each series also has its own marker shape and line dash, and the
legend and hover text name it.
"""
from __future__ import annotations

import base64
import math
import textwrap
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kpis.core.colours import AREA_COLOUR, ENGLAND_COLOUR, NEIGHBOURS_COLOUR, REGION_COLOUR
from kpis.core.kpi import Kpi
from kpis.core.sources import SOURCE_NAMES
from kpis.core.units import AXIS_TITLES

ROLE_STYLE = {  # colour, marker symbol, line dash
    "home": (AREA_COLOUR, "circle", "solid"),
    "home_published": (AREA_COLOUR, "circle-open", "dot"),
    "england": (ENGLAND_COLOUR, "diamond", "dash"),
    "region": (REGION_COLOUR, "square", "dot"),
    "neighbours": (NEIGHBOURS_COLOUR, "triangle-up", "dashdot"),
}
FONT = dict(family="Source Sans Pro, DejaVu Sans, sans-serif", size=15, color="#0B0C0C")


def axis_title(kpi: Kpi) -> str:
    return AXIS_TITLES[kpi.unit]


def _midpoint(start, end) -> pd.Timestamp:
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    return s + (e - s) / 2


def _fmt(kpi: Kpi, value) -> str:
    return kpi.format_value(None if value is None or pd.isna(value) else float(value))


HOVER_COLUMNS = ["series", "period_label", "period_start", "period_end", "value", "lower_ci", "upper_ci", "is_demo"]


def _hover(kpi: Kpi, row) -> str:
    text = f"{row['series']}<br>{row['period_label']}: {_fmt(kpi, row['value'])}"
    if pd.notna(row.get("lower_ci")) and pd.notna(row.get("upper_ci")):
        text += f"<br>95% CI {_fmt(kpi, row['lower_ci'])} to {_fmt(kpi, row['upper_ci'])}"
    if row.get("is_demo"):
        text += "<br>Demo data (synthetic)"
    return text


TITLE_CHARS = 44   # a title wraps at this many characters: it must fit half a laptop screen (about 440 px)
NOTE_CHARS = 46    # the sources note, in smaller type: it fits a half-width chart (~420 px) whatever the
#                    y labels take on the left (the note starts where the plot does)
NOTE_SIZE = 12
GROUP_CHARS = 30   # a group's name on a by-group chart wraps at this many characters


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters, broken between words (plotly never wraps text itself)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def line_px(font_size: int) -> int:
    """The height of one line of text, or of one legend entry, at `font_size`."""
    return round(font_size * 1.45)


def _layout(*, title: str, height: int, font_size: int = 15, top_extra: int = 0) -> dict:
    """The figures' shared layout, as a plain dict: a figure is built once from its traces and layout
    (`go.Figure(data=..., layout=...)`), which is many times quicker than updating a built figure in steps.

    The title is pinned to the top of the figure, wrapped so that it is never cut off, and the top margin is
    exactly its height (plus `top_extra`, for a label above the plot): nothing else is drawn there, so the
    legend can never overlap it (`place_below` puts the legend under the x axis)."""
    lines = wrap(title, TITLE_CHARS)
    top = 10 + len(lines) * line_px(font_size + 2) + 10 + top_extra
    # Plotly anchors a title of several lines as if it had one: move it down by the lines it adds.
    shift = (len(lines) - 1) * line_px(font_size + 2) / height
    return {
        "title": {"text": "<br>".join(lines), "x": 0, "xanchor": "left", "xref": "container", "y": 1 - shift,
                  "yanchor": "top", "yref": "container", "pad": {"t": 10, "l": 8},
                  "font": {"size": font_size + 2}},
        "font": {**FONT, "size": font_size}, "height": height,
        "margin": {"l": 10, "r": 10, "t": top, "b": 10}, "plot_bgcolor": "#FFFFFF", "paper_bgcolor": "#FFFFFF",
        "legend": {"orientation": "v", "yanchor": "top", "y": -0.2, "x": 0, "xanchor": "left"},
        "hoverlabel": {"font": {"size": 14}},
        "xaxis": {"showgrid": False, "linecolor": "#3D3D3D", "ticks": "outside"},
        # automargin: the margin grows to hold the tick labels and the axis title (with theme=None nothing else
        # does, and at l=10 the labels were cut: "5" for 25)
        "yaxis": {"gridcolor": "#E5E5E5", "linecolor": "#3D3D3D", "zeroline": True, "zerolinecolor": "#BFBFBF",
                  "automargin": True},
    }


def place_below(layout: dict, *, legend_rows: int, note: str = "", axis_title: bool = True) -> dict:
    """Legend, then the sources note, under the x axis, in a bottom margin made tall enough for both.

    Plotly places a legend in fractions of the plot area, so its offset is worked out from pixel heights:
    the tick labels (and the axis title), then one line per legend entry, then the note's lines. The figure
    grows by what it adds below, so the plot keeps its height."""
    size = layout["font"]["size"]
    axis_px = round(size * (3.4 if axis_title else 2.0))
    legend_px = legend_rows * line_px(size) + 12
    lines = wrap(note, NOTE_CHARS) if note else []
    note_px = len(lines) * line_px(NOTE_SIZE)
    bottom = axis_px + legend_px + note_px + 14
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    layout["height"] += bottom - layout["margin"]["b"]
    layout["margin"]["b"] = bottom
    layout["xaxis"]["automargin"] = False
    layout["legend"].update(orientation="v", y=-axis_px / plot_px, yanchor="top", x=0, xanchor="left")
    if lines:
        layout.setdefault("annotations", []).append(
            {"text": "<br>".join(lines), "showarrow": False, "xref": "paper", "x": 0, "xanchor": "left",
             "yref": "paper", "y": -(axis_px + legend_px + 4) / plot_px, "yanchor": "top", "align": "left",
             "font": {"size": NOTE_SIZE, "color": "#3D3D3D"}, "name": "sources"})
    return layout


NEIGHBOURS_SOURCE = "neighbours"


def sources_note(d: pd.DataFrame) -> str:
    """'Sources: demo data (synthetic) for Hartlepool, 2023/24 Q1 to 2026/27 Q2; DfE Children in need 2025,
    table D3 for England and North East, 2012/13 to 2024/25.' Each source once, with the series it gives
    and the periods they span."""
    if d.empty or "series" not in d:
        return ""
    shown = d[d["value"].notna()].sort_values(["order", "period_end"])
    if shown.empty:
        return ""
    source = [(NEIGHBOURS_SOURCE if role == "neighbours" else str(src) if pd.notna(src)
               else "source not recorded") for role, src in zip(shown["role"], shown["source"], strict=False)]
    shown = shown.assign(note_source=source)
    parts = []
    for src, part in shown.groupby("note_source", sort=False):
        names = list(dict.fromkeys(part["series"]))
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        ordered = part.sort_values("period_end")
        first, last = ordered["period_label"].iloc[0], ordered["period_label"].iloc[-1]
        span = first if first == last else f"{first} to {last}"
        if src == NEIGHBOURS_SOURCE:
            parts.append(f"the average of the statistical neighbours' published figures, {span}")
            continue
        src = src[:1].lower() + src[1:] if src.startswith("Demo") else src
        parts.append(f"{src} for {who}, {span}")
    return "Sources: " + "; ".join(parts) + "."


def vline(layout: dict, x: float, *, line: dict, text: str) -> None:
    """What `fig.add_vline(x, line=..., annotation_text=text, annotation_position="top")` adds, into `layout`."""
    layout.setdefault("shapes", []).append(
        {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": line})
    layout.setdefault("annotations", []).append(
        {"showarrow": False, "text": text, "x": x, "xanchor": "center", "xref": "x", "y": 1, "yanchor": "bottom",
         "yref": "y domain"})


# -- trend ------------------------------------------------------------------------------------
def series_name(role: str, area_name: str) -> str:
    return {"england": "England", "neighbours": "Statistical neighbours (average)",
            "home_published": f"{area_name}: published figure"}.get(role, area_name)


def trend_table(df: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """The numbers behind `trend_figure`: one row per series and period, as people read them."""
    if df.empty:
        return pd.DataFrame(columns=["Series", "Period", "Value", "95% CI", "Numerator", "Denominator",
                                     "Status", "Source"])
    return _trend_table(_with_series(df), kpi)


def _trend_table(d: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """`trend_table` of a frame already through `_with_series`."""
    d = d.sort_values(["order", "period_end", "series"])
    ci = [f"{_fmt(kpi, lo)} to {_fmt(kpi, hi)}" if pd.notna(lo) and pd.notna(hi) else "–"
          for lo, hi in zip(d["lower_ci"], d["upper_ci"], strict=False)]
    return pd.DataFrame({
        "Series": d["series"].to_list(),
        "Period": d["period_label"].to_list(),
        "Value": [_fmt(kpi, v) + (" (demo)" if demo else "") for v, demo in zip(d["value"],
                                                                                d["is_demo"], strict=False)],
        "95% CI": ci,
        "Numerator": [_count(v) for v in d["numerator"]],
        "Denominator": [_count(v) for v in d["denominator"]],
        "Status": d["status"].fillna("").str.replace("_", " ").to_list(),
        "Source": d["source"].fillna("").to_list(),
    })


def _gap(a, b) -> float:
    """a - b, or 0 where either is missing (an error bar of no length)."""
    return 0.0 if a is None or b is None or pd.isna(a) or pd.isna(b) else float(a - b)


def _count(v) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):,.0f}"


def _with_series(df: pd.DataFrame) -> pd.DataFrame:
    """Name each row's series; neighbours collapse to one average series per period."""
    d = df.copy()
    if "role" not in d.columns:
        d["role"] = "home"
    for col in ("lower_ci", "upper_ci", "numerator", "denominator", "status", "source", "is_demo"):
        if col not in d.columns:
            d[col] = None
    d["is_demo"] = d["is_demo"].fillna(False).astype(bool)
    nb = d[d["role"] == "neighbours"]
    if not nb.empty:
        avg = (nb.dropna(subset=["value"]).groupby(["period_label", "period_start", "period_end"], as_index=False)
               .agg(value=("value", "mean"), n=("value", "size")))
        avg = avg.assign(role="neighbours", area_name="Statistical neighbours", lower_ci=None, upper_ci=None,
                         numerator=None, denominator=None, status="published", is_demo=False,
                         source=[f"Average of {n} neighbours" for n in avg["n"]]).drop(columns="n")
        d = pd.concat([d[d["role"] != "neighbours"], avg], ignore_index=True)
    d["series"] = [series_name(r, a) for r, a in zip(d["role"], d.get("area_name", d["role"]), strict=False)]
    d["order"] = d["role"].map({"home": 0, "home_published": 1, "england": 2, "region": 3,
                                "neighbours": 4}).fillna(5)
    return d


def trend_figure(df: pd.DataFrame, kpi: Kpi, *, title: str | None = None, height: int = 420,
                 font_size: int = 15) -> go.Figure:
    """The home area's values with 95% confidence intervals, and comparator lines.

    `df` is `kpi_series` output with a `role` column: home, england, region or
    neighbours. Comparators published for whole years are drawn as a level line
    across their period, so a quarter can be read against the year it falls in.
    """
    return _trend_figure(df, _with_series(df) if not df.empty else df, kpi, title=title, height=height,
                         font_size=font_size)


def trend_views(df: pd.DataFrame, kpi: Kpi, *, title: str | None = None, height: int = 420,
                font_size: int = 15) -> tuple[go.Figure, pd.DataFrame]:
    """`trend_figure` and `trend_table` of the same frame, its series named once for both."""
    d = _with_series(df) if not df.empty else df
    table = _trend_table(d, kpi) if not df.empty else trend_table(df, kpi)
    return _trend_figure(df, d, kpi, title=title, height=height, font_size=font_size), table


def _trend_figure(df: pd.DataFrame, d: pd.DataFrame, kpi: Kpi, *, title: str | None, height: int,
                  font_size: int) -> go.Figure:
    """`trend_figure` of `df`, given `d`, the same through `_with_series`."""
    traces = []
    if not df.empty:
        # Plain rows, read once: pandas filtering and sorting per series costs more than the figure itself.
        every = [r for r in d[[*HOVER_COLUMNS, "role"]].to_dict("records") if pd.notna(r["value"])]
        for role in ("home", "home_published", "england", "region", "neighbours"):
            rows = sorted((r for r in every if r["role"] == role), key=lambda r: r["period_end"])
            if not rows:
                continue
            colour, symbol, dash = ROLE_STYLE[role]
            name = rows[0]["series"]
            if role == "home":
                x = [_midpoint(r["period_start"], r["period_end"]) for r in rows]
                has_ci = any(pd.notna(r["lower_ci"]) and pd.notna(r["upper_ci"]) for r in rows)
                err = dict(type="data", symmetric=False, visible=has_ci, color=colour, thickness=1.2,
                           width=4, array=[_gap(r["upper_ci"], r["value"]) for r in rows],
                           arrayminus=[_gap(r["value"], r["lower_ci"]) for r in rows])
                traces.append(go.Scatter(
                    x=x, y=np.array([r["value"] for r in rows], dtype="float64"), mode="lines+markers",
                    name=f"{name} (with 95% confidence interval)" if has_ci else name,   # only where there is one
                    line=dict(color=colour, width=3, dash=dash), marker=dict(symbol=symbol, size=9, color=colour),
                    error_y=err, hovertext=[_hover(kpi, r) for r in rows], hoverinfo="text"))
            else:
                xs, ys, texts = [], [], []
                for r in rows:
                    xs += [pd.Timestamp(r["period_start"]), pd.Timestamp(r["period_end"]), None]
                    ys += [r["value"], r["value"], None]
                    texts += [_hover(kpi, r)] * 2 + [None]
                traces.append(go.Scatter(
                    x=xs, y=ys, mode="lines+markers", name=name, connectgaps=False,
                    line=dict(color=colour, width=2.5, dash=dash), marker=dict(symbol=symbol, size=8, color=colour),
                    hovertext=texts, hoverinfo="text"))
    layout = _layout(title=title or f"{kpi.id} {kpi.short_title}", height=height, font_size=font_size)
    layout["showlegend"] = True  # name the series even when there is only one
    layout["yaxis"].update(title={"text": axis_title(kpi)}, rangemode="tozero" if kpi.unit == "count" else "normal")
    layout["xaxis"]["title"] = {"text": "Period"}
    if df.empty or d["value"].notna().sum() == 0:
        # Nothing to draw: say so, without axes that would show an invented range (-1 to 4).
        layout["annotations"] = [dict(text="No figures yet", showarrow=False, x=0.5, y=0.5, xref="paper",
                                      yref="paper", font=dict(size=18))]
        layout["xaxis"]["visible"] = layout["yaxis"]["visible"] = False
        layout["height"] = min(height, 200)
        return go.Figure(data=traces, layout=layout)
    place_below(layout, legend_rows=len(traces), note=sources_note(d))
    return go.Figure(data=traces, layout=layout)


def no_figures_reason(df: pd.DataFrame, kpi: Kpi) -> str | None:
    """Why a KPI's trend has nothing to draw, in a sentence; None when there is something to draw.

    `df` is `trend_data` output (with `role`). A page shows this sentence instead of an empty chart."""
    if not df.empty and df["value"].notna().any():
        return None
    if kpi.comparator is None:
        england = "it has no national comparator"
    else:
        source = SOURCE_NAMES.get(kpi.comparator.source, kpi.comparator.source)
        england = f"no England figure ({kpi.comparator.name}, from {source}) has been imported yet"
    return f"No figures to chart for {kpi.id} yet: none has been returned or published for the area, and {england}."


# -- sparklines -------------------------------------------------------------------------------------
def _clean(values: Iterable) -> list[float]:
    return [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def sparkline_figure(values: Sequence[float | None], *, height: int = 60) -> go.Figure:
    """A small, static line of recent values (no axes), for a page that wants plotly everywhere."""
    ys = _clean(values)
    fig = go.Figure(go.Scatter(y=ys, mode="lines+markers", line=dict(color=AREA_COLOUR, width=2),
                               marker=dict(size=[0] * (len(ys) - 1) + [7], color=AREA_COLOUR), hoverinfo="y"))
    fig.update_layout(height=height, margin=dict(l=2, r=2, t=2, b=2), showlegend=False,
                      plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def sparkline_svg(values: Sequence[float | None], *, width: int = 96, height: int = 26) -> str | None:
    """A tiny SVG line of recent values, as a data: URI for a Markdown image; None with under two points.

    Made only from numbers, never from user text, so it is safe to embed.
    """
    ys = _clean(values)
    if len(ys) < 2:
        return None
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    pad = 4
    step = (width - 2 * pad) / (len(ys) - 1)
    pts = [(pad + i * step, height - pad - (y - lo) / span * (height - 2 * pad)) for i, y in enumerate(ys)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    lx, ly = pts[-1]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}"><polyline fill="none" stroke="{AREA_COLOUR}" stroke-width="2" '
           f'stroke-linejoin="round" points="{points}"/><circle cx="{lx:.1f}" cy="{ly:.1f}" r="3" '
           f'fill="{AREA_COLOUR}"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
