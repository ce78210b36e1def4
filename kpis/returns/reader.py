"""Read a quarterly return (xlsx or CSV) into plain rows, keeping where each value came from.

Reading is forgiving: the data sheet is found by its header row wherever it is
(renamed, moved, hidden); columns are matched by name in any case, spacing or
order; blank rows and trailing notes are skipped; merged cells are filled from
their top-left cell; formulas give their cached value (a formula with no cached
value is reported, never read as zero). Judging the values is `validation`'s job.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter

from kpis.core.framework import Framework
from kpis.core.problems import Problem
from kpis.core.text import quote
from kpis.returns.budget import MAX_CELL_CHARS, MAX_CELLS, MAX_FIELD_CHARS, Bound, OverBudget, clip, too_many_cells
from kpis.returns.cells import looks_like_kpi_id, show
from kpis.returns.filesafety import UnreadableFile, check_upload, decode_text
from kpis.returns.layout import (
    DATA_SHEET,
    LISTS_SHEET,
    NARRATIVE_KEYS,
    NARRATIVE_SHEET,
    READ_COLUMNS,
    RETURN_AREA_LABEL,
    RETURN_PERIOD_LABEL,
    column_key,
    normalise,
)
from kpis.returns.workbook_reader import read_workbook

HEADER_SEARCH_ROWS = 30
NUMBER_COLUMNS = ("value", "numerator", "denominator")
# characters kept of each field of a data row when read (the real length is kept: `kpis.core.text.text_length`):
# a KPI id, a period or a number is a few characters; commentary keeps a cell's own limit, for its rules to judge
FIELD_CHARS = {"commentary": MAX_CELL_CHARS}


@dataclass
class ReturnFile:
    """A return as read: rows of raw cell values with their sheet and row, plus the narrative."""
    name: str
    kind: str                                   # xlsx | csv
    sheet: str                                  # the data sheet's name (the file name for CSV)
    rows: pd.DataFrame                          # sheet, row, one column per READ_COLUMNS key, *_percent_format
    columns: dict[str, str]                     # key -> the column as the lead sees it, e.g. "F (Value)"
    narrative: dict[str, object] = field(default_factory=dict)
    narrative_cells: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # key -> (sheet, row, column)
    declared_period: object = None              # the template's "Return period", if present
    declared_area: str | None = None            # the template's "Sub-group id", if present
    problems: list[Problem] = field(default_factory=list)
    encoding: str | None = None
    notes_skipped: int = 0
    cells: int = 0                              # cells present in the file (the budget counts these)
    merged: list[tuple[str, str, int]] = field(default_factory=list)  # (sheet, range, cells covered, unclipped)
    bound: Bound = field(default_factory=Bound)  # what the workbook binds beyond its cells (the marked copy's)

    def where(self, key: str) -> str | None:
        return self.columns.get(key)


def read_return(name: str, data: bytes, framework: Framework | None = None) -> ReturnFile:
    """Check the file's content (raises UnreadableFile) and read it. `framework` is accepted for symmetry.

    Reading depends on nothing but the bytes, so the last few results are kept: a page that previews
    a return and then submits it reads the file once.
    """
    key = (name, hashlib.sha256(data).hexdigest())
    if key in _RECENT:
        return copy.deepcopy(_RECENT[key])
    kind = check_upload(name, data)
    try:
        parsed = _read_xlsx(name, data) if kind == "xlsx" else _read_csv(name, data)
    except MemoryError:
        raise out_of_memory(f"'{name}'") from None
    with _RECENT_LOCK:
        _RECENT[key] = copy.deepcopy(parsed)
        while len(_RECENT) > 4:
            _RECENT.pop(next(iter(_RECENT)))
    return parsed


_RECENT: dict[tuple[str, str], ReturnFile] = {}
_RECENT_LOCK = threading.Lock()


def out_of_memory(label: str) -> OverBudget:
    """The plain refusal when a file needs more memory than there is to read or check it."""
    return OverBudget(f"{label} needs more memory to read than a return can have: something in it is far bigger "
                      "inside than a return's table of figures (the largest real return has about 50,000 cells). "
                      "Nothing was stored. Copy the return's own rows into a fresh return template (or a new "
                      "sheet) and upload that.")


# -- shared grid logic --------------------------------------------------------------------
def _letter(index: int) -> str:
    return get_column_letter(index + 1)


def find_header(grid: list[list], letter: Callable[[int], str] = _letter
                ) -> tuple[int, dict[str, int], dict[str, str]] | None:
    """The header row: the first of the top rows naming a KPI id column and a value-like column.

    `letter(position)` names a grid position's column (a sheet read without its empty columns has its own).
    """
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys: dict[str, int] = {}
        headers: dict[str, str] = {}
        for c, cell in enumerate(row):
            key = column_key(cell) if isinstance(cell, str) else None
            if key and key not in keys:
                keys[key] = c
                headers[key] = f"{letter(c)} ({quote(str(cell).strip())})"   # a long header quoted short
        if "kpi_id" in keys and keys.keys() & {"value", "numerator", "period", "breakdown"}:
            return r, keys, headers
    return None


def _rows_from_grid(grid: list[list], header: tuple, sheet: str, percent_format=None) -> tuple[pd.DataFrame, int]:
    r0, keys, _ = header
    records, notes = [], 0
    for r in range(r0 + 1, len(grid)):
        row = grid[r]
        if not row:
            continue
        rec = {k: clip(row[c], FIELD_CHARS.get(k, MAX_FIELD_CHARS)) if c < len(row) else None
               for k, c in keys.items() if k in READ_COLUMNS}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in rec.values()):
            continue
        numbers_blank = all(_blank(rec.get(k)) for k in NUMBER_COLUMNS)
        if numbers_blank and not looks_like_kpi_id(rec.get("kpi_id")) and _blank(rec.get("status")):
            notes += 1          # a note under the table ("Figures are provisional"), not data
            continue
        rec["sheet"], rec["row"] = sheet, r + 1
        for k in NUMBER_COLUMNS:
            rec[f"{k}_percent_format"] = bool(percent_format and k in keys and percent_format(r + 1, keys[k] + 1))
        records.append(rec)
    columns = ["sheet", "row", *READ_COLUMNS, *(f"{k}_percent_format" for k in NUMBER_COLUMNS)]
    # object columns: a blank stays None and a number stays as written (no NaN, no float coercion)
    df = pd.DataFrame({c: pd.Series([rec.get(c) for rec in records], dtype=object) for c in columns})
    return df, notes


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _no_header_problem(sheet: str) -> Problem:
    return Problem(sheet, None, None, "no header row naming the columns",
                   "a header row with at least 'KPI id' and 'Value' (as in the return template)",
                   "No sheet has a header row with 'KPI id' and 'Value' columns, so no data could be read. Use the "
                   "return template, or put those column names in the first row.")


def _missing_column_problems(sheet: str, header: tuple) -> list[Problem]:
    r0, keys, _ = header
    if "value" in keys or "numerator" in keys:
        return []
    return [Problem(sheet, r0 + 1, None, "no Value column", "a column headed 'Value'",
                    "There is no 'Value' column, so there are no figures to read. Add a column headed 'Value'.")]


# -- xlsx ---------------------------------------------------------------------------------
def _read_xlsx(name: str, data: bytes) -> ReturnFile:
    bound = Bound()
    try:
        sheets = read_workbook(f"'{name}'", data, skip=lambda title: normalise(title) == normalise(LISTS_SHEET),
                               bound=bound)
    except UnreadableFile:
        raise
    except MemoryError:
        raise out_of_memory(f"'{name}'") from None
    except Exception as exc:  # openpyxl raises many kinds for broken files; all mean "cannot read"
        raise UnreadableFile(f"'{name}' could not be read as an Excel workbook ({unreadable_reason(exc)}). Open it in "
                             "Excel, save it as an Excel Workbook (.xlsx) and upload it again.") from None
    cells = sum(ws.cells for ws in sheets)
    merged = [(ws.title, ref, n) for ws in sheets for ref, n in ws.merged]
    sheets = [ws for ws in sheets if normalise(ws.title) != normalise(LISTS_SHEET)]
    grids = {ws.title: ws.grid for ws in sheets}
    found = []
    for i, ws in enumerate(sheets):
        header = find_header(ws.grid, ws.letter)
        if header:
            rank = (normalise(ws.title) != normalise(DATA_SHEET), ws.state != "visible", i)
            found.append((rank, ws, header))
    declared_period, declared_area = _declared(sheets, grids)
    if not found:
        first = sheets[0].title if sheets else DATA_SHEET
        return ReturnFile(name, "xlsx", first, _rows_from_grid([], (0, {}, {}), first)[0], {},
                          problems=[_no_header_problem(first)], declared_period=declared_period,
                          declared_area=declared_area, cells=cells, merged=merged, bound=bound)
    _, ws, header = min(found, key=lambda f: f[0])
    problems = _missing_column_problems(ws.title, header)
    pct = ws.percent
    rows, notes = _rows_from_grid(ws.grid, header, ws.title, percent_format=lambda r, c: (r, c) in pct)
    result = ReturnFile(name, "xlsx", ws.title, rows, header[2], declared_period=declared_period,
                        declared_area=declared_area, notes_skipped=notes, cells=cells, merged=merged, bound=bound)
    _read_narrative(result, [s for s in sheets if s is not ws], grids)
    if ws.formulas:
        problems += _uncached_formulas(ws, result, header)
    result.problems = problems
    return result


_XML_REFUSALS = ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden", "NotSupportedError")


def unreadable_reason(exc: Exception) -> str:
    """Why openpyxl could not read a workbook, in words a lead can read (never a Python name)."""
    for e in (exc, exc.__cause__, exc.__context__):
        if e is not None and type(e).__name__ in _XML_REFUSALS:
            return ("it declares XML entities, which Excel never writes: they are a known way to attack XML "
                    "readers, so they are refused")
        if isinstance(e, MemoryError):
            return "it needs more memory than a return can have"
        if isinstance(e, RecursionError):
            return "its content is nested deeper than a return's can be"
    text = str(exc).splitlines()[0] if str(exc) else ""
    if not text or "Error" in text or ("(" in text and "=" in text):   # a Python name, not words
        return "its content is not what Excel writes"
    return quote(text, 160)


def _declared(sheets, grids) -> tuple[object, str | None]:
    """The return period and sub-group the template wrote on its instructions sheet."""
    period = area = None
    for ws in sheets:
        for row in grids[ws.title][:40]:
            for c, cell in enumerate(row[:-1]):
                label = normalise(cell) if isinstance(cell, str) else ""
                if label == normalise(RETURN_PERIOD_LABEL) and period is None:
                    period = row[c + 1]
                elif label == normalise(RETURN_AREA_LABEL) and area is None and row[c + 1]:
                    area = str(clip(row[c + 1], MAX_FIELD_CHARS)).strip()
    return period, area


def _read_narrative(result: ReturnFile, sheets, grids) -> None:
    ordered = sorted(sheets, key=lambda s: normalise(s.title) != normalise(NARRATIVE_SHEET))
    for ws in ordered:
        found = {}
        for r, row in enumerate(grids[ws.title][:200]):
            for c, cell in enumerate(row[:3]):
                key = NARRATIVE_KEYS.get(normalise(cell)) if isinstance(cell, str) else None
                if key and key not in found:
                    rest = [(j, v) for j, v in enumerate(row[c + 1:], start=c + 1) if not _blank(v) and v != cell]
                    value, col = (rest[0][1], rest[0][0]) if rest else (None, c + 1)
                    found[key] = (value, (ws.title, r + 1, ws.letter(col)))
                    break
        if len(found) >= 2 or (found and normalise(ws.title) == normalise(NARRATIVE_SHEET)):
            result.narrative = {k: v for k, (v, _) in found.items()}
            result.narrative_cells = {k: where for k, (_, where) in found.items()}
            return


def _uncached_formulas(ws, result: ReturnFile, header: tuple) -> list[Problem]:
    """Formulas whose result Excel never saved (files written by scripts, or saved without recalculating)."""
    r0, keys, labels = header
    rows = result.rows
    row_index = {r: i for i, r in enumerate(rows["row"].tolist())}
    columns = {c + 1: key for key, c in keys.items() if key in READ_COLUMNS}
    problems = []
    for (row, column), formula in sorted(ws.formulas.items()):
        key = columns.get(column)
        if key is None or row <= r0 + 1 or row not in row_index:
            continue
        if _blank(rows[key].iat[row_index[row]]):
            problems.append(Problem(
                result.sheet, row, labels[key], show(formula), "a number, or a formula with its result saved",
                f"This cell has the formula {show(formula)} but no saved result, so its value is unknown (it is "
                "not read as zero). Open the file in Excel, let it calculate, save, and upload again; or "
                "type the number."))
    return problems


# -- csv ----------------------------------------------------------------------------------
def _read_csv(name: str, data: bytes) -> ReturnFile:
    text, encoding = decode_text(data, label=f"'{name}'")
    head = text[:8192]
    delimiter = max((",", ";", "\t", "|"), key=head.count)
    try:
        grid, cells = _csv_grid(name, text, delimiter)
    except csv.Error as exc:
        raise UnreadableFile(f"'{name}' could not be read as CSV ({_csv_reason(exc)}). Save it from Excel as "
                             "'CSV UTF-8' and upload it again. Nothing was stored.") from None
    header = find_header(grid)
    if not header:
        return ReturnFile(name, "csv", name, _rows_from_grid([], (0, {}, {}), name)[0], {},
                          problems=[_no_header_problem(name)], encoding=encoding, cells=cells)
    rows, notes = _rows_from_grid(grid, header, name)
    return ReturnFile(name, "csv", name, rows, header[2], problems=_missing_column_problems(name, header),
                      encoding=encoding, notes_skipped=notes, cells=cells)


def _csv_grid(name: str, text: str, delimiter: str) -> tuple[list[list], int]:
    """The CSV's rows, blank fields as None; cells counted as they are read, up to the budget.

    Past the budget nothing more is kept, but the rows are still counted, so the refusal can say how big
    the file is (rows x columns).
    """
    grid, cells, rows, width = [], 0, 0, 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows += 1
            width = max(width, len(row))
            cells += len(row)
            if cells <= MAX_CELLS:
                grid.append([clip(c, MAX_CELL_CHARS) if c.strip() else None for c in row])
    except csv.Error as exc:
        exc.line = reader.line_num          # the line the reader had got to, for the message
        raise
    if cells > MAX_CELLS:
        raise too_many_cells(f"'{name}'", "the file", rows, width)
    return grid, cells


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's complaint in plain words, with the line it was found on."""
    line = getattr(exc, "line", None)
    where = f"on line {line:,}" if line else "in the file"
    if "field larger than field limit" in str(exc):
        return (f"{where} one field runs on for more than {csv.field_size_limit():,} characters; a cell of a "
                f"return holds a few words or a number, and Excel itself keeps at most {MAX_CELL_CHARS:,} "
                "characters in a cell. Perhaps a quote mark (\") opens a field and is never closed")
    if "new-line character seen in unquoted field" in str(exc) or "NUL" in str(exc):
        return f"{where} there is a character a CSV file cannot hold there"
    return f"{where} its quote marks or separators do not line up"


def describe(parsed: ReturnFile) -> dict:
    """A short summary of what was read, for a page or --json."""
    return {"file": parsed.name, "kind": parsed.kind, "sheet": parsed.sheet, "rows": len(parsed.rows),
            "columns": dict(parsed.columns), "notes_skipped": parsed.notes_skipped, "encoding": parsed.encoding,
            "declared_period": show(parsed.declared_period) if parsed.declared_period is not None else None,
            "declared_area": parsed.declared_area, "narrative": sorted(parsed.narrative)}
