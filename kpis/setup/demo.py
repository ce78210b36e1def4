"""Seeded synthetic data for the local-only parts of the demo.

Everything this module writes is flagged `is_demo` and labelled "demo data"
wherever it is shown. Real published figures come from `data/reference` via
the benchmark importers instead.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd

from kpis.core.framework import Framework, Kpi
from kpis.core.periods import Period, financial_quarter, quarters_between
from kpis.core import stats

SEED = 20251122
FIRST_QUARTER = (2023, 1)           # 2023/24 Q1
LAST_QUARTER = (2026, 2)            # 2026/27 Q2 (Jul-Sep 2026), the latest complete quarter for the demo
RETURN_LAG = timedelta(days=35)     # returns arrive about five weeks after quarter end
DEMO_SUBMITTER = "demo-data@example.invalid"

# Worcestershire's six districts (ONS LTLA codes), for district breakdowns.
DISTRICTS = {
    "E07000234": "Bromsgrove", "E07000235": "Malvern Hills", "E07000236": "Redditch",
    "E07000237": "Worcester", "E07000238": "Wychavon", "E07000239": "Wyre Forest",
}
BREAKDOWN_VALUES = {
    "send": ["SEND"], "looked_after": ["Looked after"], "fsm": ["FSM eligible"],
    "young_carers": ["Young carer"], "sex": ["Female", "Male"], "age_band": ["0-4", "5-10", "11-15", "16-17"],
    "ethnicity": ["White", "Mixed", "Asian", "Black", "Other"], "district": list(DISTRICTS),
}

# Base level, quarterly drift and typical denominator (percentages) or mean count per KPI.
PROFILES: dict[str, tuple[float, float, float]] = {
    "EH01": (79.0, 0.15, 1250), "EH05": (410, 6.0, 0), "MH01": (46, -0.6, 0), "MH02": (17.5, -0.12, 78000),
    "MH03": (71.0, 0.6, 95), "SD01": (88.0, -0.15, 9800), "SD02": (41.0, 0.2, 5200), "SD03": (64.0, 0.5, 70),
    "SD04": (9.5, -0.05, 900), "SD05": (57.0, 0.3, 620), "SG01": (69.0, 0.4, 160), "SG02": (21.0, 0.25, 140),
    "SG03": (36.0, 0.2, 230),
}
BREAKDOWN_SHIFT = {"send": 1.25, "looked_after": 1.4, "fsm": 1.2, "young_carers": 1.3}


def demo_quarters() -> list[Period]:
    return quarters_between(financial_quarter(*FIRST_QUARTER), financial_quarter(*LAST_QUARTER))


def submitted_at(quarter: Period) -> datetime:
    return datetime.combine(quarter.end + RETURN_LAG, time(10, 0))


def local_kpis(framework: Framework) -> list[Kpi]:
    """KPIs that sub-groups report each quarter: the ones with a demo profile."""
    return [k for k in framework.kpis if k.frequency == "quarterly" and k.id in PROFILES]


def _values_for(kpi: Kpi, quarter_index: int, breakdown_type: str, share: float, rng: np.random.Generator) -> dict:
    base, drift, denominator = PROFILES[kpi.id]
    seasonal = 1.0 + 0.04 * np.sin(quarter_index * np.pi / 2)
    level = (base + drift * quarter_index) * seasonal
    if breakdown_type in BREAKDOWN_SHIFT:
        shift = BREAKDOWN_SHIFT[breakdown_type]
        level = level * shift if kpi.polarity != "higher_is_better" else level / shift
    if kpi.unit == "percentage":
        n = max(int(rng.normal(denominator * share, denominator * share * 0.05)), 12)
        p = float(np.clip(level / 100.0, 0.01, 0.99))
        num = int(rng.binomial(n, p))
        lo, hi = stats.wilson_interval(num, n)
        return {"value": round(100.0 * num / n, 4), "numerator": num, "denominator": n,
                "lower_ci": 100.0 * lo, "upper_ci": 100.0 * hi}
    count = int(rng.poisson(max(level * share, 0.5)))
    lo, hi = stats.byars_interval(count)
    return {"value": float(count), "numerator": None, "denominator": None, "lower_ci": lo, "upper_ci": hi}


def quarter_rows(framework: Framework, quarter: Period, index: int, rng: np.random.Generator,
                 kpis: list[Kpi] | None = None) -> pd.DataFrame:
    rows = []
    for kpi in kpis or local_kpis(framework):
        rows.append(dict(indicator_id=kpi.id, area_code=framework.home_area, breakdown_type="all",
                         breakdown_value="all", **_values_for(kpi, index, "all", 1.0, rng)))
        for btype in kpi.breakdowns:
            if btype == "all":
                continue
            values = BREAKDOWN_VALUES.get(btype, [])
            for bvalue in values:
                share = 1.0 / len(values) if btype in ("district", "sex", "age_band", "ethnicity") else 0.15
                rows.append(dict(indicator_id=kpi.id, area_code=framework.home_area, breakdown_type=btype,
                                 breakdown_value=bvalue, **_values_for(kpi, index, btype, share, rng)))
    df = pd.DataFrame(rows)
    df["period_label"], df["period_type"] = quarter.label, quarter.type
    df["period_start"], df["period_end"] = quarter.start, quarter.end
    df["status"], df["is_demo"] = "published", True
    df["status_note"] = "Demo data (synthetic)"
    # A few honest gaps: small counts suppressed, like a real return.
    small = (df["numerator"].notna()) & (df["numerator"] < 5)
    df.loc[small, ["value", "lower_ci", "upper_ci"]] = None
    df.loc[small, "status"] = "suppressed"
    return df


NARRATIVE = {
    "progress": "Demo data. {area}: actions from the {period} plan are on track; partner training reached {n} practitioners.",
    "risks_barriers": "Demo data. Recruitment to key posts remains a risk; data sharing with one partner is delayed.",
    "service_user_feedback": "Demo data. Families told us they value a single named worker and fewer repeat assessments.",
}


def demo_narrative(area_name: str, quarter: Period, rng: np.random.Generator) -> dict[str, str]:
    n = int(rng.integers(40, 160))
    return {k: v.format(area=area_name, period=quarter.label, n=n) for k, v in NARRATIVE.items()}
