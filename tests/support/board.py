"""A small, hand-made store for the board's unit tests: a few values whose answers can be worked by hand."""
from __future__ import annotations

from datetime import date, datetime

from kpis.core.areas import ENGLAND
from kpis.core.framework import load_framework
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store
from kpis.store.observations import write_observations

HOME = "E10000034"
FRAMEWORK = load_framework()
SG02_ENGLAND = "dfe_ees:d3_cpps_subsequent_plan"

QUARTERS = {  # label: (start, end)
    "2024/25 Q1": (date(2024, 4, 1), date(2024, 6, 30)),
    "2024/25 Q2": (date(2024, 7, 1), date(2024, 9, 30)),
    "2024/25 Q3": (date(2024, 10, 1), date(2024, 12, 31)),
    "2024/25 Q4": (date(2025, 1, 1), date(2025, 3, 31)),
    "2025/26 Q1": (date(2025, 4, 1), date(2025, 6, 30)),
}
YEARS = {"2022/23": (date(2022, 4, 1), date(2023, 3, 31)), "2023/24": (date(2023, 4, 1), date(2024, 3, 31)),
         "2024/25": (date(2024, 4, 1), date(2025, 3, 31))}


def obs(indicator: str, label: str, value: float | None, *, area: str = HOME, numerator=None, denominator=None,
        lower=None, upper=None, breakdown=("all", "all"), status="published", commentary=None) -> dict:
    start, end = QUARTERS.get(label) or YEARS[label]
    return dict(indicator_id=indicator, area_code=area, breakdown_type=breakdown[0], breakdown_value=breakdown[1],
                period_label=label, period_type="financial_quarter" if label in QUARTERS else "financial_year",
                period_start=start, period_end=end, value=value, numerator=numerator, denominator=denominator,
                lower_ci=lower, upper_ci=upper, status=status, commentary=commentary)


def submit(store: Store, rows: list[dict], at: datetime, *, area: str | None = "safeguarding",
           period: str | None = None, kind: str = "submission") -> int:
    with store.transaction() as cur:
        bid = start_batch(cur, kind=kind, at=at, outcome_area=area if kind == "submission" else None,
                          period_label=period or (rows[0]["period_label"] if rows else None),
                          source=None if kind == "submission" else "DfE test import")
        counts = write_observations(cur, batch_id=bid, rows=rows, at=at)
        finish_batch(cur, bid, rows_read=len(rows), rows_imported=len(rows), counts=counts)
    return bid


def add_meetings(store: Store, *days: date) -> None:
    with store.transaction() as cur:
        for d in days:
            cur.execute("INSERT INTO meetings VALUES (?, 'Board')", [d])


def sg02(label: str, numerator: int, denominator: int) -> dict:
    """A local SG02 value; the store keeps numerator and denominator, the value is their percentage."""
    return obs("SG02", label, 100 * numerator / denominator, numerator=numerator, denominator=denominator)


def england_sg02(label: str, value: float) -> dict:
    return obs(SG02_ENGLAND, label, value, area=ENGLAND)
