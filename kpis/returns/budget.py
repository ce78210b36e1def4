"""One budget for reading a return, whatever its shape: cells, text, problems listed, and the marked copy.

A file passes `filesafety` by its size on disk and unpacked; this budget is about what is inside. A
biggest real return is about 5,000 rows x 10 columns (50,000 cells); the budget is ten times that.

- cells: rows x columns actually present in a sheet (or a CSV), counted while reading, never after
  materialising empty cells; a merged range is clipped to the rows and columns that hold cells;
- text: the workbook's shared-strings table has at most one entry per cell and `MAX_TEXT_CHARS` in all;
- problems: every problem is counted; the first `MAX_PROBLEMS` are listed, then one line says how many more;
- the marked copy (`annotate`) opens the whole workbook with openpyxl, which makes an object for every cell of
  every merged range: it is made only when those cells, and the cells present, fit the same budget;
- text is bounded where it is read: each cell's text at `MAX_CELL_CHARS` (Excel's own limit), each field of a
  data row but the commentary at `MAX_FIELD_CHARS`, each value quoted in a problem at `kpis.core.text.QUOTE_CHARS` (and
  `Problem` bounds what it carries). A text cut when read is a `Clipped` str that knows its real length, so a
  rule can still say "N characters, at most M";
- what a workbook binds beyond its cells (`Bound`, counted while reading): cells under hyperlinks and cell
  notes count as cells of the marked copy, and at most `MAX_LINKED_CELLS` of them; data validations,
  conditional formats, row heights, column widths, shared formulas worked out cell by cell, the longest text,
  cell formats and defined names each have a limit. Formats and names are read on every path, so past their
  limit the file is refused; the rest only stop the marked copy, and the page and the command line say why.
  Every XML part is at most `MAX_XML_DEPTH` elements deep.

Every refusal is an `OverBudget` (an `UnreadableFile`): what was found, what is expected, what to do.
"""
from __future__ import annotations

from dataclasses import dataclass

from kpis.core.problems import ERROR, WARNING, Problem
from kpis.core.text import quote, text_length
from kpis.returns.filesafety import UnreadableFile

MAX_CELLS = 500_000             # rows x columns present, per file (all sheets together)
MAX_TEXT_CHARS = 20_000_000     # characters in the shared-strings table
MAX_MERGED_RANGES = 10_000      # merged ranges in one sheet
MAX_PROBLEMS = 1_000            # problems listed; the rest are counted
MAX_XML_ELEMENTS = 4 * MAX_CELLS  # XML elements in one sheet or the shared-strings table (bounds the time)
FIX_IT = "Copy the return's own rows into a fresh return template (or a new sheet) and upload that."
MAX_CELL_CHARS = 32_767         # characters kept of any one cell's text: Excel's own limit for a cell
MAX_FORMULA_LENGTH = 8_192      # characters in one formula: Excel's own limit (past it, no marked copy)
MAX_FIELD_CHARS = 300           # ... of a data row's KPI id, breakdown, period, numbers and status
MAX_XML_DEPTH = 100             # elements inside elements, in any part (Excel writes fewer than 20)
MAX_PART_ELEMENTS = 400_000     # XML elements in any part read whole (styles, workbook, notes, drawings, ...)
MAX_STYLES = 64_000             # cell formats (cellXfs): Excel's own limit
MAX_DEFINED_NAMES = 10_000      # defined names in the workbook
MAX_FORMATS = 50_000            # each of: data validations, conditional formats, row heights, column widths
MAX_LINKED_CELLS = 50_000       # cells under hyperlinks and cell notes (openpyxl copies the link into each)
MAX_FORMULA_CHARS = 2_000_000   # characters of shared formulas worked out cell by cell (the marked copy does it)
MAX_SHARED_WORKED = 2_000       # shared formulas worked out cell by cell when reading (to quote in a problem)


class Clipped(str):
    """Text cut to a limit when it was read; `length` is how many characters it really had."""
    length: int


def clip(value: object, limit: int = MAX_CELL_CHARS) -> object:
    """`value` itself, or its first `limit` characters as a `Clipped` text when it is longer text."""
    if not isinstance(value, str) or len(value) <= limit:
        return value
    out = Clipped(value[:limit])
    out.length = text_length(value)
    return out


@dataclass
class Bound:
    """What a workbook binds beyond the cells present, counted while reading it: what openpyxl makes objects
    for when it opens the whole workbook for the marked copy."""
    hyperlink_cells: int = 0        # cells under hyperlinks (a link on A1:Z100000 is 2.6 million)
    comment_cells: int = 0          # cells under cell notes
    formula_chars: int = 0          # characters of shared formulas worked out cell by cell
    data_validations: int = 0
    conditional_formats: int = 0
    row_dimensions: int = 0         # rows with their own height, format or outline level
    column_dimensions: int = 0
    styles: int = 0                 # cell formats (cellXfs)
    defined_names: int = 0
    longest_text: int = 0           # characters of the longest text in a cell, before it was cut when read
    longest_formula: int = 0        # characters of the longest formula written in a cell
    biggest: tuple[str, str, str, int] = ("", "", "", 0)    # (sheet, "hyperlink" or "cell note", range, cells)

    def covers(self, sheet: str, what: str, ref: str, cells: int) -> None:
        if what == "hyperlink":
            self.hyperlink_cells += cells
        else:
            self.comment_cells += cells
        if cells > self.biggest[3]:
            self.biggest = (sheet, what, ref, cells)


COUNTED = (("data_validations", "data-validation rules"), ("conditional_formats", "conditional formats"),
           ("row_dimensions", "rows with their own height or format"),
           ("column_dimensions", "column widths or formats"))


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


def too_deep(label: str, part: str) -> OverBudget:
    return OverBudget(f"{label} has XML nested more than {MAX_XML_DEPTH} levels deep in its part '{part}'; Excel "
                      f"nests fewer than 20, and a return is read at most {MAX_XML_DEPTH} levels deep. It was not "
                      f"written by Excel in the usual way. {FIX_IT}")


def too_big_part(label: str, part: str) -> OverBudget:
    return OverBudget(f"{label} holds more than {MAX_PART_ELEMENTS:,} pieces of content in its part '{part}'; a "
                      f"return's parts hold at most a few thousand. It was not written by Excel in the usual way. "
                      f"{FIX_IT}")


def too_many_styles(label: str, count: int) -> OverBudget:
    return OverBudget(f"{label} defines more than {count:,} cell formats; Excel allows at most {MAX_STYLES:,} and a "
                      f"return uses a few dozen. {FIX_IT}")


def too_many_names(label: str, count: int) -> OverBudget:
    return OverBudget(f"{label} has more than {count:,} defined names (Formulas > Name Manager); a return has at "
                      f"most {MAX_DEFINED_NAMES:,}, and the template a handful. {FIX_IT}")


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


def marked_copy_refusal(label: str, *, cells: int, merged: list[tuple[str, str, int]],
                        bound: Bound | None = None) -> str | None:
    """Why no marked copy can be made of this workbook, or None when it fits the budget.

    `cells` are the cells present in the file; `merged` is (sheet, range, cells) for each merged range,
    unclipped: openpyxl makes an object for every one of those cells when it opens the file to mark it, and
    for every cell under a hyperlink or a cell note, and every rule, format and shared formula in `bound`.
    """
    bound = bound or Bound()
    merged_cells = sum(n for _, _, n in merged)
    linked = bound.hyperlink_cells + bound.comment_cells
    listed = "Every problem is listed on this page."
    if cells + merged_cells + linked > MAX_CELLS or linked > MAX_LINKED_CELLS:
        if merged_cells > MAX_CELLS - min(cells, MAX_CELLS) and merged_cells >= linked:
            sheet, ref, n = max(merged, key=lambda m: m[2])
            return (f"No marked copy of {label} is offered: on sheet '{quote(sheet)}' the merged range {quote(ref)} "
                    f"covers {n:,} cells, and marking problems on a copy means opening every one of them (the "
                    f"limit is {MAX_CELLS:,} cells). {listed} To get a marked copy, unmerge those cells (Home > "
                    "Merge & Center > Unmerge Cells) and upload the file again.")
        if linked > min(MAX_LINKED_CELLS, MAX_CELLS - min(cells, MAX_CELLS)):
            sheet, what, ref, n = bound.biggest
            fix = ("remove the hyperlink (right-click > Remove Hyperlink)" if what == "hyperlink"
                   else "delete the note (right-click > Delete Note)")
            return (f"No marked copy of {label} is offered: on sheet '{quote(sheet)}' a {what} covers {quote(ref)}, "
                    f"{n:,} cells, and marking problems on a copy means opening every one of them (the limit is "
                    f"{MAX_LINKED_CELLS:,} cells under hyperlinks and notes). {listed} To get a marked copy, {fix} "
                    "and upload the file again.")
        return (f"No marked copy of {label} is offered: it has {cells:,} cells, and marking problems on a copy "
                f"means opening every one of them (the limit is {MAX_CELLS:,}). {listed}")
    for name, words in COUNTED:
        n = getattr(bound, name)
        if n > MAX_FORMATS:
            return (f"No marked copy of {label} is offered: it has {n:,} {words}, and marking problems on a copy "
                    f"means opening every one of them (the limit is {MAX_FORMATS:,}; a return has a few hundred). "
                    f"{listed} Copy the return's own rows into a fresh return template to get one.")
    if bound.longest_text > MAX_CELL_CHARS:
        return (f"No marked copy of {label} is offered: a cell in it holds {bound.longest_text:,} characters of "
                f"text, and Excel itself keeps at most {MAX_CELL_CHARS:,} in a cell, so a copy could not be opened "
                f"in Excel. {listed} Shorten that text to get one.")
    if bound.longest_formula > MAX_FORMULA_LENGTH:
        return (f"No marked copy of {label} is offered: a cell in it holds a formula of {bound.longest_formula:,} "
                f"characters, and Excel itself keeps at most {MAX_FORMULA_LENGTH:,} in a formula, so a copy could "
                f"not be opened in Excel. {listed} Replace that formula by its value to get one.")
    if bound.formula_chars > MAX_FORMULA_CHARS:
        return (f"No marked copy of {label} is offered: its shared formulas come to {bound.formula_chars:,} "
                f"characters once written out cell by cell, and marking problems on a copy means writing out "
                f"every one (the limit is {MAX_FORMULA_CHARS:,}). {listed} Replace the formulas by their values "
                "(Copy, then Paste Values) to get one.")
    return None
