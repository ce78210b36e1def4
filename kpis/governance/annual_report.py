"""The annual report: what the partnership did over a year, for its cabinet and the Health and Wellbeing Board.

`annual_report(store, framework, year)` gathers it once (`AnnualReport`); `report_docx` writes it as an editable
Word document and `report_html` as semantic HTML, printed to a tagged PDF. The year is financial (April to March)
or academic (September to August), as the framework's `[annual_report] year` says. The KPI rows are the
scorecard's (`kpis.board.scorecard`: latest value, England, the SPC signal) as known at the end of the year; what
changed is `kpis.board.changes` over the year; the sub-groups' words are their narratives for the year's periods.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from kpis.board.changes import changes_since
from kpis.board.meetings import STILL_OPEN, attendance_record, escalations_table, items_table, overdue_words
from kpis.board.scorecard import end_of_day, meetings, scorecard
from kpis.core.dates import long_date
from kpis.core.framework import Framework
from kpis.core.periods import PeriodError, parse_period
from kpis.governance.self_assessment import year_assessment
from kpis.store import governance as records
from kpis.store.database import Store, now
from kpis.store.narratives import SECTIONS, narrative_history
from kpis.store.settings import setting

YEAR_LABEL = re.compile(r"^\s*(?:AY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)
DEMO_NOTE = ("This report is built from the product's demonstration database. The partnership's own "
             "figures, narratives, meetings, attendance, actions and escalations in it are synthetic, made up to "
             "show how the report works; England figures are real published statistics.")
CHANGE_TABLES = {  # kpis.board.changes key -> heading and what the table says
    "new_signals": "New signals on the statistical process control charts",
    "significant_movements": "Figures that moved significantly over the year",
    "comparison_changes": "Changes in the comparison with England",
    "revisions": "Figures revised during the year",
    "missing_returns": "Quarterly returns late or missing",
}
# The last quarter's returns arrive some weeks after the year ends, and the report goes to the cabinet a few months
# later (seed 001: in July): its figures are those known three months after the year's end.
FIGURES_LAG = timedelta(days=91)
KPI_COLUMNS = ["KPI", "Latest", "Period", "England", "Compared with England", "Over the year", "SPC signal"]


class ReportError(ValueError):
    """The report cannot be made as asked; the message says why in plain English."""


@dataclass(frozen=True)
class ReportYear:
    label: str          # "2025/26"
    kind: str           # financial | academic
    start: date
    end: date

    @property
    def words(self) -> str:
        kind = "financial year" if self.kind == "financial" else "academic year"
        return f"the {kind} {self.label} ({long_date(self.start)} to {long_date(self.end)})"


def report_year(framework: Framework, label: str) -> ReportYear:
    """'2025/26' (or '2025-26', '2025/2026') as the framework's kind of year."""
    m = YEAR_LABEL.match(str(label or ""))
    first = int(m.group(1)) if m else 0
    second = int(m.group(2)) if m else 0
    if m and second < 100:
        second += first // 100 * 100
    if not m or second != first + 1:
        raise ReportError(f"The year '{label}' is not a year the report can cover; write it as 2025/26 (the "
                          f"{framework.annual_report_year} year that starts in 2025).")
    if framework.annual_report_year == "academic":
        start, end = date(first, 9, 1), date(first + 1, 8, 31)
    else:
        start, end = date(first, 4, 1), date(first + 1, 3, 31)
    return ReportYear(f"{first}/{str(first + 1)[-2:]}", framework.annual_report_year, start, end)


def report_years(framework: Framework, days: list[date]) -> list[str]:
    """The labels of the framework's years ("2025/26") that hold any of `days`, newest first."""
    firsts = {d.year if (d.month, d.day) >= ((9, 1) if framework.annual_report_year == "academic" else (4, 1))
              else d.year - 1 for d in days}
    return [f"{y}/{str(y + 1)[-2:]}" for y in sorted(firsts, reverse=True)]


@dataclass
class Narrative:
    period: str
    parts: dict[str, str]     # heading -> text
    is_demo: bool


@dataclass
class AreaPart:
    name: str
    sub_group: str
    kpis: pd.DataFrame        # KPI_COLUMNS
    narratives: list[Narrative]


@dataclass
class Assessment:
    """The self-assessment's rows for the year, as `kpis.governance.self_assessment` gives them."""
    rows: pd.DataFrame        # Statement, Rating, Evidence, Actions


@dataclass
class AnnualReport:
    partnership: str
    short_name: str
    reports_to: str
    year: ReportYear
    as_at: datetime           # the figures, narratives and escalations' outcomes: as known then
    is_demo: bool
    areas: list[AreaPart]
    changes: dict[str, pd.DataFrame]
    meetings_held: list[date]
    attendance: pd.DataFrame
    actions: pd.DataFrame
    actions_summary: dict[str, int]
    decisions: pd.DataFrame
    escalations: pd.DataFrame
    year_end: datetime | None = None   # the actions and decisions: as they stood at the end of the year
    self_assessment: Assessment | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.short_name} annual report {self.year.label}"


def self_assessment_section(store: Store, framework: Framework, year: ReportYear | str) -> Assessment | None:
    """The year's self-assessment (`kpis.governance.self_assessment.year_assessment`), or None when nothing is
    recorded for the year."""
    label = year.label if isinstance(year, ReportYear) else str(year)
    rows = year_assessment(store, framework, label).rows
    if not rows:
        return None
    return Assessment(pd.DataFrame({
        "Statement": [r.statement.text for r in rows],
        "Rating": [r.rating or "Not rated" for r in rows],
        "Evidence": ["; ".join(r.evidence or []) or "None linked" for r in rows],
        "Agreed actions": ["; ".join(r.actions or []) or "None" for r in rows]}))


def _kpi_table(card: pd.DataFrame) -> pd.DataFrame:
    demo = card["is_demo"].map({True: " (demo)", False: ""})
    return pd.DataFrame({
        "KPI": card["kpi_id"] + " " + card["title"],
        "Latest": card["value_text"] + demo,
        "Period": card["latest_period"].fillna("–"),
        "England": card["england_text"].fillna("–"),
        "Compared with England": card["comparison_symbol"].fillna("") + " " + card["comparison_short"].fillna(""),
        "Over the year": card["change_symbol"].fillna("") + " " + card["change_short"].fillna(""),
        "SPC signal": card["variation_shape"].fillna("") + " " + card["variation_short"].fillna("No chart"),
    })[KPI_COLUMNS].map(lambda v: v.strip() if isinstance(v, str) else v).reset_index(drop=True)


def _period_end(label: str, fallback) -> date | None:
    try:
        return parse_period(label).end
    except (PeriodError, ValueError):
        return None if fallback is None or pd.isna(fallback) else pd.Timestamp(fallback).date()


def _narratives(store: Store, area_id: str, year: ReportYear, as_at: datetime) -> list[Narrative]:
    df = narrative_history(store, area_id, as_at=as_at)
    out = []
    for row in df.to_dict("records")[::-1]:  # oldest first
        end = _period_end(row["period_label"], row.get("period_end"))
        if end is None or not year.start <= end <= year.end:
            continue
        parts = {heading: (row[col] or "").strip() or "Not provided." for col, heading in SECTIONS.items()}
        out.append(Narrative(str(row["period_label"]), parts, bool(row["is_demo"])))
    return out


def _actions_summary(store: Store, year: ReportYear, actions: pd.DataFrame, as_at: datetime) -> dict[str, int]:
    """Opened (agreed at the year's meetings), closed (first marked done or dropped in the year) and still open
    at the end of the year, of which overdue."""
    closed = records.first_reached(store, ("done", "dropped"), start=datetime.combine(year.start, datetime.min.time()),
                                   end=as_at)
    every = records.records(store, "item", as_at=as_at)
    every = every[every["kind"] == "action"]
    still = every[every["status"].isin(STILL_OPEN) & (pd.to_datetime(every["meeting_date"]).dt.date <= year.end)]
    overdue = sum(bool(overdue_words(s, d, as_at.date())) for s, d in zip(still["status"],
                                                                          still["due_date"], strict=False))
    return {"opened": len(actions), "closed": len(closed), "open_at_end": len(still), "overdue_at_end": overdue}


def annual_report(store: Store, framework: Framework, year: str | ReportYear, *,
                  today: date | None = None) -> AnnualReport:
    """Everything the annual report says for `year` (as known at its end, or now for a year not yet over)."""
    year = year if isinstance(year, ReportYear) else report_year(framework, year)
    today = today or now().date()
    if year.start > today:
        raise ReportError(f"The {year.kind} year {year.label} has not started yet, so there is nothing to report.")
    year_end = min(end_of_day(year.end), now())
    as_at = min(end_of_day(year.end + FIGURES_LAG), now())
    began = datetime.combine(year.start, datetime.min.time())
    card = scorecard(store, framework, as_at=as_at, previous_meeting=began)
    areas = [AreaPart(a.name, a.sub_group, _kpi_table(card[card["area"] == a.id]),
                      _narratives(store, a.id, year, as_at)) for a in framework.areas]
    changes = changes_since(store, framework, since=began, until=year_end)
    held = [m for m in meetings(store) if year.start <= m <= min(year.end, today)]
    attendance, _ = attendance_record(store, start=year.start, end=year.end)
    actions = items_table(store, kind="action", start=year.start, end=year.end, as_at=year_end,
                          today=year_end.date())
    decisions = items_table(store, kind="decision", start=year.start, end=year.end, as_at=year_end)
    escalations = escalations_table(store, start=year.start, end=year.end, as_at=as_at)
    is_demo = (setting(store, "demo") == "true"
               or bool(card["is_demo"].any()) or records.has_demo_records(store))
    notes = []
    if year_end < end_of_day(year.end):
        notes.append(f"The year is not over: this report shows what was known on {long_date(year_end)}.")
    report = AnnualReport(
        partnership=framework.name, short_name=framework.short_name,
        reports_to=framework.reports_to or "the Health and Wellbeing Board", year=year, as_at=as_at,
        is_demo=is_demo, areas=areas,
        changes={k: changes[k].drop(columns=[c for c in ("kpi_id", "area") if c in changes[k].columns])
                 for k in CHANGE_TABLES},
        meetings_held=held, attendance=attendance,
        actions=actions.drop(columns="record_id").replace({"Overdue": {"": "No"}}),
        actions_summary=_actions_summary(store, year, actions, year_end), year_end=year_end,
        decisions=decisions.drop(columns="record_id"),
        escalations=escalations.drop(columns="record_id"),
        self_assessment=self_assessment_section(store, framework, year), notes=notes)
    return report


def attendance_by_meeting(report: AnnualReport) -> pd.DataFrame:
    """Per meeting of the year, how many members were present, sent a substitute, gave apologies or were absent
    (from the attendance record's letters): the numbers of the attendance chart."""
    letters = {"P": "Present", "S": "Substitute", "A": "Apologies", "X": "Absent"}
    columns = [c for c in report.attendance.columns if c not in ("Member", "Organisation or role", "Attended")]
    rows: list[dict[str, Any]] = []
    for c in columns:
        counts = report.attendance[c].value_counts()
        rows.append({"Meeting": c, **{word: int(counts.get(letter, 0)) for letter, word in letters.items()}})
    return pd.DataFrame(rows, columns=["Meeting", *letters.values()])
