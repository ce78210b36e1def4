"""Breakdowns: one area's values by the groups at risk of health inequalities, with 95% limits.

Local returns break KPIs down by the framework's groups (SEND, looked after,
FSM, district, age band ...); published sources by sex, age or deprivation
decile. Each group is compared with the same area's value for all children in
the same period, in words, the way Fingertips compares an area with England.
"""
from __future__ import annotations

import re

import pandas as pd

from kpis.analysis.explore import Indicator, add_significance, read_values, with_intervals
from kpis.analysis.explore import groups as series_groups
from kpis.store import explorer
from kpis.store.database import Store

_DECILE_WORDS = ["most deprived", "second most", "third more", "fourth more", "fifth more", "fifth less",
                 "fourth less", "third less", "second least", "least deprived"]
_QUINTILE_WORDS = ["most deprived quintile", "second most deprived quintile", "middle",
                   "second least deprived quintile",
                   "least deprived quintile"]


def breakdown_label(btype: str, names: dict[str, str] | None = None) -> str:
    """'district' -> 'District'; a Fingertips deprivation type -> 'Deprivation decile (IMD 2019, counties) ...'."""
    names = names or {}
    parts = []
    for part in btype.split("|"):
        if part in names:
            parts.append(names[part])
        elif "deprivation_decile" in part or "deprivation_quintile" in part:
            imd = re.search(r"imd(\d{4})", part)
            level = "districts" if part.startswith("district") else "counties and unitary authorities"
            kind = "decile" if "decile" in part else "quintile"
            boundaries = re.search(r"_(\d)_(\d\d)_geog", part)
            when = f", 20{boundaries.group(2)} boundaries" if boundaries else ""
            parts.append(f"Deprivation {kind} of {level} (IMD {imd.group(1) if imd else ''}{when})")
        else:
            parts.append(part.replace("_", " ").capitalize())
    return " and ".join(parts)


def _value_key(value: str) -> tuple:
    """Order groups as people expect: deprivation most to least deprived, age bands by age, else by name."""
    keys = []
    for part in str(value).split("|"):
        low = part.lower()
        rank = next((i for i, w in enumerate(_DECILE_WORDS) if low.startswith(w)), None)
        if rank is None:
            rank = next((i for i, w in enumerate(_QUINTILE_WORDS) if low.startswith(w)), None)
        age = re.match(r"^(\d+)", low)
        keys.append((0, rank, "") if rank is not None else (1, int(age.group(1)), "") if age else (2, 0, low))
    return tuple(keys)


def group_name(btype: str, value: str, districts: dict[str, str] | None = None) -> str:
    """A group as people say it; `districts` (the framework's ONS code -> name) names district codes."""
    return (districts or {}).get(value, value) if btype == "district" else str(value).replace("|", " / ")


def breakdown_options(store: Store, ind: Indicator, area_code: str,
                      names: dict[str, str] | None = None) -> pd.DataFrame:
    """The breakdowns this area has for the indicator: series, type, label, number of periods, latest period."""
    ids = [ind.kpi.id, ind.area_series_id] if ind.kpi is not None else [ind.area_series_id]
    df = explorer.breakdown_options(store, list(dict.fromkeys(ids)), area_code)
    df["label"] = [breakdown_label(t, names) for t in df["breakdown_type"]]
    df["series"] = ["Local returns" if ind.kpi is not None and i == ind.kpi.id else "Published"
                    for i in df["indicator_id"]]
    return df


def breakdown_areas(store: Store, ind: Indicator) -> pd.DataFrame:
    """Areas that have any breakdown of the indicator, most breakdown values first."""
    ids = [ind.kpi.id, ind.area_series_id] if ind.kpi is not None else [ind.area_series_id]
    return explorer.breakdown_areas(store, list(dict.fromkeys(ids)))


def breakdown_periods(store: Store, series_id: str, area_code: str, breakdown_type: str) -> list[str]:
    return explorer.breakdown_periods(store, series_id, area_code, breakdown_type)


def breakdowns(store: Store, ind: Indicator, *, series_id: str, area_code: str, breakdown_type: str,
               period_label: str | None = None, names: dict[str, str] | None = None,
               districts: dict[str, str] | None = None) -> pd.DataFrame:
    """One breakdown of one area in one period (the latest by default), with the 'all' row first.

    Each group gets 95% limits (calculated from counts where not given) and a comparison, in words, with the
    area's value for all children in the same period.
    """
    periods_ = breakdown_periods(store, series_id, area_code, breakdown_type)
    if not periods_:
        return pd.DataFrame()
    period_label = period_label if period_label in periods_ else periods_[-1]
    groups = read_values(store, series_id, breakdown_type=breakdown_type, area_codes=[area_code],
                         period_label=period_label)
    overall = read_values(store, series_id, breakdown_type="all", area_codes=[area_code], period_label=period_label)
    df = with_intervals(pd.concat([overall, groups], ignore_index=True), ind.unit)
    all_value = float(overall["value"].iloc[0]) if len(overall) and pd.notna(overall["value"].iloc[0]) else None
    area = df["area_name"].iloc[0]
    df = add_significance(df, all_value, ind.polarity, versus=f"all children in {area}")
    if ind.unit == "count":  # a group's count and everyone's count measure groups of different sizes
        has = df["value"].notna()
        df.loc[has, ["significance", "significance_text"]] = ["not compared",
                                                              "Not compared: a count, and the groups differ in size"]
    is_all = df["breakdown_type"] == "all"
    df.loc[is_all, ["significance", "significance_text"]] = ["benchmark", "All children: the benchmark"]
    df["group_type"] = [("All children" if t == "all" else breakdown_label(t, names)) for t in df["breakdown_type"]]
    df["group"] = ["All children and young people" if t == "all" else group_name(t, v, districts)
                   for t, v in zip(df["breakdown_type"], df["breakdown_value"], strict=False)]
    order = [(0,) if t == "all" else (1, *_value_key(v)) for t, v in zip(df["breakdown_type"],
                                                                         df["breakdown_value"], strict=False)]
    df["all_value"] = all_value
    return df.iloc[sorted(range(len(df)), key=order.__getitem__)].reset_index(drop=True)


def breakdown_table(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Group": df["group"], "Breakdown": df["group_type"], "Area": df["area_name"], "Period": df["period_label"],
        "Value": df["value"], "Lower 95% CI": df["lower_ci"], "Upper 95% CI": df["upper_ci"],
        "CI method": df["ci_method"], "Numerator": df["numerator"], "Denominator": df["denominator"],
        "Compared with all children": df["significance_text"], "Status": df["status"].str.replace("_", " "),
        "Demo data": df["is_demo"].map({True: "Yes (synthetic)", False: ""}), "Source": df["source"],
    })


def group_choices(store: Store, ind: Indicator, names: dict[str, str] | None = None,
                  districts: dict[str, str] | None = None) -> pd.DataFrame:
    """The groups (not the total) of the indicator's area series that more than one area publishes, so that one
    can be compared across councils (`across_areas.compare_group`), each with a label in words, in the usual order."""
    g = series_groups(store, ind.area_series_id)
    g = g[(g["breakdown_type"] != "all") & (g["areas_with_value"] > 1)]
    rows = sorted(g.itertuples(index=False), key=lambda r: (breakdown_label(r.breakdown_type, names),
                                                             _value_key(r.breakdown_value)))
    return pd.DataFrame({
        "breakdown_type": [r.breakdown_type for r in rows], "breakdown_value": [r.breakdown_value for r in rows],
        "label": [f"{breakdown_label(r.breakdown_type, names)}: "
                  f"{group_name(r.breakdown_type, r.breakdown_value, districts)}" for r in rows],
        "areas_with_value": [int(r.areas_with_value) for r in rows]})
