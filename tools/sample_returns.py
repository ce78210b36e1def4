"""A sub-group's real return template, filled in the way a lead would: for the tests, and for the benchmarks that
need a good return beside the hostile ones (tools/bench/hostile.py)."""
from __future__ import annotations

import io
from collections.abc import Iterator

from openpyxl import load_workbook

from kpis.returns.templates import build_template

PERIOD = "2025/26 Q2"    # the quarter filled in unless another is given (the tests' quarter)


def headings(ws) -> dict[str, int]:
    """A template sheet's column numbers by heading, without a heading's "(…)" hint."""
    return {str(ws.cell(1, c).value).split(" (")[0]: c for c in range(1, ws.max_column + 1)}


def kpi_rows(ws, col: dict[str, int]) -> Iterator[tuple[int, str, float | None]]:
    """(row, KPI id, last quarter's value as a number, None where it is not one: blank, '<5') of each KPI row of a
    template's Data sheet, as a lead reads the grey reference column."""
    for r in range(2, ws.max_row + 1):
        kpi_id = ws.cell(r, col["KPI id"]).value
        if not kpi_id:
            continue
        last = str(ws.cell(r, col["Last quarter: value"]).value or "").replace(",", "").rstrip("%").strip()
        try:
            yield r, kpi_id, float(last)
        except ValueError:
            yield r, kpi_id, None


def filled_template(fw, area_id: str, period: str = PERIOD, store=None, *, shift: int = 0) -> bytes:
    """The real template for a sub-group, filled in the way a lead would: a value, and counts for percentages."""
    wb = load_workbook(io.BytesIO(build_template(store, fw, area_id, period)))
    ws = wb["Data"]
    col = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(2, ws.max_row + 1):
        kid = ws.cell(r, col["KPI id"]).value
        if not kid:
            continue
        kpi = fw.kpi(kid)
        if kpi.unit == "percentage":
            num, den = 40 + (r + shift) % 20, 80 + r % 5
            ws.cell(r, col["Value"]).value = round(100 * num / den, 1)
            ws.cell(r, col["Numerator"]).value = num
            ws.cell(r, col["Denominator"]).value = den
        else:
            ws.cell(r, col["Value"]).value = 30 + (r + shift) % 9
    ws.cell(2, col["Commentary"]).value = "Improved after the new triage process."
    nar = wb["Narrative"]
    for row in nar.iter_rows(min_col=1, max_col=2):
        label = row[0].value
        if label == "Progress":
            row[1].value = "Training delivered to 120 practitioners."
        elif label == "Risks and barriers":
            row[1].value = "Recruitment to two posts."
        elif label == "Service user feedback":
            row[1].value = "Families value a single named worker."
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
