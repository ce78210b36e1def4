"""The data-quality page's reads: the returns that came in, values worth a look, values by status, the imports.

Each function is one query against the batches, the current values or the indicators, and returns a DataFrame as
DuckDB gives it: the counting and the window sums stay in DuckDB. `kpis.analysis.quality` and
`kpis.analysis.comparisons` turn them into what a page shows.
"""
from __future__ import annotations

import pandas as pd

from kpis.store.database import Store


# -- the returns -------------------------------------------------------------------------------------
def submitted_periods(store: Store) -> pd.DataFrame:
    """Every period label a sub-group's return was for (`period_label`, each once)."""
    return store.df("SELECT DISTINCT period_label FROM batches WHERE kind = 'submission' "
                    "AND period_label IS NOT NULL")


def submissions_by_area(store: Store) -> pd.DataFrame:
    """Per outcome area and period: the first and last return (`first_at`, `last_at`) and how many came."""
    return store.df("""SELECT outcome_area, period_label, min(submitted_at) AS first_at, max(submitted_at) AS last_at,
                              count(*) AS submissions
                       FROM batches WHERE kind = 'submission' GROUP BY 1, 2""")


def returned_values(store: Store, home: str) -> pd.DataFrame:
    """Per KPI and period, the home area's current values that came in a return: rows, and rows with a value."""
    return store.df("""SELECT o.indicator_id, o.period_label, count(*) AS n_rows, count(o.value) AS n_values
                      FROM current_observations o JOIN batches b ON b.batch_id = o.batch_id
                      WHERE b.kind = 'submission' AND o.area_code = ? GROUP BY 1, 2""", [home])


# -- unusual values -----------------------------------------------------------------------------------
# A quick, generous pass over every value in the database (`look`): the exact checks of `unusual_values` then run,
# in Python, only on the series that have a row that might be flagged (at ten times the demo's size, a few hundred
# of 185,000 values are read back). Generous on purpose: a z score near the limit (from the series' sums, leaving
# the row out), or a series too flat to judge that way, is always looked at; so is anything possibly impossible.
UNUSUAL_SQL = """
WITH o AS (
    SELECT o.indicator_id, o.area_code, coalesce(a.name, o.area_code) AS area_name, o.breakdown_type,
           o.breakdown_value, o.period_label, o.period_type, o.period_end, o.value, o.numerator, o.denominator,
           o.is_demo, i.unit
    FROM current_observations o LEFT JOIN areas a ON a.area_code = o.area_code
    LEFT JOIN indicators i ON i.indicator_id = o.indicator_id
    WHERE o.area_code IN (SELECT unnest($codes)) AND o.value IS NOT NULL),
s AS (
    SELECT *, count(*) OVER w AS n, value - avg(value) OVER w AS dev,
           coalesce(var_samp(value) OVER w, 0) * (count(*) OVER w - 1) AS spread
    FROM o WINDOW w AS (PARTITION BY indicator_id, area_code, breakdown_type, breakdown_value, period_type)),
r AS (
    SELECT *, spread - dev * dev * n / (n - 1) AS rest FROM s),
flagged AS (
    SELECT *, (n - 1 >= $min_history AND spread > 0 AND (
                   rest <= 1e-6 * spread OR NOT isfinite(abs(dev * n / (n - 1) / sqrt(rest / (n - 2))))
                   OR abs(dev * n / (n - 1) / sqrt(rest / (n - 2))) > $z))
              OR NOT isfinite(value)
              OR (unit = 'percentage' AND NOT (value BETWEEN 0 AND 100))
              OR (unit = 'count' AND value < 0)
              OR (numerator IS NOT NULL AND denominator IS NOT NULL AND NOT isnan(numerator)
                  AND NOT isnan(denominator) AND (numerator > denominator
                      OR (unit = 'percentage' AND denominator > 0
                          AND NOT abs(100 * numerator / denominator - value) <= 0.5 - 1e-9))) AS look
    FROM r)
SELECT * EXCLUDE (n, dev, spread, rest, any_look) FROM (
    SELECT *, bool_or(coalesce(look, false)) OVER (
        PARTITION BY indicator_id, area_code, breakdown_type, breakdown_value, period_type) AS any_look
    FROM flagged)
WHERE any_look
ORDER BY indicator_id, area_code, breakdown_type, breakdown_value, period_end"""


def unusual_candidates(store: Store, area_codes: list[str], *, z_limit: float, min_history: int) -> pd.DataFrame:
    """Every current value of the series (of `area_codes`) that have a value worth a look (column `look`), with
    the area's name and the indicator's unit, series by series, oldest first (`UNUSUAL_SQL`)."""
    return store.df(UNUSUAL_SQL, {"codes": area_codes, "z": z_limit * (1 - 1e-4), "min_history": min_history})


# -- suppressed and missing ----------------------------------------------------------------------------
def counts_by_status(store: Store, home: str) -> pd.DataFrame:
    """Per indicator (framework KPIs first), current values by status, blanks without a reason, and the home
    area's values and gaps, with the indicator's name and source."""
    # Counted per indicator first, then named: grouping by the names as well cost twice as much at national scale.
    return store.df("""
        SELECT c.indicator_id, coalesce(i.name, c.indicator_id) AS name, coalesce(i.source, '') AS source,
               c.* EXCLUDE (indicator_id) FROM (
        SELECT o.indicator_id, count(*) AS values,
               count(*) FILTER (WHERE status = 'suppressed') AS suppressed,
               count(*) FILTER (WHERE status = 'not_available') AS not_available,
               count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable,
               count(*) FILTER (WHERE status = 'low_reliability') AS low_reliability,
               count(*) FILTER (WHERE status = 'provisional') AS provisional,
               count(*) FILTER (WHERE value IS NULL AND status IN ('published', 'provisional')) AS blank_without_reason,
               count(*) FILTER (WHERE area_code = ?) AS home_area_values,
               count(*) FILTER (WHERE area_code = ? AND status IN ('suppressed', 'not_available')) AS home_area_gaps
        FROM current_observations o GROUP BY o.indicator_id) c
        LEFT JOIN indicators i ON i.indicator_id = c.indicator_id
        ORDER BY coalesce(i.source, '') <> 'framework', c.indicator_id""", [home, home])


def indicator_sources(store: Store) -> pd.DataFrame:
    """Every stored indicator's id, source and name."""
    return store.df("SELECT indicator_id, source, name FROM indicators")


# -- imports -----------------------------------------------------------------------------------------
def imports_and_skips(store: Store) -> pd.DataFrame:
    """Every import, and every return that skipped rows, newest first: counts, and the reasons as JSON text."""
    return store.df("""
        SELECT batch_id, kind, coalesce(source, '') AS source, outcome_area, period_label, submitted_at, file_name,
               rows_read, rows_imported, rows_skipped, CAST(skipped_reasons AS VARCHAR) AS skipped_reasons,
               new_values, changed_values, unchanged_values, is_demo
        FROM batches WHERE kind = 'import' OR coalesce(rows_skipped, 0) > 0 """
        """ORDER BY submitted_at DESC, batch_id DESC""")


def batches_with_skips(store: Store) -> pd.DataFrame:
    """Every batch that skipped rows, with its reasons as JSON text (`reasons`)."""
    return store.df("""SELECT batch_id, kind, coalesce(source, '') AS source, submitted_at,
                            CAST(skipped_reasons AS VARCHAR) AS reasons
                     FROM batches WHERE coalesce(rows_skipped, 0) > 0""")


def import_batches(store: Store, *, limit: int = 200) -> pd.DataFrame:
    """Past benchmark imports, newest first (at most `limit`): when, file, source, format, who, and the rows."""
    return store.df(f"""
        SELECT batch_id, submitted_at, file_name, source, replace(note, 'format ', '') AS format, submitted_by,
               rows_read, rows_imported, rows_skipped, skipped_reasons, new_values, changed_values, unchanged_values
        FROM batches WHERE kind = 'import' ORDER BY submitted_at DESC, batch_id DESC LIMIT {int(limit)}""")
