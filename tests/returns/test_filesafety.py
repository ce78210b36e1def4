"""File safety: every check is by content, against real hostile files in tests/fixtures/returns."""
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import EntitiesForbidden
from openpyxl import Workbook

from kpis.core.exports import safe_cell_text
from kpis.returns import filesafety
from kpis.returns.filesafety import UnreadableFile, check_upload, decode_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "returns"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
REFUSED = sorted(name for name, e in EXPECTED.items() if e["exit_code"] == 2)


def workbook_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["KPI id", "Value"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("name", REFUSED)
def test_each_hostile_file_is_refused_with_its_message(name):
    data = (FIXTURES / name).read_bytes()
    with pytest.raises(UnreadableFile) as err:
        check_upload(name, data)
    assert EXPECTED[name]["message"].lower() in str(err.value).lower()
    assert name in str(err.value)


def test_the_fixtures_are_small_on_disk_and_the_bomb_is_huge_unpacked():
    bomb = (FIXTURES / "zip_bomb.xlsx").read_bytes()
    assert len(bomb) < 100_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:
        assert sum(i.file_size for i in z.infolist()) >= 1 << 30


def test_openpyxl_itself_refuses_billion_laughs_through_defusedxml():
    """The second line of defence: even if our DOCTYPE check were skipped, openpyxl would not expand entities."""
    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(ValueError) as err:
        openpyxl.load_workbook(io.BytesIO((FIXTURES / "billion_laughs.xlsx").read_bytes()))
    assert isinstance(err.value.__cause__ or err.value.__context__, EntitiesForbidden)


def test_a_real_workbook_and_a_csv_pass_whatever_their_names():
    assert check_upload("return.csv", workbook_bytes()) == "xlsx"
    assert check_upload("return.xlsx", b"KPI id,Value\nSG01,65\n") == "csv"
    assert check_upload("r.csv", (FIXTURES / "cp1252_formula.csv").read_bytes()) == "csv"


def test_size_cap(monkeypatch):
    monkeypatch.setattr(filesafety, "MAX_BYTES", 100)
    with pytest.raises(UnreadableFile, match="limit is"):
        check_upload("big.csv", b"a,b\n" * 100)


def test_too_many_zip_entries_and_high_ratio_are_refused(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        for i in range(30):
            dst.writestr(f"xl/media/extra{i}.txt", b"x")
        dst.writestr("xl/media/zeros.bin", b"\0" * (3 << 20))
    data = buf.getvalue()
    monkeypatch.setattr(filesafety, "MAX_ENTRIES", 20)
    with pytest.raises(UnreadableFile, match="parts"):
        check_upload("many.xlsx", data)
    monkeypatch.setattr(filesafety, "MAX_ENTRIES", 1000)
    with pytest.raises(UnreadableFile, match=r"compressed .* times over"):
        check_upload("ratio.xlsx", data)


def test_csv_text_encodings():
    assert decode_text("KPI id,Café\n".encode())[1] == "utf-8"
    text, enc = decode_text(b"\xef\xbb\xbfKPI id,Value\n")
    assert enc == "utf-8-sig" and text.startswith("KPI id")
    text, enc = decode_text("Café £5\n".encode("cp1252"))
    assert enc == "cp1252" and text == "Café £5\n"
    assert decode_text("KPI id\tValue\n".encode("utf-16"))[1] == "utf-16"


def test_binary_that_is_not_a_known_format_is_not_csv():
    with pytest.raises(UnreadableFile, match="neither an Excel workbook"):
        check_upload("data.csv", bytes(range(256)) * 10)


@pytest.mark.parametrize("text,expected", [
    ("=1+2", "'=1+2"), ("+44 1905", "'+44 1905"), ("-5 since Q1", "'-5 since Q1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("Fine text", "Fine text"), ("", ""), (None, None), (5, 5),
])
def test_safe_cell_text(text, expected):
    assert safe_cell_text(text) == expected
