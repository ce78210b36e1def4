"""One period across areas: every area's value beside England's, ranked among councils, by comparison group.

`compare_areas` gives every area's value in one period with 95% limits, its comparison with England, its role
(home, England, region, statistical neighbour, council) and its rank and quartile among current councils;
`compare_group` does the same for one group (say girls), `compare_with_regions` compares each council with its
own region. The tables, the spine (the councils' spread) and the sentence on the home area are made from those
rows. The values come from `kpis.analysis.explore.read_values`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from kpis.analysis.explore import (
    SIGNIFICANCE_TEXT,
    Indicator,
    SeriesValues,
    add_significance,
    default_period,
    read_values,
    with_intervals,
)
from kpis.core.areas import AREAS_FILE, COUNCIL, ENGLAND, NEIGHBOURS_FILE, areas_by_role, region_of
from kpis.store import explorer
from kpis.store.database import Store


@dataclass(frozen=True)
class AreaRoles:
    """The areas that play a role beside the home area in every comparison: England, the home area's region and
    its statistical neighbours (`role_of` names each area's role). Not a KPI's comparator, the published series
    `kpis.core.framework.Kpi.comparator` names, and not a comparison group (`COMPARISON_GROUPS`), which chooses
    the councils a table shows."""
    home: str
    england: str
    region: str | None
    neighbours: tuple[str, ...]


def area_roles(home: str) -> AreaRoles:
    """The home area's England, region and statistical neighbours; a council without published neighbours just has
    none."""
    return _area_roles(home, _mtime(AREAS_FILE), _mtime(NEIGHBOURS_FILE))


def _mtime(path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


@lru_cache(maxsize=16)
def _area_roles(home: str, areas_mtime: float | None, neighbours_mtime: float | None) -> AreaRoles:
    """`area_roles`, worked out once per home area and version of the reference files (a page asks
    several times a run)."""
    try:
        cs = areas_by_role(home)
    except ValueError:
        try:
            region = region_of(home)
        except (ValueError, KeyError):
            region = None
        return AreaRoles(home, ENGLAND, region, ())
    return AreaRoles(home, ENGLAND, cs["region"][0], tuple(cs["neighbours"]))


def role_of(code: str, area_type: str | None, roles: AreaRoles) -> str:
    if code == roles.home:
        return "home"
    if code == roles.england:
        return "england"
    if code == roles.region:
        return "region"
    if code in roles.neighbours:
        return "neighbour"
    return "council" if area_type == COUNCIL else "other"


def _rank(values: pd.Series, polarity: str) -> pd.Series:
    """1 = best (highest where higher is better or there is no polarity); ties share the better rank."""
    return values.rank(ascending=polarity == "lower_is_better", method="min")


def quartile_label(rank: float | None, n: int, polarity: str) -> str:
    if pd.isna(rank) or not n:
        return "–"
    q = min(4, max(1, math.ceil(4 * float(rank) / n)))
    if polarity == "no_polarity":
        return {1: "1 (highest quarter)", 2: "2", 3: "3", 4: "4 (lowest quarter)"}[q]
    return {1: "A (best quarter)", 2: "B", 3: "C", 4: "D (worst quarter)"}[q]


def compare_areas(store: Store, ind: Indicator, *, home: str, period_label: str | None = None,
                  values: SeriesValues | None = None) -> pd.DataFrame:
    """Every area's value in one period with 95% limits, significance against England, rank and quartile.

    Ranks and quartiles are among current councils with a value (1 = best, or highest with no polarity);
    `neighbour_rank` is among the home area and its statistical neighbours.
    """
    period_label = period_label or default_period(store, ind, home)
    if period_label is None:
        return pd.DataFrame()
    df = read_values(store, ind.area_series_id, period_label=period_label, values=values)
    return _compared(df, ind, area_roles(home)) if not df.empty else df


def _compared(df: pd.DataFrame, ind: Indicator, roles: AreaRoles) -> pd.DataFrame:
    """One period's values of every area: limits, roles, significance against England, ranks, quartiles."""
    df = with_intervals(df, ind.unit)
    df["role"] = [role_of(c, t, roles) for c, t in zip(df["area_code"].to_list(),
                                                      df["area_type"].to_list(), strict=False)]
    eng = df.loc[df["area_code"] == ENGLAND, "value"]
    england_value = float(eng.iloc[0]) if len(eng) and pd.notna(eng.iloc[0]) else None
    df = add_significance(df, england_value, ind.polarity, unit=ind.unit)
    df.loc[df["role"] == "england", ["significance", "significance_text"]] = [
        "benchmark", SIGNIFICANCE_TEXT["benchmark"]]
    councils = (df["area_type"] == COUNCIL) & df["area_valid_to"].isna() & df["value"].notna()
    df["rank"] = _rank(df["value"].where(councils), ind.polarity)
    df["of_councils"] = int(councils.sum())
    df["quartile"] = [quartile_label(r, int(councils.sum()), ind.polarity) for r in df["rank"]]
    peers = df["role"].isin(["home", "neighbour"]) & df["value"].notna()
    df["neighbour_rank"] = _rank(df["value"].where(peers), ind.polarity)
    df["of_neighbour_group"] = int(peers.sum())
    df["england_value"] = england_value
    ascending = ind.polarity == "lower_is_better"
    return df.sort_values(["value", "area_name"], ascending=[ascending, True],
                          na_position="last").reset_index(drop=True)


def compared_by_period(df: pd.DataFrame, ind: Indicator, roles: AreaRoles,
                       by: tuple[str, ...] = ("period_label", "period_end")) -> pd.DataFrame:
    """`_compared` of each period (the rows sharing `by`) at once: every period's rows as `_compared` gives them,
    the periods in turn. (Without the `england_value` column, whose type would differ from period to period.)"""
    keys = list(by)
    df = with_intervals(df, ind.unit)
    df["role"] = [role_of(c, t, roles) for c, t in zip(df["area_code"].to_list(),
                                                      df["area_type"].to_list(), strict=False)]
    period = pd.MultiIndex.from_frame(df[keys])
    first_england = df[df["area_code"] == ENGLAND].drop_duplicates(keys)  # each period's first England row
    england = dict(zip(pd.MultiIndex.from_frame(first_england[keys]), first_england["value"], strict=False))
    bench = pd.Series([england.get(p) for p in period], index=df.index, dtype="float64")
    df = add_significance(df, bench, ind.polarity, unit=ind.unit)
    df.loc[df["role"] == "england", ["significance", "significance_text"]] = ["benchmark",
                                                                             SIGNIFICANCE_TEXT["benchmark"]]
    groups = [df[k] for k in keys]
    councils = (df["area_type"] == COUNCIL) & df["area_valid_to"].isna() & df["value"].notna()
    ascending = ind.polarity == "lower_is_better"
    df["rank"] = df["value"].where(councils).groupby(groups).rank(ascending=ascending, method="min")
    df["of_councils"] = councils.groupby(groups).transform("sum").astype(int)
    df["quartile"] = [quartile_label(r, int(n), ind.polarity) for r, n in zip(df["rank"],
                                                                              df["of_councils"], strict=False)]
    peers = df["role"].isin(["home", "neighbour"]) & df["value"].notna()
    df["neighbour_rank"] = df["value"].where(peers).groupby(groups).rank(ascending=ascending, method="min")
    df["of_neighbour_group"] = peers.groupby(groups).transform("sum").astype(int)
    return df.sort_values([*keys, "value", "area_name"], ascending=[True] * len(keys) + [ascending, True],
                          na_position="last").reset_index(drop=True)


def compare_group(store: Store, ind: Indicator, *, home: str, breakdown_type: str = "all",
                  breakdown_value: str = "all", period_label: str | None = None) -> pd.DataFrame:
    """One group (say care leavers aged 19 to 21 in higher education) across every area in one period, compared
    with England's figure for the same group, as `compare_areas` does for the headline (counts never compared)."""
    if breakdown_type == "all":
        return compare_areas(store, ind, home=home, period_label=period_label)
    df = read_values(store, ind.area_series_id, breakdown_type=breakdown_type, period_label=period_label)
    df = df[df["breakdown_value"] == breakdown_value].reset_index(drop=True)
    if period_label is None and not df.empty:
        mine = df[(df["area_code"] == home) & df["value"].notna()]
        latest = (mine if not mine.empty else df).sort_values("period_end")["period_label"].iloc[-1]
        df = df[df["period_label"] == latest].reset_index(drop=True)
    return _compared(df, ind, area_roles(home)) if not df.empty else df


def compare_with_regions(store: Store, ind: Indicator, *, period_label: str, breakdown_type: str = "all",
                         breakdown_value: str = "all") -> pd.DataFrame:
    """Every council in one period against its own region's figure (the region's 95% interval rule, as against
    England), beside the publisher's own label against the region where the file gave one (`published_region`).
    Councils whose region has no figure for the period are 'Not compared: no region value'. Counts never."""
    df = read_values(store, ind.area_series_id, breakdown_type=breakdown_type, period_label=period_label)
    df = df[df["breakdown_value"] == breakdown_value].reset_index(drop=True)
    if df.empty:
        return df
    df = with_intervals(df, ind.unit)
    regions = df[df["area_type"] == "region"].drop_duplicates("area_code").set_index("area_code")["value"]
    councils = df[df["area_type"] == COUNCIL].reset_index(drop=True)
    bench = councils["region_code"].map(regions).astype("float64")
    out = add_significance(councils, bench, ind.polarity, versus="the region", unit=ind.unit)
    out["region_value"] = bench.to_numpy()
    labels = explorer.published_region_labels(store, ind.area_series_id)
    return out.merge(labels, on=explorer.LABEL_KEY, how="left")


def compared_with_region(ind: Indicator) -> bool:
    """Whether councils are compared with their region at all: not a count (a region's count adds up its
    councils'), only rates and percentages."""
    return ind.unit != "count"


def has_region_value(df: pd.DataFrame) -> bool:
    """Whether `compare_with_regions` rows have any region's value to compare with."""
    return not df.empty and bool(df["region_value"].notna().any())


NO_REGION_LABEL = "None in the file"


def no_published_region_comparison(table: pd.DataFrame) -> bool:
    """Whether the publisher compared none of `region_table`'s councils with its region."""
    return bool((table["Published comparison with region"] == NO_REGION_LABEL).all())


def region_table(store: Store, df: pd.DataFrame, ind: Indicator, areas: list[str] | None = None) -> pd.DataFrame:
    """`compare_with_regions` rows as people read them (only `areas`, if given): each council beside its region's
    value, our comparison and the publisher's own label against the region (`NO_REGION_LABEL` where none),
    by region then council."""
    if areas is not None:
        df = df[df["area_code"].isin(list(areas))]
    if df.empty:
        return pd.DataFrame()
    names = explorer.region_names(store)
    d = df.assign(region_name=df["region_code"].map(names).fillna("")).sort_values(["region_name", "area_name"])
    return pd.DataFrame({
        "Area": d["area_name"], "Region": d["region_name"], "Value": d["value"], "Region value": d["region_value"],
        "Compared with region": d["significance_text"],
        "Published comparison with region": d["published_region"].fillna(NO_REGION_LABEL), "Period": d["period_label"],
        "Lower 95% CI": d["lower_ci"], "Upper 95% CI": d["upper_ci"], "Area code": d["area_code"],
        "Source": d["source"],
    }).reset_index(drop=True)


# The comparison groups ("Compare with"): which councils a table of one period shows beside the home area, England and
# its region. (A group in `compare_group` and `kpis.analysis.explore.groups` is a breakdown group, such as girls.)
COMPARISON_GROUPS = {"neighbours": "Statistical neighbours", "region": "Councils in the region",
                     "all_councils": "All councils"}


def comparison_group(df: pd.DataFrame, group: str, *, home: str) -> pd.DataFrame:
    """The rows of `compare_areas` for one comparison group, with England and the home region kept."""
    if df.empty:
        return df
    region = df.loc[df["area_code"] == home, "region_code"]
    region = region.iloc[0] if len(region) else None
    keep = df["role"].isin(["home", "england", "region"])
    if group == "neighbours":
        keep |= df["role"] == "neighbour"
    elif group == "region":
        keep |= (df["area_type"] == COUNCIL) & (df["region_code"] == region) & df["area_valid_to"].isna()
    elif group == "all_councils":
        keep |= (df["area_type"] == COUNCIL) & df["area_valid_to"].isna()
    else:
        raise ValueError(f"unknown group '{group}'; use one of {', '.join(COMPARISON_GROUPS)}")
    return df[keep].reset_index(drop=True)


def compare_table(df: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """`compare_areas` rows as people read them (and download them)."""
    if df.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        "Area": df["area_name"], "Area code": df["area_code"], "Role": df["role"].map(ROLE_WORDS).fillna(""),
        "Period": df["period_label"], "Value": df["value"], "Lower 95% CI": df["lower_ci"],
        "Upper 95% CI": df["upper_ci"], "CI method": df["ci_method"], "Numerator": df["numerator"],
        "Denominator": df["denominator"], "Compared with England": df["significance_text"],
        "Rank among councils (1 = best)" if ind.polarity != "no_polarity" else "Rank among councils (1 = highest)":
            df["rank"].astype("Int64"),
        "Quartile": df["quartile"], "Status": df["status"].str.replace("_", " "), "Source": df["source"],
    })


ROLE_WORDS = {"home": "Home area", "england": "England", "region": "Region", "neighbour": "Statistical neighbour",
              "council": "Council", "other": "Other"}


def spine(df: pd.DataFrame) -> dict:
    """Spread of current councils' values: min, 25th percentile, median, 75th percentile, max; England; home."""
    if df.empty:
        return {}
    councils = df[(df["area_type"] == COUNCIL) & df["area_valid_to"].isna() & df["value"].notna()]["value"]
    home = df[df["role"] == "home"]
    out = {"period_label": df["period_label"].iloc[0], "councils": len(councils),
           "england": df["england_value"].iloc[0] if "england_value" in df else None,
           "home": float(home["value"].iloc[0]) if len(home) and pd.notna(home["value"].iloc[0]) else None,
           "home_name": home["area_name"].iloc[0] if len(home) else None}
    if len(councils):
        out.update(min=float(councils.min()), p25=float(councils.quantile(0.25)), median=float(councils.median()),
                   p75=float(councils.quantile(0.75)), max=float(councils.max()))
    return out


SPINE_MIN_COUNCILS = 4   # fewer councils with a value than this make no spread worth a spine chart


def shows_spine(sp: dict) -> bool:
    """Whether the spine (`spine`) has enough councils to be drawn: at least SPINE_MIN_COUNCILS."""
    return sp.get("councils", 0) >= SPINE_MIN_COUNCILS


def local_only(df: pd.DataFrame) -> bool:
    """Whether `compare_areas` found no area but one: the indicator is the home area's own, with nothing to rank."""
    return df["area_code"].nunique() <= 1


def spine_table(sp: dict, ind: Indicator) -> pd.DataFrame:
    names = [("min", "Lowest council"), ("p25", "25th percentile"), ("median", "Median council"),
             ("p75", "75th percentile"), ("max", "Highest council"), ("england", "England"),
             ("home", sp.get("home_name") or "Home area")]
    return pd.DataFrame([{"Measure": label, "Value": sp.get(key), "Shown as": ind.format(sp.get(key))}
                         for key, label in names if key in sp])


def rank_summary(df: pd.DataFrame, ind: Indicator) -> str:
    """One sentence on the home area: value, comparison, rank, quartile, place among neighbours."""
    home = df[df["role"] == "home"]
    if home.empty or pd.isna(home["value"].iloc[0]):
        return "The home area has no value for this period."
    h = home.iloc[0]
    best = "lowest" if ind.polarity == "lower_is_better" else "highest"
    best += "" if ind.polarity == "no_polarity" else ", the best"  # as the download's "(1 = best)" says
    text = f"{h['area_name']}: {ind.format(h['value'])} in {h['period_label']}. {h['significance_text']}."
    if pd.notna(h["rank"]):
        text += (f" Rank {int(h['rank'])} of {int(h['of_councils'])} councils (1 = {best}); "
                 f"quartile {h['quartile']}.")
    if pd.notna(h["neighbour_rank"]) and int(h["of_neighbour_group"]) > 1:
        text += (f" {_ordinal(int(h['neighbour_rank']))} of {int(h['of_neighbour_group'])} among itself and its "
                 "statistical neighbours.")
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


