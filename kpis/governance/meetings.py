"""Recording a meeting: who attended, and the shared rules for every meeting record.

Attendance is recorded by an administrator or the board's secretary (`record_meetings`). Each record is
versioned (`kpis.store.governance`): a correction adds a new version with who made it and when, and every
change is written to the audit log in the same transaction.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from kpis.access.permissions import Actor, require
from kpis.board.meetings import ATTENDANCE_STATUSES
from kpis.board.scorecard import meetings
from kpis.core.dates import long_date
from kpis.store import governance as records
from kpis.store.audit import audit
from kpis.store.database import Store, now

__all__ = ["ATTENDANCE_STATUSES", "history", "record_attendance", "remove_record", "save"]
MAX_TEXT = 2000


def clean_text(value: object, what: str, *, required: bool = True, limit: int = 200) -> str | None:
    """Trimmed text, or a plain-English ValueError naming the field."""
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise ValueError(f"{what} is empty; please fill it in.")
        return None
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text):,} characters long; at most {limit:,} are kept. Please shorten it.")
    return text


def check_meeting(store: Store, meeting_date: date) -> date:
    if not isinstance(meeting_date, date):
        raise ValueError(f"The meeting date {meeting_date!r} is not a date.")
    if isinstance(meeting_date, datetime):
        meeting_date = meeting_date.date()
    if meeting_date not in meetings(store):
        raise ValueError(f"There was no board meeting on {long_date(meeting_date)}. An administrator can add the "
                         "date on the Users and audit page, or with the framework file.")
    return meeting_date


def save(store: Store, kind: str, *, actor: Actor, values: dict, meeting_date: date | None = None,
         record_id: int | None = None, removed: bool = False, at: datetime | None = None,
         is_demo: bool = False) -> int:
    """Write one record (new when `record_id` is None, else its next version) and audit it; returns its id."""
    require(actor, "record_meetings")
    if record_id is None:
        meeting_date = check_meeting(store, meeting_date)
    at = at or now()
    with store.transaction() as cur:
        rid, version = records.write_record(cur, kind, meeting_date=meeting_date, values=values, actor=actor.email,
                                            at=at, record_id=record_id, removed=removed, is_demo=is_demo)
        if version is not None:
            action = "meeting_record_removed" if removed else (
                "meeting_record_added" if version == 1 else "meeting_record_changed")
            audit(cur, actor=actor.email, action=action, at=at,
                  detail={"kind": kind, "record_id": rid, "version": version, "meeting": meeting_date,
                          **({} if removed else values), "demo": is_demo})
    return rid


def record_attendance(store: Store, *, actor: Actor, meeting_date: date | None = None, member: str,
                      organisation: str = "", status: str = "present", substitute_for: str | None = None,
                      record_id: int | None = None, at: datetime | None = None, is_demo: bool = False) -> int:
    """One member's attendance at a meeting: present, a substitute (for whom), apologies or absent."""
    if status not in ATTENDANCE_STATUSES:
        raise ValueError(f"The attendance '{status}' is not one of: "
                         f"{', '.join(ATTENDANCE_STATUSES.values())}.")
    values = {"member": clean_text(member, "The member's name"),
              "organisation": clean_text(organisation, "The organisation or role", required=False),
              "status": status,
              "substitute_for": clean_text(substitute_for, "Whom the substitute stood in for",
                                           required=status == "substitute")}
    if status != "substitute":
        values["substitute_for"] = None
    if record_id is None:
        taken = records.records(store, "attendance", meeting_date=check_meeting(store, meeting_date))
        same = taken[taken["member"].str.lower() == values["member"].lower()]
        if not same.empty:
            raise ValueError(f"{same['member'].iloc[0]} is already on the attendance list of this meeting; "
                             "change that entry instead.")
    return save(store, "attendance", actor=actor, values=values, meeting_date=meeting_date, record_id=record_id,
                at=at, is_demo=is_demo)


def remove_record(store: Store, kind: str, *, actor: Actor, record_id: int, at: datetime | None = None) -> int:
    """Take a record off the meeting (a mistake): a new version marked removed; the earlier ones are kept."""
    return save(store, kind, actor=actor, values={}, record_id=record_id, removed=True, at=at)


def history(store: Store, kind: str, record_id: int) -> pd.DataFrame:
    """Every version of one record, oldest first, with who recorded it and when."""
    return records.record_history(store, kind, record_id)
