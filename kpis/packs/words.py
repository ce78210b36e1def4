"""The words and text tables of a board pack: a KPI's comparison and trend in sentences, the
summary scorecard as plain text, what changed, and the appendix (definitions, methods, sources).

Plain strings only (no Markdown), so the PDF, PowerPoint and Excel writers show them as typed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from kpis.board.tables import area_summary, summary_counts
from kpis.core.dates import RETURN_DUE_WORDS, long_date
from kpis.core.exports import LICENCE, OGL_ATTRIBUTION, describe_periods
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.sources import no_comparator_words
from kpis.core.words import COMPARISON_WORDS, POLARITY_WORDS
from kpis.published.relation import NO_NATIONAL, NOT_LOADED, SHAPES, SUPPRESSED
from kpis.store.batches import imported_sources
from kpis.store.database import Store

SCORECARD_COLUMNS = ["KPI", "Latest", "Variation", "Assurance", "Compared with England", "Since last meeting",
                     "Recent trend", "Target"]
CHANGE_SECTIONS = [
    ("new_signals", "New signals", "KPIs whose latest figure is now a signal by the statistical process control "
     "rules (NHS Making Data Count), not chance: concerns first.",
     "No new signal: every KPI's variation is as it was, or common-cause variation."),
    ("significant_movements", "Significant movements",
     "KPIs whose latest figure moved by more than chance would explain.", "No KPI moved significantly."),
    ("comparison_changes", "Comparison with England changed",
     "KPIs that moved between better, similar and worse than England (or higher and lower).",
     "No KPI changed its comparison with England."),
    ("missing_returns", "Returns late or missing",
     f"Quarterly returns are due {RETURN_DUE_WORDS} after the quarter ends.", "Every return due has arrived on time."),
    ("revisions", "Revisions to earlier figures", "Figures replaced by a corrected version.",
     "No earlier figure was revised."),
    ("new_data", "New data", "Figures recorded in the period, for us and for England, one row per KPI and area.",
     "No new figures were recorded."),
]
SYMBOLS = [
    ("▲ ▼ Improving / Worsening", "Variation: the latest figure is a special cause by the statistical process "
                                  "control rules (NHS Making Data Count), a signal that something changed, not chance. "
                                  "The arrow points the way the figure moved."),
    ("△ ▽ Higher / Lower (signal)", "Variation: a special cause where neither direction is better."),
    ("◦ No signal", "Variation: common-cause variation; the figures move by chance."),
    ("(trial)", "The process limits rest on fewer than 13 points, so they may still move."),
    ("– n of 7 points", "Variation: too few points for a verdict; none is invented."),
    ("✓ Passes / ✗ Fails", "Assurance: the target lies beyond the process limits, so it will consistently be met "
                           "(or missed, unless something changes)."),
    ("? Hit and miss", "Assurance: the target lies within the process limits; some quarters will meet it, some not."),
    ("● Better / ■ Worse than England", "Tested: England's value lies outside our 95% confidence interval, on the "
                                        "better or worse side for the KPI's polarity."),
    (f"{SHAPES['similar']} {COMPARISON_WORDS['similar']}",
     "Tested: England's value lies inside our 95% confidence interval."),
    ("○ Higher / Lower than England", "Tested, where neither direction is better (no polarity)."),
    ("◇ Not tested", "No counts are published, so no interval: the direction from England and whether that is "
                     "better or worse for the KPI are stated, with the difference."),
    ("Related measure", "No national figure of the KPI's own definition: our published figure on a close national "
                        "measure, set against England's or against all councils. The KPI's own value is not "
                        "compared with it."),
    ("– (England)", f"Nothing to compare, with the reason: {NO_NATIONAL}; {NOT_LOADED}; {SUPPRESSED}."),
    ("▲ ▼ Since last meeting", "The figure moved by more than chance would explain (95% test)."),
    ("▶ Since last meeting", "A move that chance could explain, or no change."),
    ("– ", "Not compared, or no new figure to compare."),
    ("✓ Met / ✗ Not met", "Only where the partnership has set a target."),
]
METHODS = [
    "Variation and assurance: statistical process control as NHS England's Making Data Count defines it, computed "
    "as the R package NHSRplotthedots does (MIT licence): an XmR chart whose limits are the mean plus or minus "
    "2.66 times the mean moving range (moving ranges screened as the package does), and four special-cause rules "
    "with its precedence (a point outside the limits, a run of 7 rising or falling, 2 of 3 points near a limit, 7 "
    "points on one side of the mean). The variation verdict comes from the latest point; with a target, the "
    "assurance compares it with the latest limits. Fewer than 7 points: no verdict; fewer than 13: trial limits.",
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
    def from_frame(cls, df: pd.DataFrame, *, widths: list[float] | None = None, caption: str = "") -> Table:
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
    when = f"the meeting of {long_date(previous)}" if previous else "the last meeting"
    words.append(f"Since {when}: {row['change_symbol']} {row['change_text']}.")
    words.append(f"Variation: {variation_sentence(row)}.")
    if not _missing(row.get("target")):
        words.append(f"Assurance: {assurance_sentence(row)}.")
    words.append(f"Compared with England: {row['comparison_symbol']} {england_sentence(row)}.")
    words.append(f"Recent trend: {row['trend']}.")
    if row["target_status"] in ("Met", "Not met"):
        words.append(f"Target: {'✓' if row['target_status'] == 'Met' else '✗'} {row['target_status']}, "
                     f"{row['target_text']}.")
    words.append(f"{POLARITY_WORDS[kpi.polarity]}. Unit: {kpi.unit_label}.")
    return words


def _has(row: dict, key: str) -> bool:
    return isinstance(row.get(key), str) and bool(row[key])


def variation_cell(row: dict) -> str:
    """'▲ Improving', '◦ No signal (trial)', '– 3 of 7 points': the scorecard's variation cell, as plain text."""
    return f"{row['variation_shape']} {row['variation_short']}" if _has(row, "variation_short") else "–"


def variation_sentence(row: dict) -> str:
    """'◦ No signal (trial): Common-cause variation: ...'; with no verdict, only the reason: '– No figures yet',
    '– Too few points for a signal: 3 of the 7 needed'."""
    if not _has(row, "variation_text"):
        return "–"
    if _missing(row.get("variation_icon")):
        return f"{row['variation_shape']} {row['variation_text']}"
    return f"{variation_cell(row)}: {row['variation_text']}"


def assurance_sentence(row: dict) -> str:
    """'? Hit and miss: the target lies within the process limits (target 68.0%, limits ...)'; no target: '–'."""
    if _missing(row.get("target")):
        return "– No target set"
    return f"{row['assurance_shape']} {row['assurance_text']}"


def assurance_cell(row: dict) -> str:
    """'✓ Passes', '? Hit and miss (trial)', or '–' where the KPI has no target."""
    return "–" if _missing(row.get("target")) else f"{row['assurance_shape']} {row['assurance_short']}"


def england_sentence(row: dict) -> str:
    """The relation to England in words (`kpis.published.relation`): the whole sentence, with England's figure
    and period where the KPI itself was tested."""
    words = row.get("england_relation")
    if not isinstance(words, str) or not words:
        words = row["comparison_text"]
    return words


def england_cell(row: dict, *, compact: bool = False) -> str:
    """The scorecard's England cell as plain text: shape, the clause (compact: the board table's few words), and
    England's figure and period (compact: only where the KPI itself was tested)."""
    words = row.get("comparison_short") if compact and _has(row, "comparison_short") else row["comparison_text"]
    text = f"{row['comparison_symbol']} {words}"
    if not _missing(row.get("england_value")) and not (compact and row.get("comparison") == "not compared"):
        text += f" (England {row['england_value_text']}, {row['england_period']})"
    return text


# -- the summary -----------------------------------------------------------------------------------
def summary_lines(card: pd.DataFrame, since_words: str) -> list[str]:
    n = summary_counts(card)
    with_data = int(card["latest_period"].notna().sum())
    return [
        f"{len(card)} KPIs; {with_data} have figures.",
        f"Variation (statistical process control): ▲▼ {n['improving']} improving, {n['concern']} of concern; "
        f"◦ {n['common_cause']} no signal; {n['no_verdict']} too few points for a verdict."
        + (f" Assurance: of {n['with_target']} targets, {n['hit_and_miss']} hit and miss, {n['assurance_fail']} "
           f"failing, {n['assurance_pass']} passing." if n["with_target"] else ""),
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
        groups.append((len(rows), area_summary(part, str(part["area_name"].iloc[0]))))
        for r in part.to_dict("records"):
            change = f"{r['change_symbol']} {r.get('change_short') or r['change_text']}"
            target = "–" if r["target_text"] == "No target set" else r["target_text"]
            if r["target_status"] in ("Met", "Not met"):
                target = f"{'✓' if r['target_status'] == 'Met' else '✗'} {r['target_status']} ({target})"
            rows.append([f"{r['kpi_id']} {r['title']}", latest_text(r), variation_cell(r), assurance_cell(r),
                         england_cell(r, compact=True), change, r.get("trend_words") or r["trend"], target])
            highlight.append(r.get("comparison_tone") if isinstance(r.get("comparison_tone"), str)
                             else r["comparison"])
    return Table(SCORECARD_COLUMNS, rows, widths=[2.4, 1.7, 1.5, 1.4, 2.9, 2.3, 1.4, 1.4], highlight_col=4,
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
                      (f"{NO_NATIONAL} (a local measure)." if k.related is None else
                       f"{no_comparator_words(k)}."))
        method = " ".join(p for p in (k.methodology, comparator, f"{POLARITY_WORDS[k.polarity]}.",
                                      f"Unit: {k.unit_label}; {k.frequency}.") if p)
        rows.append([f"{k.id} {k.title}", k.definition, method])
    return Table(["KPI", "Definition", "Method, comparator and polarity"], rows, widths=[1.6, 2.4, 3.2])


def sources_table(store: Store) -> Table:
    df = imported_sources(store)
    rows = [[str(r.source), str(r.file_name or ""), long_date(pd.Timestamp(r.at)),
             LICENCE] for r in df.itertuples()]
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
