"""The analysts' explorer: any KPI or source indicator, compared across areas, over time and by group.

Here: the indicators, their values as read for a page, and the comparison with a benchmark (with 95% limits);
one period across areas (ranks, quartiles, the spine) is `kpis.analysis.across_areas`, the same over time
`kpis.analysis.timeseries`. Everything returns plain DataFrames; `kpis.analysis.charts` draws them and the
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

import numpy as np
import pandas as pd

from kpis.core import intervals, stats
from kpis.core.exports import LICENCE, describe_periods, export_metadata
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.sources import SOURCE_NAMES, comparator_label
from kpis.core.units import AXIS_TITLES, GAP_LABELS
from kpis.core.words import POLARITY_SHORT, RESULTS, tested_words
from kpis.store import explorer
from kpis.store.database import Store
from kpis.store.series import empty_text_as_none

UNIT_AXIS = AXIS_TITLES
SIGNIFICANCE_TEXT = {**{result: tested_words(result) for result in RESULTS}, "benchmark": "England: the benchmark"}
STATUS_WORDS = GAP_LABELS
CI_PUBLISHED, CI_WILSON, CI_BYAR, CI_NONE = (intervals.CI_PUBLISHED, intervals.CI_WILSON, intervals.CI_BYAR,
                                             intervals.CI_NONE)
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

    @property
    def kind_words(self) -> str:
        """Its kind inside a sentence: 'framework KPI' or 'source indicator'."""
        return KIND_WORDS.get(self.kind, self.kind)

    @property
    def polarity_words(self) -> str:
        """Its polarity inside a sentence: 'higher is better', 'lower is better' or 'no polarity'."""
        return POLARITY_SHORT[self.polarity]


KIND_WORDS = {"Framework KPI": "framework KPI", "Source indicator": "source indicator"}


def _polarity(text) -> str:
    try:
        return stats.normalise_polarity(text if isinstance(text, str) else None)
    except ValueError:
        return "no_polarity"


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def indicator_choices(store: Store, framework: Framework) -> pd.DataFrame:
    """Every framework KPI, then every imported source indicator, with the number of areas and values."""
    counts = explorer.indicator_counts(store)
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
    inds = explorer.source_indicators(store)
    for r in inds.itertuples(index=False):
        rows.append({"indicator_id": r.indicator_id, "label": f"{_text(r.name) or r.indicator_id} ({r.indicator_id})",
                     "kind": "Source indicator", "source": SOURCE_NAMES.get(r.source, r.source),
                     "area_series_id": r.indicator_id, "areas": int(areas.get(r.indicator_id, 0)),
                     "n_values": int(n_values.get(r.indicator_id, 0))})
    return pd.DataFrame(rows)


def choice_labels(choices: pd.DataFrame) -> dict[str, str]:
    """`indicator_choices` as a picker names them: 'KPI · SG02 ...', or a source indicator by its name and publisher
    ('Source · Hospital admissions ... (OHID Fingertips)'), never by its internal code (the downloads' Source id keeps
    that)."""
    return {i: ("KPI · " + label if kind == "Framework KPI" else
                f"Source · {label.removesuffix(f' ({i})')} ({source})")
            for i, kind, label, source in zip(choices["indicator_id"], choices["kind"], choices["label"],
                                              choices["source"], strict=False)}


def default_indicator(store: Store, framework: Framework) -> str | None:
    """The first KPI whose published series covers the home area and others; else the first KPI."""
    for k in framework.kpis:
        if k.comparator and explorer.covers_home_and_others(store, k.comparator.indicator_id, framework.home_area):
            return k.id
    return framework.kpis[0].id if framework.kpis else None


def indicator(store: Store, framework: Framework, indicator_id: str) -> Indicator:
    """Describe one KPI or source indicator; KeyError with a plain message if it is unknown."""
    if indicator_id in framework.kpi_ids:
        k = framework.kpi(indicator_id)
        series = k.comparator.indicator_id if k.comparator else k.id
        if k.comparator and not explorer.value_count(store, series):
            series = k.id  # the comparator is named but nothing of it is imported
        return Indicator(id=k.id, name=k.title, kind="Framework KPI", source="framework", unit=k.unit,
                         polarity=k.polarity, decimals=k.decimals, area_series_id=series, definition=k.definition,
                         methodology=k.methodology, kpi=k,
                         licence=f"Local data of the partnership; comparators: {LICENCE}")
    row = explorer.indicator_row(store, indicator_id)
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
    """Fill missing 95% limits from counts (`intervals.fill_intervals`: Wilson for percentages, Byar's for counts and
    rates); column `ci_method` says which."""
    d = df.copy()
    lows, highs, methods = intervals.fill_intervals(d["value"], d["numerator"], d["denominator"], d["lower_ci"],
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
    df = explorer.series_rows(store, indicator_id, breakdown_type=breakdown_type, area_codes=area_codes,
                              period_label=period_label)
    for col in ("period_start", "period_end"):
        df[col] = pd.to_datetime(df[col])
    return _with_published_labels(store, indicator_id, df)


def _with_published_labels(store: Store, indicator_id: str, df: pd.DataFrame) -> pd.DataFrame:
    """Column `not_compared_by_publisher`: True where the publisher (Fingertips) marked the value "Not compared"
    with England. Read apart, only those few keys, so the values' own query stays as it was."""
    keys = explorer.not_compared_by_publisher(store, indicator_id)
    if keys.empty or df.empty:
        df["not_compared_by_publisher"] = np.zeros(len(df), dtype=bool)
        return df
    marked = set(keys.itertuples(index=False, name=None))
    df["not_compared_by_publisher"] = [k in marked for k in zip(*(df[c].to_list() for c in explorer.LABEL_KEY),
                                                                strict=False)]
    return df


def area_names(store: Store, indicator_id: str) -> dict[str, str]:
    """Code -> name of every area with a value of a series ('all' groups), in the order `read_values` first
    meets them (by period end, then code): its areas without reading all its values."""
    df = explorer.area_names(store, indicator_id)
    return dict(zip(df["area_code"], df["area_name"], strict=False))


def periods(store: Store, indicator_id: str) -> pd.DataFrame:
    """The periods of a series, oldest first, with how many areas have a value in each."""
    return explorer.periods(store, indicator_id)


def default_period(store: Store, ind: Indicator, home: str) -> str | None:
    """The latest period in which the home area has a value, else the latest with any value."""
    return explorer.latest_period(store, ind.area_series_id, home)


def groups(store: Store, indicator_id: str) -> pd.DataFrame:
    """The groups of a series (breakdown type and value, 'all' first), with how many areas have a value in each:
    a file without a headline row (every row a group) can still be compared across councils, one group at a
    time."""
    return explorer.series_groups(store, indicator_id)


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
