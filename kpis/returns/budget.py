"""One budget for reading a return, whatever its shape: cells, text, problems listed, and the marked copy.

A file passes `filesafety` by its size on disk and unpacked; this budget is about what is inside. A
biggest real return is about 5,000 rows x 10 columns (50,000 cells); the budget is ten times that.

- cells: rows x columns actually present in a sheet (or a CSV), counted while reading, never after
  materialising empty cells; a merged range is clipped to the rows and columns that hold cells;
- text: the workbook's shared-strings table has at most one entry per cell and `MAX_TEXT_CHARS` in all;
- problems: every problem is counted; the first `MAX_PROBLEMS` are listed, then one line says how many more;
- the marked copy (`annotate`) opens the whole workbook with openpyxl, which makes an object for every cell of
  every merged range: it is made only when those cells, and the cells present, fit the same budget.

Every refusal is an `OverBudget` (an `UnreadableFile`): what was found, what is expected, what to do.
"""
from __future__ import annotations

from kpis.returns.filesafety import UnreadableFile
from kpis.core.problems import ERROR, WARNING, Problem

MAX_CELLS = 500_000             # rows x columns present, per file (all sheets together)
MAX_TEXT_CHARS = 20_000_000     # characters in the shared-strings table
MAX_MERGED_RANGES = 10_000      # merged ranges in one sheet
MAX_PROBLEMS = 1_000            # problems listed; the rest are counted
MAX_XML_ELEMENTS = 4 * MAX_CELLS  # XML elements in one sheet or the shared-strings table (bounds the time)
FIX_IT = "Copy the return's own rows into a fresh return template (or a new sheet) and upload that."


class OverBudget(UnreadableFile):
    """The file is bigger inside than a return can be. The message says what was found and what to do."""


def too_many_cells(label: str, where: str, rows: int, columns: int) -> OverBudget:
    return OverBudget(f"{label} has {rows:,} rows x {columns:,} columns with cells in {where} ({rows * columns:,} "
                      f"cells); a return has at most {MAX_CELLS:,} cells (the largest real return has about "
                      f"50,000). Something outside the table (a stray entry far down or far to the right, "
                      f"or a whole column filled in) makes it this big. {FIX_IT}")


def too_many_cells_read(label: str, where: str, cells: int) -> OverBudget:
    return OverBudget(f"{label} has more than {cells:,} cells in {where}; a return has at most {MAX_CELLS:,} "
                      f"cells (the largest real return has about 50,000). {FIX_IT}")


def too_much_text(label: str, entries: int, chars: int) -> OverBudget:
    """The shared-strings table passed a limit: its entries, its characters, or (reading stopped part way
    through, perhaps before one entry was whole) the pieces it is made of. `entries`: those read so far."""
    if chars > MAX_TEXT_CHARS:
        found = f"more than {MAX_TEXT_CHARS:,} characters of text ({entries:,} entries read)"
    elif entries >= MAX_CELLS:
        found = f"more than {MAX_CELLS:,} entries"
    else:   # too many pieces of content: "more than 0 entries" said nothing
        found = (f"more than {MAX_XML_ELEMENTS:,} pieces of content (text runs, formats and the like)"
                 + (f" in its first {entries:,} entries" if entries else " before its first entry ends"))
    return OverBudget(f"{label} keeps a table of text with {found}; a return needs far less (the limit is "
                      f"{MAX_CELLS:,} entries and {MAX_TEXT_CHARS:,} characters). {FIX_IT}")


def too_many_parts(label: str, where: str) -> OverBudget:
    return OverBudget(f"{label} holds more than {MAX_XML_ELEMENTS:,} pieces of content in {where} (cells, rows, "
                      "formats and the like); a return has at most about a tenth of that. It was not written "
                      f"by Excel in the usual way. {FIX_IT}")


def too_many_merges(label: str, sheet: str, count: int) -> OverBudget:
    return OverBudget(f"{label} has more than {count:,} merged ranges on sheet '{sheet}'; a return has at most "
                      f"{MAX_MERGED_RANGES:,}. Unmerge the cells (Home > Merge & Center > Unmerge Cells) and "
                      "upload it again.")


def cap_problems(problems: list[Problem], *, sheet: str) -> list[Problem]:
    """The first MAX_PROBLEMS problems, then a line per severity saying how many more there are.

    Each closing line carries `count`, so totals (`problems.total`) still count every problem found.
    """
    if len(problems) <= MAX_PROBLEMS:
        return problems
    kept, rest = problems[:MAX_PROBLEMS], problems[MAX_PROBLEMS:]
    more_errors = sum(p.is_error for p in rest)
    more_warnings = len(rest) - more_errors
    out = list(kept)
    if more_errors:
        out.append(Problem(sheet, None, None, f"{more_errors:,} more problems", f"at most {MAX_PROBLEMS:,} listed",
                           f"… and {more_errors:,} more problems, not listed here: only the first "
                           f"{MAX_PROBLEMS:,} are. So many usually means the wrong file or the wrong columns: "
                           "fix the ones listed and upload the file again to see the rest.", ERROR,
                           count=more_errors))
    if more_warnings:
        out.append(Problem(sheet, None, None, f"{more_warnings:,} more warnings", f"at most {MAX_PROBLEMS:,} listed",
                           f"… and {more_warnings:,} more warnings, not listed here: only the first "
                           f"{MAX_PROBLEMS:,} problems are.", WARNING, count=more_warnings))
    return out


def marked_copy_refusal(label: str, *, cells: int, merged: list[tuple[str, str, int]]) -> str | None:
    """Why no marked copy can be made of this workbook, or None when it fits the budget.

    `cells` are the cells present in the file; `merged` is (sheet, range, cells) for each merged range,
    unclipped: openpyxl makes an object for every one of those cells when it opens the file to mark it.
    """
    merged_cells = sum(n for _, _, n in merged)
    if cells + merged_cells <= MAX_CELLS:
        return None
    if merged_cells > MAX_CELLS - min(cells, MAX_CELLS):
        sheet, ref, n = max(merged, key=lambda m: m[2])
        return (f"No marked copy of {label} is offered: on sheet '{sheet}' the merged range {ref} covers {n:,} "
                f"cells, and marking problems on a copy means opening every one of them (the limit is "
                f"{MAX_CELLS:,} cells). Every problem is listed on this page. To get a marked copy, unmerge "
                "those cells (Home > Merge & Center > Unmerge Cells) and upload the file again.")
    return (f"No marked copy of {label} is offered: it has {cells:,} cells, and marking problems on a copy "
            f"means opening every one of them (the limit is {MAX_CELLS:,}). Every problem is listed on this page.")
