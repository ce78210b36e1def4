"""Import published benchmark files: England, regional and council figures from Fingertips, DfE, LAIT.

`import_benchmarks(store, path, framework=...)` recognises a file by its header
(never its name), reads it (`kpis.published`), resolves areas against the
areas table and periods with `kpis.core.periods.parse_period`, and writes it in
one transaction: a batch, the source indicators, the observations (new values
added, changed ones versioned, unchanged ones left alone), the batch's counts
and an audit entry. Every row read is either imported or skipped with a
reason; a failure leaves the database as it was.

Recognised formats (by their header):

- ``fingertips``: OHID Fingertips "download data" CSV (Indicator ID, Area Code, Time period, Value, ...);
- ``dfe_ees``: DfE Explore education statistics open data CSV (time_period, time_identifier,
  geographic_level, ...);
- ``lait``: DfE LAIT long format, CSV or Parquet (Short Desc, Years, LA and Regions, Values, ...);
- ``tidy``: a tidy CSV made from Fingertips (area_code, period, indicator, value, ...).
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from kpis.access.permissions import Actor, require, users_exist
from kpis.core.areas import AREA_COLUMNS, NEIGHBOUR_COLUMNS, load_areas, load_neighbours
from kpis.core.framework import DATA_DIR, Framework
from kpis.core.periods import PeriodError, parse_period
from kpis.published import dfe_ees, fingertips, lait, tidy
from kpis.published.candidates import finalise, recoded_notes, register_candidates
from kpis.published.common import (
    INDICATOR_FIELDS,
    AreaIndex,
    BenchmarkError,
    BenchmarkFormatError,
    ImportReport,
    Parsed,
    read_header,
)
from kpis.store.audit import audit
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store, now
from kpis.store.observations import write_observations_from
from kpis.store.reference import (
    area_count,
    insert_areas,
    insert_neighbours,
    neighbour_count,
    store_import_file,
    store_published_comparisons,
    upsert_indicators,
)
from kpis.store.reference_checks import OUT

__all__ = [
    "REFERENCE_DIR",
    "BenchmarkError",
    "BenchmarkFormatError",
    "ImportReport",
    "detect_format",
    "import_benchmarks",
    "import_files",
    "load_areas_table",
    "load_reference_data",
]

REFERENCE_DIR = DATA_DIR / "reference"
FORMATS = {
    "fingertips": "OHID Fingertips 'download data' CSV (columns Indicator ID, Area Code, Time period, Value, ...)",
    "dfe_ees": "DfE Explore education statistics open data CSV (columns time_period, time_identifier, "
               "geographic_level, ...)",
    "lait": "DfE LAIT long format, CSV or Parquet (columns Short Desc, Years, LA and Regions, Values, LA Number)",
    "tidy": "a tidy Fingertips CSV (columns area_code, period, indicator, value)",
}
# The shipped extracts, in the order they are loaded (a tidy file last: Fingertips' own files win).
REFERENCE_FILES = [
    ("dfe/d3_cpps_subsequent_plan_2013_to_2025.csv", "DfE Children in need 2025, table D3"),
    ("lait/bds_long_extract.parquet", "DfE Local Authority Interactive Tool"),
    ("lait/bds_long_more_extract.parquet", "DfE Local Authority Interactive Tool (further national measures)"),
    ("fingertips/la_hospital_admissions_extract.csv", "OHID Fingertips 90284 (councils)"),
    ("fingertips/region_hospital_admissions_extract.csv", "OHID Fingertips 90284 (regions)"),
    ("fingertips/indicators-CountyUA_extract.csv", "OHID Fingertips 93356"),
    ("trafford/obese_reception.csv", "OHID Fingertips 90319, tidied by Trafford Data Lab"),
]
# Published measures related to a KPI but not of its definition (a framework's related_comparator).
RELATED_FILES = [
    ("lait/bds_long_related_extract.parquet", "DfE Local Authority Interactive Tool (measures related to KPIs)"),
    ("dfe/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
     "DfE Children in need 2025, table C3: factors identified at the end of assessment"),
]


def detect_format(path: str | Path) -> str:
    """'fingertips', 'dfe_ees', 'lait' or 'tidy', from the header; BenchmarkFormatError otherwise."""
    path = Path(path)
    if not path.exists():
        raise BenchmarkError(f"There is no file {path}.")
    columns = read_header(path)
    for name, module in (("fingertips", fingertips), ("dfe_ees", dfe_ees), ("lait", lait), ("tidy", tidy)):
        if module.matches(columns):
            return name
    shown = ", ".join(columns[:8]) + (" ..." if len(columns) > 8 else "") if columns else "no columns"
    known = "\n".join(f"  - {v}" for v in FORMATS.values())
    raise BenchmarkFormatError(
        f"{path.name} is not in a format this tool recognises. Its first columns are: {shown}.\n"
        f"Recognised formats:\n{known}")


def import_benchmarks(store: Store, path: str | Path, *, framework: Framework | None, actor: Actor | str = "cli",
                      source_name: str | None = None, lait_dictionary: str | Path | None = None) -> ImportReport:
    """Import one published file; all or nothing. Returns what was read, imported and skipped.

    ``actor`` is who is asking. A signed-in person (an ``Actor``) must be an administrator once accounts
    exist (`kpis.access.permissions`); a string names a trusted caller (the command line, the demo build).
    """
    return import_files(store, [path], framework=framework, actor=actor, source_name=source_name,
                        lait_dictionary=lait_dictionary)


def import_files(store: Store, paths: list[str | Path], *, framework: Framework | None, actor: Actor | str = "cli",
                 source_name: str | None = None, lait_dictionary: str | Path | None = None, note: str | None = None,
                 keep_raw: bool = False) -> ImportReport:
    """Import several published files as one batch (`kpis.published.refresh` fetches them), all or nothing: one file
    that cannot be understood leaves the database as it was. ``keep_raw`` stores each file's bytes too."""
    if isinstance(actor, Actor):
        if users_exist(store):
            require(actor, "admin")
        actor = actor.email
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    if not paths:
        raise BenchmarkError("There is no file to import.")
    formats = [detect_format(p) for p in paths]
    if not area_count(store):
        load_areas_table(store)
    areas = AreaIndex.from_store(store)
    if not areas.known:
        raise BenchmarkError("The areas table is empty, so no published figure can be placed. Load "
                             "data/reference/areas.csv first (python -m kpis init).")
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    one = len(paths) == 1
    digest = digests[0] if one else hashlib.sha256("".join(digests).encode()).hexdigest()
    fmt = formats[0] if len(set(formats)) == 1 else "mixed"
    file_name = paths[0].name if one else "; ".join(p.name for p in paths)
    at = now()
    source = source_name or (FORMATS[fmt].split(" (")[0] if fmt in FORMATS else "Published statistics")
    totals = {"rows_read": 0, "rows_imported": 0}
    reasons: dict[str, int] = {}
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    used_all: set[str] = set()
    notes: list[str] = []
    # Read, check and write in one transaction, in DuckDB: the rows never pass through Python.
    with store.transaction() as cur:
        batch_id = start_batch(cur, kind="import", at=at, source=source, submitted_by=actor, file_name=file_name,
                               sha256=digest, note=note or f"format {fmt}")
        for i, (path, f, d) in enumerate(zip(paths, formats, digests, strict=False), start=1):
            got = _import_one(cur, path, f, framework, areas, lait_dictionary, batch_id, at)
            prefix = "" if one else f"{path.name}: "
            totals["rows_read"] += got["rows_read"]
            totals["rows_imported"] += got["rows_imported"]
            for r, n in got["reasons"].items():
                reasons[prefix + r] = reasons.get(prefix + r, 0) + n
            for k in counts:
                counts[k] += got["counts"][k]
            used_all.update(got["used"])
            notes += [prefix + n for n in got["notes"]]
            if keep_raw:
                store_import_file(cur, raw_name=f"import-{batch_id}-{i}-{path.name}", batch_id=batch_id,
                                  file_name=path.name, sha256=d, content=path.read_bytes())
        rows_skipped = totals["rows_read"] - totals["rows_imported"]
        used = sorted(used_all)
        finish_batch(cur, batch_id, rows_read=totals["rows_read"], rows_imported=totals["rows_imported"],
                     rows_skipped=rows_skipped, skipped_reasons=reasons, counts=counts)
        audit(cur, actor=actor, action="import", at=at,
              detail={"batch_id": batch_id, "file": file_name, "sha256": digest, "format": fmt,
                      "rows_read": totals["rows_read"], "rows_imported": totals["rows_imported"],
                      "rows_skipped": rows_skipped, "skipped_reasons": reasons, **counts, "indicators": used,
                      "notes": notes,
                      **({} if one else {"files": [p.name for p in paths], "sha256_each": digests})})
    return ImportReport(format=fmt, source_name=source, file_name=file_name, rows_read=totals["rows_read"],
                        rows_imported=totals["rows_imported"], rows_skipped=rows_skipped, skipped_reasons=reasons,
                        batch_id=batch_id, indicators=used, new=counts["new"], changed=counts["changed"],
                        unchanged=counts["unchanged"], observations=sum(counts.values()),
                        seconds=round(time.perf_counter() - started, 3), notes=notes)


def _import_one(cur: duckdb.DuckDBPyConnection, path: Path, fmt: str, framework: Framework | None,
                areas: AreaIndex, lait_dictionary: str | Path | None, batch_id: int, at: datetime) -> dict:
    """Read, check and write one file into the open transaction's batch."""
    parsed = _read(cur, fmt, path, framework, areas, lait_dictionary)
    try:  # a reader may leave its file to be read here (a view), so its faults can show here
        if parsed.frame is not None:
            register_candidates(cur, parsed.frame)
        rows_imported, reasons, used = (parsed.finish or finalise)(cur, areas, parse_period, PeriodError)
        parsed.notes += recoded_notes(cur, areas) if parsed.finish is None else []
    except (UnicodeDecodeError, duckdb.Error) as exc:
        raise BenchmarkFormatError(f"{path.name} looks like a {FORMATS[fmt]} but could not be read: "
                                   f"{exc}") from None
    rows_skipped = parsed.rows_read - rows_imported
    if sum(reasons.values()) != rows_skipped:  # every row is accounted for, or something is wrong
        raise BenchmarkError(f"Internal error: {rows_skipped} rows skipped but {sum(reasons.values())} "
                             "reasons.")
    if parsed.rows_read and not rows_imported:  # nothing understood: refuse the file, store nothing
        why = "; ".join(f"{n:,} row{'s' if n != 1 else ''}: {r}" for r, n in list(reasons.items())[:5])
        raise BenchmarkError(f"{path.name} looks like a {FORMATS[fmt]}, but none of its {parsed.rows_read:,} "
                             f"rows could be imported, so nothing was stored. {why}.")
    indicators = parsed.indicators[parsed.indicators["indicator_id"].isin(set(used))]
    _upsert_indicators(cur, indicators)
    counts = write_observations_from(cur, batch_id=batch_id, relation="final_obs", columns=OUT, at=at,
                                     checked=True, indicators=used,  # finalise checked them
                                     row_column="_row" if parsed.finish else None)  # unique there
    for column, versus in (("published_comparison", "England"), ("published_comparison_region", "Region")):
        if column in parsed.labelled if parsed.frame is None else parsed.frame[column].notna().any():
            store_published_comparisons(cur, batch_id, column, versus)
    return {"rows_read": parsed.rows_read, "rows_imported": rows_imported, "reasons": reasons, "used": used,
            "counts": counts, "notes": parsed.notes}


def _read(con: duckdb.DuckDBPyConnection, fmt: str, path: Path, framework: Framework | None, areas: AreaIndex,
          lait_dictionary: str | Path | None) -> Parsed:
    try:
        if fmt == "fingertips":
            return fingertips.read(con, path, framework=framework)
        if fmt == "dfe_ees":
            return dfe_ees.read(path, framework=framework, areas=areas)
        if fmt == "lait":
            dictionary = Path(lait_dictionary) if lait_dictionary else _lait_dictionary_for(path)
            return lait.read(con, path, framework=framework, areas=areas, dictionary=dictionary)
        return tidy.read(path, framework=framework)
    except (UnicodeDecodeError, pd.errors.ParserError, duckdb.Error) as exc:
        raise BenchmarkFormatError(f"{path.name} looks like a {FORMATS[fmt]} but could not be read: {exc}") from None


def _lait_dictionary_for(path: Path) -> Path | None:
    """A LAIT data dictionary next to the file, else the shipped extract."""
    for candidate in (*sorted(path.parent.glob("lait_data_dictionary*.csv")),
                      REFERENCE_DIR / "lait" / "lait_data_dictionary_extract.csv"):
        if candidate.exists():
            return candidate
    return None


def _upsert_indicators(cur: duckdb.DuckDBPyConnection, indicators: pd.DataFrame) -> None:
    """Add source indicators, or refresh them; a field we do not know keeps its stored value."""
    if indicators.empty:
        return
    known = indicators[INDICATOR_FIELDS]
    upsert_indicators(cur, known.astype("object").where(known.notna(), None))


def load_reference_data(store: Store, *, framework: Framework | None,
                        data_dir: str | Path = REFERENCE_DIR, actor: str = "init",
                        files: list[tuple[str, str]] = REFERENCE_FILES) -> list[ImportReport]:
    """Import every shipped extract in data/reference (those present), one transaction each.

    `files`: which (REFERENCE_FILES by default; RELATED_FILES for the measures related to KPIs).
    """
    data_dir = Path(data_dir)
    load_areas_table(store, data_dir)
    reports = []
    for rel, name in files:
        path = data_dir / rel
        if path.exists():
            reports.append(import_benchmarks(store, path, framework=framework, actor=actor, source_name=name,
                                             lait_dictionary=data_dir / "lait" / "lait_data_dictionary_extract.csv"))
    return reports


def load_areas_table(store: Store, data_dir: str | Path = REFERENCE_DIR) -> int:
    """Fill the areas and statistical_neighbours tables from areas.csv and statistical_neighbours.csv
    when they are empty. Returns the number of areas in the table."""
    data_dir = Path(data_dir)
    areas_file, neighbours_file = data_dir / "areas.csv", data_dir / "statistical_neighbours.csv"
    have_areas = area_count(store)
    have_neighbours = neighbour_count(store)
    with store.transaction() as cur:
        if not have_areas and areas_file.exists():
            a = load_areas(areas_file)[AREA_COLUMNS]
            for c in ("valid_from", "valid_to"):
                a[c] = a[c].dt.date
            a = a.astype("object").where(a.notna(), None)
            insert_areas(cur, a)
        if not have_neighbours and neighbours_file.exists():
            n = load_neighbours(neighbours_file)[NEIGHBOUR_COLUMNS]
            n = n.astype("object").where(n.notna(), None)
            insert_neighbours(cur, n)
    return area_count(store)
