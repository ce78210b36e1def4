"""The analysts' explorer: any KPI or source indicator, compared across areas, over time and by group.

Everything returns plain DataFrames; `kpis.analysis.charts` draws them and the
pages only arrange them. A framework KPI is compared across areas through its
national comparator (the published series that covers every council); the
home area's own quarterly returns appear beside it in trends and breakdowns.

Confidence intervals are the publisher's where given; otherwise they are
calculated the Fingertips way (Wilson for proportions, Byar's for counts and
rates) when counts are published, and said to be missing when they are not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from kpis.core import stats
from kpis.core.areas import AREAS_FILE, COUNCIL, ENGLAND, NEIGHBOURS_FILE, comparator_set, region_of
from kpis.core.exports import LICENCE, describe_periods, export_metadata
from kpis.core.framework import Framework, Kpi
from kpis.core.sources import SOURCE_NAMES, comparator_label
from kpis.core.text import shortened_from
from kpis.core.units import AXIS_TITLES, GAP_LABELS
from kpis.core.words import RESULTS, tested_words
from kpis.store.database import Store
from kpis.store.series import empty_text_as_none

UNIT_AXIS = AXIS_TITLES
SIGNIFICANCE_TEXT = {**{result: tested_words(result) for result in RESULTS}, "benchmark": "England: the benchmark"}
STATUS_WORDS = GAP_LABELS
CI_PUBLISHED, CI_WILSON, CI_BYAR, CI_NONE = stats.CI_PUBLISHED, stats.CI_WILSON, stats.CI_BYAR, stats.CI_NONE
NOT_COMPARED_BY_PUBLISHER = "Not compared: the publisher does not compare this value with England"
# England's figure for a count is the sum of every area's: a council's count is never 'lower than England'.
COUNT_NOT_COMPARED = "Not compared: a count is not compared with England's total (rates and percentages are)"
SIGNIFICANCE_METHOD = ("Compared with England as Fingertips does: significantly better or worse when England's "
                       "value lies outside the area's 95% confidence interval, similar otherwise; higher or lower "
                       "where the indicator has no polarity.")


@dataclass(frozen=True)
class Indicator:
    """A framework KPI or an imported source indicator, with what the explorer needs to show it."""
    id: str
    name: str
    kind: str                 # "Framework KPI" | "Source indicator"
    source: str
    unit: str | None
    polarity: str
    decimals: int
    area_series_id: str       # the series that covers other areas (a KPI's comparator; a source indicator itself)
    definition: str = ""
    methodology: str = ""
    licence: str = ""
    kpi: Kpi | None = None

    @property
    def label(self) -> str:
        return f"{self.id} {self.kpi.short_title}" if self.kpi else f"{self.name} ({self.id})"

    @property
    def axis_title(self) -> str:
        return UNIT_AXIS.get(self.unit or "", "Value (unit as published)")

    def format(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
            return "–"
        text = f"{float(value):,.{self.decimals}f}"
        return f"{text}%" if self.unit == "percentage" else text


def _polarity(text) -> str:
    try:
        return stats.normalise_polarity(text if isinstance(text, str) else None)
    except ValueError:
        return "no_polarity"


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def indicator_choices(store: Store, framework: Framework) -> pd.DataFrame:
    """Every framework KPI, then every imported source indicator, with the number of areas and values."""
    counts = store.df("""SELECT indicator_id, count(DISTINCT area_code) AS areas, count(*) AS n_values
                         FROM current_observations GROUP BY 1""")
    areas = dict(zip(counts["indicator_id"],
                     counts["areas"], strict=False))  # plain dicts: looked up once per indicator
    n_values = dict(zip(counts["indicator_id"], counts["n_values"], strict=False))
    rows = []
    for k in framework.kpis:
        series = k.comparator.indicator_id if k.comparator else k.id
        series = series if series in areas else k.id
        rows.append({"indicator_id": k.id, "label": f"{k.id} {k.short_title}", "kind": "Framework KPI",
                     "source": SOURCE_NAMES["framework"], "area_series_id": series,
                     "areas": int(areas.get(series, 0)), "n_values": int(n_values.get(k.id, 0))})
    inds = store.df("SELECT indicator_id, source, name FROM indicators WHERE source <> 'framework' "
                    "ORDER BY source, indicator_id")
    for r in inds.itertuples(index=False):
        rows.append({"indicator_id": r.indicator_id, "label": f"{_text(r.name) or r.indicator_id} ({r.indicator_id})",
                     "kind": "Source indicator", "source": SOURCE_NAMES.get(r.source, r.source),
                     "area_series_id": r.indicator_id, "areas": int(areas.get(r.indicator_id, 0)),
                     "n_values": int(n_values.get(r.indicator_id, 0))})
    return pd.DataFrame(rows)


def default_indicator(store: Store, framework: Framework) -> str | None:
    """The first KPI whose published series covers the home area and others; else the first KPI."""
    for k in framework.kpis:
        if k.comparator and store.scalar(
                "SELECT count(DISTINCT area_code) FILTER (WHERE value IS NOT NULL) > 1 AND bool_or(area_code = ?) "
                "FROM current_observations WHERE indicator_id = ?", [framework.home_area, k.comparator.indicator_id]):
            return k.id
    return framework.kpis[0].id if framework.kpis else None


def indicator(store: Store, framework: Framework, indicator_id: str) -> Indicator:
    """Describe one KPI or source indicator; KeyError with a plain message if it is unknown."""
    if indicator_id in framework.kpi_ids:
        k = framework.kpi(indicator_id)
        series = k.comparator.indicator_id if k.comparator else k.id
        if k.comparator and not store.scalar("SELECT count(*) FROM current_observations WHERE indicator_id = ?",
                                              [series]):
            series = k.id  # the comparator is named but nothing of it is imported
        return Indicator(id=k.id, name=k.title, kind="Framework KPI", source="framework", unit=k.unit,
                         polarity=k.polarity, decimals=k.decimals, area_series_id=series, definition=k.definition,
                         methodology=k.methodology, kpi=k,
                         licence=f"Local data of the partnership; comparators: {LICENCE}")
    row = store.df("SELECT * FROM indicators WHERE indicator_id = ?", [indicator_id])
    if row.empty:
        raise KeyError(f"There is no indicator '{indicator_id}'. Pick one of the framework KPIs or imported "
                       "source indicators.")
    r = row.iloc[0]
    unit = _text(r["unit"]) or None
    return Indicator(id=indicator_id, name=_text(r["name"]) or indicator_id, kind="Source indicator",
                     source=_text(r["source"]), unit=unit, polarity=_polarity(r["polarity"]),
                     decimals=0 if unit == "count" else 1, area_series_id=indicator_id,
                     definition=_text(r["definition"]), methodology=_text(r["methodology"]),
                     licence=_text(r["licence"]) or LICENCE)


# -- intervals and comparisons ------------------------------------------------------------
def with_intervals(df: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """Fill missing 95% limits from counts (`stats.fill_intervals`: Wilson for percentages, Byar's for counts and
    rates); column `ci_method` says which."""
    d = df.copy()
    lows, highs, methods = stats.fill_intervals(d["value"], d["numerator"], d["denominator"], d["lower_ci"],
                                                d["upper_ci"], unit)
    d["lower_ci"] = pd.Series(lows, index=d.index, dtype="float64")
    d["upper_ci"] = pd.Series(highs, index=d.index, dtype="float64")
    d["ci_method"] = methods
    return d


def significance_words(code: str, *, has_ci: bool, has_benchmark: bool, has_value: bool,
                       versus: str = "England") -> str:
    if code in SIGNIFICANCE_TEXT and code != "benchmark":
        return SIGNIFICANCE_TEXT[code].replace("England", versus)
    if code == "benchmark":
        return SIGNIFICANCE_TEXT["benchmark"]
    if not has_value:
        return "No value"
    if not has_benchmark:
        return f"Not compared: no {versus} value for this period"
    if not has_ci:
        return "Not compared: no confidence interval"
    return "Not compared"


def add_significance(df: pd.DataFrame, benchmark: pd.Series | float | None, polarity: str, *,
                     versus: str = "England", unit: str | None = None) -> pd.DataFrame:
    """Columns `significance` (better/similar/worse/higher/lower/not compared) and `significance_text`.
    A count (`unit` 'count') is never compared: England's or a region's count is a total, not a benchmark."""
    d = df.copy()
    bench = benchmark if isinstance(benchmark, pd.Series) else pd.Series(benchmark, index=d.index, dtype="float64")
    codes, words = [], []
    statuses = d["status"] if "status" in d else pd.Series("published", index=d.index)
    for v, lo, hi, b, status in zip(d["value"].to_list(), d["lower_ci"].to_list(), d["upper_ci"].to_list(),
                                    bench.to_list(), statuses.to_list(), strict=False):
        code = stats.compare_with_benchmark(None if pd.isna(v) else float(v), None if pd.isna(lo) else float(lo),
                                            None if pd.isna(hi) else float(hi), None if pd.isna(b) else float(b),
                                            polarity)
        codes.append(code)
        if pd.isna(v) and status in STATUS_WORDS:
            words.append(STATUS_WORDS[status])
            continue
        words.append(significance_words(code, has_ci=pd.notna(lo) and pd.notna(hi), has_benchmark=pd.notna(b),
                                        has_value=pd.notna(v), versus=versus))
    if versus == "England" and "not_compared_by_publisher" in d:
        # A value the publisher did not compare with England (Fingertips' "Not compared") is not compared by us.
        for i in np.flatnonzero(d["not_compared_by_publisher"].fillna(False).to_numpy(dtype=bool)):
            if pd.notna(d["value"].iloc[i]):
                codes[i], words[i] = "not compared", NOT_COMPARED_BY_PUBLISHER
    if unit == "count":
        for i in np.flatnonzero(d["value"].notna().to_numpy()):
            codes[i], words[i] = "not compared", COUNT_NOT_COMPARED.replace("England", versus)
    d["significance"], d["significance_text"] = codes, words
    return d


# -- reading --------------------------------------------------------------------------------
_SELECT = f"""
    SELECT o.indicator_id, o.area_code, coalesce(a.name, o.area_code) AS area_name, a.area_type, a.region_code,
           a.valid_to AS area_valid_to, o.breakdown_type, o.breakdown_value, o.period_label, o.period_type,
           o.period_start, o.period_end, o.value,
           -- the counts behind a suppressed value are suppressed too
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.numerator END AS numerator,
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.denominator END AS denominator,
           o.lower_ci, o.upper_ci, o.status,
           o.status_note, o.is_demo,
           CASE WHEN b.is_demo THEN 'Demo data (synthetic)' WHEN b.kind = 'submission' THEN 'Sub-group return'
                ELSE coalesce(b.source, 'Published statistics') END AS source
    FROM {shortened_from("current_observations", ("status_note",))} o LEFT JOIN areas a ON a.area_code = o.area_code
    LEFT JOIN batches b ON b.batch_id = o.batch_id"""
_LABEL_KEY = ["area_code", "breakdown_type", "breakdown_value", "period_label"]


@dataclass(frozen=True)
class SeriesValues:
    """Every 'all children' value of one series, as `read_values(store, indicator_id)` gives them: read once for
    a page, so that each view takes its areas or period from it instead of querying again."""
    indicator_id: str
    frame: pd.DataFrame


def series_values(store: Store, indicator_id: str) -> SeriesValues:
    return SeriesValues(indicator_id, read_values(store, indicator_id))


def read_values(store: Store, indicator_id: str, *, breakdown_type: str | None = "all",
                area_codes: list[str] | None = None, period_label: str | None = None,
                values: SeriesValues | None = None) -> pd.DataFrame:
    """The values of a series (one group type, or every one with None), oldest first, then by area code.
    With `values` (this series' 'all' values, read before) and 'all', the rows are taken from those."""
    if values is not None and values.indicator_id == indicator_id and breakdown_type == "all":
        d = values.frame
        keep = np.ones(len(d), dtype=bool)
        if area_codes is not None:
            keep &= d["area_code"].isin(list(area_codes)).to_numpy()
        if period_label is not None:
            keep &= (d["period_label"] == period_label).to_numpy()
        return empty_text_as_none(d[keep].reset_index(drop=True))
    where, params = ["o.indicator_id = ?"], [indicator_id]
    if breakdown_type is not None:
        where.append("o.breakdown_type = ?")
        params.append(breakdown_type)
    if area_codes is not None:
        where.append("o.area_code IN (SELECT unnest(?))")
        params.append(list(area_codes))
    if period_label is not None:
        where.append("o.period_label = ?")
        params.append(period_label)
    df = store.df(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY o.period_end, o.area_code", params)
    for col in ("period_start", "period_end"):
        df[col] = pd.to_datetime(df[col])
    return _with_published_labels(store, indicator_id, df)


def _with_published_labels(store: Store, indicator_id: str, df: pd.DataFrame) -> pd.DataFrame:
    """Column `not_compared_by_publisher`: True where the publisher (Fingertips) marked the value "Not compared"
    with England. Read apart, only those few keys, so the values' own query stays as it was."""
    keys = store.df(f"SELECT {', '.join(_LABEL_KEY)} FROM current_published_comparisons WHERE versus = 'England' "
                    "AND indicator_id = ? AND lower(label) = 'not compared'", [indicator_id])
    if keys.empty or df.empty:
        df["not_compared_by_publisher"] = np.zeros(len(df), dtype=bool)
        return df
    marked = set(keys.itertuples(index=False, name=None))
    df["not_compared_by_publisher"] = [k in marked for k in zip(*(df[c].to_list() for c in _LABEL_KEY), strict=False)]
    return df


def area_names(store: Store, indicator_id: str) -> dict[str, str]:
    """Code -> name of every area with a value of a series ('all' groups), in the order `read_values` first
    meets them (by period end, then code): its areas without reading all its values."""
    df = store.df("""SELECT o.area_code, coalesce(a.name, o.area_code) AS area_name
                     FROM current_observations o LEFT JOIN areas a ON a.area_code = o.area_code
                     WHERE o.indicator_id = ? AND o.breakdown_type = 'all'
                     GROUP BY ALL ORDER BY min(o.period_end), o.area_code""", [indicator_id])
    return dict(zip(df["area_code"], df["area_name"], strict=False))


def periods(store: Store, indicator_id: str) -> pd.DataFrame:
    """The periods of a series, oldest first, with how many areas have a value in each."""
    return store.df("""SELECT period_label, period_type, min(period_start) AS period_start,
                              max(period_end) AS period_end, count(value) AS areas_with_value
                       FROM current_observations WHERE indicator_id = ? AND breakdown_type = 'all'
                       GROUP BY period_label, period_type ORDER BY period_end, period_label""", [indicator_id])


@dataclass(frozen=True)
class Comparators:
    home: str
    england: str
    region: str | None
    neighbours: tuple[str, ...]


def comparators(home: str) -> Comparators:
    """The home area's comparators; a council without published neighbours just has none."""
    return _comparators(home, _mtime(AREAS_FILE), _mtime(NEIGHBOURS_FILE))


def _mtime(path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


@lru_cache(maxsize=16)
def _comparators(home: str, areas_mtime: float | None, neighbours_mtime: float | None) -> Comparators:
    """`comparators`, worked out once per home area and version of the reference files (a page asks
    several times a run)."""
    try:
        cs = comparator_set(home)
    except ValueError:
        try:
            region = region_of(home)
        except (ValueError, KeyError):
            region = None
        return Comparators(home, ENGLAND, region, ())
    return Comparators(home, ENGLAND, cs["region"][0], tuple(cs["neighbours"]))


def role_of(code: str, area_type: str | None, comp: Comparators) -> str:
    if code == comp.home:
        return "home"
    if code == comp.england:
        return "england"
    if code == comp.region:
        return "region"
    if code in comp.neighbours:
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


def default_period(store: Store, ind: Indicator, home: str) -> str | None:
    """The latest period in which the home area has a value, else the latest with any value."""
    df = store.df("""SELECT period_label FROM current_observations WHERE indicator_id = ? AND breakdown_type = 'all'
                     AND value IS NOT NULL ORDER BY area_code = ? DESC, period_end DESC LIMIT 1""",
                  [ind.area_series_id, home])
    return None if df.empty else str(df.iloc[0, 0])


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
    return _compared(df, ind, comparators(home)) if not df.empty else df


def _compared(df: pd.DataFrame, ind: Indicator, comp: Comparators) -> pd.DataFrame:
    """One period's values of every area: limits, roles, significance against England, ranks, quartiles."""
    df = with_intervals(df, ind.unit)
    df["role"] = [role_of(c, t, comp) for c, t in zip(df["area_code"].to_list(),
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


def compared_by_period(df: pd.DataFrame, ind: Indicator, comp: Comparators,
                       by: tuple[str, ...] = ("period_label", "period_end")) -> pd.DataFrame:
    """`_compared` of each period (the rows sharing `by`) at once: every period's rows as `_compared` gives them,
    the periods in turn. (Without the `england_value` column, whose type would differ from period to period.)"""
    keys = list(by)
    df = with_intervals(df, ind.unit)
    df["role"] = [role_of(c, t, comp) for c, t in zip(df["area_code"].to_list(),
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


def groups(store: Store, indicator_id: str) -> pd.DataFrame:
    """The groups of a series (breakdown type and value, 'all' first), with how many areas have a value in each:
    a file without a headline row (every row a group) can still be compared across councils, one group at a
    time."""
    return store.df("""SELECT breakdown_type, breakdown_value,
                              count(DISTINCT area_code) FILTER (WHERE value IS NOT NULL) AS areas_with_value
                       FROM current_observations WHERE indicator_id = ? GROUP BY breakdown_type, breakdown_value
                       ORDER BY breakdown_type <> 'all', breakdown_type, breakdown_value""", [indicator_id])


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
    return _compared(df, ind, comparators(home)) if not df.empty else df


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
    labels = store.df(f"SELECT {', '.join(_LABEL_KEY)}, label AS published_region FROM current_published_comparisons "
                      "WHERE versus = 'Region' AND indicator_id = ?", [ind.area_series_id])
    return out.merge(labels, on=_LABEL_KEY, how="left")


NO_REGION_LABEL = "None in the file"


def region_table(store: Store, df: pd.DataFrame, ind: Indicator, areas: list[str] | None = None) -> pd.DataFrame:
    """`compare_with_regions` rows as people read them (only `areas`, if given): each council beside its region's
    value, our comparison and the publisher's own label against the region (`NO_REGION_LABEL` where none),
    by region then council."""
    if areas is not None:
        df = df[df["area_code"].isin(list(areas))]
    if df.empty:
        return pd.DataFrame()
    names = dict(store.df("SELECT area_code, name FROM areas WHERE area_type = 'region'").itertuples(index=False))
    d = df.assign(region_name=df["region_code"].map(names).fillna("")).sort_values(["region_name", "area_name"])
    return pd.DataFrame({
        "Area": d["area_name"], "Region": d["region_name"], "Value": d["value"], "Region value": d["region_value"],
        "Compared with region": d["significance_text"],
        "Published comparison with region": d["published_region"].fillna(NO_REGION_LABEL), "Period": d["period_label"],
        "Lower 95% CI": d["lower_ci"], "Upper 95% CI": d["upper_ci"], "Area code": d["area_code"],
        "Source": d["source"],
    }).reset_index(drop=True)


GROUPS = {"neighbours": "Statistical neighbours", "region": "Councils in the region", "all_councils": "All councils"}


def area_group(df: pd.DataFrame, group: str, *, home: str) -> pd.DataFrame:
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
        raise ValueError(f"unknown group '{group}'; use one of {', '.join(GROUPS)}")
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


def view_metadata(ind: Indicator, *, view: str, data: pd.DataFrame, notes: list[str] | None = None) -> dict:
    """The Excel Metadata sheet for one explorer view of one indicator."""
    defs = [f"{ind.id}: {ind.name}. {ind.definition}".strip(),
            f"Unit: {ind.axis_title}. Polarity: {ind.polarity.replace('_', ' ')}."]
    if ind.methodology:
        defs.append(f"Methodology: {ind.methodology}")
    if ind.area_series_id != ind.id:
        defs.append(f"Other areas' values come from the published comparator "
                    f"{comparator_label(ind.kpi, ind.area_series_id)}.")
    sources = sorted({str(s) for s in data.get("source", pd.Series(dtype=str)).dropna()}) or [
        SOURCE_NAMES.get(ind.source, ind.source)]
    order = data.sort_values("period_end")["period_label"] if "period_end" in data else data.get("period_label", [])
    demo = bool(data["is_demo"].fillna(False).astype(bool).any()) if "is_demo" in data else False
    return export_metadata(title=ind.label, view=view, definitions=defs, sources=sources,
                           periods=describe_periods(list(order)), demo=demo,
                           notes=[SIGNIFICANCE_METHOD, "95% confidence intervals: as given with the data where "
                                  "published, otherwise Wilson score (proportions) or Byar's method (counts, rates) "
                                  "from the published counts.", *list(notes or [])])
