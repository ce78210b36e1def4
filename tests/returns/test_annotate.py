"""kpis.returns.annotate: the problems table and sentence, and the copy of a return with its problems marked,
read back with openpyxl."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from kpis.core.problems import WARNING, Problem
from kpis.returns.annotate import (
    FILLS,
    PROBLEMS_SHEET,
    SEVERITY_WORDS,
    annotate_workbook,
    describe,
    problem_summary,
    problem_table,
)
from kpis.returns.check import check_parsed
from kpis.returns.filesafety import UnreadableFile
from kpis.returns.reader import read_return
from tests.support.returns import FIXTURES, PERIOD, TODAY, fw, to_bytes
from tools.sample_returns import filled_template

ERROR_RGB, WARNING_RGB = FILLS[True].fgColor.rgb, FILLS[False].fgColor.rgb


def check(fw, name: str, data: bytes, area: str = "safeguarding"):
    return check_parsed(read_return(name, data), framework=fw, area_id=area, today=TODAY)


@pytest.fixture
def flawed(fw) -> tuple[bytes, list[Problem]]:
    """The real safeguarding template with a percentage of 150 (F2) and an unknown KPI id (A4)."""
    wb = load_workbook(io.BytesIO(filled_template(fw, "safeguarding", PERIOD)))
    ws = wb["Data"]
    ws["F2"], ws["G2"], ws["H2"] = 150, None, None
    ws["A4"] = "SG99"
    data = to_bytes(wb)
    return data, check(fw, "flawed.xlsx", data).problems


def reopen(data: bytes):
    return load_workbook(io.BytesIO(data))


def problems_rows(wb) -> list[tuple]:
    ws = wb[PROBLEMS_SHEET]
    header = [c.value for c in ws[5]]
    assert header == ["Severity", "Sheet", "Row", "Column", "Message", "Found", "Expected", "Go to"]
    return [tuple(c.value for c in line) for line in ws.iter_rows(min_row=6) if line[0].value]


# -- the table and the sentence -----------------------------------------------------------------
def test_summary_counts_in_words():
    err = Problem("Data", 2, "F (Value)", "150", "a percentage from 0 to 100", "150 is too big.")
    warn = Problem("Data", 3, "F (Value)", "20", "near 60", "Check this.", WARNING)
    assert problem_summary([]) == "No problems found."
    assert problem_summary([err]) == "1 problem must be fixed."
    assert problem_summary([err, err, err, warn]) == "3 problems must be fixed; 1 warning to check."
    assert problem_summary([warn, warn]) == "Nothing must be fixed; 2 warnings to check."


def test_a_problem_as_one_sentence():
    err = Problem("Data", 2, "F (Value)", "150", "a percentage from 0 to 100", "150 is too big.")
    assert describe(err) == ("Sheet 'Data', row 2, column F (Value): 150 is too big. (Found: 150. Expected: a "
                             "percentage from 0 to 100.)")


def test_table_puts_errors_first_with_every_column(flawed):
    _, problems = flawed
    table = problem_table(problems)
    assert list(table.columns) == ["Severity", "Sheet", "Row", "Column", "Message", "Found", "Expected"]
    assert list(table["Severity"][:2]) == [SEVERITY_WORDS[True]] * 2
    assert set(table["Severity"][2:]) <= {SEVERITY_WORDS[False]}
    assert table.iloc[0][["Sheet", "Row", "Column", "Found"]].tolist() == ["Data", 2, "F (Value)", "150"]
    assert table.iloc[1][["Row", "Column", "Found"]].tolist() == [4, "A (KPI id)", "SG99"]
    assert problem_table([]).empty


# -- an annotated workbook ----------------------------------------------------------------------
def test_each_problem_cell_is_shaded_with_a_note(flawed):
    data, problems = flawed
    wb = reopen(annotate_workbook(data, problems, name="flawed.xlsx"))
    ws = wb["Data"]
    assert ws["F2"].value == 150 and ws["A4"].value == "SG99"          # the lead's own values, untouched
    assert ws["F2"].fill.fgColor.rgb == ERROR_RGB and ws["A4"].fill.fgColor.rgb == ERROR_RGB
    assert "150 is outside 0 to 100" in ws["F2"].comment.text
    assert "Expected: a percentage from 0 to 100" in ws["F2"].comment.text
    assert "'SG99' is not a KPI id" in ws["A4"].comment.text
    for p in problems:
        if not p.is_error and p.row:                                     # warnings are amber
            assert ws[f"F{p.row}"].fill.fgColor.rgb == WARNING_RGB
    assert ws["F5"].comment is None or ws["F5"].fill.fgColor.rgb != ERROR_RGB
    assert ws["B2"].comment is None                                       # cells without a problem stay clean


def test_problems_sheet_lists_every_problem_with_a_link(flawed):
    data, problems = flawed
    wb = reopen(annotate_workbook(data, problems, name="flawed.xlsx"))
    assert wb.sheetnames[-1] == PROBLEMS_SHEET and wb.active.title == PROBLEMS_SHEET
    ws = wb[PROBLEMS_SHEET]
    assert ws["A1"].value == "Problems found in flawed.xlsx"
    assert ws["A2"].value == problem_summary(problems)
    rows = problems_rows(wb)
    assert len(rows) == len(problems)
    assert rows[0][:4] == (SEVERITY_WORDS[True], "Data", 2, "F (Value)") and rows[0][5] == "150"
    assert rows[0][4].startswith("150 is outside 0 to 100")
    assert rows[0][7] == "Go to F2" and ws["H6"].hyperlink.location == "'Data'!F2"
    assert rows[1][:4] == (SEVERITY_WORDS[True], "Data", 4, "A (KPI id)") and rows[1][5] == "SG99"


def test_the_marked_copy_reads_back_the_same(fw, flawed):
    """A lead may fix the marked copy and upload it: the Problems sheet is not read as data."""
    data, problems = flawed
    again = check(fw, "flawed-problems.xlsx", annotate_workbook(data, problems, name="flawed.xlsx"))
    assert [(p.sheet, p.row, p.column, p.message) for p in again.problems] == \
           [(p.sheet, p.row, p.column, p.message) for p in problems]


def test_text_that_looks_like_a_formula_stays_text(flawed):
    data, _ = flawed
    hostile = Problem("Data", 2, "J (Commentary)", '=HYPERLINK("http://evil.example","Click")',
                      "text that does not start with =", "@SUM(A1) looks like a formula.")
    wb = reopen(annotate_workbook(data, [hostile], name="=cmd.xlsx"))
    rows = problems_rows(wb)
    assert rows[0][5] == "'" + hostile.found
    assert rows[0][4] == "'" + hostile.message
    assert wb[PROBLEMS_SHEET]["A1"].value == "Problems found in =cmd.xlsx"
    assert all(c.data_type != "f" for line in wb[PROBLEMS_SHEET].iter_rows() for c in line)


def test_merged_labelled_row_and_whole_sheet_problems(flawed):
    data, _ = flawed
    problems = [
        Problem("Narrative", 4, "E", "=bad", "text that does not start with = or @", "Start with a word."),
        Problem("Instructions", None, "Sub-group id", "send", "safeguarding", "This is the SEND template."),
        Problem("Data", 6, None, "SG01, All, 2025/26 Q2", "each KPI, breakdown and period once", "Repeats row 2."),
        Problem("Data", 6, "F (Value)", "70", "a value near recent ones", "Check this.", WARNING),
        Problem("Data", None, None, "no data rows", "at least one row", "The sheet is empty."),
    ]
    wb = reopen(annotate_workbook(data, problems, name="r.xlsx"))
    narrative = wb["Narrative"]
    merged = next(r for r in narrative.merged_cells.ranges if "E4" in r)
    top_left = narrative.cell(merged.min_row, merged.min_col)
    assert "Start with a word." in top_left.comment.text
    instructions = wb["Instructions"]
    label = next(c for line in instructions.iter_rows() for c in line if c.value == "Sub-group id")
    beside = instructions.cell(label.row, label.column + 1)
    assert beside.value == "safeguarding" and "SEND template" in beside.comment.text
    data_ws = wb["Data"]
    assert "Repeats row 2." in data_ws["A6"].comment.text and data_ws["A6"].fill.fgColor.rgb == ERROR_RGB
    assert data_ws["F6"].fill.fgColor.rgb == WARNING_RGB
    rows = problems_rows(wb)
    whole_sheet = [r for r in rows if r[5] == "no data rows"]
    assert whole_sheet and whole_sheet[0][2] is None and whole_sheet[0][7] is None   # listed, no cell to go to


def test_two_problems_in_one_cell_share_one_note(flawed):
    data, _ = flawed
    problems = [Problem("Data", 2, "F (Value)", "150", "0 to 100", "Too big.", WARNING),
                Problem("Data", 2, "F (Value)", "150", "the counts' ratio", "Does not match the counts.")]
    cell = reopen(annotate_workbook(data, problems))["Data"]["F2"]
    assert "Too big." in cell.comment.text and "Does not match the counts." in cell.comment.text
    assert cell.fill.fgColor.rgb == ERROR_RGB                              # the error wins


# -- a CSV upload --------------------------------------------------------------------------------
def test_csv_becomes_a_workbook_at_the_same_rows(fw):
    data = (FIXTURES / "cp1252_formula.csv").read_bytes()
    problems = check(fw, "cp1252_formula.csv", data).problems
    assert problems, "the fixture's formula-like commentary is a problem"
    wb = reopen(annotate_workbook(data, problems, name="cp1252_formula.csv"))
    assert wb.sheetnames == ["Data", PROBLEMS_SHEET]
    ws = wb["Data"]
    assert [c.value for c in ws[1]][:4] == ["KPI id", "Breakdown", "Period", "Value"]
    assert ws["A2"].value == "SG01" and ws["D2"].value == 64.5 and ws["E2"].value == 129
    assert ws["H2"].value == "Café £ budget update"                     # Windows-1252 decoded
    assert ws["H3"].value.startswith("=HYPERLINK") and ws["H3"].data_type == "s"   # text, never a formula
    for p in problems:
        if p.row and p.column:
            cell = ws[f"{p.column.split()[0]}{p.row}"]
            assert p.message in cell.comment.text
    rows = problems_rows(wb)
    assert {r[1] for r in rows} == {"cp1252_formula.csv"}
    assert "same row numbers" in wb[PROBLEMS_SHEET]["A3"].value


@pytest.mark.parametrize("name", ["empty.xlsx", "picture_renamed.xlsx", "truncated.xlsx", "zip_bomb.xlsx",
                                  "macro_workbook.xlsx", "billion_laughs.xlsx"])
def test_hostile_files_are_refused_plainly(name):
    with pytest.raises(UnreadableFile):
        annotate_workbook((FIXTURES / name).read_bytes(), [], name=name)
