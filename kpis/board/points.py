"""The points a scorecard cell needs: one value of a KPI for one period, its 95% limits, and the home area's and
England's series read from the store."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import pandas as pd

from kpis.core import intervals
from kpis.core.areas import ENGLAND
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.store.database import Store
from kpis.store.series import kpis_series


@dataclass(frozen=True)
class Point:
    """One value of a KPI for one period, as a scorecard cell needs it."""
    period_label: str
    period_end: date | None
    value: float
    numerator: float | None = None
    denominator: float | None = None
    lower_ci: float | None = None
    upper_ci: float | None = None
    is_demo: bool = False
    source: str = ""
    is_local: bool = True       # False: the published figure of the KPI's comparator, not a sub-group's return

    @classmethod
    def from_row(cls, row: dict) -> Point:
        def num(key):
            v = row.get(key)
            return None if v is None or pd.isna(v) else float(v)
        end = row.get("period_end")
        return cls(period_label=str(row["period_label"]),
                   period_end=None if end is None or pd.isna(end) else pd.Timestamp(end).date(),
                   value=float(row["value"]), numerator=num("numerator"), denominator=num("denominator"),
                   lower_ci=num("lower_ci"), upper_ci=num("upper_ci"), is_demo=bool(row.get("is_demo") or False),
                   source=str(row.get("source") or ""), is_local=bool(row.get("is_local", True)))


def with_interval(kpi: Kpi, p: Point) -> tuple[float | None, float | None]:
    """The point's 95% limits; worked out by Wilson or Byar's method when only counts were stored
    (`intervals.interval_of`, the rule the explorer and the return check use too)."""
    return _interval(kpi.unit, p.value, p.numerator, p.denominator, p.lower_ci, p.upper_ci)


@lru_cache(maxsize=4096)
def _interval(unit: str, value, numerator, denominator, lower, upper) -> tuple[float | None, float | None]:
    lo, hi, _ = intervals.interval_of(unit, value, numerator, denominator, lower, upper)
    return lo, hi



POINT_COLUMNS = ["kpi_id", "area_code", "is_local", "period_label", "period_end", "value", "numerator", "denominator",
                 "lower_ci", "upper_ci", "is_demo", "source", "status"]


def home_and_england(store: Store, framework: Framework, kpis: list[Kpi] | tuple[Kpi, ...],
                     as_at: datetime | None) -> dict[str, tuple[list[dict], list[dict]]]:
    """Per KPI, the home area's series and England's, oldest first, values only: all KPIs in one query.

    Each is a list of rows (dicts of POINT_COLUMNS). Where the sub-group sends its own returns, those,
    not the published figure, make the home series.
    """
    df = kpis_series(store, list(kpis), area_codes=[framework.home_area, ENGLAND], as_at=as_at,
                     columns=POINT_COLUMNS[1:])
    df = df.loc[df["value"].notna() | ((df["status"] == "suppressed") & (df["area_code"] == ENGLAND)), POINT_COLUMNS]
    out: dict[str, tuple[list[dict], list[dict]]] = {k.id: ([], []) for k in kpis}
    for row in df.to_dict("records"):
        home, eng = out[row["kpi_id"]]
        if row["area_code"] == framework.home_area:
            home.append(row)
        if row["area_code"] == ENGLAND:
            eng.append(row)
    for home, eng in out.values():
        if any(r["is_local"] for r in home):  # the sub-group's own returns, not the published figure
            home[:] = [r for r in home if r["is_local"]]
        home.sort(key=lambda r: r["period_end"])  # stable: already in order, kept as it is
        eng.sort(key=lambda r: r["period_end"])
    return out
