"""The submitted returns' queries: the batches of kind 'submission' and the raw files they arrived as."""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from kpis.store.database import Store


def duplicate_batch_id(cur_or_store: Store | duckdb.DuckDBPyConnection, area_id: str, digest: str) -> int | None:
    """The batch of the earlier submission of the very same file (sha256 `digest`) for this sub-group, if any."""
    sql = ("SELECT min(batch_id) FROM batches WHERE kind = 'submission' AND outcome_area = ? AND sha256 = ?")
    # A Store has .scalar, a DuckDB cursor has not. Not isinstance: when a source file changes, Streamlit re-imports
    # kpis.store.database while the app's cached Store, made from the earlier class, lives on.
    if hasattr(cur_or_store, "scalar"):
        value = cur_or_store.scalar(sql, [area_id, digest])
    else:
        value = cur_or_store.execute(sql, [area_id, digest]).fetchone()[0]
    return None if value is None else int(value)


def batch_period_label(store: Store, batch_id: int) -> str | None:
    """The period a batch was sent for."""
    return store.scalar("SELECT period_label FROM batches WHERE batch_id = ?", [batch_id])


def raw_file(store: Store, batch_id: int) -> tuple[str, bytes] | None:
    """The file as it was uploaded for a submission (its original name, its bytes), for replaying it."""
    row = store.df("SELECT file_name, content FROM raw_files WHERE batch_id = ?", [batch_id])
    return None if row.empty else (row.at[0, "file_name"], bytes(row.at[0, "content"]))


def first_submissions(store: Store, until: datetime) -> pd.DataFrame:
    """outcome_area, period_label and first_at: when each sub-group's return for each period first arrived,
    among those that arrived by `until`."""
    return store.df("SELECT outcome_area, period_label, min(submitted_at) AS first_at FROM batches "
                    "WHERE kind = 'submission' AND submitted_at <= ? GROUP BY 1, 2", [until])
