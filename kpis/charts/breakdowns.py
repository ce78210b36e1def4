"""The by-group figure and its table: a KPI's value for each breakdown group, with 95% confidence intervals
and England's value beside them, in the palette and layout of `kpis.charts.figures`."""
from __future__ import annotations

import math
import re

import pandas as pd
import plotly.graph_objects as go

from kpis.charts.figures import GROUP_CHARS, _count, _fmt, _layout, axis_title, line_px, vline, wrap
from kpis.core.colours import AREA_COLOUR, ENGLAND_COLOUR
from kpis.core.framework import same_words
from kpis.core.kpi import Kpi
from kpis.core.units import GAP_LABELS


def breakdown_table(df: pd.DataFrame, kpi: Kpi, breakdown_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows of `breakdown_figure`, in the same order, as people read them."""
    names = breakdown_names or {}
    if df.empty:
        return pd.DataFrame(columns=["Group", "Period", "Value", "95% CI", "Numerator", "Denominator", "Status"])
    return _breakdown_table(_order_breakdowns(df, names), kpi)


def _breakdown_table(d: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """`breakdown_table` of a frame already through `_order_breakdowns`."""
    ci = [f"{_fmt(kpi, lo)} to {_fmt(kpi, hi)}" if pd.notna(lo) and pd.notna(hi) else "–"
          for lo, hi in zip(d["lower_ci"], d["upper_ci"], strict=False)]
    return pd.DataFrame({
        "Group": d["label"].to_list(), "Period": d["period_label"].to_list(),
        "Value": [(_fmt(kpi, v) if pd.notna(v) else missing_words(s).capitalize())
                  + (" (demo)" if demo else "") for v, s, demo in zip(d["value"], d["status"],
                                                                      d["is_demo"], strict=False)],
        "95% CI": ci, "Numerator": [_count(v) for v in d["numerator"]],
        "Denominator": [_count(v) for v in d["denominator"]],
        "Status": d["status"].fillna("").str.replace("_", " ").to_list(),
    })


def _natural(text: str) -> tuple:
    """Sort '5-10' before '11-15': numbers inside labels compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text)))


def _order_breakdowns(df: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    d = df.copy()
    d["is_demo"] = d["is_demo"].fillna(False).astype(bool) if "is_demo" in d else False
    values = d["breakdown_label"] if "breakdown_label" in d else d["breakdown_value"]
    kinds = {t: names.get(t, t.replace('_', ' ').capitalize()) for t in set(d["breakdown_type"])}
    d["label"] = [("All children and young people" if t == "all" else kinds[t] if same_words(kinds[t], v)
                   else f"{kinds[t]}: {v}") for t, v in zip(d["breakdown_type"], values, strict=False)]
    d["first"] = (d["breakdown_type"] != "all").astype(int)
    keys = list(zip(d["first"].to_list(), d["breakdown_type"].to_list(), [_natural(v) for v in values], strict=False))
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable, as pandas' sort on several columns
    return d.iloc[order].reset_index(drop=True)


def breakdown_figure(df: pd.DataFrame, kpi: Kpi, *, breakdown_names: dict[str, str] | None = None,
                     england_value: float | None = None, title: str | None = None,
                     font_size: int = 15) -> go.Figure:
    """Horizontal bars from zero, one per group at risk of health inequalities, with 95% CIs."""
    d = _order_breakdowns(df, breakdown_names or {}) if not df.empty else df
    return _breakdown_figure(df, d, kpi, england_value=england_value, title=title, font_size=font_size)


def breakdown_views(df: pd.DataFrame, kpi: Kpi, *, breakdown_names: dict[str, str] | None = None,
                    england_value: float | None = None, title: str | None = None,
                    font_size: int = 15) -> tuple[go.Figure, pd.DataFrame]:
    """`breakdown_figure` and `breakdown_table` of the same frame, its groups ordered once for both."""
    d = _order_breakdowns(df, breakdown_names or {}) if not df.empty else df
    table = _breakdown_table(d, kpi) if not df.empty else breakdown_table(df, kpi, breakdown_names)
    return _breakdown_figure(df, d, kpi, england_value=england_value, title=title, font_size=font_size), table


def missing_words(status: object) -> str:
    """A missing value's status as the sub-group returned it, in words ('not available', not 'suppressed')."""
    return GAP_LABELS.get(status if isinstance(status, str) else "", "No figure").lower()


def nice_ticks(top: float) -> list[float]:
    """Round tick values from 0 to `top` (4 to 6 of them), so the axis does not run on under the labels."""
    if not top or top <= 0 or pd.isna(top):
        return [0.0]
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [round(i * step, 10) for i in range(int(top // step) + 1)]


def _breakdown_figure(df: pd.DataFrame, d: pd.DataFrame, kpi: Kpi, *, england_value: float | None,
                      title: str | None, font_size: int) -> go.Figure:
    """`breakdown_figure` of `df`, given `d`, the same through `_order_breakdowns`.

    Each bar's value, and each missing value's status, sits in a column right of every bar, whisker and the
    England line, so the dashed line never cuts through a label."""
    traces, layout_extra = [], {}
    has_england = england_value is not None and not pd.isna(england_value)
    top = 0.0 if df.empty else pd.concat([d["value"], d["upper_ci"]]).max()
    top = max(float(top) if pd.notna(top) else 0.0, float(england_value) if has_england else 0.0) or 1.0
    annotations = []
    if not df.empty:
        d = d.iloc[::-1]  # plotly draws the first category at the bottom
        # Long group names wrap, so they leave the bars room on half a laptop screen.
        d = d.assign(label=["<br>".join(wrap(lab, GROUP_CHARS)) for lab in d["label"]])
        colours = ["#3D3D3D" if t == "all" else AREA_COLOUR for t in d["breakdown_type"]]
        has_ci = d["lower_ci"].notna() & d["upper_ci"].notna()
        traces.append(go.Bar(
            x=d["value"], y=d["label"], orientation="h", marker=dict(color=colours), name=kpi.short_title,
            error_x=dict(type="data", symmetric=False, visible=bool(has_ci.any()), color="#0B0C0C", thickness=1.2,
                         array=(d["upper_ci"] - d["value"]).fillna(0).to_list(),
                         arrayminus=(d["value"] - d["lower_ci"]).fillna(0).to_list()),
            hovertext=[f"{lab}<br>{p}: " + (_fmt(kpi, v) if pd.notna(v) else missing_words(st))
                       + (f"<br>95% CI {_fmt(kpi, lo)} to {_fmt(kpi, hi)}" if pd.notna(lo) else "")
                       for lab, p, v, lo, hi, st in zip(d["label"], d["period_label"], d["value"], d["lower_ci"],
                                                        d["upper_ci"], d["status"], strict=False)],
            hoverinfo="text", showlegend=False))
        shown = d[d["value"].notna()]
        for label, v in zip(shown["label"],
                            shown["value"], strict=False):  # in the right margin, past every bar and line
            annotations.append(dict(xref="paper", x=1, xanchor="left", xshift=4, y=label, text=_fmt(kpi, v),
                                    showarrow=False, font=dict(color="#0B0C0C"), name="value"))
        # A missing value's words start at zero, where its bar would be, on a white ground: the England line
        # passes behind them, never through them.
        for label, status in zip(d.loc[d["value"].isna(), "label"], d.loc[d["value"].isna(), "status"], strict=False):
            annotations.append(dict(x=0, y=label, text=missing_words(status), showarrow=False, xanchor="left",
                                    font=dict(color="#3D3D3D", size=max(font_size - 3, 12)), bgcolor="#FFFFFF",
                                    name="missing"))
        if has_england:
            layout_extra["annotations"] = annotations
            vline(layout_extra, float(england_value), line=dict(color=ENGLAND_COLOUR, width=2.5, dash="dash"),
                  text=f"England {_fmt(kpi, england_value)}")
    rows = 0 if df.empty else len(d)
    layout = _layout(title=title or f"{kpi.id} by group", height=max(220, 34 * rows + 120), font_size=font_size,
                     top_extra=line_px(font_size) if has_england else 0)
    if annotations:
        layout["annotations"] = annotations
    layout.update(layout_extra)
    # The value labels sit just right of the plot, in a right margin sized to the longest of them.
    longest = max([len(_fmt(kpi, v)) for v in d["value"] if pd.notna(v)] or [0]) if not df.empty else 0
    layout["margin"]["r"] = round(longest * font_size * 0.62) + 16
    layout["xaxis"].update(title={"text": axis_title(kpi)}, range=[0, top * 1.02], showgrid=True,
                           gridcolor="#E5E5E5", tickvals=nice_ticks(top))
    layout["yaxis"].update(title={"text": None}, automargin=True)
    return go.Figure(data=traces, layout=layout)
