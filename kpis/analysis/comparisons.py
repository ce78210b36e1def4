"""Every KPI against its benchmarks: England, the region, the statistical neighbours and all councils.

`kpi_benchmarks(store, framework, as_at=None)` gives one plain dict per KPI (JSON-ready: numbers,
strings, None), in framework order. The rules:

- **value**: the home area's newest figure with a value. Its own quarterly returns make the series
  when there are any (as known at `as_at`); otherwise the published comparator series does.
  ``value_source`` says which ('local return' or 'published').
- **lower_ci / upper_ci**: 95% limits as stored, else worked out the Fingertips way (Wilson for a
  percentage with counts, Byar's for a count or a rate with counts; `kpis.analysis.explore.with_intervals`).
- **england_value / england_period**: England's newest value whose period ends on or before the
  local period's end (DOMAIN.md), named.
- **comparison**: `stats.compare_with_benchmark` against that England value with the local 95%
  limits: better / similar / worse (higher / lower with no polarity), or 'not compared' (no
  comparator, no England value, no confidence interval, or a published value its publisher marked "Not compared").
- **england_relation / relation_basis / england_difference**: what is known against England, in words
  (`kpis.published.relation.relate`, the board scorecard's rule too): a significance test; else the difference with
  the quartile and rank; else the home area's standing on the KPI's related national measure (``related_*``
  keys: indicator, period, value, England's value, quartile, rank). None when nothing can be said.
- **trend**: Fingertips' recent trend over the home series' most recent five periods, which must be
  unbroken: one of `stats.TREND_LABELS`. Percentages with numerators and denominators use the
  chi-squared test for trend in proportions (`stats.trend_result`), other values the weighted
  regression on their 95% limits (`stats.recent_trend`).
- **change**: value minus the previous period's value in the same series (None when there is none).
- **benchmark_period**: the published period the other benchmarks are read for: England's period,
  else the newest comparator period ending on or before the local period's end.
- **region_value**: the home area's region in the benchmark period.
- **neighbours_value**: the home area's 10 DfE statistical neighbours in the benchmark period: the
  **pooled** rate (sum of numerators / sum of denominators) for percentages and rates when every
  neighbour with a value publishes its counts, otherwise the **mean** of their values;
  ``neighbours_method`` says which and over how many neighbours.
- **quartile / rank**: the home area's published value in the benchmark period among all current
  councils with a value, as DfE's LAIT does it: quartile boundaries are the 25th, 50th and 75th
  percentiles of the councils' values (R's default quantile, linear interpolation); A is the best
  quarter (the highest values where higher is better, the lowest where lower is better), D the
  worst; a value on a boundary goes in the lower-valued band. Rank 1 is the best, ties share the
  better rank. With no polarity there is neither ('-' in LAIT): both are None; nor when fewer than half
  the councils publish a value (`relation.RANK_MIN_SHARE`, the scorecard's rule: a rank among a few is no
  rank). ``rank_of`` is the number of councils ranked, ``benchmark_value`` the home area's published value
  that was ranked (for a KPI with local quarterly returns it differs from ``value``).
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime

import pandas as pd

from kpis.analysis.across_areas import AreaRoles, area_roles
from kpis.analysis.explore import with_intervals
from kpis.core import stats
from kpis.core.areas import COUNCIL, ENGLAND
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.units import SCALE
from kpis.published import relation
from kpis.store.database import Store
from kpis.store.explorer import area_types
from kpis.store.quality import import_batches
from kpis.store.series import kpi_series

LOCAL, PUBLISHED = "local return", "published"
COLUMNS = ["kpi_id", "area", "title", "full_title", "unit", "polarity", "period", "period_end", "value",
           "value_source", "is_demo", "lower_ci", "upper_ci", "england_value", "england_period", "comparison",
           "trend", "trend_method", "previous_period", "previous_value", "change", "benchmark_period",
           "region", "region_value", "neighbours_value", "neighbours_method", "neighbours_count",
           "benchmark_value", "quartile", "rank", "rank_of",
           "england_relation", "relation_basis", "england_difference",
           "related_indicator", "related_period", "related_value", "related_england_value", "related_quartile",
           "related_rank"]


def kpi_benchmarks(store: Store, framework: Framework, *, as_at: datetime | None = None) -> list[dict]:
    """One dict per KPI of `framework` (keys: COLUMNS), as known at `as_at` (None: now)."""
    roles = area_roles(framework.home_area)
    areas = area_types(store)
    current_councils = set(areas.loc[(areas["area_type"] == COUNCIL) & areas["valid_to"].isna(), "area_code"])
    return [_one(store, framework, kpi, roles, current_councils, as_at) for kpi in framework.kpis]


def _one(store: Store, framework: Framework, kpi: Kpi, roles: AreaRoles, current_councils: set[str],
         as_at: datetime | None) -> dict:
    home_code = framework.home_area
    df = kpi_series(store, kpi, as_at=as_at)
    df["period_end"] = pd.to_datetime(df["period_end"])
    home = df[df["area_code"] == home_code].sort_values("period_end")
    local = home[home["is_local"]]
    series = local if local["value"].notna().any() else home[~home["is_local"]]
    series = with_intervals(series, kpi.unit) if len(series) else series
    published = df[~df["is_local"]]

    row = {c: None for c in COLUMNS}
    row.update(kpi_id=kpi.id, area=kpi.area, title=kpi.short_title, full_title=kpi.title, unit=kpi.unit,
               polarity=kpi.polarity, comparison="not compared", trend=stats.CANNOT, region=roles.region)
    known = series[series["value"].notna()] if len(series) else series
    if known.empty:
        return _relate(store, framework, kpi, row, current_councils, as_at, None)
    cur = known.iloc[-1]
    end = cur["period_end"]
    # a published value its publisher did not compare with England is not compared here either
    declined = kpi.comparator is not None and not bool(cur["is_local"]) and bool(relation.not_compared_by_publisher(
        store, home_code, [(kpi.comparator.indicator_id, str(cur["period_label"]))], as_at))
    row.update(period=str(cur["period_label"]), period_end=end.date().isoformat(), value=_num(cur["value"]),
               value_source=LOCAL if bool(cur["is_local"]) else PUBLISHED, is_demo=bool(cur["is_demo"]),
               lower_ci=_num(cur["lower_ci"]), upper_ci=_num(cur["upper_ci"]))
    if len(known) > 1:
        prev = known.iloc[-2]
        row.update(previous_period=str(prev["period_label"]), previous_value=_num(prev["value"]),
                   change=round(float(cur["value"]) - float(prev["value"]), 6))
    row["trend"], row["trend_method"] = _trend(kpi, series)

    # England: the newest value whose period ends on or before the local period's end.
    eng = published[(published["area_code"] == ENGLAND) & published["value"].notna()
                    & (published["period_end"] <= end)].sort_values("period_end")
    if len(eng):
        e = eng.iloc[-1]
        row.update(england_value=_num(e["value"]), england_period=str(e["period_label"]))
        if kpi.comparator is not None and not declined:
            row["comparison"] = stats.compare_with_benchmark(row["value"], row["lower_ci"], row["upper_ci"],
                                                             row["england_value"], kpi.polarity)

    # The other benchmarks (region, neighbours, councils), all read for one published period.
    period = row["england_period"] or _latest_period(published, end)
    if period is None:
        return _relate(store, framework, kpi, row, current_councils, as_at, end, declined)
    row["benchmark_period"] = period
    same = published[(published["period_label"] == period) & published["value"].notna()]
    region = same[same["area_code"] == roles.region]
    if len(region):
        row["region_value"] = _num(region["value"].iloc[0])
    row["neighbours_value"], row["neighbours_method"], row["neighbours_count"] = _neighbours(
        kpi, same[same["area_code"].isin(roles.neighbours)])
    councils = same[same["area_code"].isin(current_councils)]
    mine = councils[councils["area_code"] == home_code]
    if len(mine):
        row["benchmark_value"] = _num(mine["value"].iloc[0])
    # ranked among councils as the scorecard ranks: only when at least half of them publish a value
    if len(mine) and kpi.polarity != "no_polarity" and len(councils) >= relation.RANK_MIN_SHARE * len(
            current_councils):
        values = councils["value"].astype(float)
        value = float(mine["value"].iloc[0])
        row["quartile"] = stats.lait_quartile(value, values, kpi.polarity)
        row["rank"] = stats.lait_rank(value, values, kpi.polarity)
        row["rank_of"] = len(values)
    return _relate(store, framework, kpi, row, current_councils, as_at, end, declined)


def _relate(store: Store, framework: Framework, kpi: Kpi, row: dict, councils: set[str],
            as_at: datetime | None, end, not_compared_by_publisher: bool = False) -> dict:
    """The relation to England in words (`kpis.published.relation.relate`), through the related measure when need be."""
    related = None
    if kpi.related is not None:
        related = relation.related_standings(store, [kpi], home=framework.home_area, as_at=as_at, councils=councils,
                                               until={kpi.id: None if end is None else pd.Timestamp(end).date()}
                                               ).get(kpi.id)
    same_figure = row["benchmark_value"] is not None and row["benchmark_value"] == row["value"]
    rel = relation.relate(kpi, value=row["value"], lower=row["lower_ci"], upper=row["upper_ci"],
                            england=row["england_value"], england_period=row["england_period"],
                            quartile=row["quartile"] if same_figure else None,
                            rank=row["rank"] if same_figure else None, rank_of=row["rank_of"], related=related,
                            not_compared_by_publisher=not_compared_by_publisher)
    row.update(england_relation=rel.words, relation_basis=rel.basis, england_difference=rel.difference)
    if related is not None:
        row.update(related_indicator=related.indicator_id, related_period=related.period,
                   related_value=related.value, related_england_value=related.england,
                   related_quartile=related.quartile, related_rank=related.rank)
    return row


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _latest_period(published: pd.DataFrame, end) -> str | None:
    ok = published[published["value"].notna() & (published["period_end"] <= end)].sort_values("period_end")
    return None if ok.empty else str(ok["period_label"].iloc[-1])


def _trend(kpi: Kpi, series: pd.DataFrame) -> tuple[str, str | None]:
    """Fingertips' recent trend over the last five periods of the series, which must be unbroken."""
    last = series.sort_values("period_end").tail(stats.TREND_POINTS)
    if len(last) < stats.TREND_POINTS or last["value"].isna().any():
        return stats.CANNOT, None
    if kpi.unit == "percentage" and last["numerator"].notna().all() and last["denominator"].notna().all():
        result = stats.trend_result(numerators=last["numerator"].astype(float).tolist(),
                                    denominators=last["denominator"].astype(float).tolist(), polarity=kpi.polarity)
        return result.label, stats.CA_METHOD
    points = [(_num(v), _num(lo), _num(hi)) for v, lo, hi in zip(last["value"], last["lower_ci"],
                                                                 last["upper_ci"], strict=False)]
    if any(None in p for p in points):  # no confidence interval to weight the points by
        return stats.CANNOT, None
    return stats.recent_trend(points, kpi.polarity), stats.WLS_METHOD


def _neighbours(kpi: Kpi, rows: pd.DataFrame) -> tuple[float | None, str | None, int]:
    """The neighbours' pooled rate (percentages and rates with counts) or the mean of their values."""
    n = len(rows)
    if not n:
        return None, None, 0
    per = SCALE.get(kpi.unit)
    num, den = rows["numerator"], rows["denominator"]
    if per and num.notna().all() and den.notna().all() and (den > 0).all():
        return (round(float(num.sum()) / float(den.sum()) * per, 6),
                f"pooled rate of {n} neighbours (sum of numerators / sum of denominators)", n)
    return round(float(rows["value"].astype(float).mean()), 6), f"mean of {n} neighbours' values", n


def as_at_end_of(day: date) -> datetime:
    """Everything recorded by the end of `day`."""
    return datetime.combine(day, datetime.max.time())


# -- the imports so far (the Admin imports page) ---------------------------------------------------------
def import_history(store: Store, *, limit: int = 200) -> pd.DataFrame:
    """Past benchmark imports, newest first: when, file, source, who, and what happened to the rows."""
    df = import_batches(store, limit=limit)

    def reasons(text) -> str:
        if text is None or (isinstance(text, float) and math.isnan(text)):
            return ""
        found = json.loads(text) if isinstance(text, str) else dict(text)
        return "; ".join(f"{n:,} {reason}" for reason, n in found.items())

    df["skipped_reasons"] = [reasons(t) for t in df["skipped_reasons"]]
    return df
