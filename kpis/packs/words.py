"""The words and text tables of a board pack: a KPI's comparison and trend in sentences, the
summary scorecard as plain text, what changed, and the appendix (definitions, methods, sources).

Plain strings only (no Markdown), so the PDF, PowerPoint and Excel writers show them as typed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from kpis.board.detail import POLARITY_WORDS
from kpis.board.tables import summary_counts
from kpis.core.exports import OGL_ATTRIBUTION, describe_periods
from kpis.core.framework import Framework, Kpi
from kpis.core.sources import no_comparator_words
from kpis.store.database import Store

SCORECARD_COLUMNS = ["KPI", "Latest", "Since last meeting", "Compared with England", "Recent trend", "Target"]
CHANGE_SECTIONS = [
    ("new_signals", "New signals", "KPIs whose latest figure is now a signal by the statistical process control "
     "rules (NHS Making Data Count), not chance: concerns first.",
     "No new signal: every KPI's variation is as it was, or common-cause variation."),
    ("significant_movements", "Significant movements",
     "KPIs whose latest figure moved by more than chance would explain.", "No KPI moved significantly."),
    ("comparison_changes", "Comparison with England changed",
     "KPIs that moved between better, similar and worse than England (or higher and lower).",
     "No KPI changed its comparison with England."),
    ("missing_returns", "Returns late or missing", "Quarterly returns are due six weeks after the quarter ends.",
     "Every return due has arrived on time."),
    ("revisions", "Revisions to earlier figures", "Figures replaced by a corrected version.",
     "No earlier figure was revised."),
    ("new_data", "New data", "Figures recorded in the period, for us and for England, one row per KPI and area.",
     "No new figures were recorded."),
]
SYMBOLS = [
    ("● Better / ■ Worse than England", "England's value lies outside our 95% confidence interval, on the "
                                        "better or worse side for the KPI's polarity."),
    ("◆ Similar to England", "England's value lies inside our 95% confidence interval."),
    ("○ Higher / Lower than England", "Used where neither direction is better (no polarity)."),
    ("▲ ▼ Since last meeting", "The figure moved by more than chance would explain (95% test)."),
    ("▶ Since last meeting", "A move that chance could explain, or no change."),
    ("– ", "Not compared, or no new figure to compare."),
    ("✓ Met / ✗ Not met", "Only where the partnership has set a target."),
]
METHODS = [
    "Confidence intervals: 95% limits by the Wilson score method for percentages and by Byar's method "
    "(exact Poisson below 10) for counts, as OHID's Fingertips and its PHEindicatormethods package do.",
    "Compared with England: a local value is significantly better or worse when England's value lies outside "
    "the local 95% confidence interval, similar otherwise; where neither direction is better, higher or lower. "
    "England's figure is the latest one for a period ending on or before the local period's end, and that "
    "period is named.",
    "Recent trend: Fingertips' test for trend over the most recent five points (the chi-squared test for trend "
    "in proportions where numerators and denominators are known, otherwise a weighted regression), at the "
    "99.8% level. With fewer than five points it says 'not enough data'.",
    "Change since the last meeting: the latest figure against the newest one known at the previous meeting; "
    "a real movement only when a two-proportion z test, an exact Poisson test for counts, or non-overlapping "
    "95% confidence intervals say so at the 95% level.",
    "Small numbers: counts below the publication threshold are suppressed, and values derived from them too.",
    "Periods: local returns are quarterly on the financial year (Q1 is April to June). England figures come as "
    "financial, academic or calendar years. Charts place a quarter's point at the middle of the quarter and "
    "draw England's yearly value as a level line across its year.",
    "Charts of one KPI show the most recent three years (at least the latest six local figures); the Health and "
    "Wellbeing Board report's small charts show the latest eight local figures. The dashboard and the Excel "
    "version hold the full history.",
]


class PackError(ValueError):
    """A pack cannot be built as asked (unknown meeting or report), said in plain English."""


@dataclass
class Table:
    """A table as text: column names, rows of strings, relative column widths, a caption.

    `highlight[i]` names row i's comparison result ('better', 'worse', ...) for column
    `highlight_col`, so a writer may colour that cell (the words already say it).
    `groups` are (row index, label) pairs: a heading row goes before that row.
    """
    columns: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None
    caption: str = ""
    highlight_col: int | None = None
    highlight: list[str | None] = field(default_factory=list)
    groups: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, widths: list[float] | None = None, caption: str = "") -> "Table":
        rows = [[_text(v) for v in r] for r in df.itertuples(index=False, name=None)]
        return cls(columns=[str(c) for c in df.columns], rows=rows, widths=widths, caption=caption)


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


# -- one KPI in words ------------------------------------------------------------------------------
def latest_text(row: dict) -> str:
    if _missing(row.get("latest_period")):
        return "No data yet"
    return f"{row['value_text']}{' (demo)' if row['is_demo'] else ''}, {row['latest_period']}"


def kpi_words(kpi: Kpi, row: dict, *, previous: datetime | None) -> list[str]:
    """Sentences on a KPI's latest figure, change, comparison with England, trend and target."""
    words = [f"Latest: {latest_text(row)}." if not _missing(row.get("latest_period"))
             else "Latest: no local figure yet."]
    when = f"the meeting of {previous:%-d %B %Y}" if previous else "the last meeting"
    words.append(f"Since {when}: {row['change_symbol']} {row['change_text']}.")
    comparison = f"Compared with England: {row['comparison_symbol']} {row['comparison_text']}"
    if not _missing(row.get("england_value")):
        comparison += f" (England {row['england_text']})"
    words.append(comparison + ".")
    words.append(f"Recent trend: {row['trend']}.")
    if row["target_status"] in ("Met", "Not met"):
        words.append(f"Target: {'✓' if row['target_status'] == 'Met' else '✗'} {row['target_status']}, "
                     f"{row['target_text']}.")
    words.append(f"{POLARITY_WORDS[kpi.polarity]}. Unit: {kpi.unit_label}.")
    return words


# -- the summary -----------------------------------------------------------------------------------
def summary_lines(card: pd.DataFrame, since_words: str) -> list[str]:
    n = summary_counts(card)
    with_data = int(card["latest_period"].notna().sum())
    return [
        f"{len(card)} KPIs; {with_data} have figures.",
        f"Compared with England: ● {n['better']} better, ◆ {n['similar']} similar, ■ {n['worse']} worse.",
        f"{since_words}: {n['improved']} getting better, {n['worsened']} getting worse; the rest show no "
        "significant change or no new figure.",
        f"Targets: {n['targets_met']} of {n['targets']} met.",
    ]


def scorecard_table(card: pd.DataFrame) -> Table:
    """The summary scorecard as plain text, one row per KPI, with a heading row per outcome area."""
    rows, groups, highlight = [], [], []
    for area in dict.fromkeys(card["area"]):
        part = card[card["area"] == area]
        groups.append((len(rows), str(part["area_name"].iloc[0])))
        for r in part.to_dict("records"):
            change = f"{r['change_symbol']} {r['change_text']}"
            england = f"{r['comparison_symbol']} {r['comparison_text']}"
            if not _missing(r.get("england_value")):
                england += f" (England {r['england_text']})"
            target = "–" if r["target_text"] == "No target set" else r["target_text"]
            if r["target_status"] in ("Met", "Not met"):
                target = f"{'✓' if r['target_status'] == 'Met' else '✗'} {r['target_status']} ({target})"
            rows.append([f"{r['kpi_id']} {r['title']}", latest_text(r), change, england,
                         r.get("trend_words") or r["trend"], target])
            highlight.append(r["comparison"])
    return Table(SCORECARD_COLUMNS, rows, widths=[2.7, 2.0, 2.9, 2.9, 1.6, 1.5], highlight_col=3,
                 highlight=highlight, groups=groups)


# -- what changed ------------------------------------------------------------------------------------
def summarise_new_data(df: pd.DataFrame) -> pd.DataFrame:
    """New figures, one row per KPI and area: which periods arrived and the newest value."""
    cols = ["KPI", "Area", "Periods", "Newest value", "Source"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = []
    for (kpi, area), part in df.groupby(["KPI", "Area"], sort=False):
        out.append({"KPI": kpi, "Area": area, "Periods": describe_periods(part["Period"]),
                    "Newest value": f"{part['Value'].iloc[-1]} ({part['Period'].iloc[-1]})",
                    "Source": ", ".join(dict.fromkeys(part["Source"]))})
    return pd.DataFrame(out, columns=cols)


def change_tables(frames: dict[str, pd.DataFrame]) -> list[tuple[str, str, Table]]:
    """(title, what it lists, table) per kind of change; an empty table's text says so."""
    if not frames:
        return []
    out = []
    for key, title, about, empty in CHANGE_SECTIONS:
        df = frames.get(key, pd.DataFrame())
        n = len(df)
        if key == "new_data" and "Period" in df.columns:  # one row per figure: summarise per KPI and area
            df = summarise_new_data(df)
        elif key == "new_data" and "New figures" in df.columns:
            n = int(pd.to_numeric(df["New figures"], errors="coerce").fillna(0).sum())
        df = df.drop(columns=[c for c in ("kpi_id", "area", "Recorded") if c in df.columns])
        if key == "revisions" and "Source" in df.columns:
            df = df.drop(columns=["Source"])
        out.append((f"{title} ({n})", about if len(df) else f"{about} {empty}", Table.from_frame(df)))
    return out


# -- the appendix -------------------------------------------------------------------------------------
def definitions_table(framework: Framework) -> Table:
    rows = []
    for k in framework.kpis:
        comparator = (f"England comparator: {k.comparator.name or k.comparator.code} ({k.comparator.source} "
                      f"{k.comparator.code})." if k.comparator else
                      ("No national comparator (a local measure)." if k.related is None else
                       f"{no_comparator_words(k)}."))
        method = " ".join(p for p in (k.methodology, comparator, f"{POLARITY_WORDS[k.polarity]}.",
                                      f"Unit: {k.unit_label}; {k.frequency}.") if p)
        rows.append([f"{k.id} {k.title}", k.definition, method])
    return Table(["KPI", "Definition", "Method, comparator and polarity"], rows, widths=[1.6, 2.4, 3.2])


def sources_table(store: Store) -> Table:
    df = store.df("""
        SELECT coalesce(b.source, b.note, b.kind) AS source, b.file_name, min(b.submitted_at) AS at
        FROM batches b WHERE b.kind = 'import' GROUP BY ALL ORDER BY 1""")
    rows = [[str(r.source), str(r.file_name or ""), f"{pd.Timestamp(r.at):%-d %B %Y}",
             "Open Government Licence v3.0"] for r in df.itertuples()]
    return Table(["Published source", "File", "Imported", "Licence"], rows, widths=[2.6, 2.2, 1.2, 1.6])


def appendix(store: Store, framework: Framework, *, is_demo: bool) -> list[tuple[str, list[str], Table | None]]:
    local = ("Local figures come from the sub-groups' quarterly returns to the partnership"
             + (" and, in this demo, are synthetic: generated by a seeded script and marked (demo) wherever "
                "they appear. England and council figures are real published statistics." if is_demo else "."))
    return [
        ("Definitions", [f"The KPIs of the {framework.name}, from its framework."], definitions_table(framework)),
        ("Methods", METHODS, None),
        ("How to read the symbols", ["Colour is never the only signal: every result is also a word and a "
                                     "shape."], Table(["Symbol", "Meaning"], [list(s) for s in SYMBOLS],
                                                      widths=[1.6, 4])),
        ("Sources", [local, "Published statistics, as imported into the dashboard:"], sources_table(store)),
        ("Licence", [OGL_ATTRIBUTION, "Department for Education and Office for Health Improvement and "
                                      "Disparities statistics: © Crown copyright."], None),
    ]
