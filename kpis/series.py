"""Read a KPI's values: the home area's own returns plus the published comparator series."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from kpis.areas import ENGLAND
from kpis.catalogue import Framework, Kpi
from kpis.store import Store, observations_as_at

SOURCE_LABEL_SQL = """
    CASE WHEN b.is_demo THEN 'Demo data (synthetic)'
         WHEN b.kind = 'submission' THEN 'Sub-group return'
         ELSE coalesce(b.source, 'Published statistics') END"""


def kpi_series(store: Store, kpi: Kpi, *, area_codes: list[str] | None = None, breakdown_type: str | None = "all",
               as_at: datetime | None = None) -> pd.DataFrame:
    """Every current value of a KPI (local returns and its comparator), one row per area, breakdown, period."""
    ids = [kpi.id] + ([kpi.comparator.indicator_id] if kpi.comparator else [])
    where, params = ["o.indicator_id IN (SELECT unnest(?))"], [ids]
    if area_codes:
        where.append("o.area_code IN (SELECT unnest(?))")
        params.append(area_codes)
    if breakdown_type:
        where.append("o.breakdown_type = ?")
        params.append(breakdown_type)
    df = store.df(f"""
        SELECT o.indicator_id, o.area_code, coalesce(a.name, o.area_code) AS area_name, a.area_type,
               o.breakdown_type, o.breakdown_value, o.period_label, o.period_type, o.period_start, o.period_end,
               o.value, o.lower_ci, o.upper_ci, o.numerator, o.denominator, o.status, o.status_note,
               o.commentary, o.is_demo, o.batch_id, o.version, o.valid_from, {SOURCE_LABEL_SQL} AS source
        FROM ({observations_as_at(as_at)}) o
        LEFT JOIN areas a ON a.area_code = o.area_code
        LEFT JOIN batches b ON b.batch_id = o.batch_id
        WHERE {' AND '.join(where)}
        ORDER BY o.area_code, o.breakdown_type, o.breakdown_value, o.period_end, o.indicator_id""", params)
    # Where the home area has both its own return and a published figure for the same period, the return wins.
    df["is_local"] = df["indicator_id"] == kpi.id
    df = df.sort_values("is_local").drop_duplicates(
        ["area_code", "breakdown_type", "breakdown_value", "period_label"], keep="last")
    return df.sort_values(["area_code", "breakdown_type", "breakdown_value", "period_end"]).reset_index(drop=True)


def latest_overview(store: Store, framework: Framework, *, as_at: datetime | None = None) -> pd.DataFrame:
    """One row per KPI: the home area's latest value, and England's latest value ending on or before it."""
    rows = []
    for kpi in framework.kpis:
        df = kpi_series(store, kpi, area_codes=[framework.home_area, ENGLAND], as_at=as_at)
        home = df[(df["area_code"] == framework.home_area) & df["value"].notna()]
        eng = df[(df["area_code"] == ENGLAND) & df["value"].notna()]
        row = {"kpi_id": kpi.id, "area": kpi.area, "short_title": kpi.short_title, "unit": kpi.unit,
               "polarity": kpi.polarity, "latest_period": None, "value": None, "value_text": "No data yet",
               "is_demo": False, "source": "", "england_period": None, "england_value": None,
               "england_text": "Not published" if kpi.comparator else "No national comparator"}
        if not home.empty:
            last = home.iloc[-1]
            row.update(latest_period=last["period_label"], value=last["value"], is_demo=bool(last["is_demo"]),
                       value_text=kpi.format_value(last["value"]), source=last["source"])
            eng = eng[eng["period_end"] <= last["period_end"]]
        if not eng.empty:
            e = eng.iloc[-1]
            row.update(england_period=e["period_label"], england_value=e["value"],
                       england_text=f"{kpi.format_value(e['value'])} ({e['period_label']})")
        rows.append(row)
    return pd.DataFrame(rows)


def data_as_at(store: Store) -> datetime | None:
    """When the newest value in the store was recorded."""
    value = store.scalar("SELECT max(valid_from) FROM observations")
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def is_demo_database(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) FROM observations WHERE is_demo AND valid_to IS NULL"))


def row_counts(store: Store, framework: Framework) -> dict[str, int]:
    """Current values per KPI, counting its own returns and its comparator series."""
    counts = dict(store.df("SELECT indicator_id, count(*) AS n FROM current_observations GROUP BY 1")
                  .itertuples(index=False, name=None))
    return {k.id: int(counts.get(k.id, 0)) + (int(counts.get(k.comparator.indicator_id, 0)) if k.comparator else 0)
            for k in framework.kpis}
