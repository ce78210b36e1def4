"""The audit log: who did what, when. Every change to accounts, values, meetings and settings adds a row."""
from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from kpis.store.database import Store


def audit(cur: duckdb.DuckDBPyConnection, *, actor: str | None, action: str, at: datetime,
          detail: dict | None = None) -> None:
    cur.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?,?,?,?)",
                [at, actor, action, json.dumps(detail or {}, default=str)])


def audit_log_entries(store: Store, *, actions: list[str] | None = None, actor_contains: str | None = None,
                      since: datetime | None = None, limit: int = 1000) -> pd.DataFrame:
    """Audit log rows, newest first: of these actions, by an actor whose name (lower case) contains
    `actor_contains`, logged since `since`; at most `limit`."""
    where, params = [], []
    if actions:
        where.append("action IN (SELECT unnest(?))")
        params.append(list(actions))
    if actor_contains is not None:
        where.append("lower(actor) LIKE ?")
        params.append(f"%{actor_contains}%")
    if since is not None:
        where.append("logged_at >= ?")
        params.append(since)
    return store.df(f"""
        SELECT audit_id, logged_at, actor, action, CAST(detail AS VARCHAR) AS detail FROM audit_log
        {('WHERE ' + ' AND '.join(where)) if where else ''}
        ORDER BY logged_at DESC, audit_id DESC LIMIT {int(limit)}""", params)
