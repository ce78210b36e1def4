"""Read a KPI's values: the home area's own returns plus the published comparator series."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.store.database import Store
from kpis.store.observations import observations_as_at
from kpis.store.shortening import shortened_from

SOURCE_LABEL_SQL = """
    CASE WHEN b.is_demo THEN 'Demo data (synthetic)'
         WHEN b.kind = 'submission' THEN 'Sub-group return'
         ELSE coalesce(b.source, 'Published statistics') END"""


SERIES_COLUMNS = {  # kpi_series' columns, in order, as SQL
    "indicator_id": "o.indicator_id", "area_code": "o.area_code", "area_name": "coalesce(a.name, o.area_code)",
    "area_type": "a.area_type", "breakdown_type": "o.breakdown_type", "breakdown_value": "o.breakdown_value",
    "period_label": "o.period_label", "period_type": "o.period_type", "period_start": "o.period_start",
    "period_end": "o.period_end", "value": "o.value", "lower_ci": "o.lower_ci", "upper_ci": "o.upper_ci",
    "numerator": "o.numerator", "denominator": "o.denominator", "status": "o.status",
    "status_note": "o.status_note", "commentary": "o.commentary", "is_demo": "o.is_demo", "batch_id": "o.batch_id",
    "version": "o.version", "valid_from": "o.valid_from", "source": SOURCE_LABEL_SQL,
    "is_local": "o.indicator_id = w.kpi_id",
}


def kpi_series(store: Store, kpi: Kpi, *, area_codes: list[str] | None = None, breakdown_type: str | None = "all",
               as_at: datetime | None = None) -> pd.DataFrame:
    """Every current value of a KPI (local returns and its comparator), one row per area, breakdown, period."""
    df = kpis_series(store, [kpi], area_codes=area_codes, breakdown_type=breakdown_type, as_at=as_at)
    return df.drop(columns="kpi_id")


def kpis_series(store: Store, kpis: list[Kpi], *, area_codes: list[str] | None = None,
                breakdown_type: str | None = "all", as_at: datetime | None = None,
                columns: list[str] | None = None, skip_status: tuple[str, ...] = (),
                newest_period: bool = False) -> pd.DataFrame:
    """`kpi_series` of several KPIs in one query: the same rows and columns, with `kpi_id` first, in the order of
    `kpis` (so `df[df["kpi_id"] == k.id].reset_index(drop=True)` is `kpi_series` of k without that column).
    `columns`: only these of kpi_series' columns (fewer columns, less to convert), in kpi_series' order.

    Where the home area has both its own return and a published figure for the same period, the return wins.
    Then `skip_status` drops the rows of those statuses (after the return has won: a provisional return is not
    replaced by a published figure), and `newest_period` keeps, of each KPI and area, only the rows of the period
    of its newest all-children row (its groups included).
    """
    unknown = sorted(set(columns or []) - set(SERIES_COLUMNS))
    if unknown:
        raise ValueError(f"kpi_series has no column(s) {', '.join(unknown)}")
    selected = ", ".join(f"{sql} AS {name}" for name, sql in SERIES_COLUMNS.items()
                         if columns is None or name in columns)
    pairs = [(k.id, k.id, i) for i, k in enumerate(kpis)]
    pairs += [(k.id, k.comparator.indicator_id, i) for i, k in enumerate(kpis)
              if k.comparator and k.comparator.indicator_id != k.id]
    where, params = [], [[p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]]
    if area_codes:
        where.append("o.area_code IN (SELECT unnest(?))")
        params.append(list(area_codes))
    if breakdown_type:
        where.append("o.breakdown_type = ?")
        params.append(breakdown_type)
    outer_where = "WHERE s._status NOT IN (SELECT unnest(?))" if skip_status else ""
    newest = ("QUALIFY s._label = arg_max(s._label, s._end) FILTER (WHERE s._type = 'all') "
              "OVER (PARTITION BY s.kpi_id, s._area)") if newest_period else ""
    return store.df(f"""
        WITH wanted AS (SELECT unnest(?) AS kpi_id, unnest(?) AS indicator_id, unnest(?) AS kpi_order),
        s AS (
            SELECT w.kpi_id, {selected}, w.kpi_order AS _order, o.area_code AS _area, o.breakdown_type AS _type,
                   o.breakdown_value AS _group, o.period_end AS _end, o.indicator_id = w.kpi_id AS _own,
                   o.indicator_id AS _indicator, o.period_label AS _label, o.status AS _status
            FROM {shortened_from(observations_as_at(as_at))} o
            JOIN wanted w ON w.indicator_id = o.indicator_id
            LEFT JOIN areas a ON a.area_code = o.area_code
            LEFT JOIN batches b ON b.batch_id = o.batch_id
            {'WHERE ' + ' AND '.join(where) if where else ''}
            QUALIFY row_number() OVER (PARTITION BY w.kpi_id, o.area_code, o.breakdown_type, o.breakdown_value,
                                                    o.period_label ORDER BY o.indicator_id = w.kpi_id DESC) = 1)
        SELECT s.* EXCLUDE (_order, _area, _type, _group, _end, _own, _indicator, _label, _status) FROM s
        {outer_where}
        {newest}
        ORDER BY s._order, s._area, s._type, s._group, s._end, s._own, s._indicator, s._label""",
                    params + ([list(skip_status)] if skip_status else []))


def empty_text_as_none(df: pd.DataFrame) -> pd.DataFrame:
    """Rows taken from a larger frame, made to look as a query of just them would: a text column without any
    value holds None (DuckDB's form), not a missing value in a string column. Changes and returns `df`."""
    text = [c for c, kind in df.dtypes.items()
            if kind == pd.api.types.pandas_dtype(object) or isinstance(kind, pd.StringDtype)]
    empty = df[text].isna().all()
    for col in empty.index[empty.to_numpy()]:
        df[col] = pd.Series([None] * len(df), index=df.index, dtype=object)
    return df


def data_as_at(store: Store) -> datetime | None:
    """When the newest value in the store was recorded."""
    value = store.scalar("SELECT max(valid_from) FROM observations")
    return None if value is None else pd.Timestamp(value).to_pydatetime()


def is_demo_database(store: Store) -> bool:
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM observations WHERE is_demo AND valid_to IS NULL)"))


def row_counts(store: Store, framework: Framework) -> dict[str, int]:
    """Current values per KPI, counting its own returns and its comparator series."""
    counts = dict(store.df("SELECT indicator_id, count(*) AS n FROM current_observations GROUP BY 1")
                  .itertuples(index=False, name=None))
    return {k.id: int(counts.get(k.id, 0)) + (int(counts.get(k.comparator.indicator_id, 0)) if k.comparator else 0)
            for k in framework.kpis}


def data_version(store: Store) -> int:
    """The newest batch: it changes whenever figures arrive (a submission, an import, a correction), so a cached
    view keyed on it is worked out again exactly when the data behind it change."""
    return int(store.scalar("SELECT coalesce(max(batch_id), 0) FROM batches"))
