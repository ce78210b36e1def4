"""The demo's year of meetings for every framework, and the annual report's content and Word document, on real demo
databases (`init --demo`). The charts and the PDF need Chromium: tests/governance/test_report_files.py."""
from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from kpis.board.meetings import items_table
from kpis.board.scorecard import end_of_day, scorecard
from kpis.core.framework import FrameworkError, load_framework, parse_framework
from kpis.governance.annual_report import (
    DEMO_NOTE,
    FIGURES_LAG,
    ReportError,
    annual_report,
    report_year,
    self_assessment_section,
)
from kpis.governance.report_blocks import Heading, TableBlock, report_blocks
from kpis.governance.report_docx import build_docx
from kpis.governance.self_assessment import record
from kpis.store import governance as records
from kpis.store.database import Store, now

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = sorted(p.stem for p in (ROOT / "data" / "frameworks").glob("*.toml"))  # every shipped one


@pytest.fixture(scope="module")
def demos(demo_master) -> dict[str, Path]:
    """A demo database for each shipped framework, built once per session (read only; copy one to change it)."""
    return {name: demo_master(ROOT / f"data/frameworks/{name}.toml") for name in FRAMEWORKS}


def framework(name: str):
    return load_framework(ROOT / f"data/frameworks/{name}.toml")


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_every_framework_gets_a_demo_year_of_meetings_labelled_as_demo(demos, name):
    fw = framework(name)
    store = Store(demos[name], read_only=True)
    try:
        held = [date.fromisoformat(m) for m in fw.meetings if date.fromisoformat(m) <= now().date()]
        people = records.records(store, "attendance")
        met = sorted({d.date() for d in pd.to_datetime(people["meeting_date"])})
        assert met == held[-8:] and len(met) >= 3, (met, held)   # every meeting held, up to two years of them
        assert people["is_demo"].all() and set(people["status"]) >= {"present", "apologies"}
        # one lead for each sub-group sits on the board beside the partners
        assert {f"Chair, {a.sub_group}" for a in fw.areas} <= set(people["organisation"])
        actions = items_table(store, kind="action", today=now().date())
        assert {"Done", "In progress"} <= set(actions["Status"]) and (actions["Overdue"] != "").any()
        assert actions["Action"].str.endswith("(demo)").all()
        escalations = records.records(store, "escalation")
        assert len(escalations) >= 2 and escalations["is_demo"].all()
        assert (fw.reports_to in set(escalations["body"])) and escalations["outcome"].notna().any()
        # each record's later versions stay demo data, and carry who and when
        every = store.df("SELECT is_demo, recorded_by FROM meeting_items")
        assert every["is_demo"].all() and set(every["recorded_by"]) == {"demo-data@example.invalid"}
    finally:
        store.close()


def test_the_year_follows_the_framework(tmp_path):
    assert framework("worcestershire").annual_report_year == "financial"
    assert framework("barking_dagenham").annual_report_year == "academic"
    fin = report_year(framework("worcestershire"), "2025/26")
    assert (fin.start, fin.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert fin.words == "the financial year 2025/26 (1 April 2025 to 31 March 2026)"
    ac = report_year(framework("barking_dagenham"), "2025-2026")
    assert (ac.label, ac.start, ac.end) == ("2025/26", date(2025, 9, 1), date(2026, 8, 31))
    for bad in ("2025", "2025/27", "next year", ""):
        with pytest.raises(ReportError, match="write it as 2025/26"):
            report_year(fin and framework("worcestershire"), bad)
    text = (ROOT / "data/frameworks/lincolnshire.toml").read_text(encoding="utf-8")
    import tomllib
    raw = tomllib.loads(text)
    raw["annual_report"] = {"year": "calendar"}
    with pytest.raises(FrameworkError, match='year should be "financial" or "academic", found \'calendar\''):
        parse_framework(raw)


@pytest.fixture(scope="module")
def worcs_report(demos):
    store = Store(demos["worcestershire"], read_only=True)
    try:
        fw = framework("worcestershire")
        report = annual_report(store, fw, "2025/26")
        card = scorecard(store, fw, as_at=min(end_of_day(date(2026, 3, 31) + FIGURES_LAG), now()),
                         previous_meeting=pd.Timestamp("2025-04-01").to_pydatetime())
        yield report, card
    finally:
        store.close()


def test_the_report_takes_the_scorecards_rows_not_figures_of_its_own(worcs_report):
    report, card = worcs_report
    assert [a.name for a in report.areas] == [a.name for a in framework("worcestershire").areas]
    rows = pd.concat([a.kpis for a in report.areas], ignore_index=True)
    assert len(rows) == len(card)
    for (_, row), (_, kpi) in zip(rows.iterrows(), card.iterrows(), strict=False):
        assert row["KPI"] == f"{kpi['kpi_id']} {kpi['title']}"
        assert row["SPC signal"].endswith(kpi["variation_short"] or "No chart")
        assert row["England"] == kpi["england_text"]
        assert row["Latest"].startswith(kpi["value_text"])
    assert rows["Latest"].str.contains("(demo)", regex=False).any()
    # the year's last quarter is in (its returns arrive after the year ends) and nothing later
    assert "2025/26 Q4" in set(rows["Period"]) and not rows["Period"].str.startswith("2026/27").any()


def test_the_report_counts_the_years_meetings_actions_and_escalations(worcs_report):
    report, _ = worcs_report
    assert report.meetings_held == [date(2025, 6, 11), date(2025, 9, 10), date(2025, 12, 10), date(2026, 3, 11)]
    assert report.is_demo and report.self_assessment is None
    meeting_columns = [c for c in report.attendance.columns if c not in ("Member", "Organisation or role",
                                                                         "Attended")]
    assert meeting_columns == ["11 Jun 2025", "10 Sep 2025", "10 Dec 2025", "11 Mar 2026"]
    assert set(report.attendance[meeting_columns].stack()) <= {"P", "S", "A", "X"}
    s = report.actions_summary
    assert s["opened"] == len(report.actions) == 12      # three actions at each of four meetings
    assert s["closed"] > 0 and 0 < s["overdue_at_end"] <= s["open_at_end"]
    late = report.actions[report.actions["Overdue"] != "No"]    # overdue on 31 March 2026, said in words
    assert 1 <= len(late) <= s["overdue_at_end"] and late["Status"].isin(["Open", "In progress"]).all()
    assert late["Overdue"].str.match(r"Overdue: due \d+ \w+ 20\d\d, \d+ days? ago$").all()
    assert len(report.escalations) == 2 and set(report.escalations["To"]) == {
        "Worcestershire Health and Wellbeing Board", "Safeguarding Children Partnership"}
    narratives = [n for a in report.areas for n in a.narratives]
    assert {n.period for n in narratives} == {"2025/26 Q2", "2025/26 Q4"} and all(n.is_demo for n in narratives)
    assert set(narratives[0].parts) == {"Progress", "Risks and barriers", "Service user feedback"}


def test_a_year_not_started_is_refused(demos):
    store = Store(demos["worcestershire"], read_only=True)
    try:
        with pytest.raises(ReportError, match="has not started yet"):
            annual_report(store, framework("worcestershire"), f"{now().year + 1}/{str(now().year + 2)[-2:]}")
    finally:
        store.close()


def test_the_annual_report_carries_the_years_self_assessment_when_one_is_recorded(demos, tmp_path):
    fw = framework("lincolnshire")
    db = tmp_path / "lincs.duckdb"
    shutil.copy(demos["lincolnshire"], db)
    with Store(db) as store:
        assert self_assessment_section(store, fw, "2025/26") is None          # nothing rated yet: no section
        first = fw.self_assessment.statements[0]
        record(store, fw, year="2025/26", statement_id=first.id, rating="Amber",
               evidence=["Attendance record 2025/26"], actions=["Chair to write to partners"],
               actor="chair@example.gov.uk")
        assert self_assessment_section(store, fw, "2024/25") is None          # another year: still nothing
        found = self_assessment_section(store, fw, "2025/26")
        assert found.rows.values.tolist() == [[first.text, "Amber", "Attendance record 2025/26",
                                               "Chair to write to partners"]]
        report = annual_report(store, fw, "2025/26")
        tables = [b for b in report_blocks(report, charts=False) if isinstance(b, TableBlock)]
        assert any(t.caption.startswith("Self-assessment 2025/26") for t in tables)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_the_word_document_has_real_headings_tables_with_header_rows_and_the_demo_label(demos, name):
    fw = framework(name)
    store = Store(demos[name], read_only=True)
    try:
        report = annual_report(store, fw, "2025/26")
    finally:
        store.close()
    blocks = report_blocks(report, charts=False)   # the charts need Chromium: test_report_files.py
    doc = Document(io.BytesIO(build_docx(report, blocks=blocks)))
    assert doc.core_properties.title == f"{fw.short_name} annual report 2025/26"
    assert doc.core_properties.author == fw.name and doc.core_properties.language == "en-GB"
    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert styled[0] == ("Title", report.title)
    h1 = [t for s, t in styled if s == "Heading 1"]
    assert h1 == ["Summary", "Outcome areas and their KPIs", "What changed over the year", "Meetings and attendance",
                  "Decisions and actions", "Escalations", "Self-assessment", "About this report"]
    h2 = [t for s, t in styled if s == "Heading 2"]
    assert [a.name for a in fw.areas] == h2[:len(fw.areas)] and "Attendance record" in h2
    assert [b.text for b in blocks if isinstance(b, Heading)] == [t for _, t in styled]  # the same sections as the PDF
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Demo data. " + DEMO_NOTE in text and "(demo)" in text
    assert "Demo data" in doc.sections[0].footer.paragraphs[0].text
    kpi_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "KPI" and len(t.columns) == 7]
    assert len(kpi_tables) == len(fw.areas)
    assert sum(len(t.rows) - 1 for t in kpi_tables) == len(fw.kpis)
    for t in doc.tables:
        header = t.rows[0]._tr.trPr
        assert header is not None and header.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None
        assert all(r.bold for c in t.rows[0].cells for r in c.paragraphs[0].runs)
    attendance = next(t for t in doc.tables if t.rows[0].cells[0].text == "Member")
    assert attendance.rows[0].cells[-1].text == "Attended" and len(attendance.rows) >= 9
