"""Board meeting dates: add and remove (administrators only), each change audited.

The framework file lists the meetings that `init` loads; dates added here live in the database.
"""
from __future__ import annotations

from datetime import date, datetime

from kpis.access.permissions import Actor, require
from kpis.board.scorecard import meetings
from kpis.store.database import Store, audit, now

__all__ = ["add_meeting", "remove_meeting", "meetings"]


def add_meeting(store: Store, *, actor: Actor, meeting_date: date, title: str = "Partnership board",
                at: datetime | None = None) -> None:
    require(actor, "admin")
    title = (title or "").strip() or "Partnership board"
    if meeting_date in meetings(store):
        raise ValueError(f"{meeting_date:%d %B %Y} is already a meeting date.")
    at = at or now()
    with store.transaction() as cur:
        cur.execute("INSERT INTO meetings VALUES (?, ?)", [meeting_date, title])
        audit(cur, actor=actor.email, action="meeting_added", at=at, detail={"date": meeting_date, "title": title})


def remove_meeting(store: Store, *, actor: Actor, meeting_date: date, at: datetime | None = None) -> None:
    require(actor, "admin")
    if meeting_date not in meetings(store):
        raise ValueError(f"{meeting_date:%d %B %Y} is not a meeting date.")
    at = at or now()
    with store.transaction() as cur:
        cur.execute("DELETE FROM meetings WHERE meeting_date = ?", [meeting_date])
        audit(cur, actor=actor.email, action="meeting_removed", at=at, detail={"date": meeting_date})
