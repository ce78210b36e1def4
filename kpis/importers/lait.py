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

from pathlib import Path

import pandas as pd

from kpis.catalogue import Framework
from kpis.importers.common import (
    MARKERS, REGIONS, AreaIndex, Parsed, comparators, guess_unit, indicator_frame,
)

REQUIRED = {"Short Desc", "Years", "LA and Regions", "Values"}
POLARITY = {"high": "higher_is_better", "low": "lower_is_better", "-": "no_polarity"}
SUFFIX = r"\s*\((Rev|Final|OT|prov)\)\s*$"


def matches(columns: list[str]) -> bool:
    return REQUIRED <= set(columns)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read(con, path: Path, *, framework: Framework | None, areas: AreaIndex, dictionary: Path | None = None
         ) -> Parsed:
    """Build the candidate table `cand` in `con` (DuckDB) from a LAIT file, without a Python row loop."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq
        names = set(pq.read_schema(path).names)
        scan, row = f"read_parquet({_lit(path)}, file_row_number = true)", "file_row_number"
    else:
        from kpis.benchmarks import read_header
        names = set(read_header(path))
        scan, row = f"read_csv({_lit(path)}, all_varchar = true, header = true)", "row_number() OVER () - 1"
    text = lambda c: f"trim(CAST({_q(c)} AS VARCHAR))" if c in names else "NULL"  # noqa: E731
    # A view: the file is read once more by each query below, which is cheaper than copying it.
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW src AS
        SELECT {row} AS _row,
               coalesce({text('Short Desc')}, '') AS code, nullif({text('Data item')}, '') AS item,
               coalesce({text('Years')}, '') AS years, coalesce({text('LA and Regions')}, '') AS name,
               coalesce({text('Values')}, '') AS raw_value, coalesce({text('LA Number')}, '') AS number
        FROM {scan}""")

    # The distinct areas, measures and (measure, year) pairs, in one pass over the file.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE distincts AS
        SELECT GROUPING(number, name) = 0 AS is_area, GROUPING(code) = 0 AND GROUPING(years) = 1 AS is_code,
               number, name, code, years, first(item) FILTER (WHERE item IS NOT NULL) AS item
        FROM src GROUP BY GROUPING SETS ((number, name), (code), (code, years))""")
    # Areas: each distinct (number, name) resolved once.
    pairs = con.execute("SELECT number, name FROM distincts WHERE is_area").df()
    by_number = areas.ons_for_dfe(pairs["number"].str.replace(r"\.0+$", "", regex=True))
    by_name = pairs["name"].str.lower().map(REGIONS)
    pairs["area_code"] = by_number.fillna(by_name)
    lost = pairs["area_code"].isna()
    pairs["area_skip"] = None
    pairs.loc[lost, "area_skip"] = [
        "London (Inner)/(Outer) is not in the areas table" if str(x).startswith("London (")
        else "LA Number not in the areas table" for x in pairs.loc[lost, "name"]]
    _table(con, "amap", pairs.astype("object").where(pairs.notna(), None))

    # Year type and name of each measure; the period text of each (measure, year), worked out once.
    info = _dictionary(dictionary)
    kpis = comparators(framework, "lait")
    codes = con.execute("SELECT code, item FROM distincts WHERE is_code").fetchall()
    ymap = pd.DataFrame([(c, _year_type((kpis[f"lait:{c}"].comparator.options.get("year_type")
                                         if f"lait:{c}" in kpis else None)
                                        or info.get(c, {}).get("Year_Type") or "Financial Year"))
                         for c, _ in codes], columns=["code", "year_type"])
    _table(con, "ymap", ymap)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE yearmap AS
        WITH d AS (SELECT code, years FROM distincts WHERE NOT is_area AND NOT is_code),
        s AS (SELECT d.*, y.year_type, regexp_replace(d.years, '{SUFFIX}', '') AS y0,
                     contains(d.years, '(prov)') AS prov
              FROM d LEFT JOIN ymap y ON y.code = d.code)
        SELECT code, years, year_type, prov,
               CASE WHEN regexp_full_match(y0, '[0-9]{{4}}') AND year_type IN ('Academic Year', 'Financial Year')
                    THEN CAST(CAST(y0 AS INT) - 1 AS VARCHAR) || '/' || lpad(CAST(CAST(y0 AS INT) % 100 AS VARCHAR), 2, '0')
                    ELSE y0 END AS period_raw
        FROM s""")
    marker = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MARKERS.items())

    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW cand AS
        WITH s AS (SELECT *, TRY_CAST(replace(raw_value, ',', '') AS DOUBLE) AS num FROM src)
        SELECT s._row, 'lait:' || s.code AS indicator_id, a.area_code::VARCHAR AS area_code,
               'all' AS breakdown_type, 'all' AS breakdown_value, y.period_raw::VARCHAR AS period_raw,
               NULL::VARCHAR AS time_identifier, y.year_type::VARCHAR AS year_type,
               CASE WHEN isfinite(s.num) THEN s.num END AS value,
               NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, NULL::DOUBLE AS lower_ci, NULL::DOUBLE AS upper_ci,
               CASE WHEN isfinite(s.num) THEN CASE WHEN y.prov THEN 'provisional' ELSE 'published' END
                    ELSE CASE lower(s.raw_value) {marker} ELSE 'not_available' END END AS status,
               CASE WHEN NOT coalesce(isfinite(s.num), false) AND s.raw_value <> '' THEN s.raw_value END AS status_note,
               CASE WHEN s.code = '' THEN 'no Short Desc' ELSE a.area_skip::VARCHAR END AS skip
        FROM s
        LEFT JOIN amap a ON a.number = s.number AND a.name = s.name
        LEFT JOIN yearmap y ON y.code = s.code AND y.years = s.years""")

    n = con.execute("SELECT count(*) FROM src").fetchall()[0][0]  # cand's joins are to unique keys
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
    return Parsed(format="lait", frame=None, indicators=indicator_frame(rows), rows_read=int(n),
                  one_value_per_row=True,
                  periods="(SELECT DISTINCT period_raw, NULL AS time_identifier, year_type FROM yearmap)")


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
    d = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
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
