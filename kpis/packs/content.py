"""What goes into a board pack or a Health and Wellbeing Board (HWBB) report, as plain data.

`board_pack_content` gathers everything once (scorecard, what changed, one section per
outcome area with its KPIs' figures, tables and words, the sub-groups' narratives and an
appendix); the PDF, PowerPoint and Excel writers only lay it out. Figures are plotly
objects: the writers turn them into PNG with `kpis.packs.images`.

- **board**: for a board meeting; changes since the meeting before it; one section per
  sub-group with every KPI's chart against England, its numbers and its words.
- **hwbb**: the six-monthly report to the HWBB; changes over roughly six months; one
  section per outcome area with a small-multiples chart and a summary table.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from kpis.board.changes import changes_since
from kpis.board.detail import trend_data
from kpis.board.scorecard import end_of_day, meeting_context, meetings, scorecard
from kpis.board.tables import area_summary, summary_counts
from kpis.charts.figures import trend_table
from kpis.core.dates import long_date
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.packs.figures import area_overview_figure, mark_demo, pack_trend_figure, recent_window
from kpis.packs.words import (
    PackError,
    Table,
    appendix,
    assurance_cell,
    change_tables,
    england_cell,
    england_sentence,
    kpi_words,
    scorecard_table,
    summary_lines,
    variation_cell,
)
from kpis.store.database import Store, now
from kpis.store.narratives import SECTIONS as NARRATIVE_SECTIONS
from kpis.store.narratives import latest_narrative
from kpis.store.observations import last_recorded_at

Progress = Callable[[float, str], None]  # hears (fraction done, what is being made)
REPORTS = {"board": "Board pack", "hwbb": "Report to the Health and Wellbeing Board"}
HWBB_INTERVAL = timedelta(days=150)  # "six-monthly": compare with the meeting at least ~5 months earlier
TABLE_COLUMNS = ["Series", "Period", "Value", "95% CI", "Numerator", "Denominator"]

__all__ = ["PackContent", "PackError", "Table", "board_pack_content", "pack_meetings", "resolve_meeting"]


@dataclass
class Chart:
    figure: go.Figure
    alt: str
    width_px: int = 900
    height_px: int = 420


@dataclass
class KpiSection:
    kpi: Kpi
    words: list[str]
    chart: Chart | None
    table: Table
    is_demo: bool
    # the scorecard row's verdicts (issue 21), each as its cell and its sentence
    variation: str = ""            # '◦ No signal (trial)'
    variation_words: str = ""      # 'Common-cause variation: no signal, ... Trial limits: ...'
    assurance: str = ""            # '? Hit and miss'; '–' without a target
    assurance_words: str = ""
    england: str = ""              # '◇ 23.5 pts lower: worse (untested)' as the scorecard cell, as plain text
    england_words: str = ""        # the whole sentence (`kpis.published.relation`)


@dataclass
class Narrative:
    period_label: str
    parts: list[tuple[str, str]]  # (heading, text)
    is_demo: bool
    publishable: bool


@dataclass
class AreaSection:
    area_id: str
    name: str
    sub_group: str
    summary: str
    overview: Table
    kpis: list[KpiSection]
    verdicts: str = ""                    # one line: KPIs improving and of concern, targets hit and miss or failing
    chart: Chart | None = None            # HWBB: the area's KPIs as small multiples
    chart_table: Table | None = None      # HWBB: the numbers in that chart
    narrative: Narrative | None = None
    narrative_note: str = ""


@dataclass
class PackContent:
    report: str
    title: str
    partnership: str
    short_name: str
    reports_to: str
    meeting: date
    previous: date | None
    data_as_at: datetime | None
    generated_at: datetime
    is_demo: bool
    summary: list[str]
    scorecard: Table
    scorecard_frame: pd.DataFrame
    changes_heading: str
    changes: list[tuple[str, str, Table]]     # (title, what it lists, table)
    changes_frames: dict[str, pd.DataFrame]
    areas: list[AreaSection]
    appendix: list[tuple[str, list[str], Table | None]]  # (heading, paragraphs, table)
    data: pd.DataFrame                        # every local and England figure of each KPI, for Excel

    @property
    def charts(self) -> list[Chart]:
        out = []
        for a in self.areas:
            out += [a.chart] if a.chart else []
            out += [k.chart for k in a.kpis if k.chart]
        return out

    @property
    def meeting_text(self) -> str:
        return long_date(self.meeting)

    @property
    def as_at_text(self) -> str:
        return long_date(self.data_as_at) if self.data_as_at else "no data loaded"


# -- meetings -----------------------------------------------------------------------------------
def pack_meetings(store: Store) -> list[date]:
    return meetings(store)


def resolve_meeting(store: Store, meeting: date | None, *, today: date | None = None) -> date:
    """The meeting asked for, or by default the next one (today counts), else the latest.

    Raises PackError naming the known meetings when `meeting` is not one of them.
    """
    known = pack_meetings(store)
    if not known:
        raise PackError("The database holds no board meetings. Load the framework first: python -m kpis init")
    listing = ", ".join(m.isoformat() for m in known)
    if meeting is None:
        today = today or now().date()
        upcoming = [m for m in known if m >= today]
        return upcoming[0] if upcoming else known[-1]
    if meeting not in known:
        raise PackError(f"{meeting.isoformat()} is not a board meeting date. Known meetings: {listing}.")
    return meeting


def _compare_with(store: Store, meeting: date, report: str) -> datetime | None:
    if report == "board":
        return meeting_context(store, meeting)[1]
    earlier = [m for m in pack_meetings(store) if m < meeting]
    six_months = [m for m in earlier if m <= meeting - HWBB_INTERVAL]
    chosen = six_months[-1] if six_months else (earlier[0] if earlier else None)
    return end_of_day(chosen) if chosen else None


def _data_as_at(store: Store, as_at: datetime) -> datetime | None:
    value = last_recorded_at(store, as_at)
    return None if value is None else pd.Timestamp(value).to_pydatetime()


# -- sections ------------------------------------------------------------------------------------
def _narrative(store: Store, area_id: str, as_at: datetime, report: str) -> tuple[Narrative | None, str]:
    row = latest_narrative(store, area_id, as_at)
    if row is None:
        return None, "The sub-group has not sent a narrative yet."
    publishable = bool(row.get("publishable"))
    if report == "hwbb" and not publishable:
        return None, (f"The sub-group's narrative for {row['period_label']} is not marked for publication, "
                      "so it is not included in this report.")
    parts = [(heading, str(row.get(col) or "Not provided.")) for col, heading in NARRATIVE_SECTIONS.items()]
    return Narrative(str(row["period_label"]), parts, bool(row.get("is_demo")), publishable), ""


def _kpi_section(store: Store, framework: Framework, kpi: Kpi, row: dict, *, as_at: datetime,
                 previous: datetime | None) -> tuple[KpiSection, pd.DataFrame]:
    full = trend_data(store, framework, kpi, against=("england",), as_at=as_at)
    df = recent_window(full)
    table = trend_table(df, kpi)
    table = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    is_demo = bool(not df.empty and df["is_demo"].fillna(False).astype(bool).any())
    chart = None
    if not df.empty and df["value"].notna().any():
        has_england = bool(((df["role"] == "england") & df["value"].notna()).any())
        title = f"{kpi.id} {kpi.short_title}: " + ("trend against England" if has_england else "trend")
        chart = Chart(pack_trend_figure(df, kpi, title=title, is_demo=is_demo), alt=_chart_alt(kpi, table))
    words = kpi_words(kpi, row, previous=previous)
    caption = (f"The numbers in the chart of {kpi.id}. Points mark the middle of each period; a level line "
               "spans a yearly figure's whole year." if chart else f"{kpi.id} has no figures yet.")
    section = KpiSection(kpi, words, chart, Table.from_frame(table, widths=[1.6, 1.1, 1.1, 1.4, 1, 1],
                                                             caption=caption), is_demo,
                         variation=variation_cell(row), variation_words=str(row.get("variation_text") or ""),
                         assurance=assurance_cell(row),
                         assurance_words=str(row.get("assurance_text") or "") if row.get("target") is not None
                         and not pd.isna(row.get("target")) else "No target set",
                         england=england_cell(row), england_words=england_sentence(row))
    return section, full.assign(kpi_id=kpi.id)


def _chart_alt(kpi: Kpi, table: pd.DataFrame) -> str:
    parts = []
    for series, rows in table.groupby("Series", sort=False):
        parts.append(f"{series}: {len(rows)} values from {rows['Period'].iloc[0]} to {rows['Period'].iloc[-1]}, "
                     f"latest {rows['Value'].iloc[-1]}")
    return (f"Line chart of {kpi.id} {kpi.short_title}. " + "; ".join(parts)
            + ". The numbers are in the table with the chart.")


def _area_summary(rows: pd.DataFrame, since_words: str) -> str:
    n = summary_counts(rows)
    compared = n["better"] + n["similar"] + n["worse"]
    text = area_summary(rows) + " "
    text += (f"Compared with England: ● {n['better']} better, ◆ {n['similar']} similar, ■ {n['worse']} worse"
             f" ({len(rows) - compared} not compared). " if compared else
             "None is tested against England: each KPI's words say how it stands. ")
    text += f"{since_words}: {n['improved']} getting better, {n['worsened']} getting worse."
    return text


def _overview(rows: pd.DataFrame) -> Table:
    records = rows.to_dict("records")
    df = pd.DataFrame({
        "KPI": rows["kpi_id"] + " " + rows["title"],
        "Latest": [f"{v}{' (demo)' if d else ''}" + (f", {p}" if isinstance(p, str) else "")
                   for v, d, p in zip(rows["value_text"], rows["is_demo"], rows["latest_period"], strict=False)],
        "Variation": [variation_cell(r) for r in records],
        "Assurance": [assurance_cell(r) for r in records],
        "Compared with England": [england_cell(r) for r in records],
    })
    if not rows["target"].notna().any():
        df = df.drop(columns=["Assurance"])
    t = Table.from_frame(df, widths=[2.0, 1.3, 1.3] + ([1.1] if "Assurance" in df else [])
                         + [2.2])
    t.highlight_col = list(df.columns).index("Compared with England")
    t.highlight = [r.get("comparison_tone") if isinstance(r.get("comparison_tone"), str) else r["comparison"]
                   for r in records]
    return t


# -- the whole pack -----------------------------------------------------------------------------------
def board_pack_content(store: Store, framework: Framework, *, meeting: date | None = None,
                       report: str = "board", progress: Progress | None = None) -> PackContent:
    """Everything a board pack (report='board') or HWBB report (report='hwbb') shows, for one meeting.

    `progress(fraction, message)` is called as sections are gathered.
    """
    if report not in REPORTS:
        raise PackError(f"Unknown report '{report}'. Choose one of: {', '.join(REPORTS)}.")
    say = progress or (lambda fraction, message: None)
    meeting = resolve_meeting(store, meeting)
    as_at = end_of_day(meeting)
    previous = _compare_with(store, meeting, report)
    until = min(as_at, now())
    say(0.02, "Reading the scorecard")
    card = scorecard(store, framework, as_at=as_at, previous_meeting=previous)
    since_words = (f"Since the meeting of {long_date(previous)}" if previous else "Since the last meeting")
    say(0.08, "Working out what changed")
    frames = changes_since(store, framework, since=previous, until=until) if previous else {}
    areas, data = [], []
    for i, area in enumerate(framework.areas):
        say(0.1 + 0.2 * i / len(framework.areas), f"Gathering {area.name}")
        rows = card[card["area"] == area.id]
        narrative, note = _narrative(store, area.id, as_at, report)
        section = AreaSection(area.id, area.name, area.sub_group, _area_summary(rows, since_words),
                              _overview(rows), [], verdicts=area_summary(rows, area.name), narrative=narrative,
                              narrative_note=note)
        for kpi in framework.kpis_in_area(area.id):
            row = rows[rows["kpi_id"] == kpi.id].iloc[0].to_dict()
            ks, df = _kpi_section(store, framework, kpi, row, as_at=as_at, previous=previous)
            section.kpis.append(ks)
            data.append(df)
        if report == "hwbb":
            section.chart, section.chart_table = _hwbb_chart(section, data[-len(section.kpis):])
        areas.append(section)
    say(0.3, "Writing the appendix")
    all_data = pd.concat(data, ignore_index=True) if data else pd.DataFrame()
    is_demo = bool(card["is_demo"].any() or (not all_data.empty and all_data["is_demo"].fillna(False).any()))
    title = REPORTS[report] + ("" if report == "hwbb" else f": {framework.short_name}")
    heading = ("What changed since the last meeting" if report == "board"
               else "What changed in the last six months")
    return PackContent(
        report=report, title=title, partnership=framework.name, short_name=framework.short_name,
        reports_to=framework.reports_to, meeting=meeting, previous=previous.date() if previous else None,
        data_as_at=_data_as_at(store, as_at), generated_at=now(), is_demo=is_demo,
        summary=summary_lines(card, since_words),
        scorecard=_scorecard_table(card), scorecard_frame=card,
        changes_heading=heading, changes=change_tables(frames), changes_frames=frames,
        areas=areas, appendix=appendix(store, framework, is_demo=is_demo), data=all_data,
    )


def _scorecard_table(card: pd.DataFrame) -> Table:
    return scorecard_table(card)


def _hwbb_chart(section: AreaSection, frames: list[pd.DataFrame]) -> tuple[Chart | None, Table | None]:
    kpis = [k.kpi for k in section.kpis]
    fig, numbers = area_overview_figure(kpis, frames, title=f"{section.name}: recent trends against England")
    if fig is None:
        return None, None
    mark_demo(fig, any(k.is_demo for k in section.kpis))
    alt = (f"Small line charts, one per KPI of {section.name}: "
           + ", ".join(f"{k.id} {k.short_title}" for k in kpis)
           + ". Each shows the local figures and England's. The numbers are in the table with the chart.")
    return (Chart(fig, alt=alt, width_px=1000, height_px=int(fig.layout.height)),
            Table.from_frame(numbers, widths=[1.8, 0.9, 4.3],
                             caption=f"The numbers in the charts of {section.name}."))
