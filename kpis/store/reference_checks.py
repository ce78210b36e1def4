"""The SQL that checks a published file's candidate observations, in DuckDB, so a 600,000-row file takes seconds.

Every function takes the import's connection (or transaction cursor) and works on its temporary tables: `cand`
(a reader's candidates), `known_areas` and `recodes` (the areas table), `pmap` (each distinct period, parsed),
`checked` (each candidate with the reason it is skipped, if it is), `ranked` (when rows share a key) and the view
`final_obs` (one row per observation to store, for `kpis.store.database.write_observations_from`).
`kpis.published.candidates` decides; this module reads and writes the tables.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from kpis.store.observations import KEY

CAND_TYPES = {"_row": "BIGINT", "value": "DOUBLE", "numerator": "DOUBLE", "denominator": "DOUBLE",
              "lower_ci": "DOUBLE", "upper_ci": "DOUBLE"}
OUT = [*KEY, "period_type", "period_start", "period_end", "value", "numerator", "denominator", "lower_ci",
       "upper_ci", "status", "status_note"]
DUPLICATE = "duplicate of an earlier row"
CONFLICT = "another row has a different value for the same area, period and breakdown"

# Why a code is not placed, by the kind of code it is (ONS prefixes): specific, never just "not in the table".
AREA_REASON = """CASE
    WHEN {c} LIKE 'E07%'
         THEN 'district code ' || {c} || ': districts are not imported (councils, regions and England are)'
    WHEN {c} LIKE 'E38%' OR {c} LIKE 'E54%' OR {c} LIKE 'E40%' OR {c} LIKE 'E45%'
         THEN 'NHS area code ' || {c} || ': NHS areas are not imported (councils, regions and England are)'
    WHEN {c} LIKE 'W%' OR {c} LIKE 'S%' OR {c} LIKE 'N%' OR {c} LIKE 'K%'
         THEN 'area code ' || {c} || ' is outside England'
    ELSE 'area code ' || {c} || ' is not a council, region or England in the areas table (nor a former code of one)'
    END"""


def drop_candidates(con: duckdb.DuckDBPyConnection) -> None:
    """Drop `cand`, a table or a view (a Fingertips file's is a view), so that the next file of a batch can make its
    own, whichever kind."""
    for (kind,) in con.execute("""
            SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = 'cand'
            UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = 'cand'""").fetchall():
        con.execute(f"DROP {kind} cand")


def create_candidates(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """The temp table `cand` from a reader's frame: its columns, in order, numbers typed (`CAND_TYPES`)."""
    drop_candidates(con)
    con.register("cand_frame", frame)
    cols = ", ".join(f"CAST({c} AS {CAND_TYPES.get(c, 'VARCHAR')}) AS {c}" for c in frame.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE cand AS SELECT {cols} FROM cand_frame")
    con.unregister("cand_frame")


def create_known_areas(con: duckdb.DuckDBPyConnection, codes: list[str], recodes: list[tuple[str, str]]) -> None:
    """The temp tables `known_areas` (every area code given) and `recodes` (former code, current code)."""
    con.register("known_frame", pd.DataFrame({"area_code": codes}))
    con.execute("CREATE OR REPLACE TEMP TABLE known_areas AS SELECT area_code::VARCHAR AS area_code "
                "FROM known_frame")
    con.unregister("known_frame")
    pairs = pd.DataFrame(recodes, columns=["from_code", "to_code"], dtype="object")
    con.register("recode_frame", pairs)
    con.execute("CREATE OR REPLACE TEMP TABLE recodes AS SELECT from_code::VARCHAR AS from_code, "
                "to_code::VARCHAR AS to_code FROM recode_frame")
    con.unregister("recode_frame")


def recoded_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(former code, current code, source rows) of the kept rows stored under a council's current code (table
    `checked`, column `recoded_from`); duckdb.Error when `checked` has no such column."""
    return con.execute("SELECT recoded_from, area_code, count(DISTINCT _row) FROM checked "
                       "WHERE recoded_from IS NOT NULL AND reason IS NULL GROUP BY ALL ORDER BY 1").fetchall()


def candidate_periods(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str | None, str | None]]:
    """Each distinct (period_raw, time_identifier, year_type) of the candidates not already skipped."""
    return con.execute("SELECT DISTINCT period_raw, time_identifier, year_type FROM cand WHERE skip IS NULL"
                       ).fetchall()


def create_period_map(con: duckdb.DuckDBPyConnection, pmap: pd.DataFrame) -> None:
    """The temp table `pmap` from the parsed periods (period_raw, time_identifier, year_type, period_label,
    period_type, period_start, period_end, pskip: the reason it is not understood)."""
    con.register("pmap_frame", pmap)
    con.execute("""CREATE OR REPLACE TEMP TABLE pmap AS SELECT DISTINCT period_raw::VARCHAR period_raw,
        time_identifier::VARCHAR time_identifier, year_type::VARCHAR year_type, period_label::VARCHAR period_label,
        period_type::VARCHAR period_type, period_start::DATE period_start, period_end::DATE period_end,
        pskip::VARCHAR pskip FROM pmap_frame""")
    con.unregister("pmap_frame")


def create_checked(con: duckdb.DuckDBPyConnection) -> None:
    """The temp table `checked`: each candidate with its area (recoded where a council's code changed), its
    period and the reason it is skipped (NULL when kept)."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        SELECT c._row, c.indicator_id, coalesce(r.to_code, c.area_code) AS area_code, c.breakdown_type,
               c.breakdown_value, p.period_label, p.period_type, p.period_start, p.period_end, c.value, c.numerator,
               c.denominator, c.lower_ci, c.upper_ci, c.status, c.status_note,
               CASE WHEN c.skip IS NOT NULL THEN c.skip
                    WHEN coalesce(c.area_code, '') = '' THEN 'no area code'
                    WHEN k.area_code IS NULL THEN {AREA_REASON.format(c="c.area_code")}
                    ELSE p.pskip END AS reason, r.from_code AS recoded_from
        FROM cand c
        LEFT JOIN recodes r ON r.from_code = c.area_code
        LEFT JOIN known_areas k ON k.area_code = coalesce(r.to_code, c.area_code)
        LEFT JOIN pmap p ON p.period_raw = coalesce(c.period_raw, '')
             AND p.time_identifier = coalesce(c.time_identifier, '') AND p.year_type = coalesce(c.year_type, '')""")


def checked_groups(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, int, int, list[str] | None]]:
    """One pass over `checked`: per indicator and reason, the rows, the distinct keys kept and the statuses kept
    (the indicator is part of the key, so the distinct keys of each indicator add up to the distinct keys of all)."""
    key = ", ".join(KEY)
    return con.execute(f"""
        SELECT indicator_id, reason, count(*), count(DISTINCT hash({key})) FILTER (WHERE reason IS NULL),
               list(DISTINCT coalesce(status, 'published')) FILTER (WHERE reason IS NULL)
        FROM checked GROUP BY ALL""").fetchall()


def checked_source_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[bool, str | None, int]]:
    """(kept, reason, source rows): a source row may give several values (value columns); it is kept when one is,
    else skipped for the first of its reasons."""
    return con.execute("""
        WITH per_row AS (SELECT _row, min(reason) AS reason, bool_or(reason IS NULL) AS kept FROM checked GROUP BY _row)
        SELECT kept, CASE WHEN NOT kept THEN reason END AS reason, count(*) FROM per_row GROUP BY ALL""").fetchall()


def final_columns() -> str:
    fill = {"breakdown_type": "'all'", "breakdown_value": "'all'", "status": "'published'"}
    return ", ".join(f"coalesce({c}, {fill[c]}) AS {c}" if c in fill else c for c in OUT)


def create_final_view(con: duckdb.DuckDBPyConnection) -> None:
    """The view `final_obs`: `_row` and the columns `OUT` of every kept row of `checked`."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW final_obs AS SELECT _row, {final_columns()} FROM checked "
                "WHERE reason IS NULL")


def rank_duplicates(con: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, int], list[str]]:
    """`finalise` when rows of table `checked` share a key: the first value of each key is kept and the
    others are counted, as duplicates when they agree with it and as conflicts when they do not."""
    key = ", ".join(KEY)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ranked AS
        SELECT *, row_number() OVER w AS rn,
               (value IS NOT DISTINCT FROM first_value(value) OVER w
                AND numerator IS NOT DISTINCT FROM first_value(numerator) OVER w
                AND denominator IS NOT DISTINCT FROM first_value(denominator) OVER w
                AND status IS NOT DISTINCT FROM first_value(status) OVER w) AS same
        FROM checked WHERE reason IS NULL
        WINDOW w AS (PARTITION BY {key} ORDER BY _row)""")
    reasons = dict(con.execute(f"""
        WITH every AS (
            SELECT _row, reason FROM checked WHERE reason IS NOT NULL
            UNION ALL
            SELECT _row, CASE WHEN rn = 1 THEN NULL WHEN same THEN '{DUPLICATE}' ELSE '{CONFLICT}' END FROM ranked),
        per_row AS (SELECT _row, min(reason) AS reason, bool_or(reason IS NULL) AS kept FROM every GROUP BY _row)
        SELECT reason, count(*) FROM per_row WHERE NOT kept GROUP BY reason ORDER BY 2 DESC, 1""").fetchall())
    imported = con.execute("SELECT count(DISTINCT _row) FROM ranked WHERE rn = 1").fetchall()[0][0]
    used = sorted(r[0] for r in con.execute("SELECT DISTINCT indicator_id FROM ranked WHERE rn = 1").fetchall())
    con.execute(f"CREATE OR REPLACE TEMP VIEW final_obs AS SELECT _row, {final_columns()} FROM ranked WHERE rn = 1")
    return int(imported), {str(k): int(v) for k, v in reasons.items()}, used
