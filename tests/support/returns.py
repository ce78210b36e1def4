"""Shared helpers for the quarterly-return tests: a private store, and real workbooks written by openpyxl."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.returns.layout import COLUMNS
from kpis.returns.templates import build_template
from kpis.setup.bootstrap import register_framework
from kpis.store.database import Store
from tools import sample_returns

TODAY = date(2025, 11, 20)          # "today" in these tests: 2025/26 Q2 (Jul-Sep 2025) has ended
PERIOD = sample_returns.PERIOD      # the quarter filled_template fills in
PREVIOUS = "2025/26 Q1"
HEADERS = [h for _, h in COLUMNS]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "returns"


def framework():
    return load_framework(DEFAULT_FRAMEWORK)


def new_store(path: Path, fw=None) -> Store:
    store = Store(path)
    fw = fw or framework()
    register_framework(store, fw)
    with store.transaction() as cur:
        cur.execute("INSERT OR IGNORE INTO areas (area_code, name, area_type) VALUES (?, ?, 'county')",
                    [fw.home_area, "Worcestershire"])
    return store


@pytest.fixture
def fw():
    return framework()


@pytest.fixture
def store(tmp_path):
    s = new_store(tmp_path / "t.duckdb")
    yield s
    s.close()


def to_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook(rows: list[list], headers: list[str] | None = None, *, title: str = "Data") -> Workbook:
    """A one-sheet workbook: a header row then the rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers or ["KPI id", "Breakdown", "Period", "Value", "Numerator", "Denominator", "Status",
                          "Commentary"])
    for r in rows:
        ws.append(r)
    return wb


def simple_return(rows: list[list], headers: list[str] | None = None) -> bytes:
    return to_bytes(workbook(rows, headers))


def with_cached_values(data: bytes, cached: dict[str, str]) -> bytes:
    """Give openpyxl-written formulas a saved result, as Excel would (openpyxl cannot write one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                text = content.decode()
                for ref, value in cached.items():
                    text = re.sub(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(?:</v>)?', rf"\1\2<v>{value}</v>",
                                  text)
                content = text.encode()
            dst.writestr(info.filename, content)
    return out.getvalue()


def table(store: Store, name: str) -> list[tuple]:
    """A table's rows in a fixed order, to compare the database before and after."""
    return [tuple(r) for r in store.con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()]


def snapshot(store: Store) -> dict[str, list[tuple]]:
    return {t: table(store, t) for t in ("batches", "observations", "raw_files", "narratives", "audit_log")}
