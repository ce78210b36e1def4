"""How long do checking and submitting a 5,000-row quarterly return take?

    .venv/bin/python tools/bench/returns.py            # prints seconds; the target is under 2 s

`bench_submit_5000(tmp_dir)` builds a synthetic framework (228 KPIs x 22 breakdowns = 5,016 rows in one
sub-group), stores last quarter's return as history, writes this quarter's as a real .xlsx with openpyxl,
then times check -> read -> validate -> preview -> submit of it. Returns the seconds taken.
"""
from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from openpyxl import Workbook

from kpis.core.framework import load_framework, parse_framework
from kpis.returns.layout import COLUMNS, breakdown_options
from kpis.returns.submission import check_return, preview, submit
from kpis.setup.bootstrap import register_framework
from kpis.store.database import Store

TODAY = date(2025, 11, 20)
BREAKDOWNS = ["all", "district", "sex", "age_band", "ethnicity", "send", "looked_after", "fsm", "young_carers"]


def bench_framework(n_kpis: int = 228):
    shipped = load_framework()  # its breakdown groups and districts: 22 breakdowns a KPI
    raw = {
        "breakdown_values": {k: list(v) for k, v in shipped.breakdown_values.items() if k != "district"},
        "districts": dict(shipped.districts),
        "partnership": {"name": "Bench partnership", "home_area": "E10000034"},
        "breakdowns": {"all": "All children and young people", "district": "District", "sex": "Sex",
                       "age_band": "Age band", "ethnicity": "Ethnic group", "send": "Children with SEND",
                       "looked_after": "Children looked after", "fsm": "Eligible for free school meals",
                       "young_carers": "Young carers"},
        "areas": [{"id": "bench", "name": "Bench", "sub_group": "Bench sub-group"}],
        "outcomes": [{"id": "o", "name": "Outcome"}],
        "kpis": [{"id": f"B{i:03d}", "area": "bench", "outcome": "o", "title": f"Bench KPI {i}",
                  "definition": "Synthetic", "unit": "count" if i % 10 == 0 else "percentage", "decimals": 1,
                  "polarity": "higher_is_better", "frequency": "quarterly", "breakdowns": BREAKDOWNS}
                 for i in range(1, n_kpis + 1)],
    }
    return parse_framework(raw)


def return_workbook(framework, period: str, shift: int = 0) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append([h for _, h in COLUMNS])
    i = 0
    for kpi in framework.kpis:
        for opt in breakdown_options(framework, kpi):
            i += 1
            if kpi.unit == "count":
                ws.append([kpi.id, kpi.title, opt.label, period, "count", 40 + (i + shift) % 7, None, None, None, None])
            elif i % 50 == 0:
                ws.append([kpi.id, kpi.title, opt.label, period, "%", "<5", None, None, None, None])
            else:
                num, den = 100 + (i + shift) % 37, 200 + i % 11
                ws.append([kpi.id, kpi.title, opt.label, period, "%", round(100 * num / den, 1), num, den, None,
                           "Commentary" if i % 9 == 0 else None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bench_submit_5000(tmp_dir: str | Path) -> float:
    framework = bench_framework()
    store = Store(Path(tmp_dir) / "bench.duckdb")
    try:
        register_framework(store, framework)
        submit(store, framework, name="q1.xlsx", data=return_workbook(framework, "2025/26 Q1"), area_id="bench",
               by="bench@example.org", today=TODAY)
        data = return_workbook(framework, "2025/26 Q2", shift=3)
        start = time.perf_counter()
        checked = check_return(store, framework, name="q2.xlsx", data=data, area_id="bench", today=TODAY)
        assert checked.ok and len(checked.rows) >= 5000, checked.problems[:3]
        preview(store, framework, checked)
        receipt = submit(store, framework, name="q2.xlsx", data=data, area_id="bench", by="bench@example.org",
                         today=TODAY)
        seconds = time.perf_counter() - start
        assert receipt.stored and sum(receipt.counts.values()) >= 5000
        return seconds
    finally:
        store.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(f"check + preview + submit of a 5,016-row return: {bench_submit_5000(tmp):.2f} s (target < 2 s)")
