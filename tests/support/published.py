"""Read back what an import stored."""
from __future__ import annotations

import pandas as pd

from kpis.store.database import Store

COUNTED = ("observations", "batches", "indicators", "audit_log", "raw_files", "published_comparisons")


def one(store: Store, indicator: str, area: str, period: str, breakdown: tuple[str, str] = ("all", "all")) -> pd.Series:
    """The one current observation with this key (the test fails if there is not exactly one)."""
    df = store.df("SELECT * FROM current_observations WHERE indicator_id = ? AND area_code = ? AND period_label = ? "
                  "AND breakdown_type = ? AND breakdown_value = ?", [indicator, area, period, *breakdown])
    assert len(df) == 1, df
    return df.iloc[0]


def totals(store: Store) -> dict[str, int]:
    """Row counts of every table an import writes: equal before and after means nothing was half-imported."""
    return {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in COUNTED}
