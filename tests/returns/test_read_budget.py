"""One budget for every file read: hostile shapes are read (or refused plainly) in bounded memory.

Each file goes through the validate path (check_return) and the upload path (check_return, then the marked
copy) in a child process whose address space is capped with resource.setrlimit(RLIMIT_AS), so a file that
needs more memory fails there with MemoryError instead of taking the test run down. The small files are
committed in tests/fixtures/returns/budget/; the two big ones are made at test time by make_budget.py.
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
CAP = 1 << 30                       # 1 GiB of address space for the child (imports alone take about 570 MB)
TIMEOUT = 240


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The two big files, made in a child process so this one stays small (a child inherits its peak)."""
    folder = tmp_path_factory.mktemp("budget")
    subprocess.run([sys.executable, str(BUDGET / "make_budget.py"), "--big", str(folder)], check=True, cwd=ROOT)
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


def plain(message: str) -> None:
    """A refusal says what was found, what is expected and what to do; no traceback, no Python words."""
    assert "Traceback" not in message and "Error" not in message and "openpyxl" not in message
    assert "limit" in message or "at most" in message


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

    from kpis.returns import workbook_reader
    from kpis.returns.budget import OverBudget
    monkeypatch.setattr(workbook_reader, "MAX_XML_ELEMENTS", 60)
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
