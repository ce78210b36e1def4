"""What changed between two meetings, on a hand-made store whose answers are known, and on the demo."""
from __future__ import annotations

import warnings
from datetime import date, datetime

import pytest

from kpis.board.changes import KEYS, changes_since, due_quarters, missing_returns
from kpis.board.scorecard import end_of_day
from kpis.core.periods import financial_quarter
from kpis.store.database import Store
from tests.support.board import FRAMEWORK, add_meetings, england_sg02, obs, sg02, submit

warnings.filterwarnings("ignore", category=DeprecationWarning)
SINCE, UNTIL = end_of_day(date(2024, 11, 15)), end_of_day(date(2025, 2, 20))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "changes.duckdb")
    # Safeguarding: Q1 and Q2 on time; Q3 four days late, with a revision of Q2.
    submit(s, [sg02("2024/25 Q1", 30, 150)], datetime(2024, 8, 5, 10))
    submit(s, [sg02("2024/25 Q2", 33, 150)], datetime(2024, 11, 5, 10))
    submit(s, [england_sg02("2022/23", 23.0), england_sg02("2023/24", 23.5)], datetime(2024, 12, 1, 9), kind="import")
    submit(s, [sg02("2024/25 Q3", 54, 150), sg02("2024/25 Q2", 36, 150)], datetime(2025, 2, 15, 10))
    # Early help: Q1 and Q2 on time, Q3 not sent. EWMH: Q1 only. SEND: nothing, ever.
    for label, at in (("2024/25 Q1", datetime(2024, 8, 1)), ("2024/25 Q2", datetime(2024, 11, 1))):
        submit(s, [obs("EH05", label, 400.0)], at, area="early_help")
    submit(s, [obs("MH01", "2024/25 Q1", 40.0)], datetime(2024, 8, 2), area="ewmh")
    add_meetings(s, date(2024, 11, 15), date(2025, 2, 20))
    yield s
    s.close()


def test_due_quarters_by_hand():
    q1 = financial_quarter(2024, 1)
    # Q1 (Apr-Jun 2024) is due 11 Aug 2024, Q2 on 11 Nov 2024 (six weeks after 30 Sep), Q3 on 11 Feb 2025
    assert [q.label for q in due_quarters(q1, date(2024, 11, 10))] == ["2024/25 Q1"]
    assert [q.label for q in due_quarters(q1, date(2024, 11, 11))] == ["2024/25 Q1", "2024/25 Q2"]
    assert due_quarters(q1, date(2024, 8, 10)) == []


def test_every_list_is_there(store):
    found = changes_since(store, FRAMEWORK, since=SINCE, until=UNTIL)
    assert list(found) == list(KEYS)


def test_missing_and_late_returns(store):
    late = missing_returns(store, FRAMEWORK, since=SINCE, until=UNTIL)
    got = {(r["area"], r["Quarter"]): (r["Status"], r["Due"], r["Received"]) for _, r in late.iterrows()}
    assert got == {
        ("safeguarding", "2024/25 Q3"): ("Late", "11 Feb 2025", "15 Feb 2025"),
        ("early_help", "2024/25 Q3"): ("Missing", "11 Feb 2025", "Not received"),
        ("ewmh", "2024/25 Q2"): ("Still missing", "11 Nov 2024", "Not received"),
        ("ewmh", "2024/25 Q3"): ("Missing", "11 Feb 2025", "Not received"),
        ("send", "2024/25 Q3"): ("Missing", "11 Feb 2025", "Not received"),   # never sent: only since the meeting
    }
    # the day before Q3 fell due, nothing was late yet except EWMH's Q2
    before = missing_returns(store, FRAMEWORK, since=SINCE, until=datetime(2025, 2, 10))
    assert before[["area", "Quarter", "Status"]].values.tolist() == [["ewmh", "2024/25 Q2", "Still missing"]]


def test_new_data_is_one_row_per_kpi_and_area(store):
    new = changes_since(store, FRAMEWORK, since=SINCE, until=UNTIL)["new_data"]
    sg02_rows = new[new["kpi_id"] == "SG02"].set_index("Area")
    assert sg02_rows.loc["Local return", "New figures"] == 1          # Q3; the Q2 correction is a revision
    assert sg02_rows.loc["Local return", "Newest"] == "36.0% in 2024/25 Q3"
    assert sg02_rows.loc["England", "New figures"] == 2
    assert sg02_rows.loc["England", "Periods"] == "2022/23 to 2023/24"
    assert sg02_rows.loc["England", "Recorded"] == "1 Dec 2024"
    assert "EH05" not in set(new["kpi_id"])                          # early help sent nothing new


def test_revisions_show_old_and_new(store):
    rev = changes_since(store, FRAMEWORK, since=SINCE, until=UNTIL)["revisions"]
    assert rev[["KPI", "Period", "Was", "Now", "Revised"]].values.tolist() == [
        ["SG02 Repeat child protection plans", "2024/25 Q2", "22.0%", "24.0%", "15 Feb 2025"]]
    assert changes_since(store, FRAMEWORK, since=datetime(2025, 2, 16), until=UNTIL)["revisions"].empty


def test_significant_movement_and_comparison_change(store):
    found = changes_since(store, FRAMEWORK, since=SINCE, until=UNTIL)
    moved = found["significant_movements"]
    assert moved[["kpi_id", "Then", "Change"]].values.tolist() == [
        ["SG02", "22.0% (2024/25 Q2)", "▲ Getting worse: up 14.0 points from 22.0%"]]
    flipped = found["comparison_changes"]
    assert flipped["kpi_id"].to_list() == ["SG02"]
    assert flipped.loc[0, "Before"] == ("– Published, but not loaded here: run python -m kpis refresh (or "
                                        "import-benchmarks) (2024/25 Q2)")
    assert flipped.loc[0, "Now"] == "■ Worse than England (2024/25 Q3)"
    assert flipped.loc[0, "England"] == "23.5% (2023/24)"


def test_changes_on_the_demo(demo_db_master):
    s = Store(demo_db_master, read_only=True)
    try:
        found = changes_since(s, FRAMEWORK, since=end_of_day(date(2026, 9, 9)), until=datetime(2026, 11, 20))
    finally:
        s.close()
    missing = found["missing_returns"]
    assert missing[["area", "Quarter", "Status"]].values.tolist() == [["ewmh", "2026/27 Q2", "Missing"]]
    revised = found["revisions"]
    assert revised["kpi_id"].to_list() == ["SG01"] and revised.loc[0, "Period"] == "2026/27 Q1"
    assert revised.loc[0, "Now"].endswith("(demo)")
    new = found["new_data"]
    assert {"EH01", "SG02", "SD04"} <= set(new["kpi_id"]) and "MH01" not in set(new["kpi_id"])


def test_a_huge_commentary_stored_before_the_limit_is_shortened_where_it_is_shown(tmp_path):
    """Issue 26: a 19.9M-character commentary already in the database reaches 'What changed' (and the packs,
    which read the same lists) as its first 2,000 characters and a note; the store keeps every character."""
    s = Store(tmp_path / "long.duckdb")
    try:
        submit(s, [sg02("2024/25 Q2", 33, 150)], datetime(2024, 11, 5, 10))
        huge = "Revised. " * 2_211_111 + "x"          # 19,900,000 characters, written before there was a limit
        submit(s, [obs("SG02", "2024/25 Q2", 24.0, numerator=36, denominator=150, commentary=huge)],
               datetime(2025, 2, 15, 10))
        note = changes_since(s, FRAMEWORK, since=SINCE, until=UNTIL)["revisions"]["Note"].tolist()
        assert note == [huge[:2000] + " … [shortened: 19,900,000 characters in all]"]
        assert s.scalar("SELECT max(length(commentary)) FROM observations") == 19_900_000
    finally:
        s.close()


def test_a_new_signal_is_listed_first_with_what_the_chart_shows(tmp_path):
    """14 quarters of SG02 (lower is better): by the last meeting 13 were known, the last 6 above the mean (no
    signal yet); the 14th, sent since, makes 7 in a row above the mean: a special cause of concern."""
    from kpis.core.periods import parse_period
    s = Store(tmp_path / "signals.duckdb")
    try:
        labels = [f"{y}/{str(y + 1)[2:]} Q{q}" for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
        labels += ["2024/25 Q1", "2024/25 Q2"]
        numerators = [30, 31, 29, 30, 32, 28, 30, 33, 34, 33, 34, 33, 34, 33]
        rows = []
        for label, n in zip(labels, numerators, strict=False):
            p = parse_period(label)
            rows.append({**sg02("2024/25 Q1", n, 150), "period_label": label, "period_start": p.start,
                         "period_end": p.end})
        for row in rows[:13]:
            submit(s, [row], datetime(2024, 10, 1))
        submit(s, [rows[13]], datetime(2025, 2, 1))
        add_meetings(s, date(2024, 11, 15), date(2025, 2, 20))
        found = changes_since(s, FRAMEWORK, since=SINCE, until=UNTIL)
    finally:
        s.close()
    signals = found["new_signals"]
    assert signals["kpi_id"].to_list() == ["SG02"]
    assert signals.loc[0, "At the last meeting"] == "No signal"
    assert signals.loc[0, "Now"] == "▲ Worsening"
    assert "7 points in a row above the mean" in signals.loc[0, "What the chart shows"]
    assert next(iter(found)) == "new_signals"
