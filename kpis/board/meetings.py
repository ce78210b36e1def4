"""Board meetings: their dates (added and removed by administrators, each change audited), and what was recorded
at each, read back for the meeting page, the public view and the annual report.

The framework file lists the meetings that `init` loads; dates added here live in the database. The records of a
meeting (attendance, decisions and actions, escalations) are written by `kpis.governance`.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from kpis.access.permissions import Actor, require
from kpis.board.scorecard import meetings
from kpis.core.dates import long_date, short_date
from kpis.store import governance as records
from kpis.store.audit import audit
from kpis.store.database import Store, now

__all__ = [
    "add_meeting",
    "attendance_record",
    "attendance_table",
    "escalations_table",
    "items_table",
    "meetings",
    "overdue_words",
    "remove_meeting",
]


def add_meeting(store: Store, *, actor: Actor, meeting_date: date, title: str = "Partnership board",
                at: datetime | None = None) -> None:
    require(actor, "admin")
    title = (title or "").strip() or "Partnership board"
    if meeting_date in meetings(store):
        raise ValueError(f"{long_date(meeting_date)} is already a meeting date.")
    at = at or now()
    with store.transaction() as cur:
        records.insert_meeting(cur, meeting_date, title)
        audit(cur, actor=actor.email, action="meeting_added", at=at, detail={"date": meeting_date, "title": title})


def remove_meeting(store: Store, *, actor: Actor, meeting_date: date, at: datetime | None = None) -> None:
    require(actor, "admin")
    if meeting_date not in meetings(store):
        raise ValueError(f"{long_date(meeting_date)} is not a meeting date.")
    at = at or now()
    with store.transaction() as cur:
        records.delete_meeting(cur, meeting_date)
        audit(cur, actor=actor.email, action="meeting_removed", at=at, detail={"date": meeting_date})


# -- what was recorded at each meeting, as people read it (kpis.governance writes it) -------------------------
ATTENDANCE_STATUSES = {"present": "Present", "substitute": "Substitute", "apologies": "Apologies",
                       "absent": "Absent"}
ACTION_STATUSES = {"open": "Open", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
STILL_OPEN = ("open", "in_progress")


def _day(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _demo(flag) -> str:
    return " (demo)" if bool(flag) else ""


def attendance_table(store: Store, meeting_date: date, *, as_at: datetime | None = None) -> pd.DataFrame:
    """Who was at a meeting: member, organisation or role, attendance in words (a substitute says for whom)."""
    df = records.records(store, "attendance", meeting_date=meeting_date, as_at=as_at)
    cols = ["Member", "Organisation or role", "Attendance", "record_id"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    words = [ATTENDANCE_STATUSES.get(s, s) + (f" for {f}" if s == "substitute" and f else "")
             for s, f in zip(df["status"], df["substitute_for"], strict=False)]
    return pd.DataFrame({"Member": df["member"] + df["is_demo"].map(_demo), "Organisation or role":
                         df["organisation"].fillna(""), "Attendance": words, "record_id": df["record_id"]})


def overdue_words(status: str | None, due: date | str | None, today: date) -> str:
    """'Overdue: due 3 March 2026, 40 days ago' for an open action past its date; '' otherwise."""
    due = _day(due)
    if status not in STILL_OPEN or due is None or due >= today:
        return ""
    days = (today - due).days
    return f"Overdue: due {long_date(due)}, {days} day{'s' if days != 1 else ''} ago"


def items_table(store: Store, *, meeting_date: date | None = None, kind: str = "action", today: date | None = None,
                as_at: datetime | None = None, published_only: bool = False, start: date | None = None,
                end: date | None = None) -> pd.DataFrame:
    """A meeting's decisions or actions. Actions carry owner, due date, status and, in words, whether overdue."""
    today = today or now().date()
    df = records.records(store, "item", meeting_date=meeting_date, as_at=as_at, start=start, end=end)
    df = df[df["kind"] == kind]
    if published_only:
        df = df[df["published"]]
    cols = (["Meeting", "Decision", "Published", "record_id"] if kind == "decision" else
            ["Meeting", "Action", "Owner", "Due", "Status", "Overdue", "Published", "record_id"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({"Meeting": [long_date(_day(d)) for d in df["meeting_date"]],
                        "text": df["text"] + df["is_demo"].map(_demo)})
    out["Published"] = df["published"].map({True: "Yes", False: "No"}).to_numpy()
    out["record_id"] = df["record_id"].to_numpy()
    if kind == "decision":
        return out.rename(columns={"text": "Decision"})[cols]
    out["Owner"] = df["owner"].fillna("").to_numpy()
    out["Due"] = [long_date(_day(d)) if _day(d) else "No date" for d in df["due_date"]]
    out["Status"] = [ACTION_STATUSES.get(s, s) for s in df["status"]]
    out["Overdue"] = [overdue_words(s, d, today) for s, d in zip(df["status"], df["due_date"], strict=False)]
    return out.rename(columns={"text": "Action"})[cols]


def escalations_table(store: Store, *, meeting_date: date | None = None, as_at: datetime | None = None,
                      start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Escalations: when, to which body, why, and the outcome (or that none is recorded yet)."""
    df = records.records(store, "escalation", meeting_date=meeting_date, as_at=as_at, start=start, end=end)
    cols = ["Escalated on", "To", "Reason", "Outcome", "record_id"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    outcome = [(f"{o} ({long_date(_day(d))})" if _day(d) else o) if isinstance(o, str) and o
               else "No outcome recorded yet" for o, d in zip(df["outcome"], df["outcome_on"], strict=False)]
    return pd.DataFrame({"Escalated on": [long_date(_day(d)) for d in df["escalated_on"]],
                         "To": df["body"], "Reason": df["reason"] + df["is_demo"].map(_demo), "Outcome": outcome,
                         "record_id": df["record_id"]})


def attendance_record(store: Store, *, start: date, end: date) -> tuple[pd.DataFrame, list[date]]:
    """Each member's attendance over the meetings from `start` to `end`: one column per meeting (P present,
    S substitute sent, A apologies, X absent, – not listed) and the share attended in person or by substitute."""
    df = records.records(store, "attendance", start=start, end=end)
    held = sorted({_day(d) for d in df["meeting_date"]}) if not df.empty else []
    if df.empty:
        return pd.DataFrame(columns=["Member", "Organisation or role", "Attended"]), held
    letters = {"present": "P", "substitute": "S", "apologies": "A", "absent": "X"}
    rows = []
    # a substitute's line counts for the member they stood in for
    df = df.assign(member=df["substitute_for"].where(df["status"] == "substitute", df["member"]).fillna(df["member"]))
    for member, group in df.groupby("member", sort=False):
        seen = {_day(d): s for d, s in zip(group["meeting_date"], group["status"], strict=False)}
        row = {"Member": member + _demo(group["is_demo"].any()),
               "Organisation or role": group["organisation"].dropna().iloc[-1] if group["organisation"].notna().any()
               else ""}
        for m in held:
            row[short_date(m)] = letters.get(seen.get(m), "–")
        went = sum(1 for s in seen.values() if s in ("present", "substitute"))
        row["Attended"] = f"{went} of {len(seen)} ({100 * went / len(seen):.0f}%)"
        rows.append(row)
    return pd.DataFrame(rows), held


def public_decisions_and_actions(store: Store, *, today: date | None = None, limit_meetings: int = 4) -> pd.DataFrame:
    """The published decisions and actions of the last `limit_meetings` meetings held, newest meeting first, for
    the public view: what was decided or agreed, and for an action its due date and status (overdue in words).
    Nothing unpublished; no owners' names."""
    today = today or now().date()
    held = [m for m in meetings(store) if m <= today][-limit_meetings:]
    cols = ["Meeting", "Decision or action", "Due", "Status"]
    if not held:
        return pd.DataFrame(columns=cols)
    decided = items_table(store, kind="decision", published_only=True, start=held[0], end=held[-1], today=today)
    agreed = items_table(store, kind="action", published_only=True, start=held[0], end=held[-1], today=today)
    rows = [{"Meeting": r["Meeting"], "Decision or action": "Decision: " + r["Decision"], "Due": "–", "Status": "–"}
            for r in decided.to_dict("records")]
    rows += [{"Meeting": r["Meeting"], "Decision or action": "Action: " + r["Action"], "Due": r["Due"],
              "Status": r["Status"] + (f" ({r['Overdue'][0].lower()}{r['Overdue'][1:]})" if r["Overdue"] else "")}
             for r in agreed.to_dict("records")]
    order = {long_date(m): i for i, m in enumerate(held)}
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("Meeting", key=lambda s: s.map(order), ascending=False, kind="stable").reset_index(drop=True)
