"""Escalations to the Health and Wellbeing Board or another partnership: the date, the body, the reason and, once
known, the outcome. Each change is a new version, audited (`kpis.governance.meetings.save`)."""
from __future__ import annotations

from datetime import date, datetime

from kpis.access.permissions import Actor
from kpis.core.dates import long_date
from kpis.governance.actions import DateLike, parse_date
from kpis.governance.meetings import MAX_TEXT, clean_text, save
from kpis.store.database import Store

__all__ = ["record_escalation", "record_outcome"]


def record_escalation(store: Store, *, actor: Actor, meeting_date: date, escalated_on: DateLike, body: str,
                      reason: str, outcome: str | None = None, outcome_on: DateLike = None, at: datetime | None = None,
                      is_demo: bool = False) -> int:
    """An issue the meeting could not solve, escalated to `body` on `escalated_on`."""
    when = parse_date(escalated_on)
    if when is None:
        raise ValueError("The escalation has no date; give the date it was escalated.")
    if when < meeting_date:
        raise ValueError(f"The escalation is dated {long_date(when)}, before the meeting of "
                         f"{long_date(meeting_date)} that made it.")
    values = {"escalated_on": when, "body": clean_text(body, "The body it was escalated to"),
              "reason": clean_text(reason, "The reason", limit=MAX_TEXT),
              "outcome": clean_text(outcome, "The outcome", required=False, limit=MAX_TEXT),
              "outcome_on": parse_date(outcome_on)}
    return save(store, "escalation", actor=actor, values=values, meeting_date=meeting_date, at=at, is_demo=is_demo)


def record_outcome(store: Store, *, actor: Actor, record_id: int, outcome: str, outcome_on: DateLike = None,
                   at: datetime | None = None) -> int:
    """What the body escalated to decided: a new version of the escalation."""
    values = {"outcome": clean_text(outcome, "The outcome", limit=MAX_TEXT), "outcome_on": parse_date(outcome_on)}
    return save(store, "escalation", actor=actor, values=values, record_id=record_id, at=at)
