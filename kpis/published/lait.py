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
from kpis.published.candidates import check_statuses, known_areas_table, period_table
from kpis.published.common import (
    MARKERS,
    AreaIndex,
    Parsed,
    guess_unit,
    indicator_frame,
    kpis_by_comparator,
    read_header,
    read_text_csv,
)
from kpis.store.reference_checks import rank_duplicates
from kpis.store.reference_lait import (
    area_pairs,
    create_area_map,
    create_checked_from_keys,
    create_checked_keys,
    create_distincts,
    create_final_view_from_keys,
    create_keys,
    create_source,
    create_text_table,
    create_year_map,
    indicators_of_periods,
    key_groups,
    measure_codes,
    source_rows,
    year_periods,
)

REQUIRED = {"Short Desc", "Years", "LA and Regions", "Values"}
POLARITY = {"high": "higher_is_better", "low": "lower_is_better", "-": "no_polarity"}


def matches(columns: list[str]) -> bool:
    return set(columns) >= REQUIRED


def read(con: duckdb.DuckDBPyConnection, path: Path, *, framework: Framework | None, areas: AreaIndex,
         dictionary: Path | None = None) -> Parsed:
    """Read a LAIT file into views and small tables in `con` (DuckDB), without a Python row loop; `finish`
    checks and counts the rows."""
    parquet = path.suffix.lower() == ".parquet"
    names = set(pq.read_schema(path).names) if parquet else set(read_header(path))
    create_source(con, path, names, parquet=parquet)
    # The distinct areas, measures and (measure, year) pairs, in one pass over the file.
    create_distincts(con)
    # Areas: each distinct (number, name) resolved once.
    pairs = area_pairs(con)
    by_number = areas.ons_for_dfe(pairs["number"].str.replace(r"\.0+$", "", regex=True))
    by_name = pairs["name"].str.lower().map(REGIONS)
    pairs["area_code"] = by_number.fillna(by_name)
    lost = pairs["area_code"].isna()
    pairs["area_skip"] = None
    pairs.loc[lost, "area_skip"] = [
        "London (Inner)/(Outer) is not in the areas table" if str(x).startswith("London (")
        else f"LA Number {num or '(blank)'} ({x}) is not a council, region or England in the areas table"
        for num, x in zip(pairs.loc[lost, "number"], pairs.loc[lost, "name"], strict=False)]
    create_text_table(con, "area_names", pairs.astype("object").where(pairs.notna(), None))
    create_area_map(con)

    # Year type and name of each measure; the period text of each (measure, year), worked out once.
    info = _dictionary(dictionary)
    kpis = kpis_by_comparator(framework, "lait")
    codes = measure_codes(con)
    ymap = pd.DataFrame([(c, _year_type((kpis[f"lait:{c}"].comparator.options.get("year_type")
                                         if f"lait:{c}" in kpis else None)
                                        or info.get(c, {}).get("Year_Type") or "Financial Year"))
                         for c, _ in codes], columns=["code", "year_type"])
    create_text_table(con, "ymap", ymap)
    create_year_map(con)

    n = source_rows(con)
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
    """`candidates.finalise` for LAIT's one value per row, keyed by numbers instead of text.

    Areas and periods are checked once per distinct value (tables `akeys` and `ykeys`, each with a
    number: `ak` for an area code, `pk` for a measure and period). Each row keeps only those numbers,
    its value and status, so 640,000 rows are checked and counted cheaply; the text goes back on
    as they are written (view `final_obs`). Rows that share a key go the general way.
    """
    known_areas_table(con, areas)
    period_table(con, year_periods(con), parse_period, period_error)
    create_keys(con)
    create_checked_keys(con, MARKERS)
    # Statuses here are 'published', 'provisional' or a marker's (MARKERS): all known, checked once below.
    check_statuses(["published", "provisional", "not_available", *MARKERS.values()])
    groups = key_groups(con)
    kept = sum(n for _, r, n, _ in groups if r is None)
    if kept != sum(d for _, r, _, d in groups if r is None):  # rows share a key: the general way
        create_checked_from_keys(con)
        return rank_duplicates(con)
    indicator_of = indicators_of_periods(con)
    used = sorted({indicator_of[pk] for pk, r, _, _ in groups if r is None})
    reasons: dict[str, int] = {}
    for _, r, n, _ in groups:
        if r is not None:
            reasons[r] = reasons.get(r, 0) + n
    create_final_view_from_keys(con)
    return kept, dict(sorted(reasons.items(), key=lambda x: (-x[1], x[0]))), used


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
