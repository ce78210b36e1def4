"""AppTest of the Board meetings page and the public view on the demo database with accounts: the board's
secretary records attendance and actions (stored, versioned, audited as them); a board member reads the meeting
but has no forms; the page links the scorecard as at the meeting; the public view shows published items only."""
from __future__ import annotations

import warnings
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from app_pages._auth import SESSION_KEY
from kpis.access.accounts import add_user
from kpis.access.audit import audit_entries
from kpis.access.permissions import command_line_actor
from kpis.board.scorecard import past_meetings
from kpis.governance.actions import record_action
from kpis.store import governance as records
from kpis.store.database import Store, now
from tests.conftest import ROOT
from tests.support.apptest import ok, texts
from tests.support.auth import ACCOUNTS, PASSWORD, accounts_db, accounts_db_master

warnings.filterwarnings("ignore", category=DeprecationWarning)
SECRETARY = "secretary@example.org"


def signed_in(email: str) -> dict:
    at = now()
    return {"email": email, "method": "password", "started": at, "last_seen": at}


@pytest.fixture
def db(accounts_db):
    store = Store(accounts_db)
    try:
        add_user(store, actor=command_line_actor(), email=SECRETARY, role="secretary", password=PASSWORD)
        latest = past_meetings(store)[0]
    finally:
        store.close()
    return accounts_db, latest


def meeting_page(app_env, path, email: str | None) -> AppTest:
    app_env(path)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if email:
        at.session_state[SESSION_KEY] = signed_in(email)
    at.run()
    return ok(at.switch_page("app_pages/meetings.py").run())


def test_the_secretary_records_attendance_and_an_action_as_themselves(db, app_env):
    path, latest = db
    at = meeting_page(app_env, path, SECRETARY)
    assert at.title[0].value == "Board meetings"
    assert [h.value for h in at.header][:4] == ["Attendance", "Decisions", "Actions", "Escalations"]
    at.text_input(key="att_member").input("Kim Lee")
    at.text_input(key="att_role").input("Youth council representative")
    at.selectbox(key="att_status").select("substitute")
    at.text_input(key="att_for").input("Jo Adeyemi")
    ok(at.button[[b.label for b in at.button].index("Record attendance")].click().run())
    assert "Recorded Kim Lee's attendance." in texts(at)
    row = at.table[0].value
    assert "Kim Lee" in row.to_string() and "Substitute for Jo Adeyemi" in row.to_string()
    at.text_area(key="act_text").input("Youth council to review the new early help leaflet")
    at.text_input(key="act_owner").input("Kim Lee")
    at.date_input(key="act_due").set_value(date(2026, 1, 31))
    ok(at.button[[b.label for b in at.button].index("Record the action")].click().run())
    assert "Recorded the action." in texts(at)
    store = Store(path, read_only=True)
    try:
        entry = records.records(store, "attendance", meeting_date=latest)
        kim = entry[entry["member"] == "Kim Lee"].iloc[0]
        assert (kim["recorded_by"], kim["status"], kim["substitute_for"], bool(kim["is_demo"])) == (
            SECRETARY, "substitute", "Jo Adeyemi", False)
        items = records.records(store, "item", meeting_date=latest)
        mine = items[items["recorded_by"] == SECRETARY]
        assert mine[["text", "owner", "status", "published"]].values.tolist() == [
            ["Youth council to review the new early help leaflet", "Kim Lee", "open", False]]
        assert set(audit_entries(store, actor=SECRETARY)["action"]) == {"meeting_record_added"}
    finally:
        store.close()
    # the overdue action is said in words on the page
    assert "Overdue: due 31 January 2026" in at.table[2].value.to_string()


def test_a_board_member_reads_the_meeting_and_its_scorecard_link_but_cannot_record(db, app_env):
    path, latest = db
    at = meeting_page(app_env, path, ACCOUNTS["viewer"][0])
    assert not at.get("form") and "Record attendance" not in [b.label for b in at.button]
    assert "The board's secretary and administrators record attendance" in texts(at)
    links = at.get("page_link")
    scorecard = [link for link in links if link.proto.label.startswith("The scorecard as at this meeting")]
    assert len(scorecard) == 1 and scorecard[0].proto.page.endswith("scorecard")
    assert f"meeting={latest.isoformat()}" in scorecard[0].proto.query_string
    assert at.table[0].value["Member"].str.endswith(r"\(demo\)").all()   # the demo's attendance, labelled
    assert any(b.label == "Make the annual report" for b in at.button)


def test_the_public_view_shows_published_decisions_and_actions_only(db, app_env):
    path, latest = db
    store = Store(path)
    try:
        record_action(store, actor=command_line_actor(), meeting_date=latest, text="Write to the family of child X",
                      owner="Sam O'Neill", due_date="2027-01-31", published=False)
        record_action(store, actor=command_line_actor(), meeting_date=latest, text="Publish the refreshed plan",
                      owner="Alex Morgan", due_date="2027-01-31", published=True)
    finally:
        store.close()
    app_env(path)
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())   # signed out: the public view
    assert "Decisions and actions of the board" in texts(at)
    shown = at.table[-1].value.to_string()
    assert "Action: Publish the refreshed plan" in shown and "Decision: Agreed the scorecard" in shown
    assert "child X" not in shown and "Alex Morgan" not in shown
