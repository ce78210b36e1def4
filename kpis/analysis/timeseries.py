"""The explorer over time: any areas' values with 95% limits, and the home area against its neighbours.

A framework KPI's published comparator series gives every area's values; the
home area's own quarterly returns are added as a second series of the home
area. Each value is compared with England's value for the same period; a local
quarter with the latest England value whose period ends on or before it.
"""
from __future__ import annotations

from bisect import bisect_right

import pandas as pd

from kpis.analysis.across_areas import AreaRoles, area_roles, compared_by_period, role_of
from kpis.analysis.explore import Indicator, SeriesValues, add_significance, read_values, with_intervals
from kpis.core.areas import ENGLAND
from kpis.store.database import Store

LOCAL_SUFFIX = " (local returns)"
LOCAL_DEMO_SUFFIX = " (local returns, demo data)"


def window_start(df: pd.DataFrame, last_years: int | None) -> pd.Timestamp | None:
    """Values ending after this date fall within the last `last_years` years of the series."""
    if not last_years or df.empty or df["period_end"].isna().all():
        return None
    latest = pd.Timestamp(df["period_end"].max())
    return latest - pd.DateOffset(years=int(last_years))


def default_areas(roles: AreaRoles, names: dict[str, str]) -> list[str]:
    """The areas shown at first, of those with values (`names`: code -> name): the home area, England, its region."""
    return [c for c in (roles.home, ENGLAND, roles.region) if c in names]


def area_options(names: dict[str, str], defaults: list[str]) -> list[str]:
    """Every area with values (`names`) to pick from: the ones shown at first, then the rest, each by name."""
    return sorted(names, key=lambda c: (c not in defaults, names[c]))


def plotted_areas(picked: list[str], roles: AreaRoles, *, each_neighbour: bool) -> list[str]:
    """The areas to draw: those picked, with every statistical neighbour if asked, each once; the home area when
    none is picked."""
    return list(dict.fromkeys(picked + (list(roles.neighbours) if each_neighbour else []))) or [roles.home]


def _england_for(local: pd.DataFrame, england: pd.DataFrame) -> pd.Series:
    """For each local row, England's latest value whose period ends on or before the row's period end."""
    eng = england.dropna(subset=["value"]).sort_values("period_end")
    ends, values = eng["period_end"].to_list(), eng["value"].to_list()
    out = []
    for end in local["period_end"]:
        n = bisect_right(ends, end)  # England's rows ending on or before `end` are the first n
        out.append(float(values[n - 1]) if n else None)
    return pd.Series(out, index=local.index, dtype="float64")


def trends(store: Store, ind: Indicator, area_codes: list[str], *, home: str,
           last_years: int | None = None, local_returns: bool = True,
           values: SeriesValues | None = None) -> pd.DataFrame:
    """Values over time for the chosen areas, with limits and significance against England.

    Columns include `series` (area name, or '<home> (local returns)'), `role` and `significance_text`.
    """
    roles = area_roles(home)
    codes = list(dict.fromkeys([*list(area_codes), ENGLAND]))
    published = read_values(store, ind.area_series_id, area_codes=codes, values=values)
    local = pd.DataFrame()
    if local_returns and ind.kpi is not None and ind.area_series_id != ind.kpi.id and home in area_codes:
        local = read_values(store, ind.kpi.id, area_codes=[home])
    start = window_start(published if not published.empty else local, last_years)
    if start is not None:
        published = published[published["period_end"] > start]
        local = local[local["period_end"] > start] if not local.empty else local
    england = published[published["area_code"] == ENGLAND]
    parts = []
    if not published.empty:
        pub = with_intervals(published, ind.unit)
        bench = pub["period_label"].map(dict(zip(england["period_label"], england["value"], strict=False)))
        pub = add_significance(pub, bench.astype("float64"), ind.polarity, unit=ind.unit)
        pub["series"] = pub["area_name"]
        parts.append(pub)
    if not local.empty:
        loc = with_intervals(local, ind.unit)
        loc = add_significance(loc, _england_for(loc, england), ind.polarity, unit=ind.unit)
        loc["series"] = loc["area_name"] + [LOCAL_DEMO_SUFFIX if d else LOCAL_SUFFIX for d in loc["is_demo"]]
        parts.append(loc)
    if not parts:
        return pd.DataFrame()
    df = pd.concat(parts, ignore_index=True)
    df["role"] = [role_of(c, t, roles) for c, t in zip(df["area_code"].to_list(),
                                                      df["area_type"].to_list(), strict=False)]
    df.loc[df["series"].str.contains(LOCAL_SUFFIX[:-1], regex=False), "role"] = "home_local"
    df.loc[df["role"] == "england", ["significance", "significance_text"]] = ["benchmark", "England: the benchmark"]
    df = df[df["area_code"].isin(area_codes)]
    return df.sort_values(["role", "series", "period_end"], key=_role_order).reset_index(drop=True)


ROLE_ORDER = {"home": 0, "home_local": 1, "england": 2, "region": 3, "neighbour": 4, "council": 5, "other": 6}


def _role_order(col: pd.Series) -> pd.Series:
    return col.map(ROLE_ORDER).fillna(9) if col.name == "role" else col


def trend_table(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Series": df["series"], "Area code": df["area_code"], "Period": df["period_label"],
        "Period start": df["period_start"].dt.date, "Period end": df["period_end"].dt.date, "Value": df["value"],
        "Lower 95% CI": df["lower_ci"], "Upper 95% CI": df["upper_ci"], "CI method": df["ci_method"],
        "Numerator": df["numerator"], "Denominator": df["denominator"],
        "Compared with England": df["significance_text"], "Status": df["status"].str.replace("_", " "),
        "Demo data": df["is_demo"].map({True: "Yes (synthetic)", False: ""}), "Source": df["source"],
    })


# -- the home area against its statistical neighbours -----------------------------------------------
def neighbour_comparison(store: Store, ind: Indicator, *, home: str, last_years: int | None = 5,
                         values: SeriesValues | None = None) -> pd.DataFrame:
    """One row per period of the published series: the home area, its neighbours' spread, England, ranks."""
    roles = area_roles(home)
    allp = read_values(store, ind.area_series_id, values=values)
    if allp.empty:
        return pd.DataFrame()
    start = window_start(allp, last_years)
    if start is not None:
        allp = allp[allp["period_end"] > start]
    rows = []
    every = compared_by_period(allp, ind, roles, ("period_label", "period_end"))  # every period at once
    col = {c: every[c].to_list() for c in ("period_label", "period_end", "area_code", "role", "value", "lower_ci",
                                           "upper_ci", "significance_text", "neighbour_rank", "rank", "quartile",
                                           "of_neighbour_group", "of_councils")}
    periods: dict[tuple, list[int]] = {}  # the rows of each period, in order
    for i, key in enumerate(zip(col["period_label"], col["period_end"], strict=False)):
        periods.setdefault(key, []).append(i)
    for (label, end) in sorted(periods):
        d = periods[(label, end)]
        h = next((i for i in d if col["area_code"][i] == home), None)
        nb = pd.Series([col["value"][i] for i in d if col["role"][i] == "neighbour"], dtype="float64").dropna()
        e = next((col["value"][i] for i in d if col["area_code"][i] == ENGLAND), None)
        rows.append({
            "period_label": label, "period_end": end,
            "home_value": col["value"][h] if h is not None else None,
            "home_lower_ci": col["lower_ci"][h] if h is not None else None,
            "home_upper_ci": col["upper_ci"][h] if h is not None else None,
            "home_vs_england": col["significance_text"][h] if h is not None else "No value",
            "england_value": float(e) if e is not None and pd.notna(e) else None,
            "neighbours_with_value": len(nb),
            "neighbours_mean": float(nb.mean()) if len(nb) else None,
            "neighbours_median": float(nb.median()) if len(nb) else None,
            "neighbours_min": float(nb.min()) if len(nb) else None,
            "neighbours_max": float(nb.max()) if len(nb) else None,
            "rank_among_neighbours": col["neighbour_rank"][h] if h is not None else None,
            "neighbour_group_size": int(col["of_neighbour_group"][d[0]]),
            "rank_among_councils": col["rank"][h] if h is not None else None,
            "councils": int(col["of_councils"][d[0]]),
            "quartile": col["quartile"][h] if h is not None else "–",
        })
    return pd.DataFrame(rows).sort_values("period_end").reset_index(drop=True)


def neighbour_table(df: pd.DataFrame, ind: Indicator, home_name: str) -> pd.DataFrame:
    """`neighbour_comparison` as people read it."""
    if df.empty:
        return pd.DataFrame()
    best = "lowest" if ind.polarity == "lower_is_better" else "highest"
    return pd.DataFrame({
        "Period": df["period_label"], home_name: df["home_value"], "Lower 95% CI": df["home_lower_ci"],
        "Upper 95% CI": df["home_upper_ci"], "Compared with England": df["home_vs_england"],
        "England": df["england_value"], "Neighbours' average": df["neighbours_mean"],
        "Neighbours' median": df["neighbours_median"], "Neighbours' lowest": df["neighbours_min"],
        "Neighbours' highest": df["neighbours_max"], "Neighbours with a value": df["neighbours_with_value"],
        f"Rank among itself and neighbours (1 = {best})": df["rank_among_neighbours"].astype("Int64"),
        "Of": df["neighbour_group_size"],
        f"Rank among councils (1 = {best})": df["rank_among_councils"].astype("Int64"),
        "Councils ranked": df["councils"], "Quartile among councils": df["quartile"],
    })


def neighbour_matrix(store: Store, ind: Indicator, *, home: str, last_years: int | None = 5,
                     values: SeriesValues | None = None) -> pd.DataFrame:
    """Areas down (home, its neighbours closest first, their average, England), periods across."""
    roles = area_roles(home)
    codes = [home, *list(roles.neighbours), ENGLAND]
    df = read_values(store, ind.area_series_id, area_codes=codes, values=values)
    if df.empty:
        return pd.DataFrame()
    start = window_start(df, last_years)
    if start is not None:
        df = df[df["period_end"] > start]
    order = {c: i for i, c in enumerate(codes)}
    labels = df.drop_duplicates("period_label").sort_values("period_end")["period_label"].tolist()
    wide = df.pivot_table(index=["area_code", "area_name"], columns="period_label", values="value", aggfunc="first")
    wide = wide.reindex(columns=labels).reset_index()
    wide["order"] = wide["area_code"].map(order)
    wide = wide.sort_values("order").drop(columns="order")
    nb = wide[wide["area_code"].isin(roles.neighbours)]
    avg = {"area_code": "", "area_name": "Average of the statistical neighbours with a value",
           **{p: nb[p].mean() for p in labels}}
    eng = wide[wide["area_code"] == ENGLAND]
    wide = pd.concat([wide[wide["area_code"] != ENGLAND], pd.DataFrame([avg]), eng], ignore_index=True)
    role = {home: "Home area", ENGLAND: "England"}
    wide.insert(2, "Role", [role.get(c, "Statistical neighbour" if c else "Average") for c in wide["area_code"]])
    return wide.rename(columns={"area_code": "Area code", "area_name": "Area"})


def neighbour_band(cmp: pd.DataFrame) -> pd.DataFrame:
    """Per period: neighbours' lowest, median and highest, for a shaded band on a trend chart."""
    if cmp.empty:
        return cmp
    return cmp[["period_label", "period_end", "neighbours_min", "neighbours_median", "neighbours_max"]].dropna()


def neighbour_summary(cmp: pd.DataFrame, ind: Indicator, home_name: str) -> str:
    """The answer in words: how the home area compared with its neighbours' average over the periods shown."""
    d = cmp.dropna(subset=["home_value", "neighbours_mean"])
    if d.empty:
        return f"There are no periods in which both {home_name} and its statistical neighbours have a value."
    above = int((d["home_value"] > d["neighbours_mean"]).sum())
    word = {"lower_is_better": ("worse", "better"), "higher_is_better": ("better", "worse")}.get(ind.polarity)
    side = f"above (that is, {word[0]} than)" if word else "above"
    last = d.iloc[-1]
    best = "lowest" if ind.polarity == "lower_is_better" else "highest"
    return (f"Over {len(d)} periods from {d['period_label'].iloc[0]} to {last['period_label']}, {home_name} was "
            f"{side} its statistical neighbours' average in {above} of {len(d)}. In {last['period_label']}: "
            f"{ind.format(last['home_value'])} against a neighbours' average of {ind.format(last['neighbours_mean'])} "
            f"and England {ind.format(last['england_value'])}; {_rank_words(last)} among itself and its "
            f"{int(last['neighbour_group_size']) - 1} neighbours with a value (1 = {best}); "
            f"{_sentence_part(str(last['home_vs_england']))}.")


def _sentence_part(text: str) -> str:
    """A phrase set inside a sentence: its first letter in lower case, names such as England kept as they are
    ('Significantly worse than England' -> 'significantly worse than England')."""
    return text[:1].lower() + text[1:]


def _rank_words(row) -> str:
    r = row["rank_among_neighbours"]
    return "unranked" if pd.isna(r) else f"ranked {int(r)} of {int(row['neighbour_group_size'])}"
