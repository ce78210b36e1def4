"""The meeting records' tables (schema migration 5): attendance, decisions and actions, escalations.

Every record is versioned as values are: `write_record` never overwrites a row. A change closes the current
version (`valid_to`) and adds the next one with who made it (`recorded_by`) and when (`valid_from`); taking a
record off the list is a version with `removed` set. So what was on record at any moment can be read back
(`records(as_at=...)`) and each record's whole history is kept (`record_history`).
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from kpis.store.database import Store

TABLES: dict[str, tuple[str, tuple[str, ...]]] = {  # kind -> (table, the columns a person fills in)
    "attendance": ("meeting_attendance", ("member", "organisation", "status", "substitute_for")),
    "item": ("meeting_items", ("kind", "text", "owner", "due_date", "status", "published")),
    "escalation": ("meeting_escalations", ("escalated_on", "body", "reason", "outcome", "outcome_on")),
}
WORDS = {"attendance": "attendance entry", "item": "decision or action", "escalation": "escalation"}
SYSTEM = ("record_id", "meeting_date", "removed", "is_demo", "version", "recorded_by", "valid_from", "valid_to")


def table_of(kind: str) -> tuple[str, tuple[str, ...]]:
    try:
        return TABLES[kind]
    except KeyError:
        raise ValueError(f"Unknown kind of meeting record '{kind}'; expected one of {', '.join(TABLES)}.") from None


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and pd.isna(a)):
        return b is None or (isinstance(b, float) and pd.isna(b))
    if isinstance(a, (date, datetime)) or isinstance(b, (date, datetime)):
        return pd.Timestamp(a) == pd.Timestamp(b) if a is not None and b is not None else False
    return a == b


def write_record(cur: duckdb.DuckDBPyConnection, kind: str, *, meeting_date: date, values: dict, actor: str,
                 at: datetime, record_id: int | None = None, removed: bool = False,
                 is_demo: bool = False) -> tuple[int, int | None]:
    """Add a record (record_id None) or a new version of one; returns (record_id, the version written, or None
    when nothing differs from the current version and nothing was written)."""
    table, columns = table_of(kind)
    unknown = set(values) - set(columns)
    if unknown:
        raise ValueError(f"Unknown field(s) {', '.join(sorted(unknown))} for a {kind} record.")
    if record_id is None:
        record_id = int(cur.execute("SELECT nextval('governance_seq')").fetchone()[0])
        version, old = 1, None
    else:
        old = cur.execute(f"SELECT meeting_date, removed, version, is_demo, {', '.join(columns)} FROM {table} "
                          "WHERE record_id = ? AND valid_to IS NULL", [record_id]).fetchone()
        if old is None:
            raise ValueError(f"There is no {WORDS[kind]} number {record_id}.")
        current = dict(zip(columns, old[4:], strict=False))
        is_demo = bool(old[3])  # a demo record stays demo data through its versions
        merged = {**current, **values}
        if all(_same(current[c], merged[c]) for c in columns) and bool(old[1]) == removed:
            return record_id, None
        values, version, meeting_date = merged, int(old[2]) + 1, old[0]
        cur.execute(f"UPDATE {table} SET valid_to = ? WHERE record_id = ? AND valid_to IS NULL", [at, record_id])
    names = ", ".join(("record_id", "meeting_date", "removed", "is_demo", "version", "recorded_by", "valid_from",
                       *columns))
    cur.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * (7 + len(columns)))})",
                [record_id, meeting_date, removed, is_demo, version, actor, at,
                 *[values.get(c) for c in columns]])
    return record_id, version


def _as_at(as_at: datetime | None) -> tuple[str, list]:
    if as_at is None:
        return "valid_to IS NULL", []
    return "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)", [as_at, as_at]


def records(store: Store, kind: str, *, meeting_date: date | None = None, start: date | None = None,
            end: date | None = None, as_at: datetime | None = None, removed: bool = False) -> pd.DataFrame:
    """The records of one kind current at `as_at` (None: now): of one meeting, or of meetings from `start` to
    `end` (both included), oldest meeting first, in the order they were first recorded."""
    table, columns = table_of(kind)
    cond, params = _as_at(as_at)
    where = [cond] + ([] if removed else ["NOT removed"])
    if meeting_date is not None:
        where.append("meeting_date = ?")
        params.append(meeting_date)
    if start is not None:
        where.append("meeting_date >= ?")
        params.append(start)
    if end is not None:
        where.append("meeting_date <= ?")
        params.append(end)
    return store.df(f"SELECT {', '.join(SYSTEM + columns)} FROM {table} WHERE {' AND '.join(where)} "
                    "ORDER BY meeting_date, record_id", params)


def record_history(store: Store, kind: str, record_id: int) -> pd.DataFrame:
    """Every version of one record, oldest first: what it said, who recorded it and when."""
    table, columns = table_of(kind)
    return store.df(f"SELECT {', '.join(SYSTEM + columns)} FROM {table} WHERE record_id = ? ORDER BY version",
                    [record_id])


def first_reached(store: Store, statuses: tuple[str, ...], *, start: datetime, end: datetime) -> pd.DataFrame:
    """Actions that first reached one of `statuses` between `start` and `end`: record_id and when (closed_at)."""
    return store.df("""
        SELECT record_id, min(valid_from) AS closed_at FROM meeting_items
        WHERE kind = 'action' AND status IN (SELECT unnest(?::VARCHAR[])) AND NOT removed
        GROUP BY record_id HAVING min(valid_from) >= ? AND min(valid_from) <= ?""", [list(statuses), start, end])


def has_demo_records(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM meeting_attendance WHERE is_demo"))


# -- the meeting dates (the meetings table, core schema) ------------------------------------------------
def meeting_dates(store: Store) -> list[date]:
    """Board meeting dates held in the store, oldest first."""
    df = store.df("SELECT meeting_date FROM meetings ORDER BY meeting_date")
    return [pd.Timestamp(d).date() for d in df["meeting_date"]]


def meeting_records_version(store: Store) -> str:
    """A cheap key that changes whenever a meeting or a decision or action is recorded, edited or removed (an edit
    adds a row; a meeting is added or deleted), for caching views of them."""
    return str(store.scalar("""
        SELECT (SELECT count(*) || ':' || coalesce(max(valid_from)::VARCHAR, '') FROM meeting_items) || ';'
            || (SELECT coalesce(string_agg(meeting_date::VARCHAR, ',' ORDER BY meeting_date), '') FROM meetings)"""))


def insert_meeting(cur: duckdb.DuckDBPyConnection, meeting_date: date, title: str | None) -> None:
    cur.execute("INSERT INTO meetings VALUES (?, ?)", [meeting_date, title])


def delete_meeting(cur: duckdb.DuckDBPyConnection, meeting_date: date) -> None:
    cur.execute("DELETE FROM meetings WHERE meeting_date = ?", [meeting_date])
