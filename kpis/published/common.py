"""What every benchmark reader shares: errors, the report, markers, areas, indicators, a file's header and text
(the checks from candidates to observations are `kpis.published.candidates`)."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from kpis.core.exports import LICENCE
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.store.database import Store
from kpis.store.reference import area_table

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
    # A reader that made table `cand` itself: its columns of publishers' labels that hold one (published_comparison,
    # published_comparison_region).
    labelled: tuple[str, ...] = ()


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


def kpis_by_comparator(framework: Framework | None, source: str) -> dict[str, Kpi]:
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
        return cls(area_table(store))

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
        raise undecodable(path, exc) from None


def undecodable(path: Path, exc: UnicodeDecodeError) -> BenchmarkFormatError:
    """The error for a file that is neither UTF-8 nor Windows-1252, naming the first byte that is neither."""
    return BenchmarkFormatError(
        f"{path.name} is not text that can be read: byte 0x{exc.object[exc.start]:02x} at position {exc.start:,} "
        "is neither UTF-8 nor Windows-1252. Open it in Excel and save it as 'CSV UTF-8', then import that; "
        "nothing was stored.")


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
