"""Batches: one per submission, import or demo load, recording who sent what and what it changed; and the raw
file a submission arrived as. The write helpers take the transaction's cursor."""
from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from kpis.store.database import Store


def start_batch(cur: duckdb.DuckDBPyConnection, *, kind: str, at: datetime, source: str | None = None,
                submitted_by: str | None = None, outcome_area: str | None = None, period_label: str | None = None,
                file_name: str | None = None, sha256: str | None = None, is_demo: bool = False,
                note: str | None = None) -> int:
    row = cur.execute(
        "INSERT INTO batches (kind, source, outcome_area, period_label, submitted_by, submitted_at, file_name, "
        "sha256, is_demo, note) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING batch_id",
        [kind, source, outcome_area, period_label, submitted_by, at, file_name, sha256, is_demo, note]).fetchone()
    return int(row[0])


def finish_batch(cur: duckdb.DuckDBPyConnection, batch_id: int, *, rows_read: int, rows_imported: int,
                 rows_skipped: int = 0, skipped_reasons: dict[str, int] | None = None,
                 counts: dict[str, int] | None = None) -> None:
    counts = counts or {}
    cur.execute(
        "UPDATE batches SET rows_read=?, rows_imported=?, rows_skipped=?, skipped_reasons=?, new_values=?, "
        "changed_values=?, unchanged_values=? WHERE batch_id=?",
        [rows_read, rows_imported, rows_skipped, json.dumps(skipped_reasons or {}),
         counts.get("new", 0), counts.get("changed", 0), counts.get("unchanged", 0), batch_id])


def store_raw_file(cur: duckdb.DuckDBPyConnection, *, batch_id: int, raw_name: str, file_name: str, sha256: str,
                   content: bytes) -> None:
    cur.execute("INSERT INTO raw_files VALUES (?,?,?,?,?,?)",
                [raw_name, batch_id, file_name, sha256, len(content), content])
    cur.execute("UPDATE batches SET raw_name=? WHERE batch_id=?", [raw_name, batch_id])


def imported_sources(store: Store) -> pd.DataFrame:
    """source, file_name and at (first imported): each published source imported, by name."""
    return store.df("""
        SELECT coalesce(b.source, b.note, b.kind) AS source, b.file_name, min(b.submitted_at) AS at
        FROM batches b WHERE b.kind = 'import' GROUP BY ALL ORDER BY 1""")
