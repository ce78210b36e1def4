"""Seeded synthetic data for the local-only parts of the demo.

Everything this module writes is flagged `is_demo` and labelled "demo data"
wherever it is shown. Real published figures come from `data/reference` via
the benchmark importers instead.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd

from kpis.core import intervals
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.periods import Period, financial_quarter, months_of, quarters_between

SEED = 20251122
FIRST_QUARTER = (2023, 1)           # 2023/24 Q1
LAST_QUARTER = (2026, 2)            # 2026/27 Q2 (Jul-Sep 2026), the latest complete quarter for the demo
RETURN_LAG = timedelta(days=35)     # returns arrive about five weeks after quarter end
DEMO_SUBMITTER = "demo-data@example.invalid"

# Base level, quarterly drift and typical denominator (percentages) or mean count, for a KPI whose framework
# gives no profile in [demo.profiles]; the partnership's own profiles are data, in its framework.
DEFAULT_PROFILES: dict[str, tuple[float, float, float]] = {
    "percentage": (60.0, 0.2, 400), "count": (120.0, 1.0, 0), "rate_per_10000": (250.0, 1.0, 0),
    "rate_per_100000": (900.0, 2.0, 0),
}
BREAKDOWN_SHIFT = {"send": 1.25, "looked_after": 1.4, "fsm": 1.2, "young_carers": 1.3}
SHARED_GROUPS = ("district", "sex", "age_band", "ethnicity")  # groups that split the whole population


def demo_quarters() -> list[Period]:
    return quarters_between(financial_quarter(*FIRST_QUARTER), financial_quarter(*LAST_QUARTER))


def submitted_at(quarter: Period) -> datetime:
    return datetime.combine(quarter.end + RETURN_LAG, time(10, 0))


def profile(framework: Framework, kpi: Kpi) -> tuple[float, float, float]:
    given = (framework.demo.get("profiles") or {}).get(kpi.id)
    if given is not None:
        base, drift, denominator = (float(x) for x in given)
        return base, drift, denominator
    return DEFAULT_PROFILES[kpi.unit]


def local_kpis(framework: Framework) -> list[Kpi]:
    """KPIs that sub-groups report in each quarter's return: every quarterly and monthly KPI of the framework."""
    return [k for k in framework.kpis if k.frequency in ("quarterly", "monthly")]


def _level(kpi: Kpi, level: float, quarter_index: int, breakdown_type: str) -> float:
    level = level * (1.0 + 0.04 * np.sin(quarter_index * np.pi / 2))
    if breakdown_type in BREAKDOWN_SHIFT:
        shift = BREAKDOWN_SHIFT[breakdown_type]
        level = level * shift if kpi.polarity != "higher_is_better" else level / shift
    return level


def _values_for(kpi: Kpi, level: float, denominator: float, share: float, rng: np.random.Generator) -> dict:
    if kpi.unit == "percentage":
        n = max(int(rng.normal(denominator * share, denominator * share * 0.05)), 12)
        p = float(np.clip(level / 100.0, 0.01, 0.99))
        return _proportion(int(rng.binomial(n, p)), n)
    count = int(rng.poisson(max(level * share, 0.5)))
    lo, hi = intervals.byars_interval(count)
    return {"value": float(count), "numerator": None, "denominator": None, "lower_ci": lo, "upper_ci": hi}


def _proportion(num: int, n: int) -> dict:
    lo, hi = intervals.wilson_interval(num, n)
    return {"value": round(100.0 * num / n, 4), "numerator": num, "denominator": n,
            "lower_ci": 100.0 * lo, "upper_ci": 100.0 * hi}


# -- the published home-area series decides the demo where it exists ------------------------------------
def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _covering(published: pd.DataFrame, quarter: Period) -> pd.Series | None:
    """The shortest published period that holds the whole quarter, or None."""
    if published is None or published.empty:
        return None
    starts, ends = pd.to_datetime(published["period_start"]), pd.to_datetime(published["period_end"])
    hit = published[(starts <= pd.Timestamp(quarter.start)) & (ends >= pd.Timestamp(quarter.end))]
    if hit.empty:
        return None
    length = pd.to_datetime(hit["period_end"]) - pd.to_datetime(hit["period_start"])
    return hit.loc[length.idxmin()]


def _days(start, end) -> int:
    return (pd.Timestamp(end) - pd.Timestamp(start)).days + 1


def published_plan(kpi: Kpi, quarters: list[Period], published: pd.DataFrame | None, *,
                   denominator: float, rng: np.random.Generator) -> dict[str, dict | None]:
    """For each demo quarter that a published home-area figure covers, what the demo may say there.

    A quarter that is itself a published period takes the published figure. Quarters inside a longer
    published period (a financial, calendar or academic year) are derived from it: their numerators and
    denominators add up to the published ones (or, without published counts, to the published percentage),
    so the demo never contradicts the publication. A count or rate inside a published period is not
    synthesised at all (None). Quarters no publication covers are absent from the plan.
    """
    plan: dict[str, dict | None] = {}
    if published is None or published.empty:
        return plan
    groups: dict[str, list[Period]] = {}
    covering: dict[str, pd.Series] = {}
    for q in quarters:
        row = _covering(published, q)
        if row is not None:
            groups.setdefault(str(row["period_label"]), []).append(q)
            covering[str(row["period_label"])] = row
    for label, qs in groups.items():
        row = covering[label]
        value, num, den = _num(row["value"]), _num(row.get("numerator")), _num(row.get("denominator"))
        if value is None:
            plan.update({q.label: None for q in qs})
            continue
        if len(qs) == 1 and qs[0].start == pd.Timestamp(row["period_start"]).date() \
                and qs[0].end == pd.Timestamp(row["period_end"]).date():
            plan[qs[0].label] = {"value": value, "numerator": num, "denominator": den,
                                 "lower_ci": _num(row.get("lower_ci")), "upper_ci": _num(row.get("upper_ci")),
                                 "status_note": f"Demo data: the published {label} figure"}
            continue
        if kpi.unit != "percentage":
            plan.update({q.label: None for q in qs})
            continue
        covered = sum(_days(q.start, q.end) for q in qs)
        whole = covered == _days(row["period_start"], row["period_end"])
        if whole and num is not None and den is not None:
            total_den, total_num = int(den), int(num)
        else:
            scale = covered / _days(row["period_start"], row["period_end"])
            total_den = round((den if den else denominator * 4) * scale)
            total_num = round(value / 100.0 * total_den)
        if total_den < 12 * len(qs) or not 0 <= total_num <= total_den:
            plan.update({q.label: None for q in qs})
            continue
        weights = np.array([_days(q.start, q.end) for q in qs], dtype=float)
        dens = 12 + rng.multinomial(total_den - 12 * len(qs), weights / weights.sum())
        nums = rng.multivariate_hypergeometric(dens, total_num)
        for q, n_, d_ in zip(qs, nums, dens, strict=False):
            plan[q.label] = {**_proportion(int(n_), int(d_)),
                             "status_note": f"Demo data (synthetic): the quarters of {label} "
                                            "add up to the published figure"}
    return plan


def _anchor(published: pd.DataFrame | None, quarter: Period) -> tuple[float, int, str] | None:
    """The published value nearest to an uncovered quarter (the latest before it, else the first after),
    and how many quarters lie between them, signed."""
    if published is None or published.empty:
        return None
    have = published[published["value"].notna()]
    if have.empty:
        return None
    ends = pd.to_datetime(have["period_end"])
    before = have[ends < pd.Timestamp(quarter.start)]
    row = before.loc[pd.to_datetime(before["period_end"]).idxmax()] if not before.empty else \
        have.loc[ends.idxmin()]
    gap = round((pd.Timestamp(quarter.end) - pd.Timestamp(row["period_end"])).days / 91.3)
    return float(row["value"]), int(gap), str(row["period_label"])


def demo_rows(framework: Framework, quarters: list[Period], rng: np.random.Generator,
              published: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every quarterly KPI's synthetic values for the home area, every breakdown, every quarter.

    `published`: per KPI id, the home area's published series of its comparator (breakdown 'all' and any
    groups), from the store. Where it covers a quarter the demo follows it (`published_plan`); beyond it,
    the demo continues from the nearest published figure with the KPI's drift.
    """
    published = published or {}
    rows = []
    for kpi in local_kpis(framework):
        base, drift, denominator = profile(framework, kpi)
        # a monthly KPI: each quarter's three months, a third of the quarter's drift and denominator each
        monthly = kpi.frequency == "monthly"
        periods = [m for q in quarters for m in months_of(q)] if monthly else quarters
        if monthly:
            drift, denominator = drift / 3, denominator / 3
        pub = published.get(kpi.id)
        pub_all = pub[pub["breakdown_type"] == "all"] if pub is not None and not pub.empty else None
        plan = published_plan(kpi, periods, pub_all, denominator=denominator, rng=rng)
        for index, quarter in enumerate(periods):
            where = dict(indicator_id=kpi.id, area_code=framework.home_area, period_label=quarter.label,
                         period_type=quarter.type, period_start=quarter.start, period_end=quarter.end)
            if quarter.label in plan:
                values = plan[quarter.label]
                if values is None:
                    continue  # the published figure is the home area's figure here
                level = values["value"]
            else:
                anchor = _anchor(pub_all, quarter)
                level = base + drift * index if anchor is None else anchor[0] + drift * anchor[1]
                values = _values_for(kpi, _level(kpi, level, index // 3 if monthly else index, "all"), denominator,
                                     1.0, rng)
                if anchor is not None:
                    values["status_note"] = f"Demo data (synthetic), continuing from the published {anchor[2]} figure"
                level = values["value"] if values["value"] is not None else level
            rows.append(dict(where, breakdown_type="all", breakdown_value="all", **values))
            for btype in kpi.breakdowns:
                groups = framework.breakdown_values.get(btype, ()) if btype != "all" else ()
                for bvalue in groups:
                    if pub is not None and _covering(pub[(pub["breakdown_type"] == btype)
                                                         & (pub["breakdown_value"] == bvalue)], quarter) is not None:
                        continue  # published for this group too: not synthesised
                    share = 1.0 / len(groups) if btype in SHARED_GROUPS else 0.15
                    rows.append(dict(where, breakdown_type=btype, breakdown_value=bvalue,
                                     **_values_for(kpi, _level(kpi, level, 0, btype), denominator, share, rng)))
    columns = ["indicator_id", "area_code", "period_label", "period_type", "period_start", "period_end",
               "breakdown_type", "breakdown_value", "value", "numerator", "denominator", "lower_ci", "upper_ci",
               "status_note"]
    df = pd.DataFrame(rows, columns=columns)
    df["status"], df["is_demo"] = "published", True
    notes = df["status_note"].astype(object)
    df["status_note"] = notes.where(notes.notna(), "Demo data (synthetic)")
    # A few honest gaps: small counts suppressed, like a real return.
    small = (df["numerator"].notna()) & (pd.to_numeric(df["numerator"]) < 5)
    df.loc[small, ["value", "lower_ci", "upper_ci"]] = None
    df.loc[small, "status"] = "suppressed"
    return df


NARRATIVE = {
    "progress": "Demo data. {area}: actions from the {period} plan are on track; "
                "partner training reached {n} practitioners.",
    "risks_barriers": "Demo data. Recruitment to key posts remains a risk; data sharing with one partner is delayed.",
    "service_user_feedback": "Demo data. Families told us they value a single named worker "
                             "and fewer repeat assessments.",
}


def demo_narrative(area_name: str, quarter: Period, rng: np.random.Generator) -> dict[str, str]:
    n = int(rng.integers(40, 160))
    return {k: v.format(area=area_name, period=quarter.label, n=n) for k, v in NARRATIVE.items()}
