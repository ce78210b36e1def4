"""The explorer page's views: its tables, charts and downloads' sheets, worked out once per data version and choice
for every reader (issue 25), not in every session on every run.

Each view is kept by what it depends on and nothing else, so that a widget changes only what it affects: the
values of a series by indicator; the comparison of one period by indicator and period (the comparison group only
picks its rows); the neighbours' table over time by indicator and years (not by the areas drawn or the intervals
shown); the trend chart by everything it draws. Every key starts with the store's path and data version (new data
is never hidden) and, where roles matter, the home area's England, region and neighbours (`across_areas.area_roles`,
which follow the reference files). Shared as they are (`st.cache_resource`): pages only read them, nothing changes
them afterwards, and the charts are frozen (`kpis.charts.frozen`), so showing one does not copy it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages._common import data_version, framework, store
from kpis.analysis import across_areas, explore, inequalities, ties, timeseries
from kpis.analysis import charts as explore_charts
from kpis.analysis.across_areas import AreaRoles
from kpis.charts.frozen import freeze

VIEWS = 32   # views kept of each kind (oldest first out); a series' values: SERIES


def _db() -> tuple[str, int]:
    return str(store().path), data_version()


def _roles() -> AreaRoles:
    return across_areas.area_roles(framework().home_area)


def _roles_key() -> str:
    """The home area's roles (`_roles`) as a cache key: they follow the reference files. A string, as it is hashed
    on every call (the roles themselves take thirty times as long)."""
    r = _roles()
    return f"{r.home}|{r.region or ''}|{','.join(r.neighbours)}"


# -- the indicators and one series -------------------------------------------------------------------------
@dataclass(frozen=True)
class Choices:
    ids: tuple[str, ...]
    labels: dict[str, str]
    default: str | None


@st.cache_resource(show_spinner=False, max_entries=4)
def _choices(db: str, version: int) -> Choices:
    s, fw = store(), framework()
    table = explore.indicator_choices(s, fw)
    return Choices(tuple(table["indicator_id"]), explore.choice_labels(table), explore.default_indicator(s, fw))


def choices() -> Choices:
    """Every indicator to pick from, their labels and the one shown first."""
    return _choices(*_db())


@dataclass(frozen=True)
class Series:
    """One indicator and its area series: read once for every view of it."""
    ind: explore.Indicator
    areas: dict[str, str]            # code -> name of every area of the series
    values: explore.SeriesValues     # its 'all' values, read once; each view takes its areas or period
    periods: tuple[str, ...]         # oldest first
    default_period: str | None
    home_name: str
    title_name: str                  # a chart title names the indicator, never its code


SERIES = 16


@st.cache_resource(show_spinner=False, max_entries=SERIES)
def _series(db: str, version: int, indicator_id: str) -> Series:
    s, fw = store(), framework()
    ind = explore.indicator(s, fw, indicator_id)
    areas = explore.area_names(s, ind.area_series_id)
    return Series(ind, areas, explore.series_values(s, ind.area_series_id),
                  tuple(explore.periods(s, ind.area_series_id)["period_label"]),
                  explore.default_period(s, ind, fw.home_area), areas.get(fw.home_area, "Home area"),
                  ind.label if ind.kpi else ind.name)


def series(indicator_id: str) -> Series:
    return _series(*_db(), indicator_id)


# -- compare areas -------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _compared(db: str, version: int, roles_key: str, indicator_id: str, period: str) -> pd.DataFrame:
    sr = _series(db, version, indicator_id)
    # a value many councils share (a count of 0) is no quartile of its own: say how many share it
    return ties.shared_quartiles(across_areas.compare_areas(store(), sr.ind, home=_roles().home, period_label=period,
                                                            values=sr.values))


@dataclass(frozen=True)
class CompareView:
    every: pd.DataFrame              # every area's row (`compare_areas`)
    local_only: bool
    summary: str
    shown: pd.DataFrame              # the comparison group's rows
    figure: go.Figure
    spine: dict
    spine_figure: go.Figure | None   # None: too few councils for a spread
    spine_table: pd.DataFrame
    table: pd.DataFrame
    sheets: dict[str, pd.DataFrame]
    meta: dict


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _compare(db: str, version: int, roles_key: str, indicator_id: str, period: str, group: str) -> CompareView:
    ind = _series(db, version, indicator_id).ind
    cmp = _compared(db, version, roles_key, indicator_id, period)
    shown = across_areas.comparison_group(cmp, group, home=_roles().home)
    sp = across_areas.spine(cmp)
    spine_table = across_areas.spine_table(sp, ind)
    table = across_areas.compare_table(shown, ind)
    meta = explore.view_metadata(ind, view=f"Compare areas ({across_areas.COMPARISON_GROUPS[group]}), {period}",
                                 data=cmp)
    return CompareView(cmp, across_areas.local_only(cmp), across_areas.rank_summary(cmp, ind), shown,
                       freeze(explore_charts.compare_figure(shown, ind)), sp,
                       freeze(explore_charts.spine_figure(sp, ind)) if across_areas.shows_spine(sp) else None,
                       spine_table, table, {"Compare areas": table, "All areas": across_areas.compare_table(cmp, ind),
                                            "Spread of councils": spine_table}, meta)


def compare(indicator_id: str, period: str, group: str) -> CompareView:
    """One period across areas, the comparison group's rows shown (`across_areas.compare_areas`)."""
    return _compare(*_db(), _roles_key(), indicator_id, period, group)


@dataclass(frozen=True)
class GroupChoices:
    keys: tuple[str, ...]            # "breakdown type|breakdown value"
    labels: dict[str, str]


@st.cache_resource(show_spinner=False, max_entries=SERIES)
def _group_choices(db: str, version: int, indicator_id: str) -> GroupChoices:
    fw = framework()
    g = inequalities.group_choices(store(), _series(db, version, indicator_id).ind, fw.breakdowns, fw.districts)
    keys = tuple(f"{t}|{v}" for t, v in zip(g["breakdown_type"], g["breakdown_value"], strict=False))
    return GroupChoices(keys, dict(zip(keys, g["label"], strict=False)))


def group_choices(indicator_id: str) -> GroupChoices:
    """The groups (not the total) more than one area publishes (`inequalities.group_choices`)."""
    return _group_choices(*_db(), indicator_id)


@dataclass(frozen=True)
class GroupView:
    empty: bool                      # no area has a value for the group in the period
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    sheets: dict | None = None
    meta: dict | None = None


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _group(db: str, version: int, roles_key: str, indicator_id: str, period: str, group: str,
           key: str) -> GroupView:
    sr = _series(db, version, indicator_id)
    ind, label = sr.ind, _group_choices(db, version, indicator_id).labels[key]
    btype, bvalue = key.split("|", 1)
    cg = across_areas.compare_group(store(), ind, home=_roles().home, breakdown_type=btype, breakdown_value=bvalue,
                                    period_label=period)
    if cg.empty or not cg["value"].notna().any():
        return GroupView(True)
    shown = across_areas.comparison_group(cg, group, home=_roles().home)
    table = across_areas.compare_table(shown, ind).assign(Group=label)
    figure = freeze(explore_charts.compare_figure(shown, ind, title=f"{sr.title_name}: {label}, {period}"))
    return GroupView(False, figure,
                     table, {"One group": table, "All areas": across_areas.compare_table(cg, ind).assign(Group=label)},
                     explore.view_metadata(ind, view=f"{label} across councils "
                                           f"({across_areas.COMPARISON_GROUPS[group]}), {period}", data=cg))


def group(indicator_id: str, period: str, group_: str, key: str) -> GroupView:
    """One group (`key`, of `group_choices`) across councils in one period (`across_areas.compare_group`)."""
    return _group(*_db(), _roles_key(), indicator_id, period, group_, key)


@dataclass(frozen=True)
class RegionView:
    has_region_value: bool
    table: pd.DataFrame | None = None    # the comparison group's councils; empty: none has a value
    no_published: bool = False
    sheets: dict | None = None
    meta: dict | None = None


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _region_rows(db: str, version: int, indicator_id: str, period: str) -> pd.DataFrame:
    return across_areas.compare_with_regions(store(), _series(db, version, indicator_id).ind, period_label=period)


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _region(db: str, version: int, roles_key: str, indicator_id: str, period: str, group: str) -> RegionView:
    ind = _series(db, version, indicator_id).ind
    rg = _region_rows(db, version, indicator_id, period)
    if not across_areas.has_region_value(rg):
        return RegionView(False)
    shown = _compare(db, version, roles_key, indicator_id, period, group).shown
    table = across_areas.region_table(store(), rg, ind, areas=shown["area_code"].tolist())
    if table.empty:
        return RegionView(True, table)
    return RegionView(True, table, across_areas.no_published_region_comparison(table),
                      {"Compared with region": table, "All councils": across_areas.region_table(store(), rg, ind)},
                      explore.view_metadata(ind, view=f"Compared with region, {period}", data=rg))


def region(indicator_id: str, period: str, group_: str) -> RegionView:
    """The comparison group's councils each beside its region (`across_areas.compare_with_regions`)."""
    return _region(*_db(), _roles_key(), indicator_id, period, group_)


# -- over time ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NeighbourView:
    rows: pd.DataFrame               # `timeseries.neighbour_comparison`
    summary: str
    table: pd.DataFrame
    matrix: pd.DataFrame


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _neighbours(db: str, version: int, roles_key: str, indicator_id: str, years: int) -> NeighbourView | None:
    if not _roles().neighbours:
        return None
    sr = _series(db, version, indicator_id)
    s, ind = store(), sr.ind
    nc = timeseries.neighbour_comparison(s, ind, home=_roles().home, last_years=years, values=sr.values)
    if nc.empty:
        return NeighbourView(nc, "", pd.DataFrame(), pd.DataFrame())
    return NeighbourView(nc, timeseries.neighbour_summary(nc, ind, sr.home_name),
                         timeseries.neighbour_table(nc, ind, sr.home_name),
                         timeseries.neighbour_matrix(s, ind, home=_roles().home, last_years=years, values=sr.values))


def neighbours(indicator_id: str, years: int) -> NeighbourView | None:
    """The home area against its statistical neighbours over the last `years` years; None without neighbours."""
    return _neighbours(*_db(), _roles_key(), indicator_id, years)


@dataclass(frozen=True)
class TrendView:
    rows: pd.DataFrame               # `timeseries.trends`
    table: pd.DataFrame
    meta: dict


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _trend(db: str, version: int, roles_key: str, indicator_id: str, years: int, areas: tuple[str, ...],
           local: bool) -> TrendView:
    sr = _series(db, version, indicator_id)
    tr = timeseries.trends(store(), sr.ind, list(areas), home=_roles().home, last_years=years, local_returns=local,
                           values=sr.values)
    return TrendView(tr, timeseries.trend_table(tr),
                     explore.view_metadata(sr.ind, view=f"Over time, last {years} years", data=tr))


def trend(indicator_id: str, years: int, areas: list[str], *, local: bool) -> TrendView:
    """The values of `areas` (in order) over the last `years` years (`timeseries.trends`)."""
    return _trend(*_db(), _roles_key(), indicator_id, years, tuple(areas), local)


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _trend_chart(db: str, version: int, roles_key: str, indicator_id: str, years: int, areas: tuple[str, ...],
                 local: bool, band: bool, show_ci: bool) -> go.Figure:
    sr = _series(db, version, indicator_id)
    nv = _neighbours(db, version, roles_key, indicator_id, years) if band else None
    return freeze(explore_charts.trend_figure(
        _trend(db, version, roles_key, indicator_id, years, areas, local).rows, sr.ind,
        band=timeseries.neighbour_band(nv.rows) if nv is not None else None, show_ci=show_ci,
        title=f"{sr.title_name}: last {years} years"))


def trend_chart(indicator_id: str, years: int, areas: list[str], *, local: bool, band: bool,
                show_ci: bool) -> go.Figure:
    """`trend`'s chart, with the neighbours' range shaded (`band`) and 95% intervals (`show_ci`) if asked."""
    return _trend_chart(*_db(), _roles_key(), indicator_id, years, tuple(areas), local, band, show_ci)


# -- breakdowns -------------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=SERIES)
def _breakdown_areas(db: str, version: int, indicator_id: str) -> dict[str, str]:
    have = inequalities.breakdown_areas(store(), _series(db, version, indicator_id).ind)
    return dict(zip(have["area_code"], have["area_name"], strict=False))


def breakdown_areas(indicator_id: str) -> dict[str, str]:
    """Code -> name of the areas with any breakdown of the indicator, most breakdown values first."""
    return _breakdown_areas(*_db(), indicator_id)


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _breakdown_options(db: str, version: int, indicator_id: str, area: str) -> dict[str, str]:
    opts = inequalities.breakdown_options(store(), _series(db, version, indicator_id).ind, area,
                                          framework().breakdowns)
    return {f"{r.indicator_id}|{r.breakdown_type}": f"{r.label} ({r.series.lower()})" for r in opts.itertuples()}


def breakdown_options(indicator_id: str, area: str) -> dict[str, str]:
    """'series|breakdown type' -> its label, of the breakdowns the area has."""
    return _breakdown_options(*_db(), indicator_id, area)


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _breakdown_periods(db: str, version: int, series_id: str, area: str, btype: str) -> tuple[str, ...]:
    return tuple(inequalities.breakdown_periods(store(), series_id, area, btype))


def breakdown_periods(series_id: str, area: str, btype: str) -> tuple[str, ...]:
    return _breakdown_periods(*_db(), series_id, area, btype)


@dataclass(frozen=True)
class BreakdownView:
    figure: go.Figure
    table: pd.DataFrame
    meta: dict


@st.cache_resource(show_spinner=False, max_entries=VIEWS)
def _breakdown(db: str, version: int, indicator_id: str, series_id: str, area: str, btype: str,
               period: str | None, view: str) -> BreakdownView:
    fw, ind = framework(), _series(db, version, indicator_id).ind
    bd = inequalities.breakdowns(store(), ind, series_id=series_id, area_code=area, breakdown_type=btype,
                                 period_label=period, names=fw.breakdowns, districts=fw.districts)
    return BreakdownView(freeze(explore_charts.breakdown_figure(bd, ind)), inequalities.breakdown_table(bd),
                         explore.view_metadata(ind, view=view, data=bd))


def breakdown(indicator_id: str, series_id: str, area: str, btype: str, period: str | None, *,
              view: str) -> BreakdownView:
    """One breakdown of one area in one period (`inequalities.breakdowns`); `view` names it in the download."""
    return _breakdown(*_db(), indicator_id, series_id, area, btype, period, view)
