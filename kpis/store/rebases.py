"""SPC rebases recorded by administrators: read and written here, checked and audited by `kpis.board.rebases`.

A rebase is never deleted. Removing one closes its row (``valid_to``, ``removed_by``, ``removal_reason``), so
`stored_rebases(as_at=...)` gives the rebases in force at any moment, e.g. at a past board meeting.
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from kpis.core.kpi import Rebase
from kpis.store.database import Store


def _as_at_sql(as_at: datetime | None) -> tuple[str, list]:
    if as_at is None:
        return "valid_to IS NULL", []
    return "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)", [as_at, as_at]


def stored_rebases(store: Store, kpi_ids: list[str] | None = None, *,
                   as_at: datetime | None = None) -> dict[str, tuple[Rebase, ...]]:
    """The rebases in force at `as_at` (None: now), by KPI id, oldest date first."""
    cond, params = _as_at_sql(as_at)
    if kpi_ids is not None:
        cond += " AND kpi_id IN (SELECT unnest(?))"
        params.append(list(kpi_ids))
    df = store.df(f"""SELECT rebase_id, kpi_id, rebase_date, reason, recorded_by FROM rebases WHERE {cond}
                      ORDER BY kpi_id, rebase_date, rebase_id""", params)
    out: dict[str, list[Rebase]] = {}
    for r in df.itertuples(index=False):
        out.setdefault(r.kpi_id, []).append(Rebase(date=pd.Timestamp(r.rebase_date).date(), reason=r.reason,
                                                   source="admin", rebase_id=int(r.rebase_id),
                                                   recorded_by=r.recorded_by))
    return {k: tuple(v) for k, v in out.items()}


def rebases_version(store: Store) -> str:
    """A cheap key that changes whenever a rebase is recorded or removed (rows are never deleted: recording adds
    one, removing closes one), for caching views that depend on the rebases in force."""
    return str(store.scalar("SELECT count(*) || ':' || count(valid_to) || ':' || coalesce(max(rebase_id), 0) "
                            "FROM rebases"))


def rebase_history(store: Store, kpi_id: str | None = None) -> pd.DataFrame:
    """Every rebase ever recorded (in force or removed), newest first."""
    where, params = ("WHERE kpi_id = ?", [kpi_id]) if kpi_id else ("", [])
    return store.df(f"""SELECT rebase_id, kpi_id, rebase_date, reason, recorded_by, valid_from, valid_to, removed_by,
                               removal_reason FROM rebases {where} ORDER BY valid_from DESC, rebase_id DESC""", params)


def find_rebase(store: Store, rebase_id: int) -> dict | None:
    """One stored rebase (in force or removed) by its id, or None."""
    df = store.df("SELECT * FROM rebases WHERE rebase_id = ?", [int(rebase_id)])
    return None if df.empty else df.iloc[0].to_dict()


def insert_rebase(cur: duckdb.DuckDBPyConnection, *, kpi_id: str, rebase_date: date, reason: str,
                  recorded_by: str | None, at: datetime) -> int:
    """Write a new rebase in the caller's transaction; its id."""
    row = cur.execute("INSERT INTO rebases (kpi_id, rebase_date, reason, recorded_by, valid_from) "
                      "VALUES (?, ?, ?, ?, ?) RETURNING rebase_id",
                      [kpi_id, rebase_date, reason, recorded_by, at]).fetchone()
    return int(row[0])


def close_rebase(cur: duckdb.DuckDBPyConnection, *, rebase_id: int, removed_by: str | None, reason: str,
                 at: datetime) -> None:
    """Mark a rebase removed (kept, with who removed it, when and why) in the caller's transaction."""
    cur.execute("UPDATE rebases SET valid_to = ?, removed_by = ?, removal_reason = ? "
                "WHERE rebase_id = ? AND valid_to IS NULL", [at, removed_by, reason, int(rebase_id)])
