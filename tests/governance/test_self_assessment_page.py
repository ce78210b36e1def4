"""The self-assessment page (AppTest) on a real Lincolnshire demo database: rate a statement with evidence and
actions, read it back in words, change it (a new version; the earlier one kept), read an earlier year; a board
member reads but cannot record; a framework without statements has no such page."""
from __future__ import annotations

import shutil
import warnings

import pytest
from streamlit.testing.v1 import AppTest

from app_pages._auth import SESSION_KEY
from kpis.access.accounts import add_user
from kpis.access.permissions import command_line_actor
from kpis.core.framework import load_framework
from kpis.governance.self_assessment import current_year, record, year_label
from kpis.store.database import Store, now
from tests.conftest import ROOT
from tests.support.apptest import ok, texts

warnings.filterwarnings("ignore", category=DeprecationWarning)
LINCS = ROOT / "data" / "frameworks" / "lincolnshire.toml"
TIMEOUT = 60


@pytest.fixture(scope="module")
def lincs_master(demo_master):
    return demo_master(LINCS)


@pytest.fixture
def lincs_db(lincs_master, tmp_path, app_env, monkeypatch):
    db = tmp_path / "lincs.duckdb"
    shutil.copy(lincs_master, db)
    monkeypatch.setenv("KPIS_FRAMEWORK", str(LINCS))
    return app_env(db)


def open_page(role_email: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    if role_email:
        at.session_state[SESSION_KEY] = {"email": role_email, "method": "password", "started": now(),
                                         "last_seen": now()}
    at = ok(at.run())
    return ok(at.switch_page("app_pages/self_assessment.py").run())


def test_rate_read_and_revise_in_open_demo_mode(lincs_db):
    fw = load_framework(LINCS)
    this_year = current_year(fw)
    at = open_page()
    assert at.title[0].value == "Annual self-assessment"
    assert at.selectbox(key="sa_year").value == this_year
    assert f"Nothing is recorded for {this_year} yet." in texts(at)
    table = at.dataframe[0].value
    assert len(table) == 6 and set(table["Rating"]) == {"Not rated"}
    assert "making minutes of the meetings public" in " ".join(table["Statement"])

    at = ok(at.selectbox(key="sa_statement").select("GG4").run())
    at.radio[0].set_value("Amber")
    at.text_area[0].input("SC01\naction A4")
    at.text_area[1].input("Publish the minutes within 10 working days")
    at.text_input(key="sa_email").input("secretary@lincs.gov.uk")
    submit = next(b for b in at.button if "Save the rating" in str(b.label))
    at = ok(submit.click().run())
    assert f"Saved GG4 for {this_year} as version 1." in texts(at)
    row = at.dataframe[0].value.iloc[3]
    assert (row["Rating"], row["Evidence"], row["Improvement actions"]) == (
        "◆ Amber: partly met", "SC01; action A4", "Publish the minutes within 10 working days")
    assert "secretary@lincs.gov.uk" in row["Recorded"]

    # change it: a second version, the first kept in "Every version"
    at.radio[0].set_value("Green")
    at.text_input(key="sa_email").input("secretary@lincs.gov.uk")
    at = ok(next(b for b in at.button if "Save the rating" in str(b.label)).click().run())
    assert f"Saved GG4 for {this_year} as version 2." in texts(at)
    versions = at.dataframe[-1].value
    assert list(versions["Rating"]) == ["◆ Amber: partly met", "● Green: met"]
    assert list(versions["Version"]) == ["1", "2 (current)"]

    # a typo'd KPI id is refused in words; nothing stored
    at.text_area[0].input("SC99")
    at.text_input(key="sa_email").input("secretary@lincs.gov.uk")
    at = ok(next(b for b in at.button if "Save the rating" in str(b.label)).click().run())
    assert "SC99 is not a KPI of this framework" in " ".join(e.value for e in at.error)
    assert len(at.dataframe[-1].value) == 2


def test_an_earlier_year_stays_readable_and_a_board_member_only_reads(lincs_db):
    fw = load_framework(LINCS)
    earlier = year_label(fw, int(current_year(fw)[:4]) - 3)
    store = Store(lincs_db)
    try:
        record(store, fw, year=earlier, statement_id="GG1", rating="Red", evidence=["EH02"],
               actions=["Agree targets for the scorecard"], actor="admin@example.org")
        add_user(store, actor=command_line_actor(), email="admin@example.org", role="admin", password="x" * 16)
        add_user(store, actor=command_line_actor(), email="member@example.org", role="viewer", password="x" * 16)
    finally:
        store.close()
    at = open_page("member@example.org")
    assert "Administrators and analysts record the self-assessment" in texts(at)
    assert not [b for b in at.button if "Save the rating" in str(b.label)]
    at = ok(at.selectbox(key="sa_year").select(earlier).run())
    row = at.dataframe[0].value.iloc[0]
    assert (row["Rating"], row["Evidence"]) == ("■ Red: not met", "EH02")
    at = open_page("admin@example.org")
    assert [b for b in at.button if "Save the rating" in str(b.label)]


def test_a_framework_without_statements_has_no_page(demo_db, app_env):
    app_env(demo_db)                  # Worcestershire declares no [[self_assessment.statements]]
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run())
    assert "Self-assessment" not in {info["page_name"] for info in at._registered_pages.values()}
