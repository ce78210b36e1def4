"""What every benchmark reader shares: errors, the report, markers, areas, periods, indicators."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from kpis.core.exports import LICENCE
from kpis.core.framework import Framework, Kpi
from kpis.core.periods import dfe_period, is_dfe_identifier
from kpis.store.database import KEY, STATUSES, Store

# Published markers for a missing value and the status each becomes. DfE open data: c confidential,
# x not available, z not applicable, low and k round to 0 but are not 0 (DfE's analysts' guide: `k` where the
# word "low" would read badly), u low reliability, : not available, ~ rounds to 0 (older releases). LAIT and
# Fingertips tidy files: '-' and 'NA'; an empty cell.
MARKERS = {
    "c": "suppressed", "x": "not_available", "z": "not_applicable", "low": "rounds_to_zero", "k": "rounds_to_zero",
    "u": "low_reliability", ":": "not_available", "~": "rounds_to_zero", "-": "not_available",
    "..": "not_available", "na": "not_available", "n/a": "not_available", "": "not_available",
}
MARKER_MEANINGS = {
    "c": "suppressed to protect confidentiality", "x": "not available", "z": "not applicable",
    "low": "rounds to 0 but is not 0", "k": "rounds to 0 but is not 0 (DfE's `k`, where 'low' reads badly)",
    "u": "low reliability", ":": "not available",
    "~": "rounds to 0 but is not 0", "-": "not available", "..": "not available", "": "no value published",
}
OBS_FIELDS = ["_row", "indicator_id", "area_code", "breakdown_type", "breakdown_value", "period_raw",
              "time_identifier", "year_type", "value", "numerator", "denominator", "lower_ci", "upper_ci",
              "status", "status_note", "skip", "published_comparison", "published_comparison_region"]
# A symbol that is not one of MARKERS but is still a status on its cell, never a label: short, one word
# (DfE's `k`, a stray `*`). Longer text in a number column is a label, so the column is a breakdown.
TOKEN = re.compile(r"^\S{1,3}$")
# The headline of a breakdown column: DfE's `Total`, Fingertips' `Persons` and `Not applicable` sex.
TOTALS = {"total", "all"}
INDICATOR_FIELDS = ["indicator_id", "source", "source_code", "name", "unit", "polarity", "definition",
                    "methodology", "kpi_id", "last_updated", "next_update", "licence"]


class BenchmarkError(ValueError):
    """A benchmark file could not be imported; the message says why in plain English."""


class BenchmarkFormatError(BenchmarkError):
    """The file's header is not one of the recognised formats."""


@dataclass
class ImportReport:
    format: str
    source_name: str
    file_name: str
    rows_read: int
    rows_imported: int
    rows_skipped: int
    skipped_reasons: dict[str, int]
    batch_id: int | None
    indicators: list[str]
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    observations: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["counts"] = {"new": self.new, "changed": self.changed, "unchanged": self.unchanged}
        return d


@dataclass
class Parsed:
    """What a reader hands back: candidate observations and the indicators they belong to."""
    format: str
    frame: pd.DataFrame | None   # OBS_FIELDS columns; None when the reader built table `cand` itself
    indicators: pd.DataFrame     # INDICATOR_FIELDS columns
    rows_read: int
    notes: list[str] = field(default_factory=list)
    # A reader that does its own checks (`finalise`'s work, its own way) gives the function here.
    finish: Callable | None = None


# -- small vectorised helpers -------------------------------------------------------------
def clean_text(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("").str.strip()


def to_number(s: pd.Series) -> pd.Series:
    """Numbers from text; anything else (markers, blanks) becomes NaN."""
    text = clean_text(s).str.replace(",", "", regex=False).str.rstrip("%")
    return pd.to_numeric(text, errors="coerce").astype("float64")


def marker_key(text: pd.Series) -> pd.Series:
    """Lower case, without the square brackets of the GSS style (`[c]`, `[low]`)."""
    return text.str.lower().str.replace(r"^\[(.*)\]$", r"\1", regex=True)


def unexpected_tokens(raw: pd.Series, numbers: pd.Series) -> dict[str, int]:
    """The symbols in a column that are neither numbers nor known markers, with how many cells hold each."""
    text = clean_text(raw)
    other = text[numbers.isna() & (text != "")]
    other = other[~marker_key(other).isin(list(MARKERS))]
    return {str(k): int(v) for k, v in other.value_counts().items()}


def token_note(column: str, tokens: dict[str, int]) -> str:
    """What the import report says about symbols it did not expect in one column."""
    listed = ", ".join(f"'{t}' ({n} cell{'s' if n != 1 else ''})" for t, n in sorted(tokens.items()))
    return (f"column {column}: unexpected symbol(s) {listed}, not a number and not a published marker; "
            "stored as 'not available' with the symbol as the status note")


def join_parts(parts: list[pd.Series]) -> pd.Series:
    """Join non-empty parts with '|', row by row, without a Python loop over rows."""
    out = parts[0].astype("string")
    for p in parts[1:]:
        p = p.astype("string")
        out = pd.Series(np.where(out == "", p, np.where(p == "", out, out + "|" + p)), index=out.index)
    return out.astype("string")


def marker_status(raw: pd.Series, numbers: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Status and status note for each cell: published when a number, else what its marker says."""
    text = clean_text(raw)
    missing = numbers.isna()
    status = pd.Series("published", index=raw.index, dtype="object")
    note = pd.Series(None, index=raw.index, dtype="object")
    key = marker_key(text)
    mapped = key.map(MARKERS)
    status[missing] = mapped[missing].fillna("not_available")
    note[missing & (text != "")] = text[missing & (text != "")]
    return status, note


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return s or "blank"


def slug_series(s: pd.Series) -> pd.Series:
    uniq = {v: slug(v) for v in s.dropna().unique()}
    return s.astype(object).map(uniq).astype("string")


def guess_unit(name: str | None, axis: str | None = None) -> str | None:
    """A framework unit from an indicator's name or axis title, when it says."""
    text = f"{axis or ''} {name or ''}".lower()
    if re.search(r"(per|/)\s*100,?000", text):
        return "rate_per_100000"
    if re.search(r"(per|/)\s*10,?000", text):
        return "rate_per_10000"
    if "%" in text or "percentage" in text or "proportion" in text or "prevalence" in text:
        return "percentage"
    if re.match(r"\s*(number|count)", text):
        return "count"
    return None


def blank_frame(n: int) -> pd.DataFrame:
    """A frame of n candidate observations with every field present."""
    df = pd.DataFrame({c: pd.Series([None] * n, dtype="object") for c in OBS_FIELDS})
    for c in ("value", "numerator", "denominator", "lower_ci", "upper_ci"):
        df[c] = np.nan
    df["_row"] = np.arange(n)
    df["breakdown_type"] = "all"
    df["breakdown_value"] = "all"
    df["status"] = "published"
    return df


def comparators(framework: Framework | None, source: str) -> dict[str, Kpi]:
    """indicator_id -> the (first) framework KPI whose comparator it is, for one source."""
    out: dict[str, Kpi] = {}
    for k in framework.kpis if framework else ():
        if k.comparator and k.comparator.source == source:
            out.setdefault(k.comparator.indicator_id, k)
    return out


def indicator_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=INDICATOR_FIELDS)
    df["licence"] = df["licence"].astype(object).where(df["licence"].notna(), LICENCE)
    return df.drop_duplicates("indicator_id").astype("object").where(lambda d: d.notna(), None)


# -- areas ---------------------------------------------------------------------------------
class AreaIndex:
    """The areas table, for turning published codes and names into ONS codes."""

    def __init__(self, areas: pd.DataFrame):
        self.table = areas
        self.known = set(areas["area_code"].dropna())
        a = areas.dropna(subset=["dfe_code"]).copy()
        a["dfe_code"] = a["dfe_code"].astype(str).str.replace(r"\.0$", "", regex=True)
        a = a[a["dfe_code"].str.match(r"^\d+( / \d+)*$")]  # 'x': a 2009 county with no DfE number of its own
        # One DfE number can name an old and a new council (a boundary change kept the number):
        # the current one wins, then the one that ended last.
        a["_current"] = a["valid_to"].isna()
        a = a.sort_values(["_current", "valid_to"], ascending=[False, False], na_position="first")
        self.dfe_to_ons = dict(a.drop_duplicates("dfe_code")[["dfe_code", "area_code"]].itertuples(index=False))
        self.names = dict(zip(areas["area_code"], areas["name"], strict=False))
        self.recodes = recodes(areas)

    def recode_note(self, old: str, new: str, rows: int) -> str:
        """What the import report says when a former code's rows were stored under the council's current code."""
        return (f"{rows:,} row(s) with the former code {old} ({self.names.get(old, old)}) stored under {new}, its code "
                f"now: the same council with the same DfE number, so one series (data/reference/dfe/"
                "la_codes_with_history.csv)")

    @classmethod
    def from_store(cls, store: Store) -> AreaIndex:
        return cls(store.df("SELECT area_code, dfe_code, name, area_type, valid_to, successor_code FROM areas"))

    def ons_for_dfe(self, codes: pd.Series) -> pd.Series:
        text = clean_text(codes).str.replace(r"\.0$", "", regex=True)
        return text.map(self.dfe_to_ons)


def recodes(areas: pd.DataFrame) -> dict[str, str]:
    """Former code -> the code of the same council now, for a council whose code changed but which stayed the same
    council: one successor with the same DfE number (Gateshead and Northumberland 2013, Buckinghamshire 2020, North
    Yorkshire and Somerset 2023, Barnsley and Sheffield 2025). A council split or merged into councils with other
    DfE numbers (Northamptonshire 2021, Cumbria 2023, Bournemouth, Poole and Dorset 2019) is not a recode: it stays
    its own place, and so do its successors."""
    rows = {r.area_code: r for r in areas.itertuples(index=False)}
    step: dict[str, str] = {}
    for r in rows.values():
        nxt = [c for c in str(r.successor_code or "").split(";") if c and c != "nan"]
        if len(nxt) == 1 and nxt[0] in rows and str(rows[nxt[0]].dfe_code) == str(r.dfe_code) \
                and str(r.dfe_code).isdigit():
            step[r.area_code] = nxt[0]
    out = {}
    for code in step:
        end, seen = code, set()
        while end in step and end not in seen:
            seen.add(end)
            end = step[end]
        out[code] = end
    return out


# -- from candidates to observations (in DuckDB, so a 600,000-row file takes seconds) --------
CAND_TYPES = {"_row": "BIGINT", "value": "DOUBLE", "numerator": "DOUBLE", "denominator": "DOUBLE",
              "lower_ci": "DOUBLE", "upper_ci": "DOUBLE"}
OUT = [*KEY, "period_type", "period_start", "period_end", "value", "numerator", "denominator", "lower_ci",
       "upper_ci", "status", "status_note"]
DUPLICATE = "duplicate of an earlier row"
CONFLICT = "another row has a different value for the same area, period and breakdown"


def register_candidates(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Make the table `cand` (OBS_FIELDS, typed) from a reader's pandas frame."""
    con.register("cand_frame", frame[OBS_FIELDS])
    cols = ", ".join(f"CAST({c} AS {CAND_TYPES.get(c, 'VARCHAR')}) AS {c}" for c in OBS_FIELDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE cand AS SELECT {cols} FROM cand_frame")
    con.unregister("cand_frame")


def known_areas_table(con: duckdb.DuckDBPyConnection, areas: AreaIndex) -> None:
    """The temp table `known_areas`: every area code of the areas table."""
    con.register("known_frame", pd.DataFrame({"area_code": sorted(areas.known)}))
    con.execute("CREATE OR REPLACE TEMP TABLE known_areas AS SELECT area_code::VARCHAR AS area_code "
                "FROM known_frame")
    con.unregister("known_frame")
    pairs = pd.DataFrame(sorted(areas.recodes.items()), columns=["from_code", "to_code"], dtype="object")
    con.register("recode_frame", pairs)
    con.execute("CREATE OR REPLACE TEMP TABLE recodes AS SELECT from_code::VARCHAR AS from_code, "
                "to_code::VARCHAR AS to_code FROM recode_frame")
    con.unregister("recode_frame")


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


def recoded_notes(con: duckdb.DuckDBPyConnection, areas: AreaIndex) -> list[str]:
    """The import report's notes on rows stored under a council's current code (table `checked`, column
    `recoded_from`, when `finalise` made it)."""
    try:
        got = con.execute("SELECT recoded_from, area_code, count(DISTINCT _row) FROM checked "
                          "WHERE recoded_from IS NOT NULL AND reason IS NULL GROUP BY ALL ORDER BY 1").fetchall()
    except duckdb.Error:
        return []
    return [areas.recode_note(old, new, n) for old, new, n in got]


def period_table(con: duckdb.DuckDBPyConnection, combos_sql: str, parse_period: Callable, period_error: type) -> None:
    """The temp table `pmap`: each distinct (period_raw, time_identifier, year_type) of `combos_sql`
    ('' for none) parsed once, in Python, with its label, type, dates, or the reason it is not understood."""
    parsed = []
    for raw, ti, yt in con.execute(combos_sql).fetchall():
        raw, ti, yt = raw or "", ti or "", yt or ""
        try:
            if is_dfe_identifier(ti):  # DfE's own list, read by its own rules; yt: a Reporting year's census month
                p = dfe_period(raw, ti, census_month=int(yt) if yt.isdigit() else 3)
            else:
                p = parse_period(raw, time_identifier=ti or None, year_type=yt or None)
            parsed.append((raw, ti, yt, p.label, p.type, p.start, p.end, None))
        except (period_error, ValueError) as exc:
            parsed.append((raw, ti, yt, None, None, None, None, period_reason(raw, ti, yt, exc)))
    pmap = pd.DataFrame(parsed, columns=["period_raw", "time_identifier", "year_type", "period_label",
                                         "period_type", "period_start", "period_end", "pskip"])
    con.register("pmap_frame", pmap.astype("object").where(pmap.notna(), None))
    con.execute("""CREATE OR REPLACE TEMP TABLE pmap AS SELECT DISTINCT period_raw::VARCHAR period_raw,
        time_identifier::VARCHAR time_identifier, year_type::VARCHAR year_type, period_label::VARCHAR period_label,
        period_type::VARCHAR period_type, period_start::DATE period_start, period_end::DATE period_end,
        pskip::VARCHAR pskip FROM pmap_frame""")
    con.unregister("pmap_frame")


def period_reason(raw: str, ti: str, yt: str, exc: Exception) -> str:
    """Why a period was not understood, naming the time identifier (or year type) and what was expected."""
    why = getattr(exc, "reason", "") or ""
    if is_dfe_identifier(ti):
        detail = why.split(": ", 1)[-1] or "see DfE's list"
        return f"time_identifier '{ti}': time_period '{raw}' not understood ({detail})"
    if ti:
        return (f"time_identifier '{ti}' (not one of DfE's time identifiers): time_period '{raw}' not understood"
                + (f" ({why})" if why else ""))
    hint = f" (year type '{yt}')" if yt and not yt.isdigit() else ""
    return f"period not understood: '{raw}'{hint}" + (f": {why}" if why else "")


def final_columns() -> str:
    fill = {"breakdown_type": "'all'", "breakdown_value": "'all'", "status": "'published'"}
    return ", ".join(f"coalesce({c}, {fill[c]}) AS {c}" if c in fill else c for c in OUT)


def check_statuses(statuses: Iterable[str]) -> None:
    bad = sorted({st for st in statuses if st not in STATUSES})
    if bad:  # a reader's mistake, not the file's: every marker maps to a known status
        raise ValueError(f"Unknown status value(s) {bad}; expected one of {', '.join(STATUSES)}")


def finalise(con: duckdb.DuckDBPyConnection, areas: AreaIndex, parse_period: Callable,
             period_error: type) -> tuple[int, dict[str, int], list[str]]:
    """From table or view `cand`: check areas, parse periods, drop duplicates.

    Leaves the view `final_obs` (`_row` and the columns `OUT`: one row per observation to store) in
    `con` for `kpis.store.database.write_observations_from`, and returns the number of source rows imported,
    the reasons (with counts) for the rows skipped and the indicators of the values kept. Periods are
    parsed once per distinct text, in Python; everything else is set-based SQL.
    """
    known_areas_table(con, areas)
    period_table(con, "SELECT DISTINCT period_raw, time_identifier, year_type FROM cand WHERE skip IS NULL",
                 parse_period, period_error)
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
    key = ", ".join(KEY)
    # One pass: rows by indicator and reason, and the distinct keys kept (the indicator is part of the
    # key, so the distinct keys of each indicator add up to the distinct keys of all).
    groups = con.execute(f"""
        SELECT indicator_id, reason, count(*), count(DISTINCT hash({key})) FILTER (WHERE reason IS NULL),
               list(DISTINCT coalesce(status, 'published')) FILTER (WHERE reason IS NULL)
        FROM checked GROUP BY ALL""").fetchall()
    check_statuses(st for g in groups for st in (g[4] or []))
    kept = sum(n for _, r, n, _, _ in groups if r is None)
    if kept != sum(d for _, r, _, d, _ in groups if r is None):  # two rows share a key
        return rank_duplicates(con)
    used = sorted({i for i, r, _, _, _ in groups if r is None})
    # A source row may give several values (value columns): it is skipped when none is kept.
    per_row = con.execute("""
        WITH per_row AS (SELECT _row, min(reason) AS reason, bool_or(reason IS NULL) AS kept FROM checked GROUP BY _row)
        SELECT kept, CASE WHEN NOT kept THEN reason END AS reason, count(*) FROM per_row GROUP BY ALL""").fetchall()
    reasons = {r: n for k, r, n in sorted(per_row, key=lambda x: (-x[2], str(x[1]))) if not k}
    imported = sum(n for k, _, n in per_row if k)
    con.execute(f"CREATE OR REPLACE TEMP VIEW final_obs AS SELECT _row, {final_columns()} FROM checked "
                "WHERE reason IS NULL")
    return int(imported), reasons, used


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


WINDOWS_1252_NOTE = "read as Windows-1252 (not UTF-8), as Excel saves CSV"


def read_text_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A CSV file as text cells (nothing made a number or a missing value): UTF-8, with or without a byte order
    mark, else Windows-1252, which is what Excel's "CSV (Comma delimited)" writes; and a note when it was that."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252"), [WINDOWS_1252_NOTE]
    except UnicodeDecodeError as exc:
        raise BenchmarkFormatError(
            f"{path.name} is not text that can be read: byte 0x{exc.object[exc.start]:02x} at position {exc.start:,} "
            "is neither UTF-8 nor Windows-1252. Open it in Excel and save it as 'CSV UTF-8', then import that; "
            "nothing was stored.") from None


def read_header(path: Path) -> list[str]:
    """The column names of a CSV or Parquet file, without reading the rest."""
    if path.suffix.lower() == ".parquet":
        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:
            raise BenchmarkFormatError(f"{path.name} could not be read as a Parquet file ({exc}).") from None
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BenchmarkFormatError(f"{path.name} is a spreadsheet workbook (Excel), not a CSV or Parquet file. "
                                   "Open it and save the sheet with the data as CSV, then import that.")
    text = head.decode("utf-8-sig", errors="replace")
    try:
        return [c.strip() for c in next(csv.reader(io.StringIO(text)))]
    except StopIteration:
        return []
    except csv.Error as exc:
        raise BenchmarkFormatError(f"{path.name} could not be read as a CSV file ({exc}).") from None
