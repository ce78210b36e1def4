"""The upload page (AppTest, real openpyxl workbooks, a real demo database) for the two cases of issue 23:

- a sub-group with only annual KPIs sends a narrative alone: stored with its receipt, a resubmission keeps the
  earlier version, the area page shows it; a return with neither figures nor narrative is refused in words;
- a return with last quarter typed in every row revises stored figures: the page lists each one (old and new),
  Confirm stays off until the separate revision tick, and only then are the figures stored.
"""
from __future__ import annotations

import io
import json
import shutil
import warnings
from datetime import date

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app_pages._area import url_path
from kpis.core.framework import load_framework
from kpis.core.periods import parse_period, previous_quarter
from kpis.returns.templates import build_template, default_period
from kpis.store.database import Store
from tests.conftest import ROOT
from tests.support.apptest import ok, texts
from tests.support.returns import framework, to_bytes
from tools.sample_returns import filled_template

warnings.filterwarnings("ignore", category=DeprecationWarning)
TIMEOUT = 60
PERIOD = default_period(date.today()).label          # what the page offers first
EARLIER = previous_quarter(parse_period(PERIOD)).label
EMAIL = "lead@example.org"
BD = ROOT / "data" / "frameworks" / "barking_dagenham.toml"
AREA = "health_wellbeing"                              # Barking and Dagenham: only annual KPIs
PROGRESS = "Breastfeeding support opened in two more children's centres."


@pytest.fixture(scope="module")
def bd_master(demo_master):
    return demo_master(BD)


@pytest.fixture
def bd_db(bd_master, tmp_path, app_env, monkeypatch):
    db = tmp_path / "bd.duckdb"
    shutil.copy(bd_master, db)
    monkeypatch.setenv("KPIS_FRAMEWORK", str(BD))
    return app_env(db)


def rows(db, sql: str, params=()) -> list[tuple]:
    store = Store(db)
    try:
        return store.con.execute(sql, list(params)).fetchall()
    finally:
        store.close()


def open_upload(area: str) -> AppTest:
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run())
    at = ok(at.switch_page("app_pages/upload.py").run())
    return ok(at.selectbox(key="upload_area").select(area).run())


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    return ok(at.file_uploader(key="upload_file").set_value(
        (name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run())


def narrative_return(progress: str | None, risks: str | None = None) -> bytes:
    """Barking and Dagenham's health and wellbeing template (no rows of figures), its Narrative sheet filled."""
    wb = load_workbook(io.BytesIO(build_template(None, load_framework(BD), AREA, PERIOD)))
    assert next(c.value for c in wb["Data"][2]) is None        # the template really has no rows of figures
    nar = wb["Narrative"]
    for row in nar.iter_rows(min_col=1, max_col=2):
        if row[0].value == "Progress":
            row[1].value = progress
        elif row[0].value == "Risks and barriers":
            row[1].value = risks
    return to_bytes(wb)


def confirm(at: AppTest) -> AppTest:
    at = ok(at.text_input(key="upload_email").input(EMAIL).run())
    assert not at.button(key="upload_confirm").disabled
    return ok(at.button(key="upload_confirm").click().run())


def test_a_narrative_only_return_is_stored_versioned_and_shown(bd_db):
    at = upload(open_upload(AREA), "hw-narrative.xlsx", narrative_return(PROGRESS, "Health visitor vacancies."))
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric} == {"New figures": "0", "Changed figures": "0",
                                                     "Unchanged figures": "0"}
    assert "This return has no figures: it is a narrative only" in texts(at)
    at = confirm(at)
    assert "Return stored as submission" in " ".join(x.value for x in at.success)
    receipt = dict(zip(at.table[0].value["Item"], at.table[0].value["Detail"], strict=False))
    first = int(receipt["Submission id"])
    assert receipt["Quarter"] == PERIOD and receipt["File name"] == "hw-narrative.xlsx"
    stored = rows(bd_db, "SELECT progress, risks_barriers, valid_to IS NULL FROM narratives WHERE batch_id = ?",
                  [first])
    assert stored == [(PROGRESS, "Health visitor vacancies.", True)]
    audit = rows(bd_db, "SELECT detail FROM audit_log WHERE action = 'submission' ORDER BY audit_id DESC LIMIT 1")
    assert json.loads(audit[0][0])["narrative"] is True and json.loads(audit[0][0])["batch_id"] == first

    # a corrected narrative: a new version; the first is kept, closed
    at = upload(open_upload(AREA), "hw-narrative-2.xlsx", narrative_return(PROGRESS + " And a third."))
    at = confirm(at)
    second = int(dict(zip(at.table[0].value["Item"], at.table[0].value["Detail"], strict=False))["Submission id"])
    versions = rows(bd_db, "SELECT batch_id, valid_to IS NULL FROM narratives WHERE outcome_area = ? AND "
                           "period_label = ? ORDER BY valid_from", [AREA, PERIOD])
    assert versions == [(first, False), (second, True)]

    # the area page shows it (it said no narrative had been sent)
    area = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run())
    area._page_hash = calc_hash(url_path(AREA))
    body = texts(ok(area.run()))
    assert f"Sub-group narrative, {PERIOD}" in body and PROGRESS + " And a third." in body
    assert "has not sent a narrative" not in body


def test_a_return_with_neither_figures_nor_narrative_is_refused_in_words(bd_db):
    at = upload(open_upload(AREA), "hw-empty.xlsx", narrative_return(None))
    errors = " ".join(e.value for e in at.error)
    assert "Errors block the return" in errors
    assert "no figures and no narrative, so there is nothing to store" in texts(at)
    at = ok(at.text_input(key="upload_email").input(EMAIL).run())
    assert at.button(key="upload_confirm").disabled
    assert rows(bd_db, "SELECT count(*) FROM batches WHERE file_name = 'hw-empty.xlsx'") == [(0,)]


def last_quarter_in_every_row() -> bytes:
    """Worcestershire's safeguarding template for the latest quarter, with the quarter before typed in every row
    and figures that differ from the stored ones."""
    wb = load_workbook(io.BytesIO(filled_template(framework(), "safeguarding", PERIOD, shift=3)))
    ws = wb["Data"]
    col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, col["KPI id"]).value:
            ws.cell(r, col["Period"]).value = EARLIER
    return to_bytes(wb)


def test_revising_an_earlier_quarter_needs_its_own_confirmation(demo_db, app_env):
    app_env(demo_db)
    before = rows(demo_db, "SELECT indicator_id, breakdown_type, breakdown_value, value FROM current_observations "
                           "WHERE period_label = ? AND indicator_id LIKE 'SG%' ORDER BY ALL", [EARLIER])
    assert before, "the demo stores last quarter's safeguarding figures"
    at = upload(open_upload("safeguarding"), "sg-last-quarter.xlsx", last_quarter_in_every_row())
    # step 3: the quarter warning has Found and Expected the right way round
    problems = at.dataframe[0].value
    quarter = problems[problems["Sheet"] == "Instructions"].iloc[0]
    assert (quarter["Found"], quarter["Expected"]) == (EARLIER, PERIOD)
    # step 4: each figure that would change, with its old and new value
    warning = " ".join(w.value for w in at.warning)
    assert f"already stored for {EARLIER}, an earlier period the board has read" in warning
    table = next(d.value for d in at.dataframe if "Old value (stored now)" in d.value.columns)
    assert list(table.columns) == ["KPI", "KPI name", "Breakdown", "Period", "Old value (stored now)",
                                   "New value (in this file)"]
    assert set(table["Period"]) == {EARLIER} and len(table) == len(before)
    assert (table["Old value (stored now)"] != table["New value (in this file)"]).all()
    # step 5: Confirm stays off with an email until the revision is ticked
    at = ok(at.text_input(key="upload_email").input(EMAIL).run())
    tick = next(c for c in at.checkbox if c.label.startswith("I am revising"))
    assert tick.label.startswith(f"I am revising these {len(table)} figures for {EARLIER}: ")
    assert not tick.value and at.button(key="upload_confirm").disabled
    assert "nothing is stored without it" in texts(at)
    after = rows(demo_db, "SELECT indicator_id, breakdown_type, breakdown_value, value FROM current_observations "
                          "WHERE period_label = ? AND indicator_id LIKE 'SG%' ORDER BY ALL", [EARLIER])
    assert after == before
    at = ok(tick.check().run())
    assert not at.button(key="upload_confirm").disabled
    at = ok(at.button(key="upload_confirm").click().run())
    assert "Return stored as submission" in " ".join(x.value for x in at.success)
    after = rows(demo_db, "SELECT indicator_id, breakdown_type, breakdown_value, value FROM current_observations "
                          "WHERE period_label = ? AND indicator_id LIKE 'SG%' ORDER BY ALL", [EARLIER])
    assert len(after) == len(before) and after != before
    kept = rows(demo_db, "SELECT count(*) FROM observations WHERE period_label = ? AND indicator_id LIKE 'SG%' "
                         "AND valid_to IS NOT NULL", [EARLIER])
    assert kept[0][0] >= len(table)       # the figures the board read are history, not gone
    detail = json.loads(rows(demo_db, "SELECT detail FROM audit_log WHERE action = 'submission' "
                                      "ORDER BY audit_id DESC LIMIT 1")[0][0])
    assert detail["revised"] == len(table)


def test_a_correction_of_the_latest_quarter_needs_no_revision_tick(demo_db, app_env):
    app_env(demo_db)
    at = upload(open_upload("safeguarding"), "sg.xlsx", filled_template(framework(), "safeguarding", PERIOD,
                                                                        shift=5))
    assert int({m.label: m.value for m in at.metric}["Changed figures"]) > 0   # the demo's figures, corrected
    assert not [c for c in at.checkbox if c.label.startswith("I am revising")]
    at = confirm(at)
    assert "Return stored as submission" in " ".join(x.value for x in at.success)
