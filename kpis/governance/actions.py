"""A meeting's decisions and actions. An action has an owner, a due date and a status (open, in progress, done,
dropped); each decision or action has a `published` flag: the public view shows the published ones only.
Every change is a new version, audited (`kpis.governance.meetings.save`)."""
from __future__ import annotations

from datetime import date, datetime

from kpis.access.permissions import Actor
from kpis.board.meetings import ACTION_STATUSES
from kpis.governance.meetings import MAX_TEXT, clean_text, save
from kpis.store.database import Store

DateLike = date | str | None  # a date, or text written YYYY-MM-DD

__all__ = ["ACTION_STATUSES", "record_action", "record_decision", "update_action"]


def parse_date(value: DateLike) -> date | None:
    """A date given as a date or as YYYY-MM-DD text; None for nothing; a plain-English ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"The due date '{value}' is not a date; write it as YYYY-MM-DD, for example "
                         "2026-03-31.") from None


def _status(status: str) -> str:
    if status not in ACTION_STATUSES:
        raise ValueError(f"The status '{status}' is not one of: {', '.join(ACTION_STATUSES.values())}.")
    return status


def record_decision(store: Store, *, actor: Actor, meeting_date: date, text: str, published: bool = False,
                    at: datetime | None = None, is_demo: bool = False) -> int:
    """A decision the meeting took; `published`: shown in the public view."""
    values = {"kind": "decision", "text": clean_text(text, "The decision", limit=MAX_TEXT),
              "published": bool(published)}
    return save(store, "item", actor=actor, values=values, meeting_date=meeting_date, at=at, is_demo=is_demo)


def record_action(store: Store, *, actor: Actor, meeting_date: date, text: str, owner: str, due_date: DateLike,
                  status: str = "open",
                  published: bool = False, at: datetime | None = None, is_demo: bool = False) -> int:
    """An action the meeting agreed, with its owner and due date."""
    due = parse_date(due_date)
    if due is None:
        raise ValueError("The action has no due date; give the date it should be done by.")
    values = {"kind": "action", "text": clean_text(text, "The action", limit=MAX_TEXT),
              "owner": clean_text(owner, "The action's owner"), "due_date": due, "status": _status(status),
              "published": bool(published)}
    return save(store, "item", actor=actor, values=values, meeting_date=meeting_date, at=at, is_demo=is_demo)


def update_action(store: Store, *, actor: Actor, record_id: int, status: str | None = None, due_date: DateLike = None,
                  owner: str | None = None, text: str | None = None, published: bool | None = None,
                  at: datetime | None = None) -> int:
    """Change an action (or a decision's text or published flag): a new version; the earlier ones are kept."""
    values: dict = {}
    if status is not None:
        values["status"] = _status(status)
    if due_date is not None:
        values["due_date"] = parse_date(due_date)
    if owner is not None:
        values["owner"] = clean_text(owner, "The action's owner")
    if text is not None:
        values["text"] = clean_text(text, "The text", limit=MAX_TEXT)
    if published is not None:
        values["published"] = bool(published)
    if not values:
        raise ValueError("Nothing to change: give a new status, due date, owner, text or published flag.")
    return save(store, "item", actor=actor, values=values, record_id=record_id, at=at)
