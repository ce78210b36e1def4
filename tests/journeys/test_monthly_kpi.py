"""A monthly KPI through the whole path (issue 21): a framework file declaring one (the shipped Worcestershire
framework plus tests/fixtures/frameworks/monthly_kpi.toml), `init --demo`, the store, a return's months, the SPC
verdict with monthly dates and the framework's rebase, the command line, and the KPI page."""
from __future__ import annotations

import io
import json
import warnings
from datetime import date

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from kpis.board.scorecard import scorecard_rows
from kpis.cli.main import main
from kpis.core.framework import load_framework
from kpis.core.periods import calendar_month, months_of, parse_period
from kpis.returns.submission import check_return, submit
from kpis.returns.templates import build_template
from kpis.store.database import Store
from tests.conftest import ROOT
from tests.journeys.test_frameworks import fill_return, read_only_copy
from tests.support.apptest import ok, texts

warnings.filterwarnings("ignore", category=DeprecationWarning)
MONTHLY = ROOT / "tests" / "fixtures" / "frameworks" / "monthly_kpi.toml"
REASON = "Episodes counted by the new statutory guidance on children who run away or go missing"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(framework file, demo database): Worcestershire's framework with the monthly KPI SG09, built by the CLI."""
    where = tmp_path_factory.mktemp("monthly")
    path = where / "with_monthly.toml"
    path.write_text((ROOT / "data/frameworks/worcestershire.toml").read_text(encoding="utf-8") + "\n"
                    + MONTHLY.read_text(encoding="utf-8"), encoding="utf-8")
    db = where / "demo.duckdb"
    assert main(["--framework", str(path), "--db", str(db), "init", "--demo"]) == 0
    return path, db


def test_the_framework_declares_a_monthly_kpi_with_a_rebase(built):
    kpi = load_framework(built[0]).kpi("SG09")
    assert kpi.frequency == "monthly"
    assert [(r.date, r.reason, r.source) for r in kpi.rebases] == [(date(2025, 4, 1), REASON, "framework")]


def test_the_demo_stores_one_value_a_month_and_the_verdict_uses_monthly_dates(built, tmp_path):
    path, db = built
    fw = load_framework(path)
    store = read_only_copy(db, tmp_path)
    try:
        stored = store.df("SELECT period_label, period_type, period_start, period_end FROM current_observations "
                          "WHERE indicator_id = 'SG09' AND breakdown_type = 'all' ORDER BY period_end")
        (row,) = scorecard_rows(store, fw, kpi_ids=["SG09"])
    finally:
        store.close()
    assert set(stored["period_type"]) == {"month"}
    assert list(stored["period_label"][:3]) == ["Apr 2023", "May 2023", "Jun 2023"]
    assert len(stored) == 42 and stored["period_label"].iloc[-1] == "Sep 2026"     # 14 quarters, 3 months each
    assert row.latest_period == "Sep 2026"
    signal = row.variation
    points = signal.result.points
    assert [p.date for p in points[:3]] == [date(2023, 4, 30), date(2023, 5, 31), date(2023, 6, 30)]
    assert len(points) == 42
    # the framework's rebase (1 April 2025) restarts the limits with April 2025, the month ending after it
    assert [g.start for g in signal.result.groups] == [date(2023, 4, 30), date(2025, 4, 30)]
    assert [g.n for g in signal.result.groups] == [24, 18]
    assert not signal.trial and f"The limits restarted at April 2025 ({REASON})" in signal.words
    assert signal.assurance_icon in {"pass", "fail", "inconsistent"}                 # it has a target of 90%


def test_the_command_line_charts_the_monthly_kpi(built, capsys):
    path, db = built
    capsys.readouterr()
    assert main(["--framework", str(path), "--db", str(db), "spc", "--kpi", "SG09", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["frequency"] == "monthly" and len(out["points"]) == 42
    assert out["points"][-1]["date"] == "2026-09-30" and out["points"][24]["rebase_group"] == 1
    assert out["rebases"] == [{"date": "2025-04-30", "reason": REASON, "source": "framework"}]
    assert main(["--framework", str(path), "--db", str(db), "spc", "--kpi", "SG09"]) == 0
    text = capsys.readouterr().out
    assert "-- rebased on 2025-04-30: the limits restart --" in text and "(monthly, " in text


def test_a_return_sends_the_three_months_of_its_quarter(built, tmp_path):
    path, db = built
    fw = load_framework(path)
    quarter = parse_period("2026/27 Q3")
    copy = tmp_path / "submit.duckdb"
    copy.write_bytes(db.read_bytes())
    store = Store(copy)
    try:
        filled, _ = fill_return(build_template(store, fw, "safeguarding", quarter), fw)
        checked = check_return(store, fw, name="sg.xlsx", data=filled, area_id="safeguarding",
                               today=date(2027, 1, 20))
        assert not [p for p in checked.problems if p.severity == "error"], checked.problems
        submit(store, fw, name="sg.xlsx", data=filled, area_id="safeguarding", by="lead@example.org",
               today=date(2027, 1, 20))
        months = store.df("SELECT period_label FROM current_observations WHERE indicator_id = 'SG09' "
                          "AND period_start >= ? ORDER BY period_end", [quarter.start])["period_label"].tolist()
        assert months == [m.label for m in months_of(quarter)] == ["Oct 2026", "Nov 2026", "Dec 2026"]
        # a quarter in a monthly KPI's period column is refused, in words
        wb = load_workbook(io.BytesIO(filled))              # the file as sent, then one cell changed
        ws = wb["Data"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "SG09")
        ws.cell(row, 4).value = quarter.label
        buf = io.BytesIO()
        wb.save(buf)
        bad = check_return(store, fw, name="sg.xlsx", data=buf.getvalue(), area_id="safeguarding",
                           today=date(2027, 1, 20))
        said = [p.message for p in bad.problems if p.severity == "error"]
        assert any("SG09 is reported every month, but '2026/27 Q3' is not a month." in m for m in said), said
    finally:
        store.close()
    assert calendar_month(2026, 10).label == "Oct 2026"


def test_the_kpi_page_draws_the_monthly_chart_with_its_rebase(built, app_env, monkeypatch):
    path, db = built
    monkeypatch.setenv("KPIS_FRAMEWORK", str(path))
    app_env(db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("app_pages/kpi.py")
    at.query_params["kpi"] = "SG09"
    ok(at.run())
    assert f"The limits restart at April 2025:** {REASON} (declared in the KPI framework)" in texts(at).replace(
        "\\", "")
    table = next(t.value for t in at.table if "Limit period" in t.value.columns)
    assert len(table) == 42 and table["Date"].iloc[0] == "2023-04-30"
    assert table["Limit period"].iloc[0] == "Apr 2023 to Mar 2025"
    assert table["Limit period"].iloc[-1].replace("\\", "") == f"Apr 2025 to Sep 2026 (limits restarted: {REASON})"
    assert [c for c in at.get("plotly_chart")]
