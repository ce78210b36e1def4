"""The SQL of a LAIT import (`kpis.published.lait`), in DuckDB, without a Python row loop.

`read` makes the view or table `src` (the file's columns as they are), `distincts` (the distinct areas, measures
and (measure, year) pairs, in one pass), `amap` (each area resolved) and `yearmap` (each measure and year, with its
period text); `finish` makes `akeys` and `ykeys` (a number for each area and each measure and period),
`checked_k` (each row: those numbers, its value, status and skip reason) and the view `final_obs`.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

# '(Rev)', '(Final)', '(OT)' and '(prov)' after a year: dropped from the period text.
SUFFIX = r"\s*\((Rev|Final|OT|prov)\)\s*$"
BIT_AREAS = 4096  # up to this many areas, `key_groups` counts a period's areas as bits


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def create_source(con: duckdb.DuckDBPyConnection, path: Path, names: set[str], *, parquet: bool) -> None:
    """`src`: a LAIT file's rows (`_row`, and its columns as `*_r`, NULL where the file has no such column)."""
    if parquet:
        scan, row = f"read_parquet({_lit(path)}, file_row_number = true)", "file_row_number"
    else:
        scan, row = f"read_csv({_lit(path)}, all_varchar = true, header = true)", "row_number() OVER () - 1"
    raw = lambda c: _q(c) if c in names else "NULL"  # noqa: E731
    # Parquet: a view, read again by each query below, which is cheaper than copying it. CSV: a table,
    # so the row numbers are given once. Columns stay as the file has them (`*_r`): they are
    # matched as they are, and trimmed once per distinct value, not once per row.
    kind = "VIEW" if parquet else "TABLE"
    con.execute(f"""
        CREATE OR REPLACE TEMP {kind} src AS
        SELECT {row} AS _row, {raw('Short Desc')} AS code_r, {raw('Data item')} AS item_r, {raw('Years')} AS years_r,
               {raw('LA and Regions')} AS name_r, {raw('LA Number')} AS number_r,
               coalesce(trim(CAST({raw('Values')} AS VARCHAR)), '') AS raw_value
        FROM {scan}""")


def create_distincts(con: duckdb.DuckDBPyConnection) -> None:
    """`distincts`: the distinct areas, measures and (measure, year) pairs of `src`, in one pass over the file."""
    text = lambda c: f"coalesce(trim(CAST({c} AS VARCHAR)), '')"  # noqa: E731
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE distincts AS
        SELECT *, {text('number_r')} AS number, {text('name_r')} AS name, {text('code_r')} AS code,
               {text('years_r')} AS years, nullif({text('item_r')}, '') AS item
        FROM (SELECT GROUPING(number_r, name_r) = 0 AS is_area,
                     GROUPING(code_r) = 0 AND GROUPING(years_r) = 1 AS is_code,
                     number_r, name_r, code_r, years_r, first(item_r) FILTER (WHERE item_r IS NOT NULL) AS item_r
              FROM src GROUP BY GROUPING SETS ((number_r, name_r), (code_r), (code_r, years_r)))""")


def area_pairs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each distinct (number, name) of an area, trimmed."""
    return con.execute("SELECT DISTINCT number, name FROM distincts WHERE is_area").df()


def create_text_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """A temp table `name` of a small frame, every column as text."""
    con.register(f"{name}_frame", frame)
    cols = ", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" for c in frame.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {name}_frame")
    con.unregister(f"{name}_frame")


def create_area_map(con: duckdb.DuckDBPyConnection) -> None:
    """`amap`: each area of `distincts` (as the file has it) with its code or why it is skipped (`area_names`)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE amap AS
        SELECT d.number_r, d.name_r, t.area_code, t.area_skip
        FROM distincts d JOIN area_names t ON t.number = d.number AND t.name = d.name WHERE d.is_area""")


def measure_codes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    """(measure code, its first data item) for each measure of the file, by code."""
    return con.execute("SELECT code, first(item ORDER BY item) FILTER (WHERE item IS NOT NULL) FROM distincts "
                       "WHERE is_code GROUP BY code ORDER BY code").fetchall()


def create_year_map(con: duckdb.DuckDBPyConnection) -> None:
    """`yearmap`: each (measure, year) of `distincts` with its measure's year type (`ymap`), whether it is
    provisional, and its period text: suffixes dropped, and a single year with an academic or financial year type
    read as the year it ends in ('2025' is 2024/25)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE yearmap AS
        WITH d AS (SELECT code_r, years_r, code, years FROM distincts WHERE NOT is_area AND NOT is_code),
        s AS (SELECT d.*, y.year_type, regexp_replace(d.years, '{SUFFIX}', '') AS y0,
                     contains(d.years, '(prov)') AS prov
              FROM d LEFT JOIN ymap y ON y.code = d.code)
        SELECT code_r, years_r, code, years, year_type, prov,
               CASE WHEN regexp_full_match(y0, '[0-9]{{4}}') AND year_type IN ('Academic Year', 'Financial Year')
                    THEN CAST(CAST(y0 AS INT) - 1 AS VARCHAR) || '/' || """
        """lpad(CAST(CAST(y0 AS INT) % 100 AS VARCHAR), 2, '0')
                    ELSE y0 END AS period_raw
        FROM s""")


def source_rows(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM src").fetchall()[0][0]


def year_periods(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, None, str | None]]:
    """Each distinct (period text, no time identifier, year type) of `yearmap`."""
    return con.execute("SELECT DISTINCT period_raw, NULL, year_type FROM yearmap").fetchall()


def create_keys(con: duckdb.DuckDBPyConnection) -> None:
    """`akeys` (each area of `amap` numbered `ak`, with why it is skipped) and `ykeys` (each measure and period of
    `yearmap`, parsed by `pmap`, numbered `pk`, with why it is skipped); `known_areas` and `pmap` made first."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE akeys AS
        SELECT a.number_r, a.name_r, a.area_code, dense_rank() OVER (ORDER BY a.area_code) AS ak,
               coalesce(a.area_skip, CASE WHEN coalesce(a.area_code, '') = '' THEN 'no area code'
                                          WHEN k.area_code IS NULL THEN 'area code not in the areas table' END) """
        """AS reason
        FROM amap a LEFT JOIN known_areas k ON k.area_code = a.area_code""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ykeys AS
        SELECT y.code_r, y.years_r, y.code, y.prov, 'lait:' || y.code AS indicator_id, p.period_label, p.period_type,
               p.period_start, p.period_end, dense_rank() OVER (ORDER BY y.code, p.period_label) AS pk,
               CASE WHEN y.code = '' THEN 'no Short Desc' END AS code_reason, p.pskip
        FROM yearmap y LEFT JOIN pmap p ON p.period_raw = coalesce(y.period_raw, '') AND p.time_identifier = ''
             AND p.year_type = coalesce(y.year_type, '')""")


def create_checked_keys(con: duckdb.DuckDBPyConnection, markers: dict[str, str]) -> None:
    """`checked_k`: each row of `src` as its area and period numbers, its value, its status (a number is published,
    or provisional; else its marker's status from `markers`, by lower-case text, or not available), the marker as
    the status note, and why it is skipped."""
    marker = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in markers.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE checked_k AS
        WITH s AS (SELECT *, TRY_CAST(replace(raw_value, ',', '') AS DOUBLE) AS num FROM src)
        SELECT s._row, a.ak, y.pk, CASE WHEN isfinite(s.num) THEN s.num END AS value,
               CASE WHEN isfinite(s.num) THEN CASE WHEN y.prov THEN 'provisional' ELSE 'published' END
                    ELSE CASE lower(s.raw_value) {marker} ELSE 'not_available' END END AS status,
               CASE WHEN NOT coalesce(isfinite(s.num), false) AND s.raw_value <> '' THEN s.raw_value END AS status_note,
               coalesce(y.code_reason, a.reason, y.pskip) AS reason
        FROM s JOIN akeys a ON a.number_r IS NOT DISTINCT FROM s.number_r AND a.name_r IS NOT DISTINCT FROM s.name_r
        JOIN ykeys y ON y.code_r IS NOT DISTINCT FROM s.code_r AND y.years_r IS NOT DISTINCT FROM s.years_r""")


def key_groups(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str | None, int, int]]:
    """(period number, reason, rows, distinct areas kept) of `checked_k`.

    The areas kept are counted as bits set, one bit per area number (`ak` runs 1, 2, 3...: a dense rank), which
    is several times cheaper than counting distinct values; past `BIT_AREAS` areas they are counted distinct.
    """
    areas = con.execute("SELECT coalesce(max(ak), 1) FROM akeys").fetchall()[0][0]
    distinct = ("bit_count(bitstring_agg(ak, 1, ?) FILTER (WHERE reason IS NULL))" if areas <= BIT_AREAS
                else "count(DISTINCT ak) FILTER (WHERE reason IS NULL)")
    return con.execute(f"SELECT pk, reason, count(*), coalesce({distinct}, 0) FROM checked_k GROUP BY ALL",
                       [areas] if areas <= BIT_AREAS else []).fetchall()


def _rows() -> str:
    """`checked_k`'s rows with their text back on, in the columns of `kpis.store.reference_checks`' `checked`."""
    areas_of = "(SELECT ak, any_value(area_code) AS area_code FROM akeys GROUP BY ak)"
    periods_of = ("(SELECT pk, any_value(indicator_id) AS indicator_id, any_value(period_label) AS period_label, "
                  "any_value(period_type) AS period_type, any_value(period_start) AS period_start, "
                  "any_value(period_end) AS period_end FROM ykeys GROUP BY pk)")
    return f"""
        SELECT c._row, p.indicator_id, a.area_code, 'all' AS breakdown_type, 'all' AS breakdown_value,
               p.period_label, p.period_type, p.period_start, p.period_end, c.value, NULL::DOUBLE AS numerator,
               NULL::DOUBLE AS denominator, NULL::DOUBLE AS lower_ci, NULL::DOUBLE AS upper_ci, c.status,
               c.status_note, c.reason
        FROM checked_k c LEFT JOIN {areas_of} a ON a.ak = c.ak LEFT JOIN {periods_of} p ON p.pk = c.pk"""


def create_checked_from_keys(con: duckdb.DuckDBPyConnection) -> None:
    """`checked` from `checked_k`, for `kpis.store.reference_checks.rank_duplicates` (rows that share a key)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {_rows()}")


def indicators_of_periods(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Period number -> indicator id."""
    return dict(con.execute("SELECT DISTINCT pk, indicator_id FROM ykeys").fetchall())


def create_final_view_from_keys(con: duckdb.DuckDBPyConnection) -> None:
    """The view `final_obs`: every kept row of `checked_k`, with its text back on."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW final_obs AS SELECT * EXCLUDE (reason) FROM ({_rows()}) "
                "WHERE reason IS NULL")
