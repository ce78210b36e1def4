"""The return a lead submits during the load tests: the sub-group's real template filled in (`make_return`), and
how many times a file was stored (`_submissions`)."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from tools.bench.serve import LoadTestError


def make_return(db: str | Path, area_id: str, *, framework=None, period=None) -> bytes:
    """The sub-group's real return template for `period` (default: the latest ended quarter), filled in as a lead
    would from last quarter's figures (a small change, or fresh figures where last quarter had none), with a
    narrative. Checked against the database; raises LoadTestError if it is not a valid return."""
    from openpyxl import load_workbook

    from kpis.core.framework import load_framework
    from kpis.returns.submission import check_return
    from kpis.returns.templates import build_template, default_period
    from kpis.store.database import Store
    from tools.sample_returns import headings, kpi_rows
    fw = framework or load_framework()
    period = period or default_period(date.today())
    with Store(db, read_only=True) as store:
        wb = load_workbook(io.BytesIO(build_template(store, fw, area_id, period)))
        ws = wb["Data"]
        col = headings(ws)
        for r, kid, before in kpi_rows(ws, col):
            unit = fw.kpi(kid).unit
            if unit == "percentage":
                value = min(99.0, max(1.0, before + 0.4)) if before is not None else round(100 * (40 + r % 20) / 80, 1)
                ws.cell(r, col["Value"]).value = round(value, 1)
            else:
                ws.cell(r, col["Value"]).value = round(before + 1) if before is not None else 30 + r % 9
        ws.cell(2, col["Commentary"]).value = "Submitted during the load test."
        for row in wb["Narrative"].iter_rows(min_col=1, max_col=2):
            if row[0].value == "Progress":
                row[1].value = "Training delivered to 120 practitioners."
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
        checked = check_return(store, fw, name="return.xlsx", data=data, area_id=area_id)
    if not checked.ok:
        raise LoadTestError(f"The generated {area_id} return is not valid: "
                            + "; ".join(f"{p.where}: {p.message}" for p in checked.errors[:5]))
    return data


def _submissions(db: str | Path, digest: str) -> tuple[int, int]:
    """(submissions of the file with this sha256, all submissions) in the database."""
    from kpis.store.database import Store
    with Store(db, read_only=True) as store:
        return (int(store.scalar("SELECT count(*) FROM batches WHERE kind = 'submission' AND sha256 = ?",
                                 [digest])),
                int(store.scalar("SELECT count(*) FROM batches WHERE kind = 'submission'")))
