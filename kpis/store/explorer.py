"""The analysts' explorer's reads: one series' values, areas, periods and groups; the indicators; breakdowns.

Each function is one query against the current values (`current_observations`), the indicators, the areas or
the publishers' own comparisons, and returns a DataFrame (or a plain value) as DuckDB gives it: the counting and
grouping stay in DuckDB. `kpis.analysis.explore`, `kpis.analysis.across_areas`, `kpis.analysis.inequalities` and
`kpis.analysis.dictionary` turn them into what a page shows.
"""
from __future__ import annotations

import pandas as pd

from kpis.store.database import Store
from kpis.store.shortening import shortened_from


# -- the indicators ------------------------------------------------------------------------------
def indicator_counts(store: Store) -> pd.DataFrame:
    """Per indicator: how many areas have any current value (`areas`) and how many current values (`n_values`)."""
    return store.df("""SELECT indicator_id, count(DISTINCT area_code) AS areas, count(*) AS n_values
                         FROM current_observations GROUP BY 1""")


def source_indicators(store: Store) -> pd.DataFrame:
    """Every imported source indicator (not a framework KPI): id, source and name, by source then id."""
    return store.df("SELECT indicator_id, source, name FROM indicators WHERE source <> 'framework' "
                    "ORDER BY source, indicator_id")


def covers_home_and_others(store: Store, indicator_id: str, home: str) -> bool:
    """True when the series has a value for more than one area, and any row for the home area."""
    return bool(store.scalar(
        "SELECT count(DISTINCT area_code) FILTER (WHERE value IS NOT NULL) > 1 AND bool_or(area_code = ?) "
        "FROM current_observations WHERE indicator_id = ?", [home, indicator_id]))


def value_count(store: Store, indicator_id: str) -> int:
    """How many current rows the series has (0: nothing of it is imported)."""
    return int(store.scalar("SELECT count(*) FROM current_observations WHERE indicator_id = ?", [indicator_id]))


def indicator_row(store: Store, indicator_id: str) -> pd.DataFrame:
    """The indicator's row of the `indicators` table, every column (empty when there is none)."""
    return store.df("SELECT * FROM indicators WHERE indicator_id = ?", [indicator_id])


def all_indicators(store: Store) -> pd.DataFrame:
    """Every row of the `indicators` table, every column, by source then id."""
    return store.df("SELECT * FROM indicators ORDER BY source, indicator_id")


def holdings(store: Store) -> pd.DataFrame:
    """Per indicator (the index): current values, areas, first and last period, and when it was last loaded."""
    return store.df("""
        SELECT indicator_id, count(*) AS n_values, count(DISTINCT area_code) AS n_areas,
               arg_min(period_label, period_end) AS first_period, arg_max(period_label, period_end) AS last_period,
               max(valid_from) AS last_loaded
        FROM current_observations GROUP BY 1""").set_index("indicator_id")


# -- one series' values --------------------------------------------------------------------------
_SELECT = f"""
    SELECT o.indicator_id, o.area_code, coalesce(a.name, o.area_code) AS area_name, a.area_type, a.region_code,
           a.valid_to AS area_valid_to, o.breakdown_type, o.breakdown_value, o.period_label, o.period_type,
           o.period_start, o.period_end, o.value,
           -- the counts behind a suppressed value are suppressed too
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.numerator END AS numerator,
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.denominator END AS denominator,
           o.lower_ci, o.upper_ci, o.status,
           o.status_note, o.is_demo,
           CASE WHEN b.is_demo THEN 'Demo data (synthetic)' WHEN b.kind = 'submission' THEN 'Sub-group return'
                ELSE coalesce(b.source, 'Published statistics') END AS source
    FROM {shortened_from("current_observations", ("status_note",))} o LEFT JOIN areas a ON a.area_code = o.area_code
    LEFT JOIN batches b ON b.batch_id = o.batch_id"""
LABEL_KEY = ["area_code", "breakdown_type", "breakdown_value", "period_label"]


def series_rows(store: Store, indicator_id: str, *, breakdown_type: str | None = "all",
                area_codes: list[str] | None = None, period_label: str | None = None) -> pd.DataFrame:
    """The current values of a series (one group type, or every one with None; only `area_codes` and
    `period_label` if given), with the area's name, type, region and end, and the source in words; oldest first,
    then by area code. Dates as DuckDB gives them."""
    where, params = ["o.indicator_id = ?"], [indicator_id]
    if breakdown_type is not None:
        where.append("o.breakdown_type = ?")
        params.append(breakdown_type)
    if area_codes is not None:
        where.append("o.area_code IN (SELECT unnest(?))")
        params.append(list(area_codes))
    if period_label is not None:
        where.append("o.period_label = ?")
        params.append(period_label)
    return store.df(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY o.period_end, o.area_code", params)


def not_compared_by_publisher(store: Store, indicator_id: str) -> pd.DataFrame:
    """The keys (`LABEL_KEY`) of the series' values the publisher (Fingertips) marked "Not compared" with England."""
    return store.df(f"SELECT {', '.join(LABEL_KEY)} FROM current_published_comparisons WHERE versus = 'England' "
                    "AND indicator_id = ? AND lower(label) = 'not compared'", [indicator_id])


def published_region_labels(store: Store, indicator_id: str) -> pd.DataFrame:
    """The publisher's own comparison of each value with its region: the keys (`LABEL_KEY`) and `published_region`."""
    return store.df(f"SELECT {', '.join(LABEL_KEY)}, label AS published_region FROM current_published_comparisons "
                    "WHERE versus = 'Region' AND indicator_id = ?", [indicator_id])


def area_names(store: Store, indicator_id: str) -> pd.DataFrame:
    """`area_code` and `area_name` of every area with a value of a series ('all' groups), in the order
    `series_rows` first meets them (by period end, then code)."""
    return store.df("""SELECT o.area_code, coalesce(a.name, o.area_code) AS area_name
                     FROM current_observations o LEFT JOIN areas a ON a.area_code = o.area_code
                     WHERE o.indicator_id = ? AND o.breakdown_type = 'all'
                     GROUP BY ALL ORDER BY min(o.period_end), o.area_code""", [indicator_id])


def periods(store: Store, indicator_id: str) -> pd.DataFrame:
    """The periods of a series, oldest first, with how many areas have a value in each."""
    return store.df("""SELECT period_label, period_type, min(period_start) AS period_start,
                              max(period_end) AS period_end, count(value) AS areas_with_value
                       FROM current_observations WHERE indicator_id = ? AND breakdown_type = 'all'
                       GROUP BY period_label, period_type ORDER BY period_end, period_label""", [indicator_id])


def latest_period(store: Store, indicator_id: str, home: str) -> str | None:
    """The latest period in which the home area has a value, else the latest with any value ('all' groups)."""
    df = store.df("""SELECT period_label FROM current_observations WHERE indicator_id = ? AND breakdown_type = 'all'
                     AND value IS NOT NULL ORDER BY area_code = ? DESC, period_end DESC LIMIT 1""",
                  [indicator_id, home])
    return None if df.empty else str(df.iloc[0, 0])


def series_groups(store: Store, indicator_id: str) -> pd.DataFrame:
    """The groups of a series (breakdown type and value, 'all' first), with how many areas have a value in each."""
    return store.df("""SELECT breakdown_type, breakdown_value,
                              count(DISTINCT area_code) FILTER (WHERE value IS NOT NULL) AS areas_with_value
                       FROM current_observations WHERE indicator_id = ? GROUP BY breakdown_type, breakdown_value
                       ORDER BY breakdown_type <> 'all', breakdown_type, breakdown_value""", [indicator_id])


def region_names(store: Store) -> dict[str, str]:
    """Code -> name of every region."""
    return dict(store.df("SELECT area_code, name FROM areas WHERE area_type = 'region'").itertuples(index=False))


def area_types(store: Store) -> pd.DataFrame:
    """Every area's code, type and last day (`valid_to`, empty while it exists)."""
    return store.df("SELECT area_code, area_type, valid_to FROM areas")


# -- breakdowns ----------------------------------------------------------------------------------
def breakdown_options(store: Store, series_ids: list[str], area_code: str) -> pd.DataFrame:
    """The breakdown types (not 'all') the area has in these series (the first one's first): number of periods,
    latest period, number of groups."""
    return store.df("""
        SELECT indicator_id, breakdown_type, count(DISTINCT period_label) AS periods,
               arg_max(period_label, period_end) AS latest_period, count(DISTINCT breakdown_value) AS groups
        FROM current_observations
        WHERE indicator_id IN (SELECT unnest(?)) AND area_code = ? AND breakdown_type <> 'all'
        GROUP BY 1, 2 ORDER BY indicator_id <> ?, breakdown_type""", [series_ids, area_code, series_ids[0]])


def breakdown_areas(store: Store, series_ids: list[str]) -> pd.DataFrame:
    """Areas that have any breakdown (not 'all') in these series, most breakdown values first."""
    return store.df("""
        SELECT o.area_code, coalesce(a.name, o.area_code) AS area_name, count(*) AS values
        FROM current_observations o LEFT JOIN areas a ON a.area_code = o.area_code
        WHERE o.indicator_id IN (SELECT unnest(?)) AND o.breakdown_type <> 'all'
        GROUP BY 1, 2 ORDER BY values DESC, area_name""", [series_ids])


def breakdown_periods(store: Store, series_id: str, area_code: str, breakdown_type: str) -> list[str]:
    """The periods in which the area has this breakdown of the series, oldest first."""
    df = store.df("""SELECT period_label FROM current_observations WHERE indicator_id = ? AND area_code = ?
                     AND breakdown_type = ? GROUP BY period_label ORDER BY max(period_end)""",
                  [series_id, area_code, breakdown_type])
    return df["period_label"].tolist()
