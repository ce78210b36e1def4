"""Meeting records on a real DuckDB file: attendance, decisions and actions, escalations; who may record them; every
change audited and kept as a version; the public view shows published decisions and actions only."""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

import pytest

from kpis.access.audit import audit_entries
from kpis.access.permissions import Actor, PermissionDenied
from kpis.board.meetings import (
    add_meeting,
    attendance_record,
    attendance_table,
    escalations_table,
    items_table,
    overdue_words,
    public_decisions_and_actions,
)
from kpis.governance.actions import record_action, record_decision, update_action
from kpis.governance.escalations import record_escalation, record_outcome
from kpis.governance.meetings import history, record_attendance, remove_record
from kpis.store import governance as records
from kpis.store.database import Store

ADMIN = Actor("admin@example.org", "admin")
SECRETARY = Actor("secretary@example.org", "secretary")
VIEWER = Actor("board.member@example.org", "viewer")
LEAD = Actor("lead@example.org", "lead", ("send",))
ANALYST = Actor("analyst@example.org", "analyst")
MEETING = date(2026, 3, 11)
T0 = datetime(2026, 3, 11, 17, 0)


def two_meetings(path) -> None:
    with Store(path) as store:
        add_meeting(store, actor=ADMIN, meeting_date=MEETING, at=T0 - timedelta(days=60))
        add_meeting(store, actor=ADMIN, meeting_date=date(2026, 6, 10), at=T0 - timedelta(days=60))


@pytest.fixture
def board(built_once, tmp_path):
    """A store with two meetings: a private copy of one made once."""
    path = tmp_path / "governance.duckdb"
    shutil.copy(built_once("two-meetings", two_meetings), path)
    store = Store(path)
    yield store
    store.close()


def test_only_the_secretary_and_administrators_may_record_a_meeting(board):
    for who in (VIEWER, LEAD, ANALYST):
        denied = rf"{who.email} .* may not record meetings \(attendance, .*\); only board secretaries and admin"
        with pytest.raises(PermissionDenied, match=denied):
            record_attendance(board, actor=who, meeting_date=MEETING, member="Alex Morgan", status="present")
        with pytest.raises(PermissionDenied):
            record_action(board, actor=who, meeting_date=MEETING, text="x", owner="y", due_date="2026-04-01")
        with pytest.raises(PermissionDenied):
            record_escalation(board, actor=who, meeting_date=MEETING, escalated_on=MEETING, body="HWBB", reason="r")
    with pytest.raises(PermissionDenied, match="You need to sign in"):
        record_decision(board, actor=None, meeting_date=MEETING, text="Agreed")
    assert records.records(board, "attendance").empty and records.records(board, "item").empty
    record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="Alex Morgan", status="present", at=T0)
    record_attendance(board, actor=ADMIN, meeting_date=MEETING, member="Priya Shah", status="apologies", at=T0)
    assert list(attendance_table(board, MEETING)["Member"]) == ["Alex Morgan", "Priya Shah"]


def test_a_correction_adds_a_version_with_who_and_when_and_the_history_reads_back(board):
    rid = record_action(board, actor=SECRETARY, meeting_date=MEETING, text="  SEND board to bring a deep dive  ",
                        owner="Tom Baker", due_date="2026-04-22", published=True, at=T0)
    update_action(board, actor=SECRETARY, record_id=rid, status="in_progress", at=T0 + timedelta(days=10))
    update_action(board, actor=ADMIN, record_id=rid, status="done", due_date=date(2026, 4, 29),
                  at=T0 + timedelta(days=30))
    assert update_action(board, actor=ADMIN, record_id=rid, status="done", at=T0 + timedelta(days=31)) == rid
    versions = history(board, "item", rid)
    assert list(versions["version"]) == [1, 2, 3]                 # the unchanged "done" added nothing
    assert list(versions["status"]) == ["open", "in_progress", "done"]
    assert list(versions["recorded_by"]) == [SECRETARY.email, SECRETARY.email, ADMIN.email]
    assert versions["text"].iloc[0] == "SEND board to bring a deep dive"
    assert versions["valid_to"].iloc[0] == versions["valid_from"].iloc[1] and versions["valid_to"].isna().iloc[-1]
    assert [str(d.date()) for d in versions["due_date"]] == ["2026-04-22", "2026-04-22", "2026-04-29"]
    # What was on record at any moment can be read again.
    then = items_table(board, meeting_date=MEETING, as_at=T0 + timedelta(days=5), today=date(2026, 4, 25))
    assert list(then["Status"]) == ["Open"] and then["Overdue"].iloc[0] == "Overdue: due 22 April 2026, 3 days ago"
    assert list(items_table(board, meeting_date=MEETING, today=date(2026, 6, 1))["Status"]) == ["Done"]
    log = audit_entries(board, actions=["meeting_record_added", "meeting_record_changed"])
    assert list(log["what"]) == ["Meeting record changed", "Meeting record changed", "Meeting record added"]
    assert list(log["actor"]) == [ADMIN.email, SECRETARY.email, SECRETARY.email]
    detail = json.loads(log["detail"].iloc[0])
    assert {k: detail[k] for k in ("kind", "record_id", "version", "status", "due_date")} == {
        "kind": "item", "record_id": rid, "version": 3, "status": "done", "due_date": "2026-04-29"}


def test_removing_a_record_keeps_its_earlier_versions(board):
    rid = record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="Chris Walker", at=T0)
    remove_record(board, "attendance", actor=SECRETARY, record_id=rid, at=T0 + timedelta(hours=1))
    assert attendance_table(board, MEETING).empty
    versions = history(board, "attendance", rid)
    assert list(versions["removed"]) == [False, True] and set(versions["member"]) == {"Chris Walker"}
    assert audit_entries(board, actions=["meeting_record_removed"])["actor"].tolist() == [SECRETARY.email]
    # now that the line is gone, the member can be entered again
    record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="Chris Walker", status="absent", at=T0)
    assert attendance_table(board, MEETING)["Attendance"].tolist() == ["Absent"]


def test_bad_entries_are_refused_in_plain_english_and_nothing_is_stored(board):
    cases = [
        (lambda: record_attendance(board, actor=SECRETARY, meeting_date=date(2026, 3, 12), member="A"),
         "There was no board meeting on 12 March 2026"),
        (lambda: record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="A", status="late"),
         "The attendance 'late' is not one of: Present, Substitute, Apologies, Absent"),
        (lambda: record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="A", status="substitute"),
         "Whom the substitute stood in for is empty"),
        (lambda: record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="  "),
         "The member's name is empty"),
        (lambda: record_action(board, actor=SECRETARY, meeting_date=MEETING, text="Do it", owner="Jo", due_date="31/4"),
         "The due date '31/4' is not a date; write it as YYYY-MM-DD"),
        (lambda: record_action(board, actor=SECRETARY, meeting_date=MEETING, text="Do it", owner="Jo", due_date=None),
         "The action has no due date"),
        (lambda: record_action(board, actor=SECRETARY, meeting_date=MEETING, text="Do it", owner="Jo",
                               due_date="2026-05-01", status="finished"),
         "The status 'finished' is not one of: Open, In progress, Done, Dropped"),
        (lambda: record_escalation(board, actor=SECRETARY, meeting_date=MEETING, escalated_on="2026-03-01",
                                   body="HWBB", reason="Waiting times"),
         "dated 1 March 2026, before the meeting of 11 March 2026"),
        (lambda: update_action(board, actor=SECRETARY, record_id=999), "Nothing to change"),
        (lambda: update_action(board, actor=SECRETARY, record_id=999, status="done"),
         "There is no decision or action number 999"),
    ]
    for attempt, message in cases:
        with pytest.raises(ValueError, match=message):
            attempt()
    record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="Ruth Evans", at=T0)
    with pytest.raises(ValueError, match="Ruth Evans is already on the attendance list"):
        record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="ruth evans", status="absent")
    assert len(records.records(board, "attendance")) == 1 and records.records(board, "item").empty
    assert records.records(board, "escalation").empty


def test_escalations_keep_their_outcome_as_a_new_version(board):
    rid = record_escalation(board, actor=SECRETARY, meeting_date=MEETING, escalated_on="2026-03-14",
                            body="Worcestershire Health and Wellbeing Board", reason="Waiting times for SEND "
                            "assessments have risen for three quarters", at=T0)
    assert escalations_table(board, meeting_date=MEETING)["Outcome"].tolist() == ["No outcome recorded yet"]
    record_outcome(board, actor=ADMIN, record_id=rid, outcome="Accepted: a joint review", outcome_on="2026-04-20",
                   at=T0 + timedelta(days=40))
    table = escalations_table(board, meeting_date=MEETING)
    assert table[["Escalated on", "To", "Outcome"]].values.tolist() == [
        ["14 March 2026", "Worcestershire Health and Wellbeing Board", "Accepted: a joint review (20 April 2026)"]]
    assert escalations_table(board, meeting_date=MEETING, as_at=T0 + timedelta(days=1))["Outcome"].tolist() == [
        "No outcome recorded yet"]
    assert history(board, "escalation", rid)["recorded_by"].tolist() == [SECRETARY.email, ADMIN.email]


def test_the_public_view_shows_published_decisions_and_actions_only(board):
    record_decision(board, actor=SECRETARY, meeting_date=MEETING, text="Agreed the scorecard", published=True, at=T0)
    record_decision(board, actor=SECRETARY, meeting_date=MEETING, text="Agreed a confidential matter", at=T0)
    record_action(board, actor=SECRETARY, meeting_date=MEETING, text="Publish the plan", owner="Alex Morgan",
                  due_date="2026-04-01", published=True, at=T0)
    hidden = record_action(board, actor=SECRETARY, meeting_date=MEETING, text="Review a named family's case",
                           owner="Sam O'Neill", due_date="2026-04-01", at=T0)
    shown = public_decisions_and_actions(board, today=date(2026, 4, 10))
    assert shown["Decision or action"].tolist() == ["Decision: Agreed the scorecard", "Action: Publish the plan"]
    assert shown["Status"].tolist() == ["–", "Open (overdue: due 1 April 2026, 9 days ago)"]
    flat = shown.to_string()
    assert "confidential" not in flat and "named family" not in flat and "Alex Morgan" not in flat  # no owners
    update_action(board, actor=SECRETARY, record_id=hidden, published=True, at=T0 + timedelta(days=1))
    assert "Action: Review a named family's case" in public_decisions_and_actions(
        board, today=date(2026, 4, 10))["Decision or action"].tolist()


def test_overdue_is_said_in_words_and_only_for_open_actions():
    today = date(2026, 5, 1)
    assert overdue_words("open", date(2026, 4, 30), today) == "Overdue: due 30 April 2026, 1 day ago"
    assert overdue_words("in_progress", "2026-04-01", today) == "Overdue: due 1 April 2026, 30 days ago"
    assert overdue_words("done", date(2026, 4, 1), today) == ""
    assert overdue_words("dropped", date(2026, 4, 1), today) == ""
    assert overdue_words("open", date(2026, 5, 1), today) == ""


def test_the_attendance_record_counts_a_substitute_for_the_member(board):
    june = date(2026, 6, 10)
    record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="Tom Baker", organisation="SEND board",
                      at=T0)
    record_attendance(board, actor=SECRETARY, meeting_date=june, member="Deputy for Tom Baker",
                      organisation="SEND board", status="substitute", substitute_for="Tom Baker", at=T0)
    record_attendance(board, actor=SECRETARY, meeting_date=MEETING, member="Mei Lin", status="apologies", at=T0)
    record_attendance(board, actor=SECRETARY, meeting_date=june, member="Mei Lin", status="absent", at=T0)
    table, held = attendance_record(board, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert held == [MEETING, june]
    assert table.values.tolist() == [["Tom Baker", "SEND board", "P", "S", "2 of 2 (100%)"],
                                     ["Mei Lin", "", "A", "X", "0 of 2 (0%)"]]


def test_the_secretary_role_is_a_board_member_who_also_records_meetings():
    from kpis.access.permissions import ACTIONS, ROLES
    assert ROLES["secretary"] == "Board secretary"
    allowed = {a for a in ACTIONS if SECRETARY.can(a, area="send")}
    assert allowed == {"view_board", "view_unpublished", "record_meetings"}
    assert {r for r in ROLES if Actor("x@example.org", r).can("record_meetings")} == {"secretary", "admin"}
