"""The audit log: who did what, when. Every change to accounts, values, meetings and settings adds a row."""
from __future__ import annotations

import json
from datetime import datetime

import duckdb


def audit(cur: duckdb.DuckDBPyConnection, *, actor: str | None, action: str, at: datetime,
          detail: dict | None = None) -> None:
    cur.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?,?,?,?)",
                [at, actor, action, json.dumps(detail or {}, default=str)])

