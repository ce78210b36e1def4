"""kpis.returns.file_check: one uploaded file read and checked once, as the upload page shows it."""
from __future__ import annotations

from kpis.returns.file_check import FileCheck, check_file
from tests.support.returns import PERIOD, TODAY, fw, simple_return, snapshot
from tools.sample_returns import filled_template

ALL = "All children and young people"


def test_a_good_file_is_checked_and_previewed_with_no_marked_copy(store, fw):
    steps = []
    before = snapshot(store)
    data = filled_template(fw, "safeguarding", PERIOD, store)
    result = check_file(store, fw, "sg.xlsx", data, "safeguarding", today=TODAY,
                        progress=lambda pct, text: steps.append((pct, text)))
    assert isinstance(result, FileCheck) and result.error is None
    assert (result.name, result.area) == ("sg.xlsx", "safeguarding")
    assert result.checked.problems == [] and len(result.checked.rows) > 0
    assert result.preview is not None and result.annotated is None and result.no_marked_copy is None
    assert [p for p, _ in steps] == [0, 35, 70]
    assert steps[1][1] == f"Checking {len(result.checked.rows):,} rows"
    assert snapshot(store) == before                     # checking never writes


def test_problems_come_with_a_copy_of_the_file_marked(store, fw):
    steps = []
    data = simple_return([["SG01", ALL, PERIOD, "lots"], ["SG02", ALL, PERIOD, 20]])
    result = check_file(store, fw, "bad.xlsx", data, "safeguarding", today=TODAY,
                        progress=lambda pct, text: steps.append(pct))
    assert result.error is None and result.checked.problems
    assert result.annotated is not None and result.annotated[:2] == b"PK"   # an xlsx: a zip
    assert steps[-1] == 90


def test_a_file_that_cannot_be_read_gives_its_plain_reason_and_nothing_else(store, fw):
    result = check_file(store, fw, "notes.xlsx", b"PK\x03\x04 a broken zip, not a workbook", "safeguarding")
    assert result.error and "notes.xlsx" in result.error and "Traceback" not in result.error
    assert (result.checked, result.preview, result.annotated) == (None, None, None)
