"""DfE Local Authority Interactive Tool data, long format, as Parquet or CSV.

Columns: Short Desc, Data item, Years, LA and Regions, Values, LA Number, Region.
Every measure in the file is stored, as ``lait:<Short Desc>``.

- Area: ``LA Number`` is the DfE number (970 England, 980-990 regions), turned
  into an ONS code through the areas table; a row without a number is looked
  up by name ('England', region names). LAIT's 'London (Inner)' and
  'London (Outer)' (987, 988) are imported only when the areas table holds
  them (data/reference/areas.csv does, as E13000001/E13000002); otherwise
  they are skipped with a counted reason.
- Period: ``Years`` parsed with the year type from the framework comparator
  (``year_type`` option), else the LAIT data dictionary's ``Year_Type`` for
  the measure, else financial year ('Annual ...' types are read as calendar
  years). A single year with an academic or financial year type names the
  year it ends in: '2025' is 2024/25, as LAIT shows it. Suffixes '(Rev)', '(Final)' and '(OT)'
  (outturn) are dropped; '(prov)' makes the value provisional.
- Values are text: numbers are stored, '-' (and other markers) become
  ``not_available`` with the marker as the note.
- Indicator name, unit, polarity, description, methodology and update dates
  come from the data dictionary when it has the measure.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from kpis.core.areas import REGIONS
from kpis.core.framework import Framework
from kpis.published.common import (
    MARKERS,
    AreaIndex,
    Parsed,
    check_statuses,
    comparators,
    guess_unit,
    indicator_frame,
    known_areas_table,
    period_table,
    rank_duplicates,
    read_header,
    read_text_csv,
)

REQUIRED = {"Short Desc", "Years", "LA and Regions", "Values"}
POLARITY = {"high": "higher_is_better", "low": "lower_is_better", "-": "no_polarity"}
SUFFIX = r"\s*\((Rev|Final|OT|prov)\)\s*$"


def matches(columns: list[str]) -> bool:
    return set(columns) >= REQUIRED


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read(con: duckdb.DuckDBPyConnection, path: Path, *, framework: Framework | None, areas: AreaIndex,
         dictionary: Path | None = None) -> Parsed:
    """Read a LAIT file into views and small tables in `con` (DuckDB), without a Python row loop; `finish`
    checks and counts the rows."""
    if path.suffix.lower() == ".parquet":
        names = set(pq.read_schema(path).names)
        scan, row = f"read_parquet({_lit(path)}, file_row_number = true)", "file_row_number"
    else:
        names = set(read_header(path))
        scan, row = f"read_csv({_lit(path)}, all_varchar = true, header = true)", "row_number() OVER () - 1"
    raw = lambda c: _q(c) if c in names else "NULL"  # noqa: E731
    # Parquet: a view, read again by each query below, which is cheaper than copying it. CSV: a table,
    # so the row numbers are given once. Columns stay as the file has them (`*_r`): they are
    # matched as they are, and trimmed once per distinct value, not once per row.
    kind = "VIEW" if path.suffix.lower() == ".parquet" else "TABLE"
    con.execute(f"""
        CREATE OR REPLACE TEMP {kind} src AS
        SELECT {row} AS _row, {raw('Short Desc')} AS code_r, {raw('Data item')} AS item_r, {raw('Years')} AS years_r,
               {raw('LA and Regions')} AS name_r, {raw('LA Number')} AS number_r,
               coalesce(trim(CAST({raw('Values')} AS VARCHAR)), '') AS raw_value
        FROM {scan}""")

    # The distinct areas, measures and (measure, year) pairs, in one pass over the file.
    text = lambda c: f"coalesce(trim(CAST({c} AS VARCHAR)), '')"  # noqa: E731
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE distincts AS
        SELECT *, {text('number_r')} AS number, {text('name_r')} AS name, {text('code_r')} AS code,
               {text('years_r')} AS years, nullif({text('item_r')}, '') AS item
        FROM (SELECT GROUPING(number_r, name_r) = 0 AS is_area,
                     GROUPING(code_r) = 0 AND GROUPING(years_r) = 1 AS is_code,
                     number_r, name_r, code_r, years_r, first(item_r) FILTER (WHERE item_r IS NOT NULL) AS item_r
              FROM src GROUP BY GROUPING SETS ((number_r, name_r), (code_r), (code_r, years_r)))""")
    # Areas: each distinct (number, name) resolved once.
    pairs = con.execute("SELECT DISTINCT number, name FROM distincts WHERE is_area").df()
    by_number = areas.ons_for_dfe(pairs["number"].str.replace(r"\.0+$", "", regex=True))
    by_name = pairs["name"].str.lower().map(REGIONS)
    pairs["area_code"] = by_number.fillna(by_name)
    lost = pairs["area_code"].isna()
    pairs["area_skip"] = None
    pairs.loc[lost, "area_skip"] = [
        "London (Inner)/(Outer) is not in the areas table" if str(x).startswith("London (")
        else f"LA Number {num or '(blank)'} ({x}) is not a council, region or England in the areas table"
        for num, x in zip(pairs.loc[lost, "number"], pairs.loc[lost, "name"], strict=False)]
    _table(con, "area_names", pairs.astype("object").where(pairs.notna(), None))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE amap AS
        SELECT d.number_r, d.name_r, t.area_code, t.area_skip
        FROM distincts d JOIN area_names t ON t.number = d.number AND t.name = d.name WHERE d.is_area""")

    # Year type and name of each measure; the period text of each (measure, year), worked out once.
    info = _dictionary(dictionary)
    kpis = comparators(framework, "lait")
    codes = con.execute("SELECT code, first(item ORDER BY item) FILTER (WHERE item IS NOT NULL) FROM distincts "
                        "WHERE is_code GROUP BY code ORDER BY code").fetchall()
    ymap = pd.DataFrame([(c, _year_type((kpis[f"lait:{c}"].comparator.options.get("year_type")
                                         if f"lait:{c}" in kpis else None)
                                        or info.get(c, {}).get("Year_Type") or "Financial Year"))
                         for c, _ in codes], columns=["code", "year_type"])
    _table(con, "ymap", ymap)
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

    n = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
    rows = []
    for c, item in codes:
        if not c:
            continue
        iid, kpi, d = f"lait:{c}", kpis.get(f"lait:{c}"), info.get(c, {})
        rows.append({
            "indicator_id": iid, "source": "lait", "source_code": c,
            "name": d.get("Measure") or item or (kpi.comparator.name if kpi else c),
            "unit": kpi.unit if kpi else guess_unit(d.get("Measure") or item, d.get("y_axis_name")),
            "polarity": kpi.polarity if kpi else POLARITY.get(str(d.get("Polarity", "")).strip().lower()),
            "definition": d.get("Description"), "methodology": d.get("Methodology"),
            "kpi_id": kpi.id if kpi else None,
            "last_updated": _excel_date(d.get("Last Update")), "next_update": _excel_date(d.get("Next Update")),
        })
    return Parsed(format="lait", frame=None, indicators=indicator_frame(rows), rows_read=int(n), finish=finish)


def finish(con: duckdb.DuckDBPyConnection, areas: AreaIndex, parse_period: Callable,
           period_error: type) -> tuple[int, dict[str, int], list[str]]:
    """`common.finalise` for LAIT's one value per row, keyed by numbers instead of text.

    Areas and periods are checked once per distinct value (tables `akeys` and `ykeys`, each with a
    number: `ak` for an area code, `pk` for a measure and period). Each row keeps only those numbers,
    its value and status, so 640,000 rows are checked and counted cheaply; the text goes back on
    as they are written (view `final_obs`). Rows that share a key go the general way.
    """
    known_areas_table(con, areas)
    period_table(con, "SELECT DISTINCT period_raw, NULL, year_type FROM yearmap", parse_period, period_error)
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
    marker = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MARKERS.items())
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
    # Statuses here are 'published', 'provisional' or a marker's (MARKERS): all known, checked once below.
    check_statuses(["published", "provisional", "not_available", *MARKERS.values()])
    groups = con.execute("""
        SELECT pk, reason, count(*), count(DISTINCT ak) FILTER (WHERE reason IS NULL)
        FROM checked_k GROUP BY ALL""").fetchall()
    areas_of = "(SELECT ak, any_value(area_code) AS area_code FROM akeys GROUP BY ak)"
    periods_of = ("(SELECT pk, any_value(indicator_id) AS indicator_id, any_value(period_label) AS period_label, "
                  "any_value(period_type) AS period_type, any_value(period_start) AS period_start, "
                  "any_value(period_end) AS period_end FROM ykeys GROUP BY pk)")
    rows = f"""
        SELECT c._row, p.indicator_id, a.area_code, 'all' AS breakdown_type, 'all' AS breakdown_value,
               p.period_label, p.period_type, p.period_start, p.period_end, c.value, NULL::DOUBLE AS numerator,
               NULL::DOUBLE AS denominator, NULL::DOUBLE AS lower_ci, NULL::DOUBLE AS upper_ci, c.status,
               c.status_note, c.reason
        FROM checked_k c LEFT JOIN {areas_of} a ON a.ak = c.ak LEFT JOIN {periods_of} p ON p.pk = c.pk"""
    kept = sum(n for _, r, n, _ in groups if r is None)
    if kept != sum(d for _, r, _, d in groups if r is None):  # rows share a key: the general way
        con.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {rows}")
        return rank_duplicates(con)
    indicator_of = dict(con.execute("SELECT DISTINCT pk, indicator_id FROM ykeys").fetchall())
    used = sorted({indicator_of[pk] for pk, r, _, _ in groups if r is None})
    reasons: dict[str, int] = {}
    for _, r, n, _ in groups:
        if r is not None:
            reasons[r] = reasons.get(r, 0) + n
    con.execute(f"CREATE OR REPLACE TEMP VIEW final_obs AS SELECT * EXCLUDE (reason) FROM ({rows}) "
                "WHERE reason IS NULL")
    return kept, dict(sorted(reasons.items(), key=lambda x: (-x[1], x[0]))), used


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _table(con, name: str, frame: pd.DataFrame) -> None:
    con.register(f"{name}_frame", frame)
    cols = ", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" for c in frame.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {name}_frame")
    con.unregister(f"{name}_frame")


def _year_type(text: str) -> str:
    """LAIT's year types reduced to three: academic, financial, else calendar ('Annual - January' etc.)."""
    t = str(text).lower()
    return "Academic Year" if "academic" in t else "Financial Year" if "financial" in t else "Calendar Year"


def _dictionary(path: Path | None) -> dict[str, dict]:
    """The LAIT data dictionary by measure code (Measure_short), if there is one."""
    if path is None or not Path(path).exists():
        return {}
    d, _ = read_text_csv(Path(path))
    if "Measure_short" not in d.columns:
        return {}
    d = d.drop_duplicates("Measure_short")
    return {r["Measure_short"].strip(): {k: (v.strip() if isinstance(v, str) and v.strip() not in ("", "NA")
                                             else None) for k, v in r.items()}
            for r in d.to_dict("records")}


def _excel_date(value) -> str | None:
    """The dictionary's dates are Excel serial numbers (45962 = 2025-10-31)."""
    try:
        days = int(float(value))
    except (TypeError, ValueError):
        return value or None
    return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=days)).date().isoformat()
