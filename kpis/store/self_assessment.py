"""The annual self-assessment's table: one row per version of a statement's rating for a year.

A new rating closes the one before it (valid_to) and is added as the next version, so every earlier rating is
kept, with who recorded it and when. The table is added on first write (the existing tables are never altered);
a database that has never had a self-assessment simply has no rows.
"""
from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from kpis.store.database import Store

TABLE = "self_assessments"
CREATE = f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
        year_label VARCHAR NOT NULL, statement_id VARCHAR NOT NULL, version INTEGER NOT NULL,
        rating VARCHAR, evidence JSON, actions JSON, recorded_by VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL, valid_to TIMESTAMP,
        PRIMARY KEY (year_label, statement_id, version))"""
COLUMNS = ["year_label", "statement_id", "version", "rating", "evidence", "actions", "recorded_by", "recorded_at",
           "valid_to"]


def has_table(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]))


def ensure_table(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(CREATE)


def write_rating(cur: duckdb.DuckDBPyConnection, *, year_label: str, statement_id: str, rating: str | None,
                 evidence: list[str], actions: list[str], by: str, at: datetime) -> int | None:
    """Store a statement's rating for a year as its next version; None (nothing written) when it is the same as
    the current one. Returns the version written."""
    ensure_table(cur)
    current = cur.execute(f"SELECT version, rating, evidence, actions FROM {TABLE} WHERE year_label = ? AND "
                          "statement_id = ? AND valid_to IS NULL", [year_label, statement_id]).fetchone()
    if current and (current[1], json.loads(current[2]), json.loads(current[3])) == (rating, evidence, actions):
        return None
    version = (current[0] + 1) if current else 1
    if current:
        cur.execute(f"UPDATE {TABLE} SET valid_to = ? WHERE year_label = ? AND statement_id = ? AND valid_to IS NULL",
                    [at, year_label, statement_id])
    cur.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [year_label, statement_id, version, rating, json.dumps(evidence), json.dumps(actions), by, at])
    return version


def read_ratings(store: Store, year_label: str | None = None, *, current_only: bool = True) -> pd.DataFrame:
    """The ratings (current ones, or every version) of one year or of all years, evidence and actions as lists."""
    if not has_table(store):
        return pd.DataFrame(columns=COLUMNS)
    where = ["valid_to IS NULL"] if current_only else []
    params = []
    if year_label is not None:
        where.append("year_label = ?")
        params.append(year_label)
    df = store.df(f"SELECT * FROM {TABLE} {'WHERE ' + ' AND '.join(where) if where else ''} "
                  "ORDER BY year_label, statement_id, version", params)
    for col in ("evidence", "actions"):
        df[col] = [json.loads(v) if isinstance(v, str) else [] for v in df[col]]
    return df


def years_recorded(store: Store) -> list[str]:
    """Every year with a rating recorded, newest first."""
    if not has_table(store):
        return []
    return [r[0] for r in store.con.execute(f"SELECT DISTINCT year_label FROM {TABLE} ORDER BY 1 DESC").fetchall()]
