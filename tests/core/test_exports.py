"""Exports: the Excel Metadata sheet, and nothing in a CSV or Excel download can run as a formula."""
import csv
import io
import math
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from kpis.core import exports

HOSTILE = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\t=1", "\r=1", '=HYPERLINK("http://x","y")',
           "=cmd|' /C calc'!A0"]


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "Area": ["Worcestershire", *HOSTILE],
        "Value": [31.4] + [float(i) for i in range(len(HOSTILE))],
        "Count": [223, *list(range(len(HOSTILE)))],
        "When": pd.to_datetime(["2025-03-31"] * (len(HOSTILE) + 1)),
        "Missing": [None] * (len(HOSTILE) + 1),
    })


def meta() -> dict:
    return exports.export_metadata(title="SG02 Repeat child protection plans", view="Compare areas, 2024/25",
                                   definitions=["SG02: percentage of plans that are a second or subsequent plan",
                                                "=EVIL()"],
                                   sources=["DfE Children in need 2025, table D3"], periods="2020/21 to 2024/25",
                                   notes=["A note"], demo=True)


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_excel_has_a_metadata_sheet_first_with_everything_an_analyst_needs():
    wb = workbook(exports.to_excel_bytes({"Compare areas": table()}, meta()))
    assert wb.sheetnames == ["Metadata", "Compare areas"]
    rows = {r[0]: r[1] for r in wb["Metadata"].iter_rows(min_row=2, values_only=True) if r[0]}
    for field in ("Title", "View", "Definitions", "Sources", "Periods", "Notes", "Demo data", "Licence", "Generated"):
        assert field in rows, field
    assert rows["Licence"] == exports.OGL_ATTRIBUTION
    assert rows["Licence"] == ("Contains public sector information licensed under the Open Government Licence "
                               "v3.0.")
    assert rows["Periods"] == "2020/21 to 2024/25"
    assert rows["Generated"].endswith("UTC") and rows["Generated"][:2] == "20"
    assert rows["Demo data"].startswith("Yes")
    texts = [r[1] for r in wb["Metadata"].iter_rows(min_row=2, values_only=True)]
    assert "=EVIL()" in texts                                   # a second definition, on its own row, as text


def test_metadata_always_carries_the_licence_and_the_time_even_when_not_given():
    wb = workbook(exports.to_excel_bytes({"Data": table()}, {"Title": "x"}))
    values = [r[1] for r in wb["Metadata"].iter_rows(min_row=2, values_only=True)]
    assert exports.OGL_ATTRIBUTION in values
    assert any(str(v).endswith("UTC") for v in values)


def test_no_excel_cell_is_a_formula_and_text_that_looks_like_one_stays_text():
    data = exports.to_excel_bytes({"Compare areas": table(), "=Sheet": table()}, meta())
    wb = workbook(data)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    ws = wb["Compare areas"]
    # exactly as given, not run, not altered (a carriage return is stored as OOXML's escape _x000D_, which
    # Excel and LibreOffice read back as the character; openpyxl hands over the escape as it is)
    column = [re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), c.value) for c in ws["A"]][2:]
    assert column == HOSTILE
    assert all(c.data_type == "s" for c in ws["A"][1:])
    assert ws["B2"].value == 31.4 and ws["B2"].data_type == "n"  # numbers stay numbers
    assert ws["C2"].value == 223
    assert ws["E2"].value is None                                # missing stays empty
    with zipfile.ZipFile(io.BytesIO(data)) as z:                 # and no formula element anywhere in the file
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_csv_text_that_could_run_as_a_formula_gets_an_apostrophe():
    text = exports.to_csv_bytes(table()).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Area,Value,Count,When,Missing"
    assert lines[1].startswith("Worcestershire,31.4,223,2025-03-31")
    body = "\n".join(lines[2:])
    for bad in ("=1+1", "+SUM(A1:A2)", "-2+3", "@cmd"):
        assert f"'{bad}" in body
    fields = [f for row in csv.reader(io.StringIO(text, newline="")) for f in row]
    assert not any(f.startswith(("=", "+", "-", "@", "\t", "\r")) for f in fields)
    assert "'\t=1" in fields and "'\r=1" in fields
    assert exports.to_csv_bytes(table()).startswith(b"\xef\xbb\xbf")   # Excel reads UTF-8 with the mark


def test_csv_headers_are_guarded_too():
    df = pd.DataFrame({"=1+1": [1]})
    assert exports.to_csv_bytes(df).decode("utf-8-sig").splitlines()[0] == "'=1+1"


@pytest.mark.parametrize("name,expected", [
    ("Compare areas", "Compare areas"),
    ("a/b:c*d?e[f]g\\h", "a b c d e f g h"),
    ("x" * 40, "x" * 31),
    ("", "Sheet"),
])
def test_sheet_titles_are_valid(name, expected):
    assert exports.sheet_title(name, set()) == expected


def test_sheet_titles_are_unique():
    taken: set[str] = set()
    assert [exports.sheet_title("Data", taken) for _ in range(3)] == ["Data", "Data (2)", "Data (3)"]


def test_control_characters_do_not_break_the_workbook():
    df = pd.DataFrame({"Text": ["bell\x07 and nul\x00 removed"]})
    ws = workbook(exports.to_excel_bytes({"T": df}, {}))["T"]
    assert ws["A2"].value == "bell and nul removed"


def test_describe_periods_and_file_stem():
    assert exports.describe_periods(["2020/21", "2021/22", "2021/22", "2024/25"]) == "2020/21 to 2024/25 (3 periods)"
    assert exports.describe_periods([]) == "–"
    assert exports.describe_periods(["2024/25"]) == "2024/25"
    assert exports.file_stem("SG02", "2024/25", "neighbours") == "sg02-2024-25-neighbours"
    assert exports.file_stem("../../etc/passwd") == "etc-passwd"


def test_number_formats_keep_counts_whole():
    df = pd.DataFrame({"Value": [1.25], "Numerator": [3.0], "Of": [11.0], "Area": ["x"],
                       "Average of the rest of the series": [2.5]})
    assert exports.number_formats(df, decimals=2) == {"Value": "%.2f", "Numerator": "%.0f", "Of": "%.0f",
                                                      "Average of the rest of the series": "%.2f"}


# -- every download in the app goes through this module (issue 15) ---------------------------------
# Files that are not a table of stored data, each built by the kpis module named, which guards its own text:
NOT_TABLES = {
    ("board_pack.py", "pack.data"): "the board pack (PDF, PowerPoint, or Excel written by exports.to_excel_bytes)",
    ("meetings.py", "made.data"): "the annual report: a Word document (python-docx) or a tagged PDF, not a spreadsheet",
    ("upload.py", "result.annotated"): "the lead's own file with problems marked (annotate: safe_cell_text)",
    ("upload.py", "json.dumps(r.to_dict(), indent=2, default=str)"): "a receipt in JSON, not a spreadsheet",
    ("upload.py", "workbook"): "the blank return template (templates.build_template, made once per data version by "
                               "app_pages/_upload_view.template)",
    ("upload.py", "receipt_html(r, sub_group=sub_group, partnership=fw.short_name)"):
        "a printable receipt in HTML, every text escaped (receipts.receipt_html), not a spreadsheet",
}
SAFE_WRITERS = {"to_csv_bytes", "to_excel_bytes"}


def _download_sources():
    import ast
    from pathlib import Path
    pages = Path(__file__).resolve().parent.parent.parent / "app_pages"
    for path in sorted(pages.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                data = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "data")
                yield path.name, data


def test_every_download_button_in_the_pages_writes_through_the_safe_export_functions():
    import ast
    seen = 0
    for page, data in _download_sources():
        seen += 1
        call = data.body if isinstance(data, ast.Lambda) else data
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in SAFE_WRITERS:
            assert ast.unparse(call.func.value) == "exports", (page, ast.unparse(data))
            continue
        assert (page, ast.unparse(data).replace('"', "'")) in {(p, s.replace('"', "'")) for p, s in NOT_TABLES}, \
            f"{page}: a download of {ast.unparse(data)} does not go through kpis.core.exports"
    assert seen >= 10


def test_the_kpi_download_neutralises_commentary_that_would_run(demo_db):
    from kpis.board.detail import kpi_download
    from kpis.core.framework import load_framework
    from kpis.store.database import Store
    store = Store(demo_db)
    try:
        with store.transaction() as cur:
            cur.execute("UPDATE observations SET commentary = ? WHERE rowid = (SELECT min(rowid) FROM observations "
                        "WHERE indicator_id = 'SG02' AND valid_to IS NULL AND area_code = 'E10000034')",
                        ["-2+3+cmd|' /C calc'!A0"])
            cur.execute("UPDATE observations SET commentary = ? WHERE rowid = (SELECT max(rowid) FROM observations "
                        "WHERE indicator_id = 'SG02' AND valid_to IS NULL AND area_code = 'E10000034')",
                        ['+HYPERLINK("http://evil.example","Click")'])
        fw = load_framework()
        data = kpi_download(store, fw, fw.kpi("SG02"))
    finally:
        store.close()
    text = exports.to_csv_bytes(data).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    commentary = {r["commentary"] for r in rows if r["commentary"]}
    assert {"'-2+3+cmd|' /C calc'!A0", "'+HYPERLINK(\"http://evil.example\",\"Click\")"} <= commentary
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v and not
                   v.lstrip("-").replace(".", "", 1).isdigit())


def test_decimal_numbers_are_written_as_numbers():
    """DuckDB hands DECIMAL columns (round(x, 1)::DECIMAL, sums of DECIMALs) to pandas as decimal.Decimal;
    they were written as text, which a spreadsheet cannot add up."""
    from decimal import Decimal
    df = pd.DataFrame({"Value": [Decimal("31.4"), Decimal("-2.50"), None], "Text": ["a", "b", "c"]})
    ws = workbook(exports.to_excel_bytes({"T": df}, {}))["T"]
    assert [ws["A2"].value, ws["A3"].value, ws["A4"].value] == [31.4, -2.5, None]
    assert ws["A2"].data_type == "n" and ws["A3"].data_type == "n"


def test_a_large_table_is_written_without_an_object_per_cell():
    """openpyxl made an object for every cell: 3.1 GB for a 100,000 x 100 result. The writer streams rows."""
    import tracemalloc
    df = pd.DataFrame({f"c{j}": (range(4000) if j % 2 else [f"t{i}" for i in range(4000)]) for j in range(50)})
    tracemalloc.start()
    try:
        data = exports.to_excel_bytes({"Result": df}, {"Title": "big"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * 2**20, f"{peak / 2**20:.0f} MB for 200,000 cells"
    # read back in openpyxl's read-only mode (row by row, a second less than a cell object each), the rows counted
    # as they are, not as the file's own dimension says
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    ws = book["Result"]
    ws.reset_dimensions()
    rows = list(ws.iter_rows(values_only=True))
    book.close()
    assert len(rows) == 4001 and max(len(r) for r in rows) == 50 and rows[4000][1] == 3999
    assert rows[0][:2] == ("c0", "c1") and rows[4000][0] == "t3999"


def test_plain_number_and_text_columns_are_converted_whole_and_give_the_same_cells(monkeypatch):
    """Integer, float and all-text columns skip the value-by-value conversion; their cells are the same as that
    conversion gives: missing is empty, control characters are dropped."""
    import numpy as np
    df = pd.DataFrame({"Int": [1, 2, 3, 4], "Float": [1.5, np.nan, float("inf"), -0.0],
                       "Text": ["a", None, np.nan, "=1+1"], "Bad": ["bell\x07", "nul\x00 x", None, "ok"],
                       "Object text": pd.Series(["x", None, np.nan, np.str_("numpy")], dtype=object)})
    assert df["Object text"].dtype == object and df["Text"].dtype != object   # pandas' own text type, and Python's
    slow = {c: [exports._cell_value(v) for v in df[c].tolist()] for c in df.columns}
    calls = []
    real = exports._cell_value
    monkeypatch.setattr(exports, "_cell_value", lambda v: calls.append(v) or real(v))
    for c in df.columns:
        fast = exports._column_values(df[c])
        assert [None if isinstance(v, float) and math.isnan(v) else v for v in fast] == slow[c], c
        assert all(type(v) in (int, float, str, np.str_, type(None)) for v in fast), c
    assert calls == []                                  # none of them went value by value
    ws = workbook(exports.to_excel_bytes({"T": df}, {}))["T"]
    assert [ws[f"{col}{r}"].value for col in "ABCD" for r in (2, 3)] == [1, 2, 1.5, None, "a", None, "bell", "nul x"]
    assert ws["C5"].value == "=1+1" and ws["C5"].data_type == "s" and ws["E5"].value == "numpy"
