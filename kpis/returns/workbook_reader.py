"""Read an .xlsx workbook's sheets in bounded memory: the cells present, merged ranges clipped to them.

openpyxl's readers are not bounded by what a sheet holds: read-only mode pads every row out to the
sheet's last column (one cell in column XFD makes each row 16,384 cells wide), normal mode makes an
object for every cell of a merged range (a whole-sheet range is 17 billion), and both load the whole
shared-strings table. Here openpyxl reads the workbook's structure and styles and its parser reads each
cell, but the sheet XML is streamed here: only the cells present are kept, parsed rows are dropped from
the XML tree, and the budget (`return_budget`) is checked while reading. Every other XML part is streamed
once first (`workbook_parts._scan_parts`), before openpyxl reads any of them whole: its depth, its size, its
cell formats and defined names are bounded, and the cells under its cell notes counted. Each text is cut to
`MAX_CELL_CHARS` when read, knowing its real length (`Clipped`); a shared formula is worked out again only
for the few cells whose problem quotes it. What the marked copy would bind is counted in a `Bound`.

A sheet's grid has one entry per row (an empty tuple for a row with no cells). When its used rows times
its width fit the budget the grid is as wide as the sheet, position c being column c + 1, as openpyxl
would give it; otherwise (a stray cell in column XFD) only the columns holding cells are kept, and
`Sheet.letter` names the real column.
"""
from __future__ import annotations

import io
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.functions import iterparse

from kpis.core.text import quote, text_length
from kpis.returns.budget import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_FIELD_CHARS,
    MAX_MERGED_RANGES,
    MAX_SHARED_WORKED,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    Bound,
    Clipped,
    clip,
    too_deep,
    too_many_cells,
    too_many_cells_read,
    too_many_merges,
    too_many_parts,
)
from kpis.returns.workbook_parts import (
    CF_RULE,
    COL,
    FORMULA,
    HYPERLINK,
    MAX_COLUMN,
    MAX_ROW,
    MERGE_CELL,
    ROW,
    VALIDATION,
    _count_notes,
    _range_cells,
    _scan_parts,
    shared_strings,
)

ROW_PLAIN = {"r", "spans"}      # a row with any other attribute (a height, a format) is a row dimension


@dataclass
class Sheet:
    """One worksheet as read: its grid of values and what is known about its cells."""
    title: str
    state: str                                              # visible | hidden | veryHidden
    grid: list = field(default_factory=list)                # grid[r - 1]: row r's values, () when it has none
    columns: list[int] | None = None                        # real column of each position; None: position c + 1
    percent: set[tuple[int, int]] = field(default_factory=set)          # (row, position + 1) of % numbers
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, position + 1) -> formula, no result
    cells: int = 0                                          # cells present in the XML
    merged: list[tuple[str, int]] = field(default_factory=list)         # (range, cells it covers, unclipped)

    def letter(self, position: int) -> str:
        return get_column_letter(self.columns[position] if self.columns else position + 1)


class _Budget:
    def __init__(self, label: str, bound: Bound):
        self.label, self.cells, self.bound = label, 0, bound
        self.worked = 0                 # shared formulas worked out cell by cell, to quote in a problem

    def take(self, n: int, where: str) -> None:
        self.cells += n
        if self.cells > MAX_CELLS:
            raise too_many_cells_read(self.label, where, MAX_CELLS)


def read_workbook(label: str, data: bytes, *, skip: Callable[[str], bool] = lambda title: False,
                  bound: Bound | None = None) -> list[Sheet]:
    """Every worksheet (not those `skip(title)` names, whose cells are only counted), in order.

    Raises OverBudget, or openpyxl's errors. `bound` is filled with what the workbook binds beyond its cells.
    """
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    bound = bound if bound is not None else Bound()
    try:
        notes = _scan_parts(reader, label, bound)   # before openpyxl reads any part whole
        reader.read_manifest()
        reader.shared_strings = shared_strings(reader, label, bound)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        wb = reader.wb
        percent_ids = _percent_styles(wb)
        budget = _Budget(label, bound)
        sheets = []
        # not openpyxl's read_worksheets: its read-only sheets look for the size by parsing the whole sheet
        # when it is not declared, keeping every element
        for info, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                continue
            sheet = Sheet(clip(info.name, MAX_FIELD_CHARS), info.state or "visible")
            _read_sheet(sheet, wb, rel.target, reader.shared_strings, percent_ids, budget, keep=not skip(info.name))
            _count_notes(reader, rel.target, sheet.title, notes, bound)
            sheets.append(sheet)
        return sheets
    finally:
        reader.archive.close()


def _percent_styles(wb) -> set[int]:
    """The style ids whose number format shows a percentage (Excel stores 65% as 0.65)."""
    out = set()
    for i, style in enumerate(wb._cell_styles):
        fid = style.numFmtId
        try:
            fmt = (BUILTIN_FORMATS.get(fid, "") if fid < BUILTIN_FORMATS_MAX_SIZE
                   else wb._number_formats[fid - BUILTIN_FORMATS_MAX_SIZE])
        except IndexError:
            fmt = ""
        if "%" in (fmt or ""):
            out.add(i)
    return out


def _read_sheet(sheet: Sheet, wb, path: str, strings, percent_ids: set[int], budget: _Budget, *,
                keep: bool = True) -> None:
    """Stream one sheet's XML. Each element is dropped from the tree once read (a row once parsed), and
    cells, rows and elements are counted as they start, so no part of the sheet can grow unchecked.

    What the marked copy would bind (hyperlinks, validations, formats, row heights, widths) is counted into
    the budget's `Bound`. With `keep` False the cells are counted but not read."""
    where = f"sheet '{sheet.title}'"
    bound = budget.bound
    parser = WorkSheetParser(None, strings, data_only=True, epoch=wb.epoch, date_formats=wb._date_formats,
                             timedelta_formats=wb._timedelta_formats)
    rows: dict[int, list] = {}              # row -> [(column, value, percent?)], cells present only
    formulas: dict[tuple[int, int], str] = {}
    masters: dict[str, tuple[str, str, int]] = {}       # shared formula id -> (first cell, its start, length)
    refs: list[str] = []
    stack: list = []                        # the open elements, the root first
    elements = rows_seen = row_cells = present = 0
    with wb._archive.open(path) as src:
        for event, el in iterparse(src, events=("start", "end")):
            if event == "start":
                stack.append(el)
                elements += 1
                if elements > MAX_XML_ELEMENTS:
                    raise too_many_parts(budget.label, where)
                if len(stack) > MAX_XML_DEPTH:
                    raise too_deep(budget.label, path)
                tag = el.tag
                if len(stack) == 3 and tag == ROW:
                    rows_seen, row_cells = rows_seen + 1, 0
                    if rows_seen > MAX_ROW:
                        raise too_many_cells(budget.label, where, rows_seen, 1)
                    if not ROW_PLAIN.issuperset(el.keys()):
                        bound.row_dimensions += 1
                elif len(stack) == 4 and stack[2].tag == ROW:
                    budget.take(1, where)       # a cell (or anything else) inside a row
                    row_cells += 1
                    present += 1
                    if row_cells > MAX_COLUMN:
                        raise too_many_cells(budget.label, where, rows_seen, row_cells)
                elif tag == HYPERLINK:
                    ref = el.get("ref") or ""
                    bound.covers(sheet.title, "hyperlink", ref, _range_cells(ref))
                elif tag == VALIDATION:
                    bound.data_validations += 1
                elif tag == CF_RULE:
                    bound.conditional_formats += 1
                elif tag == COL:
                    bound.column_dimensions += 1
                continue
            level = len(stack)
            stack.pop()
            if level > 3 and stack[2].tag == ROW:
                continue                        # part of a row: read with the row
            if level == 3 and el.tag == ROW:
                if keep and (len(el) or el.get("r") is None):
                    _take_row(parser, el, rows, formulas, masters, percent_ids, budget, where)
            elif el.tag == MERGE_CELL:
                refs.append(el.get("ref") or "")
                if len(refs) > MAX_MERGED_RANGES:
                    raise too_many_merges(budget.label, sheet.title, MAX_MERGED_RANGES)
            if level >= 2:
                stack[-1].clear()               # drop what has been read from the tree
    if not keep:
        sheet.cells = present
        return
    sheet.cells = sum(len(v) for v in rows.values())
    _lay_out(sheet, rows, formulas, budget, where)
    _fill_merged(sheet, refs, budget, where)


def _take_row(parser, el, rows: dict, formulas: dict, masters: dict, percent_ids: set[int], budget: _Budget,
              where: str) -> None:
    r, cells = parser.parse_row(el)
    parser.row_dimensions.clear()               # openpyxl keeps each row's attributes; they are not needed here
    if not cells or r < 1:
        return
    right = max(cell["column"] for cell in cells)
    if r > MAX_ROW or right > MAX_COLUMN:
        raise too_many_cells(budget.label, where, r, right)
    line = rows.setdefault(r, [])
    for cell, xml in zip(cells, el, strict=False):
        v = cell["value"]
        if isinstance(v, str):
            budget.bound.longest_text = max(budget.bound.longest_text, text_length(v))
            v = clip(v, MAX_CELL_CHARS)
        line.append((cell["column"], v, cell["style_id"] in percent_ids
                     and isinstance(v, (int, float)) and not isinstance(v, bool)))
        f = xml.find(FORMULA)
        if f is not None:
            formula = _formula(parser, xml, f, masters, budget)
            if v is None:
                formulas[(r, cell["column"])] = formula


def _formula(parser, xml, f, masters: dict, budget: _Budget) -> str:
    """A cell's formula as a person sees it ('=SUM(A1:A3)'), at most MAX_FIELD_CHARS of it.

    A shared formula is written once, in its first cell; openpyxl works out every other cell's from it (the
    marked copy does, for every cell: its characters are counted into the budget's `Bound`). Here it is
    worked out again only for MAX_SHARED_WORKED cells with no saved result, and only when it is short;
    otherwise the first cell's formula is quoted, saying so.
    """
    kind, text, si = f.get("t"), f.text or "", f.get("si")
    budget.bound.longest_formula = max(budget.bound.longest_formula, len(text) + 1)
    if kind == "shared" and text:               # the first cell: the others are worked out from it
        masters[si] = (xml.get("r") or "", text[:MAX_FIELD_CHARS], len(text))
        if len(text) <= MAX_FIELD_CHARS and si not in parser.shared_formulae:
            parser.parse_formula(xml)           # openpyxl keeps it, to work the others out
        return _clipped("=" + text[:MAX_FIELD_CHARS], len(text) + 1)
    if kind == "shared":
        if si not in masters:
            return "="
        first, start, length = masters[si]
        budget.bound.formula_chars += length
        if length <= MAX_FIELD_CHARS and budget.worked < MAX_SHARED_WORKED and si in parser.shared_formulae:
            budget.worked += 1
            return str(parser.parse_formula(xml))
        return f"{quote(_clipped('=' + start, length + 1))} (copied from {first})"
    if len(text) > MAX_FIELD_CHARS:
        return _clipped("=" + text[:MAX_FIELD_CHARS], len(text) + 1)
    return str(parser.parse_formula(xml))


def _clipped(text: str, length: int) -> str:
    out = Clipped(text)
    out.length = max(length, len(text))
    return out


def _lay_out(sheet: Sheet, rows: dict[int, list], formulas: dict, budget: _Budget, where: str) -> None:
    """The grid: as wide as the sheet when that fits the budget, else only the columns that hold cells."""
    if not rows:
        return
    used_rows = len(rows)
    right = {r: max(c for c, _, _ in line) for r, line in rows.items()}
    width = max(right.values())
    position = None
    if used_rows * width > MAX_CELLS - budget.cells + sheet.cells:
        sheet.columns = sorted({c for line in rows.values() for c, _, _ in line})
        position = {c: i for i, c in enumerate(sheet.columns)}
        width = len(sheet.columns)
    extra = max(used_rows * width - sheet.cells, 0)
    if budget.cells + extra > MAX_CELLS:
        raise too_many_cells(budget.label, where, used_rows, width)
    budget.cells += extra
    grid: list = [()] * max(rows)
    for r, line in rows.items():
        values = [None] * (right[r] if position is None else position[right[r]] + 1)
        for c, v, pct in line:
            i = c - 1 if position is None else position[c]
            values[i] = v
            if pct:
                sheet.percent.add((r, i + 1))
        grid[r - 1] = values
    sheet.formulas = {(r, (c if position is None else position[c] + 1)): f for (r, c), f in formulas.items()}
    sheet.grid = grid


def _fill_merged(sheet: Sheet, refs: list[str], budget: _Budget, where: str) -> None:
    """Each merged range's cells take its top-left value, within the rows and columns that hold cells."""
    grid = sheet.grid
    used_rows = [r for r, line in enumerate(grid, start=1) if line]
    filled = 0
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        sheet.merged.append((ref, (max_row - min_row + 1) * (max_col - min_col + 1)))
        top = grid[min_row - 1] if min_row <= len(grid) else ()
        first = _position(sheet, min_col)
        top_left = top[first] if first is not None and first < len(top) else None
        if sheet.columns is None:
            positions = range(min_col - 1, min(max_col, max((len(line) for line in grid), default=0)))
        else:
            positions = range(bisect_left(sheet.columns, min_col), bisect_right(sheet.columns, max_col))
        for r in used_rows[bisect_left(used_rows, min_row):bisect_right(used_rows, max_row)]:
            row = grid[r - 1]
            if len(row) < positions.stop:
                row.extend([None] * (positions.stop - len(row)))
            for i in positions:
                if (r, i) != (min_row, first):
                    row[i] = top_left
            filled += len(positions)
            if filled > MAX_CELLS:
                raise too_many_cells_read(budget.label, f"the merged ranges of {where}", MAX_CELLS)


def _position(sheet: Sheet, column: int) -> int | None:
    if sheet.columns is None:
        return column - 1
    i = bisect_left(sheet.columns, column)
    return i if i < len(sheet.columns) and sheet.columns[i] == column else None
