"""The problems of a return, for people: a table, a sentence, and a copy of the workbook marked up.

`annotate_workbook` gives the lead their own file back with each problem's
cell shaded (red: must be fixed; amber: check) and a cell note saying what is
wrong, plus a "Problems" sheet listing every problem with a link to its cell.
A CSV upload comes back as a workbook of its rows, at the same row numbers.
Text from the upload is written so that a spreadsheet never runs it as a formula.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink

from kpis.core.exports import safe_cell_text
from kpis.core.problems import Problem, total
from kpis.returns.budget import OverBudget, marked_copy_refusal
from kpis.returns.filesafety import UnreadableFile, check_upload, decode_text
from kpis.returns.layout import normalise

PROBLEMS_SHEET = "Problems"
CSV_SHEET = "Data"
SEVERITY_WORDS = {True: "Error: must be fixed", False: "Warning: check"}
FILLS = {True: PatternFill("solid", fgColor="F4C7C3"), False: PatternFill("solid", fgColor="FFE699")}
EDGES = {True: Side(style="medium", color="B10E1E"), False: Side(style="medium", color="B26F00")}
TABLE_COLUMNS = ["Severity", "Sheet", "Row", "Column", "Message", "Found", "Expected"]  # where, then the story
AUTHOR = "Return check"
_LETTERS = re.compile(r"^([A-Z]{1,3})(?:\s*\(|\s*$)")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def ordered(problems: list[Problem]) -> list[Problem]:
    """Errors first, then warnings, each kept in the order the check found them (sheet, then row)."""
    return [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]


def problem_table(problems: list[Problem]) -> pd.DataFrame:
    """One row per problem: severity, sheet, row, column, message, found, expected. Errors first."""
    rows = [{"Severity": SEVERITY_WORDS[p.is_error], "Sheet": p.sheet, "Row": p.row, "Column": p.column or "",
             "Message": p.message, "Found": p.found, "Expected": p.expected} for p in ordered(problems)]
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    df["Row"] = df["Row"].astype("Int64")
    return df


def marked_copy_name(name: str) -> str:
    """The download name of a file's marked copy: 'safeguarding-return.xlsx' -> 'safeguarding-return-problems.xlsx'
    (letters, digits, - and _ kept, anything else a hyphen, at most 60 of them)."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in Path(name).stem)[:60] or "return"
    return f"{stem}-problems.xlsx"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe(p: Problem) -> str:
    """One problem as a sentence a lead can act on: where, what is wrong, what was found and expected."""
    return f"{p.where[0].upper()}{p.where[1:]}: {p.message} (Found: {p.found}. Expected: {p.expected}.)"


def problem_summary(problems: list[Problem]) -> str:
    """'3 problems must be fixed; 1 warning to check.' in words a lead can act on."""
    n_err = sum(p.count for p in problems if p.is_error)   # a capped list's "… and N more" line counts N
    n_warn = total(problems) - n_err
    if not problems:
        return "No problems found."
    parts = []
    if n_err:
        parts.append(f"{_count(n_err, 'problem', 'problems')} must be fixed")
    if n_warn:
        parts.append(f"{_count(n_warn, 'warning', 'warnings')} to check")
    sentence = "; ".join(parts) + "."
    if not n_err:
        sentence = "Nothing must be fixed; " + sentence
    return sentence


# -- the annotated copy -------------------------------------------------------------------
def annotate_workbook(data: bytes, problems: list[Problem], *, name: str = "return.xlsx") -> bytes:
    """A copy of the uploaded return (xlsx, or CSV turned into xlsx) with every problem marked.

    Raises UnreadableFile if the upload is not a workbook or CSV that can be opened, and OverBudget when
    opening it whole would take more than the reading budget (`return_budget`): openpyxl makes an object
    for every cell present and every cell of every merged range.
    """
    kind = check_upload(name, data)
    from kpis.returns.reader import read_return  # the read is kept: this costs nothing after a check
    parsed = read_return(name, data)
    reason = marked_copy_refusal(f"'{name}'", cells=parsed.cells, merged=parsed.merged, bound=parsed.bound)
    if reason:
        raise OverBudget(reason)
    if kind == "xlsx":
        wb = _open(name, data)
        sheet_for = {ws.title: ws for ws in wb.worksheets}
    else:
        wb = _csv_workbook(name, data)
        sheet_for = {name: wb[CSV_SHEET], CSV_SHEET: wb[CSV_SHEET]}
    marked: dict[tuple[str, str], list[Problem]] = {}
    located: list[tuple[Problem, object]] = []
    for p in ordered(problems):
        ws = sheet_for.get(p.sheet)
        cell = _locate(ws, p) if ws is not None else None
        located.append((p, cell))
        if cell is not None:
            marked.setdefault((cell.parent.title, cell.coordinate), []).append(p)
    for (title, coordinate), found in marked.items():
        _mark(wb[title][coordinate], found)
    _problems_sheet(wb, name, kind, located)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def marked_copy(data: bytes, problems: list[Problem], *, name: str = "return.xlsx") -> tuple[bytes | None, str | None]:
    """(the marked copy, None), or (None, the plain reason why none can be made) for a page to show."""
    try:
        return annotate_workbook(data, problems, name=name), None
    except UnreadableFile as exc:
        return None, str(exc)
    except MemoryError:
        return None, (f"No marked copy of '{name}' is offered: marking problems on a copy needs more memory than a "
                      "return can have (something in the file is far bigger inside than its table of figures). "
                      "Every problem is listed on this page.")


def _open(name: str, data: bytes):
    try:
        return load_workbook(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for broken files; all mean "cannot open"
        from kpis.returns.reader import unreadable_reason
        reason = unreadable_reason(exc)
        raise UnreadableFile(f"'{name}' could not be opened to mark its problems ({reason}). The problems are "
                             "listed on the page.") from None


def _csv_workbook(name: str, data: bytes) -> Workbook:
    text, _ = decode_text(data, label=f"'{name}'")
    delimiter = max((",", ";", "\t", "|"), key=text[:8192].count)  # as `returns` reads it
    wb = Workbook()
    ws = wb.active
    ws.title = CSV_SHEET
    widths: dict[int, int] = {}
    try:
        for r, line in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            for c, raw in enumerate(line, start=1):
                if not raw.strip():
                    continue
                cell = ws.cell(r, c)
                if _NUMBER.match(raw.strip()):
                    cell.value = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
                else:
                    cell.value = raw
                    cell.data_type = "s"   # stored as text: "=1+1" in a CSV stays text, never a formula
                widths[c] = max(widths.get(c, 0), min(len(raw), 50))
    except csv.Error as exc:
        raise UnreadableFile(f"'{name}' could not be read as CSV ({exc}).") from None
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = max(10, w + 2)
    return wb


def _locate(ws, p: Problem):
    """The cell a problem is about, or None when it concerns a whole sheet or file."""
    letter = _column_letter(p.column)
    if p.row and letter:
        return _top_left(ws, ws[f"{letter}{p.row}"])
    if p.row:                                  # a whole row (e.g. a repeated row): mark its first cell
        return _top_left(ws, ws.cell(p.row, 1))
    if p.column and not letter:                # a labelled cell, e.g. "Sub-group id" on the instructions sheet
        for line in ws.iter_rows(max_row=min(ws.max_row, 60), max_col=min(ws.max_column, 10)):
            for cell in line:
                if isinstance(cell.value, str) and normalise(cell.value) == normalise(p.column):
                    return _top_left(ws, ws.cell(cell.row, cell.column + 1))
    if letter:                                 # a whole column: mark its header, found by its name
        header = re.sub(r"^[A-Z]{1,3}\s*\((.*)\)$", r"\1", p.column or "")
        column = column_index_from_string(letter)
        for r in range(1, min(ws.max_row, 30) + 1):
            value = ws.cell(r, column).value
            if isinstance(value, str) and normalise(value) == normalise(header):
                return _top_left(ws, ws.cell(r, column))
    return None


def _column_letter(column: str | None) -> str | None:
    m = _LETTERS.match(column or "")
    return m.group(1) if m else None


def _top_left(ws, cell):
    if not isinstance(cell, MergedCell):
        return cell
    for rng in ws.merged_cells.ranges:
        if cell.coordinate in rng:
            return ws.cell(rng.min_row, rng.min_col)
    return cell


def _mark(cell, found: list[Problem]) -> None:
    is_error = any(p.is_error for p in found)
    cell.fill = FILLS[is_error]
    edge = EDGES[is_error]
    cell.border = Border(left=edge, right=edge, top=edge, bottom=edge)
    text = "\n\n".join(f"{SEVERITY_WORDS[p.is_error]}. {p.message}\nFound: {p.found}. Expected: {p.expected}."
                       for p in found)
    comment = Comment(text, AUTHOR)
    comment.width = 320
    comment.height = min(400, 60 + 16 * (len(text) // 45 + text.count("\n")))
    cell.comment = comment


def _problems_sheet(wb, name: str, kind: str, located: list[tuple[Problem, object]]) -> None:
    ws = wb.create_sheet(PROBLEMS_SHEET)  # last, so a re-upload reads the other sheets as before
    problems = [p for p, _ in located]
    ws["A1"] = safe_cell_text(f"Problems found in {name}")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = problem_summary(problems)
    ws["A2"].font = Font(bold=True)
    where = (f"Your CSV file's rows are on the '{CSV_SHEET}' sheet, at the same row numbers as in the file. "
             if kind == "csv" else "")
    ws["A3"] = (f"{where}Cells with a problem are shaded (red: must be fixed; amber: check) and have a note "
                "saying what is wrong. Fix your file and upload it again; errors block the return, warnings do not.")
    ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A3:H3")
    ws.row_dimensions[3].height = 32
    header = [*TABLE_COLUMNS, "Go to"]
    for c, title in enumerate(header, start=1):
        cell = ws.cell(5, c, title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="12436D")
    for r, (p, target) in enumerate(located, start=6):
        values = [SEVERITY_WORDS[p.is_error], p.sheet, p.row, p.column or "", p.message, p.found, p.expected]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, safe_cell_text(value) if isinstance(value, str) else value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(r, 1).fill = FILLS[p.is_error]
        if target is not None:
            link = ws.cell(r, len(header), f"Go to {target.coordinate}")
            link.hyperlink = Hyperlink(ref=link.coordinate,
                                       location=f"{quote_sheetname(target.parent.title)}!{target.coordinate}")
            link.font = Font(color="12436D", underline="single")
            link.alignment = Alignment(vertical="top")
    for letter, width in zip("ABCDEFGH", (20, 14, 6, 18, 70, 22, 36, 12), strict=False):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A6"
    wb.active = wb.worksheets.index(ws)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
