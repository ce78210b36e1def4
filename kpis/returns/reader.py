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
import re
import threading
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from kpis.returns.cells import looks_like_kpi_id, show
from kpis.returns.filesafety import UnreadableFile, check_upload, decode_text
from kpis.core.problems import Problem
from kpis.returns.layout import (DATA_SHEET, LISTS_SHEET, NARRATIVE_KEYS, NARRATIVE_SHEET, READ_COLUMNS,
                                RETURN_AREA_LABEL, RETURN_PERIOD_LABEL, column_key, normalise)

HEADER_SEARCH_ROWS = 30
NUMBER_COLUMNS = ("value", "numerator", "denominator")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


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

    def where(self, key: str) -> str | None:
        return self.columns.get(key)


def read_return(name: str, data: bytes, framework=None) -> ReturnFile:
    """Check the file's content (raises UnreadableFile) and read it. `framework` is accepted for symmetry.

    Reading depends on nothing but the bytes, so the last few results are kept: a page that previews
    a return and then submits it reads the file once.
    """
    key = (name, hashlib.sha256(data).hexdigest())
    if key in _RECENT:
        return copy.deepcopy(_RECENT[key])
    kind = check_upload(name, data)
    parsed = _read_xlsx(name, data) if kind == "xlsx" else _read_csv(name, data)
    with _RECENT_LOCK:
        _RECENT[key] = copy.deepcopy(parsed)
        while len(_RECENT) > 4:
            _RECENT.pop(next(iter(_RECENT)))
    return parsed


_RECENT: dict[tuple[str, str], ReturnFile] = {}
_RECENT_LOCK = threading.Lock()


# -- shared grid logic --------------------------------------------------------------------
def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)


def find_header(grid: list[list]) -> tuple[int, dict[str, int], dict[str, str]] | None:
    """The header row: the first of the top rows naming a KPI id column and a value-like column."""
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys: dict[str, int] = {}
        headers: dict[str, str] = {}
        for c, cell in enumerate(row):
            key = column_key(cell) if isinstance(cell, str) else None
            if key and key not in keys:
                keys[key] = c
                headers[key] = f"{_letter(c)} ({str(cell).strip()})"
        if "kpi_id" in keys and keys.keys() & {"value", "numerator", "period", "breakdown"}:
            return r, keys, headers
    return None


def _rows_from_grid(grid: list[list], header: tuple, sheet: str, percent_format=None) -> tuple[pd.DataFrame, int]:
    r0, keys, _ = header
    records, notes = [], 0
    for r in range(r0 + 1, len(grid)):
        row = grid[r]
        rec = {k: (row[c] if c < len(row) else None) for k, c in keys.items() if k in READ_COLUMNS}
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
    wb = _open_workbook(name, data, data_only=True)
    try:
        sheets = [ws for ws in wb.worksheets if normalise(ws.title) != normalise(LISTS_SHEET)]
        grids, percent_cells = {}, {}
        styled = _has_percent_styles(wb)
        for ws in sheets:
            grids[ws.title], percent_cells[ws.title] = _grid(ws, data, percent_styles=styled)
    except UnreadableFile:
        raise
    except Exception as exc:  # read-only mode parses each sheet as it is read: a broken sheet fails here
        raise UnreadableFile(f"'{name}' could not be read as an Excel workbook ({_reason(exc)}). Open it in "
                             "Excel, save it as an Excel Workbook (.xlsx) and upload it again.") from None
    finally:
        wb.close()
    found = []
    for i, ws in enumerate(sheets):
        header = find_header(grids[ws.title])
        if header:
            rank = (normalise(ws.title) != normalise(DATA_SHEET), ws.sheet_state != "visible", i)
            found.append((rank, ws, header))
    declared_period, declared_area = _declared(sheets, grids)
    if not found:
        first = sheets[0].title if sheets else DATA_SHEET
        return ReturnFile(name, "xlsx", first, _rows_from_grid([], (0, {}, {}), first)[0], {},
                          problems=[_no_header_problem(first)], declared_period=declared_period,
                          declared_area=declared_area)
    _, ws, header = min(found, key=lambda f: f[0])
    problems = _missing_column_problems(ws.title, header)
    pct = percent_cells[ws.title]
    rows, notes = _rows_from_grid(grids[ws.title], header, ws.title, percent_format=lambda r, c: (r, c) in pct)
    result = ReturnFile(name, "xlsx", ws.title, rows, header[2], declared_period=declared_period,
                        declared_area=declared_area, notes_skipped=notes)
    _read_narrative(result, [s for s in sheets if s is not ws], grids)
    if _has_formulas(data):
        problems += _uncached_formulas(name, data, result, header)
    result.problems = problems
    return result


def _open_workbook(name: str, data: bytes, *, data_only: bool):
    from openpyxl import load_workbook
    try:
        # read-only mode streams each sheet (about twice as fast); merged cells are read from the XML ourselves
        return load_workbook(io.BytesIO(data), data_only=data_only, read_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files; all mean "cannot read"
        raise UnreadableFile(f"'{name}' could not be opened as an Excel workbook ({_reason(exc)}). Open it in "
                             "Excel, save it as an Excel Workbook (.xlsx) and upload it again.") from None


def _reason(exc: Exception) -> str:
    cause = exc.__cause__ or exc.__context__
    if cause is not None and type(cause).__name__ in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"):
        return "it contains XML entity declarations, which are refused for safety"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _has_percent_styles(wb) -> bool:
    """Does any cell style use a percentage format? If not, values alone are read (about 30% faster).

    Uses openpyxl's style tables; if they cannot be read, assume yes and look at every cell.
    """
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
    try:
        for style in wb._cell_styles:
            fid = style.numFmtId
            fmt = (BUILTIN_FORMATS.get(fid, "") if fid < BUILTIN_FORMATS_MAX_SIZE
                   else wb._number_formats[fid - BUILTIN_FORMATS_MAX_SIZE])
            if "%" in (fmt or ""):
                return True
        return False
    except (AttributeError, IndexError, TypeError):
        return True


def _grid(ws, data: bytes, *, percent_styles: bool = True) -> tuple[list[list], set[tuple[int, int]]]:
    """Every cell value of a sheet, each merged range filled with its top-left value; and the
    (row, column) of numbers formatted as percentages (Excel stores 65% as 0.65)."""
    from openpyxl.utils.cell import range_boundaries
    ws.reset_dimensions()  # some writers record a wrong size; read every row there is
    grid, percent = [], set()
    if not percent_styles:
        grid = [list(line) for line in ws.iter_rows(values_only=True)]
    for r, line in enumerate(ws.iter_rows() if percent_styles else (), start=1):
        values = []
        for c, cell in enumerate(line, start=1):
            v = cell.value
            values.append(v)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (cell.number_format or ""):
                percent.add((r, c))
        grid.append(values)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(ws._worksheet_path) if ws._worksheet_path in z.namelist() else b""
    for ref in _MERGE.findall(xml):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        if min_row > len(grid):
            continue
        top = grid[min_row - 1]
        top_left = top[min_col - 1] if min_col <= len(top) else None
        for r in range(min_row, min(max_row, len(grid)) + 1):
            row = grid[r - 1]
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col):
                    row[c - 1] = top_left
    return grid, percent


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
                    area = str(row[c + 1]).strip()
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
                    found[key] = (value, (ws.title, r + 1, _letter(col)))
                    break
        if len(found) >= 2 or (found and normalise(ws.title) == normalise(NARRATIVE_SHEET)):
            result.narrative = {k: v for k, (v, _) in found.items()}
            result.narrative_cells = {k: where for k, (_, where) in found.items()}
            return


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return any(_FORMULA.search(z.read(n)) for n in z.namelist() if n.startswith("xl/worksheets/")
                   and n.endswith(".xml"))


def _uncached_formulas(name: str, data: bytes, result: ReturnFile, header: tuple) -> list[Problem]:
    """Formulas whose result Excel never saved (files written by scripts, or saved without recalculating)."""
    wb = _open_workbook(name, data, data_only=False)
    try:
        ws = wb[result.sheet]
        ws.reset_dimensions()
        r0, keys, labels = header
        rows = result.rows
        row_index = {r: i for i, r in enumerate(rows["row"].tolist())}
        columns = {c + 1: key for key, c in keys.items() if key in READ_COLUMNS}
        problems = []
        for line in ws.iter_rows(min_row=r0 + 2):
            for cell in line:
                key = columns.get(getattr(cell, "column", None))
                if key is None or cell.data_type != "f" or cell.row not in row_index:
                    continue
                if _blank(rows[key].iat[row_index[cell.row]]):
                    formula = str(cell.value)
                    problems.append(Problem(
                        result.sheet, cell.row, labels[key], formula, "a number, or a formula with its result saved",
                        f"This cell has the formula {formula} but no saved result, so its value is unknown (it is "
                        "not read as zero). Open the file in Excel, let it calculate, save, and upload again; or "
                        "type the number."))
    finally:
        wb.close()
    return problems


# -- csv ----------------------------------------------------------------------------------
def _read_csv(name: str, data: bytes) -> ReturnFile:
    text, encoding = decode_text(data, label=f"'{name}'")
    head = text[:8192]
    delimiter = max((",", ";", "\t", "|"), key=head.count)
    try:
        grid = [[c if c.strip() else None for c in row]
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFile(f"'{name}' could not be read as CSV ({exc}). Save it from Excel as 'CSV UTF-8' "
                             "and upload it again.") from None
    header = find_header(grid)
    if not header:
        return ReturnFile(name, "csv", name, _rows_from_grid([], (0, {}, {}), name)[0], {},
                          problems=[_no_header_problem(name)], encoding=encoding)
    rows, notes = _rows_from_grid(grid, header, name)
    return ReturnFile(name, "csv", name, rows, header[2], problems=_missing_column_problems(name, header),
                      encoding=encoding, notes_skipped=notes)


def describe(parsed: ReturnFile) -> dict:
    """A short summary of what was read, for a page or --json."""
    return {"file": parsed.name, "kind": parsed.kind, "sheet": parsed.sheet, "rows": int(len(parsed.rows)),
            "columns": dict(parsed.columns), "notes_skipped": parsed.notes_skipped, "encoding": parsed.encoding,
            "declared_period": show(parsed.declared_period) if parsed.declared_period is not None else None,
            "declared_area": parsed.declared_area, "narrative": sorted(parsed.narrative)}
