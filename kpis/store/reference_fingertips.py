"""The SQL of a Fingertips import (`kpis.published.fingertips`), in DuckDB, so a national file is never one frame of
text in Python.

The reader works through the file a slice of rows at a time and keeps each slice's rows, already checked and
converted, in the temp table `ft_rows` (the candidate fields, and the cleaned texts the breakdowns and the unit and
polarity are worked out from). What needs the whole file, which age is an indicator's headline, is a small table
`ft_ages` (each indicator and age, and whether that age is a breakdown); the view `cand` joins the two, for
`kpis.published.candidates.finalise`.
"""
from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pandas as pd

from kpis.store.reference_checks import CAND_TYPES, drop_candidates


def append_rows(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, *, first: bool) -> None:
    """Add one slice of the file's rows to the temp table `ft_rows` (made anew by the first slice); numbers typed as
    in `cand` (`CAND_TYPES`), everything else text.

    The slice is read through a relation, not registered as a view: inside a transaction a dropped view lives on
    until the commit, and with it the frame it names, so every slice of the file would stay in memory."""
    types = {c: CAND_TYPES.get(c, "VARCHAR") for c in frame.columns}
    if first:
        con.execute("CREATE OR REPLACE TEMP TABLE ft_rows (" + ", ".join(f"{c} {t}" for c, t in types.items()) + ")")
    con.from_df(frame).project(", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())).insert_into("ft_rows")


def create_candidates_view(con: duckdb.DuckDBPyConnection, ages: pd.DataFrame) -> None:
    """The temp table `ft_ages` (code, age, is_age: an age other than the indicator's headline one) and the view
    `cand` over `ft_rows`: the breakdown parts present (sex, age, category) joined with '|', 'all' when none."""
    con.register("ft_ages_frame", ages)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE ft_ages AS SELECT code::VARCHAR AS code, age::VARCHAR AS age, "
                    "is_age::BOOLEAN AS is_age FROM ft_ages_frame")
    finally:
        con.unregister("ft_ages_frame")
    kinds = "concat_ws('|', nullif(r.sex_type, ''), CASE WHEN a.is_age THEN 'age' END, nullif(r.cat_type, ''))"
    drop_candidates(con)
    values = "concat_ws('|', nullif(r.sex_value, ''), CASE WHEN a.is_age THEN r.age END, nullif(r.cat_value, ''))"
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW cand AS
        SELECT r._row, r.indicator_id, r.area_code, coalesce(nullif({kinds}, ''), 'all') AS breakdown_type,
               coalesce(nullif({values}, ''), 'all') AS breakdown_value, r.period_raw,
               NULL::VARCHAR AS time_identifier, r.year_type, r.value, r.numerator, r.denominator, r.lower_ci,
               r.upper_ci, r.status, r.status_note, r.skip, r.published_comparison, r.published_comparison_region
        FROM ft_rows r LEFT JOIN ft_ages a ON a.code = r.code AND a.age = r.age""")


def indicator_rows(con: duckdb.DuckDBPyConnection, codes: list[str], *,
                   vectors: int = 16) -> Iterator[pd.DataFrame]:
    """The rows of the indicators `codes` (the columns the unit and polarity are inferred from), sorted by code and,
    within a code, in file order; a slice of about `vectors` x 2,048 rows at a time."""
    con.register("ft_codes_frame", pd.DataFrame({"code": pd.Series(codes, dtype="object")}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE ft_codes AS SELECT code::VARCHAR AS code FROM ft_codes_frame")
    finally:
        con.unregister("ft_codes_frame")
    result = con.execute("""
        SELECT code, area_code AS area, period_raw AS period, sex, age, ctype, value,
               coalesce(published_comparison, '') AS label, numerator AS count, denominator
        FROM ft_rows WHERE code IN (SELECT code FROM ft_codes) ORDER BY code, _row""")
    while True:
        part = result.fetch_df_chunk(vectors)
        if part.empty:
            return
        yield part
