"""Reading returns as leads really send them: real workbooks written by openpyxl, and CSV bytes."""
import io
import re
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook

from kpis.returns.filesafety import UnreadableFile
from kpis.returns.reader import read_return
from kpis.returns.submission import check_return
from tests.support.returns import (
    FIXTURES,
    PERIOD,
    TODAY,
    fw,
    simple_return,
    to_bytes,
    with_cached_values,
    workbook,
)
from tools.sample_returns import filled_template

ALL = "All children and young people"


def rows_of(parsed):
    return parsed.rows.to_dict("records")


def check(fw, data, name="r.xlsx", area="safeguarding"):
    return check_return(None, fw, name=name, data=data, area_id=area, today=TODAY)


def test_columns_renamed_in_case_and_spacing_and_reordered():
    data = simple_return([[64.5, "  sg01 ", "2025/26 Q2", "all", "ok"]],
                         headers=["  VALUE (%) ", "Kpi_ID", "PERIOD", "Break down", "Comments"])
    parsed = read_return("r.xlsx", data)
    assert parsed.columns["value"] == "A (VALUE (%))"
    assert parsed.columns["kpi_id"] == "B (Kpi_ID)"
    assert parsed.columns["commentary"] == "E (Comments)"
    row = rows_of(parsed)[0]
    assert row["value"] == 64.5 and row["kpi_id"] == "  sg01 " and row["commentary"] == "ok"


def test_renamed_columns_still_validate(fw):
    data = simple_return([[64.5, "sg01", "Q2 2025-26", "All children"]],
                         headers=["Result", "KPI", "Quarter", "Group"])
    checked = check(fw, data)
    assert checked.ok, [str(p) for p in checked.problems]
    assert checked.rows.iloc[0][["indicator_id", "breakdown_type", "period_label", "value"]].tolist() == [
        "SG01", "all", PERIOD, 64.5]


def test_header_below_title_rows_blank_rows_and_trailing_notes_are_skipped():
    wb = Workbook()
    ws = wb.active
    ws.append(["Safeguarding return, Q2"])
    ws.append([])
    ws.append(["KPI id", "Breakdown", "Period", "Value"])
    ws.append(["SG01", ALL, PERIOD, 60])
    ws.append([])
    ws.append([None, None, None, None])
    ws.append(["SG02", ALL, PERIOD, 20])
    ws.append([])
    ws.append(["Notes: figures are provisional until the annual census."])
    ws.append(["Source: case management system"])
    parsed = read_return("r.xlsx", to_bytes(wb))
    assert [r["row"] for r in rows_of(parsed)] == [4, 7]
    assert parsed.notes_skipped == 2


def test_a_hidden_data_sheet_is_found_and_other_hidden_sheets_ignored():
    wb = workbook([["SG01", ALL, PERIOD, 61]])
    wb.active.sheet_state = "hidden"
    cover = wb.create_sheet("Cover", 0)
    cover.append(["Please see the data sheet"])
    wb.active = 0
    parsed = read_return("r.xlsx", to_bytes(wb))
    assert parsed.sheet == "Data" and len(parsed.rows) == 1

    wb = workbook([["SG01", ALL, PERIOD, 61]])
    junk = wb.create_sheet("Old data")
    junk.append(["KPI id", "Value"])
    junk.append(["SG01", 99])
    junk.sheet_state = "hidden"
    parsed = read_return("r.xlsx", to_bytes(wb))
    assert parsed.sheet == "Data" and rows_of(parsed)[0]["value"] == 61


def test_formulas_use_the_cached_value(fw):
    wb = workbook([["SG01", ALL, PERIOD, "=G2/H2*100", 13, 20]])
    data = with_cached_values(to_bytes(wb), {"D2": "65"})
    parsed = read_return("r.xlsx", data)
    assert rows_of(parsed)[0]["value"] == 65
    assert parsed.problems == []
    assert check(fw, data).ok


def test_a_formula_without_a_cached_value_is_a_problem_not_a_zero(fw):
    wb = workbook([["SG01", ALL, PERIOD, "=E2/F2*100", 13, 20]])
    checked = check(fw, to_bytes(wb))
    assert not checked.ok
    problem = checked.errors[0]
    assert (problem.sheet, problem.row, problem.column) == ("Data", 2, "D (Value)")
    assert problem.found == "=E2/F2*100" and "no saved result" in problem.message
    assert checked.rows.empty


def test_merged_cells_are_filled_from_their_top_left_cell():
    wb = workbook([["SG01", ALL, PERIOD, 60], [None, "Age band: 0-4", PERIOD, 55],
                   [None, "Age band: 5-10", PERIOD, 58]])
    wb.active.merge_cells("A2:A4")
    parsed = read_return("r.xlsx", to_bytes(wb))
    assert [r["kpi_id"] for r in rows_of(parsed)] == ["SG01", "SG01", "SG01"]


def test_a_cell_formatted_as_a_percentage_is_read_as_the_percentage_shown(fw):
    wb = workbook([["SG01", ALL, PERIOD, 0.65]])
    wb.active["D2"].number_format = "0%"
    parsed = read_return("r.xlsx", to_bytes(wb))
    assert rows_of(parsed)[0]["value_percent_format"] is True
    checked = check(fw, to_bytes(wb))
    assert checked.ok and checked.rows.iloc[0]["value"] == 65.0


def test_periods_entered_as_excel_dates(fw):
    wb = workbook([["SG01", ALL, datetime(2025, 7, 1), 60], ["SG02", ALL, datetime(2025, 9, 30), 20]])
    wb.active["C2"].number_format = "dd/mm/yyyy"
    checked = check(fw, to_bytes(wb))
    assert checked.ok, [str(p) for p in checked.problems]
    assert set(checked.rows["period_label"]) == {PERIOD}


def test_a_wrong_sheet_size_in_the_file_does_not_hide_rows():
    data = simple_return([["SG01", ALL, PERIOD, 60], ["SG02", ALL, PERIOD, 20], ["SG03", ALL, PERIOD, 30]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', content)
            dst.writestr(info.filename, content)
    assert len(read_return("r.xlsx", out.getvalue()).rows) == 3


def test_the_narrative_is_read_from_the_template(fw):
    parsed = read_return("t.xlsx", filled_template(fw, "send"))
    assert parsed.narrative["progress"] == "Training delivered to 120 practitioners."
    assert parsed.narrative["publishable"] == "No"
    assert parsed.declared_area == "send" and parsed.declared_period == PERIOD
    sheet, _row, column = parsed.narrative_cells["risks_barriers"]
    assert sheet == "Narrative" and column == "B"


CSV_TEXT = "KPI id,Breakdown,Period,Value,Numerator,Denominator,Status,Commentary\r\n" \
           "SG01,All children and young people,2025/26 Q2,65.0 %,13,20,,Café £ fine\r\n" \
           "SG02,All children and young people,2025/26 Q2,<5,,,,\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_in_each_encoding(fw, encoding):
    parsed = read_return("r.csv", CSV_TEXT.encode(encoding))
    assert parsed.kind == "csv" and parsed.sheet == "r.csv"
    assert rows_of(parsed)[0]["commentary"] == "Café £ fine"
    checked = check(fw, CSV_TEXT.encode(encoding), name="r.csv")
    assert checked.ok, [str(p) for p in checked.problems]
    assert checked.rows["status"].tolist() == ["published", "suppressed"]
    assert checked.rows.iloc[0]["value"] == 65.0


def test_csv_with_semicolons_and_thousands_separators(fw):
    text = "KPI id;Breakdown;Period;Value\nMH01;All children and young people;2025/26 Q2;1,234\n"
    checked = check(fw, text.encode(), name="r.csv", area="ewmh")
    assert checked.ok, [str(p) for p in checked.problems]
    assert checked.rows.iloc[0]["value"] == 1234


def test_the_cp1252_fixture_decodes():
    parsed = read_return("cp1252_formula.csv", (FIXTURES / "cp1252_formula.csv").read_bytes())
    assert parsed.encoding == "cp1252"
    assert rows_of(parsed)[0]["commentary"] == "Café £ budget update"
    assert rows_of(parsed)[1]["commentary"].startswith("=HYPERLINK(")


def test_no_header_row_is_one_clear_problem():
    wb = Workbook()
    wb.active.append(["Hello", "world"])
    parsed = read_return("r.xlsx", to_bytes(wb))
    assert len(parsed.problems) == 1 and "'KPI id' and 'Value'" in parsed.problems[0].message


def test_no_value_column_is_a_problem():
    parsed = read_return("r.csv", b"KPI id,Period\nSG01,2025/26 Q2\n")
    assert any("no 'Value' column" in p.message for p in parsed.problems)


def test_hostile_files_raise_unreadable():
    with pytest.raises(UnreadableFile):
        read_return("bomb.xlsx", (FIXTURES / "zip_bomb.xlsx").read_bytes())


def test_reading_twice_gives_independent_copies():
    data = simple_return([["SG01", ALL, PERIOD, 60]])
    first = read_return("r.xlsx", data)
    first.rows.loc[0, "value"] = 1
    first.problems.append("x")
    second = read_return("r.xlsx", data)
    assert rows_of(second)[0]["value"] == 60 and second.problems == []
