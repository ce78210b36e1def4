"""The observations: every value ever written, versioned.

A newer version of a value closes the old one (`valid_to`) instead of replacing it, so the data "as at" any
moment can be read back. The write helpers take the transaction's cursor: all writes of one submission or
import go through one transaction.
"""
from __future__ import annotations

import math
from datetime import date, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from kpis.core.units import STATUSES
from kpis.store.database import Store
from kpis.store.shortening import shortened_from, shortened_sql

KEY = ["indicator_id", "area_code", "breakdown_type", "breakdown_value", "period_label"]
VALUE_COLUMNS = ["value", "numerator", "denominator", "lower_ci", "upper_ci", "status", "status_note", "commentary"]
OBS_COLUMNS = [*KEY, "period_type", "period_start", "period_end", *VALUE_COLUMNS, "is_demo"]
NUMBER_COLUMNS = ["value", "numerator", "denominator", "lower_ci", "upper_ci"]
DATE_COLUMNS = ["period_start", "period_end"]
TEXT_COLUMNS = [*KEY, "period_type", "status", "status_note", "commentary"]
SQL_TYPES = {**{c: "VARCHAR" for c in TEXT_COLUMNS}, **{c: "DOUBLE" for c in NUMBER_COLUMNS},
             **{c: "DATE" for c in DATE_COLUMNS}, "is_demo": "BOOLEAN"}
DEFAULTS = {"breakdown_type": "'all'", "breakdown_value": "'all'", "status": "'published'", "is_demo": "false"}


def _arrow_column(col: str, s: pd.Series):
    """One incoming column as Arrow, converted in pandas only when its type needs it."""
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        arr = None
    t = None if arr is None else (arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type)
    if col in NUMBER_COLUMNS:
        if t is not None and (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t)):
            return arr
        return pa.array(pd.to_numeric(s, errors="coerce").astype("float64"), from_pandas=True)
    if col in DATE_COLUMNS:
        if t is not None and (pa.types.is_date(t) or pa.types.is_timestamp(t)):
            return arr
        return pa.array(pd.to_datetime(s).dt.date, pa.date32(), from_pandas=True)
    if col == "is_demo":
        if t is not None and pa.types.is_boolean(t):
            return arr
        return pa.array(s.fillna(False).astype(bool))
    if t is not None and (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)):
        return arr
    return pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT
                     else str(v) for v in s], pa.string())


def incoming_table(rows: pd.DataFrame | list[dict]) -> tuple[pa.Table | None, list[str]]:
    """Incoming observations as an Arrow table of the columns given (and their names): cheap to hand to DuckDB.

    A large import arrives with text as categoricals and numbers as floats; those pass through
    untouched. Anything else (text numbers, date strings, objects) is converted in pandas.
    """
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    present = [c for c in OBS_COLUMNS if c in df.columns]
    return pa.table({c: _arrow_column(c, df[c]) for c in present}) if present else None, present


def write_observations(cur: duckdb.DuckDBPyConnection, *, batch_id: int, rows: pd.DataFrame | list[dict],
                       at: datetime) -> dict[str, int]:
    """Add new values, version changed ones and leave unchanged ones alone.

    Set-based so a large import costs a few statements, not one per row. The rules of
    the rules of a row (defaults, types, known statuses, one row per key) are applied in SQL over
    the incoming rows as Arrow. Returns counts of new, changed and unchanged values.
    """
    table, present = incoming_table(rows)
    if table is None or table.num_rows == 0:
        return {"new": 0, "changed": 0, "unchanged": 0}
    cur.register("incoming_obs", table)
    try:
        return write_observations_from(cur, batch_id=batch_id, relation="incoming_obs", columns=present, at=at)
    finally:  # on an error the caller's transaction rolls back
        cur.unregister("incoming_obs")


def write_observations_from(cur: duckdb.DuckDBPyConnection, *, batch_id: int, relation: str, columns: list[str],
                            at: datetime, checked: bool = False, indicators: list[str] | None = None,
                            row_column: str | None = None) -> dict[str, int]:
    """`write_observations` for rows already in DuckDB: `relation` (a table or view the cursor sees)
    has the observation columns `columns`; the others take their defaults. An import builds its rows
    in SQL and hands them over here without a round trip through Python.

    A caller that has already kept one row per key and only known statuses says so (`checked`).
    If it also names every indicator of the rows (`indicators`), the rows of indicators with no current
    value are all new: they are written in one statement, without comparing them with stored values
    (a new source, or new measures in a large file). `row_column` names a column unique per row.
    """
    cast = {c: f"CAST(i.{c} AS {SQL_TYPES[c]})" for c in columns}
    typed = ", ".join((f"coalesce({cast[c]}, {DEFAULTS[c]})" if c in DEFAULTS else cast[c]) if c in columns
                      else f"{DEFAULTS.get(c, 'NULL')}::{SQL_TYPES[c]}" for c in OBS_COLUMNS)
    names = ", ".join(OBS_COLUMNS)
    # Ids: after the largest so far, one per incoming row. Safe because writes run one at a time:
    # under the store's lock, in one process (DuckDB lets one process at a time write the file).
    next_id = "SELECT coalesce(max(obs_id), 0) FROM observations"
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    only = ""
    if checked and indicators is not None:
        held = [r[0] for r in cur.execute(
            "SELECT DISTINCT indicator_id FROM observations WHERE valid_to IS NULL AND indicator_id IN "
            "(SELECT unnest(?::VARCHAR[]))", [list(indicators)]).fetchall()]
        fresh = sorted(set(indicators) - set(held))
        if fresh:
            number = f"i.{row_column}" if row_column else "row_number() OVER ()"
            n = cur.execute(f"""
                INSERT INTO observations (obs_id, {names}, batch_id, version, valid_from)
                SELECT ({next_id}) + 1 + {number}, {typed}, ?, 1, ? FROM {relation} i
                WHERE i.indicator_id IN (SELECT unnest(?::VARCHAR[]))""", [batch_id, at, fresh]).fetchall()
            counts["new"] += int(n[0][0]) if n else 0
        if not held:
            return counts
        only = "WHERE i.indicator_id IN (SELECT unnest(?::VARCHAR[]))"
    on = " AND ".join(f"o.{k} = i.{k}" for k in KEY)
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM i.{c}" for c in [*VALUE_COLUMNS, "is_demo"])
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE obs_diff AS
        WITH i ({names}) AS (SELECT {typed} FROM {relation} i {only})
        SELECT i.*, o.obs_id AS old_id, o.version AS old_version,
               CASE WHEN o.obs_id IS NULL THEN 'new' WHEN {differs} THEN 'changed' ELSE 'unchanged' END AS change
        FROM i
        LEFT JOIN (SELECT * FROM observations WHERE valid_to IS NULL) o ON {on}""", [held] if only else [])
    if not checked:
        _check_incoming(cur)
    for change, n in cur.execute("SELECT change, count(*) FROM obs_diff GROUP BY change").fetchall():
        counts[change] += int(n)
    if counts["changed"]:
        cur.execute("UPDATE observations SET valid_to = ? WHERE valid_to IS NULL AND obs_id IN "
                    "(SELECT old_id FROM obs_diff WHERE change = 'changed')", [at])
    cur.execute(f"""
        INSERT INTO observations (obs_id, {names}, batch_id, version, valid_from)
        SELECT ({next_id}) + 1 + rowid, {names}, ?, coalesce(old_version, 0) + 1, ? FROM obs_diff
        WHERE change <> 'unchanged'""", [batch_id, at])  # rowid: unique in the new temp table
    cur.execute("DROP TABLE obs_diff")  # on an error the caller's transaction rolls back, and it with it
    return counts


def _check_incoming(cur: duckdb.DuckDBPyConnection) -> None:
    """The checks of incoming rows, in SQL over table obs_diff: known statuses, one row per key."""
    known = ", ".join(f"'{s}'" for s in STATUSES)
    bad = sorted(r[0] for r in cur.execute(f"SELECT DISTINCT status FROM obs_diff WHERE status NOT IN ({known})")
                 .fetchall())
    if bad:
        raise ValueError(f"Unknown status value(s) {bad}; expected one of {', '.join(STATUSES)}")
    key = ", ".join(KEY)
    distinct, total = cur.execute(f"SELECT count(DISTINCT hash({key})), count(*) FROM obs_diff").fetchall()[0]
    if distinct == total:  # every key hashes apart, so no two rows share a key (cheaper than grouping on text)
        return
    dupes = cur.execute(f"SELECT {key}, sum(n) OVER () AS rows FROM (SELECT {key}, count(*) AS n FROM obs_diff "
                        "GROUP BY ALL HAVING count(*) > 1) LIMIT 1").fetchall()  # fetchall: leave no open result
    if dupes:
        first = dict(zip(KEY, dupes[0][:len(KEY)], strict=False))
        raise ValueError(f"{int(dupes[0][-1])} incoming rows share a key, for example {first}")


def observations_as_at(when: datetime | None = None) -> str:
    """SQL for the observations that were current at `when` (None: now)."""
    if when is None:
        return "SELECT * FROM observations WHERE valid_to IS NULL"
    ts = pd.Timestamp(when).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (f"SELECT * FROM observations WHERE valid_from <= TIMESTAMP '{ts}' "
            f"AND (valid_to IS NULL OR valid_to > TIMESTAMP '{ts}')")


# -- reading ----------------------------------------------------------------------------------------
def current_values_of_area(store: Store, area_code: str, indicator_ids: list[str]) -> pd.DataFrame:
    """Every column of the current observations of one area for these indicators (status notes and commentary
    stored before there were limits come out shortened)."""
    return store.df(f"SELECT * FROM {shortened_from('current_observations')} "
                    "WHERE area_code = ? AND indicator_id IN (SELECT unnest(?))", [area_code, indicator_ids])


def value_history(store: Store, kpi_id: str) -> pd.DataFrame:
    """Every version of a KPI's values in every area, oldest first, with the batch that brought each (free text
    shortened where it is over the limits)."""
    return store.df(f"""
        SELECT o.breakdown_type, o.breakdown_value, o.period_label, o.period_end, o.version, o.value,
               o.numerator, o.denominator, o.lower_ci, o.upper_ci, o.status, o.status_note, o.commentary,
               o.valid_from, o.valid_to, o.valid_to IS NULL AS is_current, o.is_demo, o.area_code,
               o.batch_id, b.kind, b.submitted_by, b.submitted_at, b.file_name
        FROM {shortened_from("observations")} o LEFT JOIN batches b ON b.batch_id = o.batch_id
        WHERE o.indicator_id = ?
        ORDER BY o.area_code, o.breakdown_type, o.breakdown_value, o.period_end, o.version""", [kpi_id])


EXPORT_SQL = """
    SELECT o.indicator_id, i.name AS indicator_name, o.area_code, a.name AS area_name, o.breakdown_type,
           o.breakdown_value, o.period_label, o.period_type, o.period_start, o.period_end, o.value, o.numerator,
           o.denominator, o.lower_ci, o.upper_ci, o.status, o.status_note, o.commentary, o.is_demo, o.version,
           o.valid_from, o.batch_id, b.kind AS source_kind, b.source, b.submitted_by, b.submitted_at,
           b.file_name, b.sha256
    FROM current_observations o
    LEFT JOIN batches b ON b.batch_id = o.batch_id
    LEFT JOIN indicators i ON i.indicator_id = o.indicator_id
    LEFT JOIN areas a ON a.area_code = o.area_code
    {where}
    ORDER BY o.indicator_id, o.area_code, o.breakdown_type, o.breakdown_value, o.period_end"""


def export_frame(store: Store, *, kpi_ids: list[str] | None = None) -> pd.DataFrame:
    """All current values (or those of some indicators) with where each came from."""
    where, params = ("WHERE o.indicator_id IN (SELECT unnest(?))", [kpi_ids]) if kpi_ids else ("", [])
    return store.df(EXPORT_SQL.format(where=where), params)


def recent_values_summary(store: Store, area_code: str, indicator_ids: list[str], before: date,
                          points: int) -> pd.DataFrame:
    """Per indicator and breakdown of one area, its last `points` values (published, provisional or of low
    reliability) ending before `before`: n, mean, sd, last, the values oldest first, first and last period."""
    return store.df("""
        WITH recent AS (
            SELECT indicator_id, breakdown_type, breakdown_value, period_end, period_label, value
            FROM current_observations
            WHERE area_code = ? AND indicator_id IN (SELECT unnest(?)) AND value IS NOT NULL
              AND status IN ('published', 'provisional', 'low_reliability') AND period_end < ?
            QUALIFY row_number() OVER (PARTITION BY indicator_id, breakdown_type, breakdown_value, period_type
                                       ORDER BY period_end DESC) <= ?)
        SELECT indicator_id, breakdown_type, breakdown_value, count(*) AS n, avg(value) AS mean,
               stddev_samp(value) AS sd, arg_max(value, period_end) AS last,
               list(value ORDER BY period_end) AS "values", arg_min(period_label, period_end) AS first_label,
               arg_max(period_label, period_end) AS last_label
        FROM recent GROUP BY ALL""",
                    [area_code, indicator_ids, before, points])


def current_figures_of_periods(store: Store, area_code: str, period_labels: list[str],
                               indicator_ids: list[str]) -> pd.DataFrame:
    """indicator_id, breakdown_type, breakdown_value, period_label, value: the current values (not blanks) of one
    area for these periods and indicators."""
    return store.df("SELECT indicator_id, breakdown_type, breakdown_value, period_label, value "
                    "FROM current_observations WHERE area_code = ? AND value IS NOT NULL "
                    "AND period_label IN (SELECT unnest(?)) AND indicator_id IN (SELECT unnest(?))",
                    [area_code, period_labels, indicator_ids])


def current_values_of_period(store: Store, area_code: str, period_label: str, indicator_ids: list[str],
                             note_limit: int) -> pd.DataFrame:
    """indicator_id, breakdown_type, breakdown_value, value, status, status_note (shortened to `note_limit`): one
    area's current values of one period for these indicators."""
    return store.df("SELECT indicator_id, breakdown_type, breakdown_value, value, status, "
                    f"{shortened_sql('status_note', note_limit)} AS status_note "
                    "FROM current_observations WHERE area_code = ? AND period_label = ? "
                    "AND indicator_id IN (SELECT unnest(?))", [area_code, period_label, indicator_ids])


def last_recorded_at(store: Store, as_at: datetime) -> datetime | None:
    """When the newest value known at `as_at` was recorded (None: no values then)."""
    return store.scalar("SELECT max(valid_from) FROM observations WHERE valid_from <= ?", [as_at])


def count_current_values(store: Store) -> int:
    """How many values are current (every area, indicator, group and period)."""
    return int(store.scalar("SELECT count(*) FROM current_observations"))
