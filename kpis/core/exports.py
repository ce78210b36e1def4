"""Downloads: CSV and Excel versions of any table, safe to open in a spreadsheet.

Nothing in an export can run as a formula. In Excel files every text cell is
written as text (cell type 's'), so a value such as ``=1+1`` shows as those
four characters and is never calculated. CSV has no cell types, so text that
starts with ``= + - @``, a tab or a carriage return gets a leading apostrophe
(OWASP's advice against CSV injection).

Every Excel file has a Metadata sheet first: what it is, definitions, sources,
periods, the Open Government Licence attribution and when it was made.
"""
from __future__ import annotations

import io
import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell_text(value: object) -> object:
    """Text that Excel or LibreOffice will show as text, never run as a formula.

    A string starting with = + - @ tab or carriage return gets a leading
    apostrophe (OWASP's advice for CSV injection). Other values pass through.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


LICENCE = "Open Government Licence v3.0"   # of the published statistics, and of what the app exports
OGL_ATTRIBUTION = f"Contains public sector information licensed under the {LICENCE}."
METADATA_SHEET = "Metadata"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = "#12436D"


def generated_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# -- CSV ------------------------------------------------------------------------------
def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so Excel reads accents right); text cells and headers guarded."""
    safe = df.copy()
    safe.columns = [safe_cell_text(str(c)) for c in safe.columns]
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(lambda v: safe_cell_text(v) if isinstance(v, str) else v)
    # CRLF line ends (RFC 4180) also make the writer quote a field holding a bare carriage return.
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


# -- Excel ----------------------------------------------------------------------------
def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\)."""
    base = re.sub(r"\s+", " ", _SHEET_BAD.sub(" ", str(name))).strip().strip("'")[:31].strip() or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _cell_value(value: Any) -> Any:
    """A value a spreadsheet can hold: numbers (DECIMAL too) stay numbers, missing is empty, the rest is text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Decimal):        # DuckDB's DECIMAL (round(x, 1), sums of integers ...)
        return None if value.is_nan() else float(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            return _cell_value(value.item())
        except (ValueError, AttributeError):
            pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None) if value.tzinfo is None
                else value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _column_values(column: pd.Series) -> list:
    """A column's cell values, converted a column at a time where it can be (numbers, text), else value by value.

    Plain numbers and all-text columns (the bulk of a large export) skip the value-by-value checks: for the demo's
    41,645 current values that is 0.45 s of conversion rather than 0.6 s (xlsxwriter's own writing, about 3 s,
    is the rest)."""
    if column.dtype.kind in "iu":                     # NumPy integers: no missing values, Python ints as they are
        return column.tolist()
    if column.dtype.kind == "f":                      # NumPy floats: NaN (missing) is empty
        return [None if v != v else v for v in column.tolist()]
    if ((column.dtype == object or isinstance(column.dtype, pd.StringDtype))
            and pd.api.types.infer_dtype(column, skipna=True) == "string"):
        values = [v if isinstance(v, str) else None for v in column.tolist()]
        if ILLEGAL_CHARACTERS_RE.search("\n".join(v for v in values if v is not None)) is None:
            return values                             # one search of the whole column finds no character to drop
        return [None if v is None else ILLEGAL_CHARACTERS_RE.sub("", v) for v in values]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.astype(object).where(column.notna(), None).tolist()
        return [None if isinstance(v, float) and math.isnan(v) else (v.item() if hasattr(v, "item") else v)
                for v in values]
    return [_cell_value(v) for v in column.tolist()]


_CHUNK_ROWS = 5000   # rows converted at a time: a large table is never held twice over as Python objects


def _write_table(ws, df: pd.DataFrame, formats: dict) -> None:
    """The table, header first, written row by row (xlsxwriter's constant-memory mode keeps one row in memory).

    Text is always written as text (write_string), so nothing can run as a formula."""
    for j, name in enumerate(df.columns):
        ws.write_string(0, j, str(_cell_value(name) or ""), formats["header"])
    for start in range(0, len(df), _CHUNK_ROWS):
        chunk = df.iloc[start:start + _CHUNK_ROWS]
        columns = [_column_values(chunk.iloc[:, j]) for j in range(chunk.shape[1])]
        for i, row in enumerate(zip(*columns, strict=False), start=start + 1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    if v:
                        ws.write_string(i, j, v)
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                elif isinstance(v, (int, float)):
                    ws.write_number(i, j, v)
                elif isinstance(v, datetime):
                    ws.write_datetime(i, j, v, formats["datetime"])
                elif isinstance(v, date):
                    ws.write_datetime(i, j, v, formats["date"])
    ws.freeze_panes(1, 0)
    for j, name in enumerate(df.columns):
        sample = [str(name)] + [str(v) for v in df.iloc[:200, j].tolist()]
        ws.set_column(j, j, min(60, max(10, max(len(s) for s in sample) + 2)))


def metadata_rows(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, text) rows: a list value gives one row per item; licence and time are always there."""
    rows: list[tuple[str, str]] = []
    meta = dict(metadata)
    meta.setdefault("Licence", OGL_ATTRIBUTION)
    meta.setdefault("Generated", generated_at())
    for key, value in meta.items():
        if isinstance(value, pd.DataFrame):
            value = [" | ".join(f"{c}: {v}" for c, v in r.items() if pd.notna(v)) for _, r in value.iterrows()]
        if isinstance(value, (list, tuple)):
            items = [str(v) for v in value if v not in (None, "")] or ["–"]
            rows += [(key if i == 0 else "", item) for i, item in enumerate(items)]
        else:
            rows.append((key, "–" if value in (None, "") else str(value)))
    if not any(OGL_ATTRIBUTION in text for _, text in rows):
        rows.append(("Licence", OGL_ATTRIBUTION))
    return rows


def to_excel_bytes(sheets: Mapping[str, pd.DataFrame], metadata: Mapping[str, Any]) -> bytes:
    """An .xlsx with a Metadata sheet first, then one sheet per table.

    Written with xlsxwriter in constant-memory mode: a 100,000-row by 100-column result took 166 s and
    3.1 GB with openpyxl, which makes an object for every cell. Every text is written as text, never a formula.
    """
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": True,
                                   "tmpdir": tempfile.gettempdir()})
    formats = {"bold": wb.add_format({"bold": True}),
               "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
               "header": wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": _HEADER_FILL}),
               "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
               "date": wb.add_format({"num_format": "yyyy-mm-dd"})}
    meta = wb.add_worksheet(METADATA_SHEET)
    taken: set[str] = {METADATA_SHEET.lower()}
    meta.set_column(0, 0, 22)
    meta.set_column(1, 1, 110)
    meta.write_string(0, 0, "Field", formats["bold"])
    meta.write_string(0, 1, "Value", formats["bold"])
    for i, (key, text) in enumerate(metadata_rows(metadata), start=1):
        if key:
            meta.write_string(i, 0, _cell_value(key), formats["bold"])
        meta.write_string(i, 1, _cell_value(text) or "", formats["wrap"])
    for name, df in sheets.items():
        _write_table(wb.add_worksheet(sheet_title(name, taken)), df, formats)
    wb.close()
    return buf.getvalue()


def file_stem(*parts: str) -> str:
    """A safe file name stem from words: letters, digits and hyphens only."""
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "export"


def describe_periods(labels: Sequence[Any]) -> str:
    """'2021/22 to 2025/26 (5 periods)' from period labels in time order."""
    seen = [str(p) for p in dict.fromkeys(v for v in labels if v is not None and not pd.isna(v))]
    if not seen:
        return "–"
    if len(seen) == 1:
        return seen[0]
    return f"{seen[0]} to {seen[-1]} ({len(seen)} periods)"


def export_metadata(*, title: str, view: str, definitions: Sequence[str] = (), sources: Sequence[str] = (),
                    periods: str = "–", notes: Sequence[str] = (), demo: bool = False) -> dict[str, Any]:
    """The Metadata sheet's contents for one view: what, how defined, from where, when, and any caveats."""
    meta: dict[str, Any] = {"Title": title, "View": view, "Definitions": list(definitions) or ["–"],
                            "Sources": list(sources) or ["–"], "Periods": periods}
    if notes:
        meta["Notes"] = list(notes)
    meta["Demo data"] = ("Yes: some local figures are synthetic demo data, generated by a seeded script and "
                         "marked as demo in the data.") if demo else "No"
    meta["Licence"] = OGL_ATTRIBUTION
    meta["Generated"] = generated_at()
    return meta


COUNT_WORDS = ("numerator", "denominator", "rows", "values", "areas", "councils", "rank", "submissions",
               "count", "days", "kpis")


def number_formats(df: pd.DataFrame, *, decimals: int = 1) -> dict[str, str]:
    """printf formats for a table's float columns: counts whole, other numbers to `decimals` places."""
    out = {}
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col]):
            words = str(col).lower().replace("_", " ").split()
            whole = words == ["of"] or any(w.strip("()'") in COUNT_WORDS for w in words)
            out[col] = "%.0f" if whole else f"%.{decimals}f"
    return out


def rounded(df: pd.DataFrame, *, decimals: int = 1) -> pd.DataFrame:
    """A copy for download: counts as whole numbers (51, not 51.0), other numbers to `decimals` places, so a
    CSV carries what the screen shows (15.2, not 15.246007187970715). Missing stays missing."""
    out = df.copy()
    for col, fmt in number_formats(df, decimals=decimals).items():
        if fmt == "%.0f":
            out[col] = df[col].round(0).astype("Int64")
        else:
            out[col] = df[col].round(decimals)
    return out
