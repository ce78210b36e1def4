"""One budget for every file read: hostile shapes are read (or refused plainly) in bounded memory.

Each file goes through the validate path (check_return) and the upload path (check_return, then the marked
copy) in a child process whose address space is capped with resource.setrlimit(RLIMIT_AS), so a file that
needs more memory fails there with MemoryError instead of taking the test run down. The small files are
committed in tests/fixtures/returns/budget/; the two big ones, and the round-3 shapes (issue 26: text without
end, and what a workbook binds beyond its cells), are made at test time by tools/make_budget_files.py. Each round-3
file is also sent through `submit` to an empty database, which must be left empty.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BUDGET = ROOT / "tests" / "fixtures" / "returns" / "budget"
CHILD = ROOT / "tests" / "budget_child.py"
MAKE_BUDGET = ROOT / "tools" / "make_budget_files.py"
CAP = 1 << 30                       # 1 GiB of address space for the child (imports alone take about 570 MB)
TIMEOUT = 240


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The two big files, made in a child process so this one stays small (a child inherits its peak)."""
    folder = tmp_path_factory.mktemp("budget")
    subprocess.run([sys.executable, str(MAKE_BUDGET), "--big", str(folder)], check=True, cwd=ROOT)
    return {name: folder / name for name in ("huge_shared_strings.xlsx", "junk.csv")}


def run_child(mode: str, path: Path) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    done = subprocess.run([sys.executable, str(CHILD), mode, str(path), str(CAP)], capture_output=True, text=True,
                          check=False, timeout=TIMEOUT, cwd=ROOT, env=env)
    assert done.returncode == 0, f"the child failed (exit {done.returncode}): {done.stderr[-1500:]}"
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["maxrss_kb"] * 1024 < CAP and result["hwm_kb"] * 1024 < CAP
    return result


def plain(message: str, *, budget: bool = True) -> None:
    """A refusal says what was found, what is expected and what to do; no traceback, no Python words.

    A refusal for the budget says the limit; one for what a file must never hold (XML entities) need not."""
    assert "Traceback" not in message and "Error" not in message and "openpyxl" not in message
    assert "limit" in message or "at most" in message or not budget


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_merge_bomb_is_read_with_the_merge_clipped(mode):
    result = run_child(mode, BUDGET / "merge_bomb.xlsx")
    assert result["outcome"] == "checked" and result["rows"] == 4       # rows 2-4 and the note in row 20001
    if mode == "upload":
        assert result["marked_copy_bytes"] is None
        assert "merged" in result["no_marked_copy"] and "A2:XFD20001" in result["no_marked_copy"]
        plain(result["no_marked_copy"])


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_whole_sheet_merge_is_read_with_the_merge_clipped(mode):
    result = run_child(mode, BUDGET / "merge_whole_sheet.xlsx")
    assert result["outcome"] == "checked"
    if mode == "upload":
        assert result["marked_copy_bytes"] is None and "A1:XFD1048576" in result["no_marked_copy"]


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_rows_with_a_cell_in_column_xfd_are_read_without_the_empty_columns(mode):
    result = run_child(mode, BUDGET / "xfd_rows.xlsx")
    assert result["outcome"] == "checked" and result["rows"] == 3
    if mode == "upload":
        assert result["marked_copy_bytes"] > 0 or result["no_marked_copy"] is None


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_huge_shared_strings_table_is_refused_plainly(big, mode):
    result = run_child(mode, big["huge_shared_strings.xlsx"])
    assert result["outcome"] == "refused"
    assert "huge_shared_strings.xlsx" in result["message"] and "text" in result["message"]
    plain(result["message"])


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_junk_csv_is_refused_plainly_for_its_size_in_cells(big, mode):
    result = run_child(mode, big["junk.csv"])
    assert result["outcome"] == "refused"
    assert "junk.csv" in result["message"] and "cells" in result["message"]
    plain(result["message"])


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_many_problems_stop_at_the_cap_and_say_how_many_more(mode):
    from kpis.returns.budget import MAX_PROBLEMS
    result = run_child(mode, BUDGET / "many_problems.csv")
    assert result["outcome"] == "checked" and result["rows"] == 3000
    assert result["problems"] == 6000 and result["errors"] == 6000      # every problem counted ...
    assert result["listed"] == MAX_PROBLEMS + 1                         # ... the first ones listed, then a line
    assert f"… and {6000 - MAX_PROBLEMS:,} more problems" in result["messages"][-1]
    assert result["json_bytes"] < 2_000_000
    if mode == "upload":
        assert result["marked_copy_bytes"] > 0


def test_a_column_far_right_keeps_its_real_letter_when_empty_columns_are_left_out():
    """40 rows x column XFD would be 655,360 cells as openpyxl pads them; only the 3 columns holding cells are
    kept, and a problem still names the column the lead sees."""
    from datetime import date

    from openpyxl import Workbook

    from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
    from kpis.returns.submission import check_return
    from tests.support.returns import to_bytes
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B1"], ws["XFD1"] = "KPI id", "Period", "Value"
    for r in range(2, 42):
        ws.cell(r, 1, "SG01"), ws.cell(r, 2, "2025/26 Q2"), ws.cell(r, 16384, 60 if r > 2 else "lots")
    checked = check_return(None, load_framework(DEFAULT_FRAMEWORK), name="far.xlsx", data=to_bytes(wb),
                           area_id="safeguarding", today=date(2025, 11, 20))
    assert checked.parsed.columns["value"] == "XFD (Value)" and checked.parsed.cells == 123
    unreadable = [p for p in checked.problems if p.found == "lots"]
    assert [(p.row, p.column) for p in unreadable] == [(2, "XFD (Value)")]


def test_a_table_of_text_refused_part_way_through_its_first_entry_says_what_it_found(monkeypatch):
    """One shared string made of many rich-text runs passes the limit on pieces of content before any entry
    is whole: the refusal said "more than 0 entries"."""
    import io as _io
    import zipfile

    import xlsxwriter

    from kpis.returns import workbook_parts, workbook_reader
    from kpis.returns.budget import OverBudget
    monkeypatch.setattr(workbook_parts, "MAX_XML_ELEMENTS", 60)
    plain_file = _io.BytesIO()
    wb = xlsxwriter.Workbook(plain_file)        # writes a shared-strings table (openpyxl writes text inline)
    wb.add_worksheet().write_string(0, 0, "placeholder")
    wb.close()
    plain_file.seek(0)
    runs = "".join(f"<r><rPr><b/></rPr><t>run {i} </t></r>" for i in range(40))
    rich = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" count="1" uniqueCount="1"><si>{runs}</si></sst>')
    buf = _io.BytesIO()
    with zipfile.ZipFile(plain_file) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, rich if item.filename == "xl/sharedStrings.xml" else src.read(item.filename))
    with pytest.raises(OverBudget) as caught:
        workbook_reader.read_workbook("rich.xlsx", buf.getvalue())
    message = str(caught.value)
    assert "more than 0" not in message and "rich.xlsx" in message
    assert "pieces of content" in message and "before its first entry ends" in message
    plain(message)
# -- round 3 (issue 26): text without end, and what a workbook binds beyond its cells --------------------------
@pytest.fixture(scope="module")
def round3(tmp_path_factory):
    """The round-3 files, made in a child process (seeded: always the same bytes)."""
    folder = tmp_path_factory.mktemp("round3")
    subprocess.run([sys.executable, str(MAKE_BUDGET), "--round3", str(folder)], check=True, cwd=ROOT)
    return folder


def nothing_stored(path: Path, refused: bool) -> None:
    result = run_child("submit", path)
    assert result["outcome"] == ("refused" if refused else "rejected")
    assert result["stored"] == [0, 0, 0]                # no batch, no value, no raw file


def short(result: dict, limit: int = 600) -> None:
    """No problem carries more than `limit` characters, and the whole result is small."""
    assert result["longest"] <= limit
    assert result["json_bytes"] < 2_000_000


@pytest.mark.parametrize("rows", [5, 400])
@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_one_long_shared_string_is_quoted_short_in_every_problem(round3, mode, rows):
    """A 19.9M-character shared string in every KPI id and Value cell: 5 rows took 552 MB and 36 s and printed
    398 MB; 400 rows ran out of memory with a traceback. Each problem now quotes its start and its length."""
    result = run_child(mode, round3 / f"long_shared_string_{rows}.xlsx")
    assert result["outcome"] == "checked" and result["rows"] == rows + 3
    assert result["errors"] == 2 * rows + 2                     # its KPI id and its Value, each row; 2 repeats
    assert any("… (19,900,000 characters)" in m for m in result["messages"])
    short(result)
    if mode == "upload":
        assert result["marked_copy_bytes"] is None
        assert "19,900,000 characters" in result["no_marked_copy"] and "32,767" in result["no_marked_copy"]
        plain(result["no_marked_copy"])


def test_one_long_shared_string_stores_nothing(round3):
    nothing_stored(round3 / "long_shared_string_400.xlsx", refused=False)


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_a_60_million_character_formula_is_quoted_short(round3, mode):
    """It was quoted whole, twice, in its problem: the command line printed 120 MB."""
    result = run_child(mode, round3 / "long_formula.xlsx")
    assert result["outcome"] == "checked"
    assert any("has the formula =1+1+" in m and "(59,999,942 characters)" in m for m in result["messages"])
    short(result)
    if mode == "upload":        # writing it out again ran near the 1 GiB cap (485 MB, or out of memory)
        assert result["marked_copy_bytes"] is None
        assert "formula of 59,999,942 characters" in result["no_marked_copy"] and "8,192" in result["no_marked_copy"]
        plain(result["no_marked_copy"])


@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_a_shared_formula_is_not_worked_out_for_every_cell(round3, mode):
    """A 4,000-character formula shared down 40,000 cells ran past 240 s on both paths (1.6 GB, 3.8 GB)."""
    result = run_child(mode, round3 / "shared_formula.xlsx")
    assert result["outcome"] == "checked" and result["seconds"] < 120
    if mode == "upload":
        assert result["marked_copy_bytes"] is None and "shared formulas" in result["no_marked_copy"]
        assert "159,916,002 characters" in result["no_marked_copy"]      # 39,999 copies of 3,998
        plain(result["no_marked_copy"])


@pytest.mark.parametrize("name,words", [
    ("hyperlink_whole_sheet.xlsx", "a hyperlink covers A1:XFD1048576, 17,179,869,184 cells"),
    ("hyperlink_block.xlsx", "a hyperlink covers A1:Z100000, 2,600,000 cells"),
    ("hyperlink_400k.xlsx", "a hyperlink covers A1:D100000, 400,000 cells"),   # under the cells budget, yet 1 GiB
    ("comment_whole_sheet.xlsx", "a cell note covers A1:XFD1048576, 17,179,869,184 cells"),
    ("data_validations.xlsx", "600,000 data-validation rules"),
    ("conditional_formats.xlsx", "300,000 conditional formats"),
    ("row_heights.xlsx", "1,000,000 rows with their own height or format"),
])
@pytest.mark.parametrize("mode", ["validate", "upload"])
def test_what_the_marked_copy_would_bind_is_counted_and_no_copy_is_offered(round3, mode, name, words):
    """Each ran the marked copy over the 8 GB cap (or to 1-4 GB); the check itself reads them as before."""
    result = run_child(mode, round3 / name)
    assert result["outcome"] == "checked" and result["rows"] == 3
    if mode == "upload":
        assert result["marked_copy_bytes"] is None
        assert words in result["no_marked_copy"] and "Every problem is listed" in result["no_marked_copy"]
        plain(result["no_marked_copy"])


@pytest.mark.parametrize("name", ["column_widths.xlsx", "hyperlink_49k.xlsx"])
def test_what_fits_the_budget_still_gets_a_marked_copy(round3, name):
    """16,000 column widths and a hyperlink over 49,000 cells are within it: the copy is made, in bounded memory."""
    result = run_child("upload", round3 / name)
    assert result["outcome"] == "checked" and result["marked_copy_bytes"] > 0


@pytest.mark.parametrize("name,words", [
    ("many_styles.xlsx", "more than 64,000 cell formats"),
    ("defined_names.xlsx", "more than 10,000 defined names"),
    ("deep_xml.xlsx", "nested more than 100 levels deep in its part 'xl/worksheets/sheet1.xml'"),
    ("entities_after_padding.xlsx", "it declares XML entities, which Excel never writes"),
    ("long_field.csv", "on line 2 one field runs on for more than 131,072 characters"),
])
@pytest.mark.parametrize("mode", ["validate", "upload", "submit"])
def test_what_every_path_reads_is_bounded_and_refused_in_plain_words(round3, mode, name, words):
    """Cell formats and defined names are read on every path (300,000 of either took 470-710 MB and 22-44 s);
    the others were refused in Python's words: EntitiesForbidden(name='lol', ...), 'field larger than field
    limit (131072)'."""
    if mode == "submit":
        return nothing_stored(round3 / name, refused=True)
    result = run_child(mode, round3 / name)
    assert result["outcome"] == "refused" and words in result["message"]
    assert "EntitiesForbidden" not in result["message"] and "field limit" not in result["message"]
    assert "lol" not in result["message"] and "131072" not in result["message"]
    plain(result["message"], budget=name != "entities_after_padding.xlsx")


@pytest.mark.parametrize("name", ["long_shared_string_400.xlsx", "long_formula.xlsx"])
def test_the_command_line_prints_bounded_lines_and_no_traceback(round3, name):
    """400 rows of the long shared string used to end in a traceback; the long formula printed 120 MB."""
    import resource

    from kpis.cli.returns import MAX_LINE_CHARS

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    done = subprocess.run([sys.executable, "-m", "kpis", "--db", str(round3 / "none.duckdb"), "validate",
                           str(round3 / name), "--area", "safeguarding", "--today", "2025-11-20"],
                          capture_output=True, text=True, check=False, timeout=TIMEOUT, cwd=ROOT, env=env,
                          preexec_fn=cap)
    assert done.returncode == 1, done.stderr[-1500:]
    assert "Traceback" not in done.stderr and not done.stderr.strip()
    assert len(done.stdout) < 200_000
    assert max(len(line) for line in done.stdout.splitlines()) <= MAX_LINE_CHARS
    assert "characters)" in done.stdout


def test_running_out_of_memory_is_said_in_plain_words_on_the_command_line(monkeypatch, tmp_path, capsys):
    from kpis.cli.main import main
    from kpis.returns import submission

    def no_memory(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(submission, "check_parsed", no_memory)
    path = tmp_path / "r.csv"
    path.write_text("KPI id,Period,Value\nSG01,2025/26 Q2,60\n")
    code = main(["--db", str(tmp_path / "none.duckdb"), "validate", str(path), "--area", "safeguarding"])
    err = capsys.readouterr().err
    assert code == 2 and "needs more memory" in err and "Nothing was stored" in err
    assert "MemoryError" not in err and "Traceback" not in err
