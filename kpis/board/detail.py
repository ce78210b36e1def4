"""One KPI in full: its series against the comparison areas, its breakdowns, its revision history, its data.

The comparison areas are England, the home area's region and its statistical neighbours
(the DfE's ten most similar councils).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from kpis.core.areas import ENGLAND
from kpis.core.dates import short_date_time
from kpis.core.framework import Framework, breakdown_label
from kpis.core.kpi import Kpi
from kpis.core.sources import comparator_label, no_comparator_words
from kpis.core.words import POLARITY_WORDS
from kpis.store.areas import area_names, neighbour_area_codes, region_code
from kpis.store.database import Store
from kpis.store.series import empty_text_as_none, kpi_series, kpis_series
from kpis.store.versions import changed_value_versions


def comparison_areas(store: Store, framework: Framework) -> dict[str, list[str]]:
    """Area codes for each role: home, england, region, neighbours (empty lists when not known)."""
    region = region_code(store, framework.home_area)
    neighbours = neighbour_area_codes(store, framework.home_area_dfe)
    return {"home": [framework.home_area], "england": [ENGLAND], "region": [region] if region else [],
            "neighbours": list(dict.fromkeys(neighbours))}


@dataclass(frozen=True)
class PageSeries:
    """Several KPIs' values read in one query (`page_series`), for `trend_data`, `breakdown_data` and
    `england_value_for` to take their rows from instead of querying once per KPI and per view."""
    by_kpi: dict[str, pd.DataFrame]     # kpis_series output of each KPI (no kpi_id; text as objects): every group
    empty: pd.DataFrame                 # the same columns, no rows
    area_codes: frozenset[str]          # ... of these areas
    as_at: datetime | None
    roles: dict[str, list[str]]         # comparison_areas

    def rows(self, kpi: Kpi, area_codes: list[str], breakdown_type: str | None,
             as_at: datetime | None) -> pd.DataFrame | None:
        """The rows and values `kpi_series(store, kpi, area_codes=..., breakdown_type=..., as_at=...)` returns (text
        as Python objects); None when these values were not read (another moment, or an area not read), so the
        caller queries as usual."""
        if as_at != self.as_at or not set(area_codes) <= self.area_codes:
            return None
        d = self.by_kpi.get(kpi.id, self.empty)
        keep = d["area_code"].isin(list(area_codes)).to_numpy()
        if breakdown_type:
            keep = keep & (d["breakdown_type"] == breakdown_type).to_numpy()
        return empty_text_as_none(d[keep].reset_index(drop=True))


def page_series(store: Store, framework: Framework, kpis: list[Kpi], *,
                against: tuple[str, ...] = ("england",), as_at: datetime | None = None) -> PageSeries:
    """Every value a page of these KPIs shows: the home area's (every group), England's and the chosen
    comparison areas', in one query."""
    roles = comparison_areas(store, framework)
    wanted = {"home", "england", *against}
    codes = frozenset(code for role, cs in roles.items() if role in wanted for code in cs)
    frame = kpis_series(store, list(kpis), area_codes=sorted(codes), breakdown_type=None, as_at=as_at)
    # Text as plain Python strings (the same values), one block per type (copy): the page filters, sorts and
    # copies these frames many times, which costs far less than with Arrow-backed text in many blocks.
    body = frame.drop(columns="kpi_id")
    body = body.astype({c: object for c in body.columns if isinstance(body[c].dtype, pd.StringDtype)}).copy()
    by_kpi = {k: body.take(rows) for k, rows in frame.groupby("kpi_id", sort=False).indices.items()}
    return PageSeries(by_kpi=by_kpi, empty=body.iloc[:0], area_codes=codes, as_at=as_at, roles=roles)


def _series(store: Store, kpi: Kpi, *, area_codes: list[str], breakdown_type: str | None, as_at: datetime | None,
            series: PageSeries | None) -> pd.DataFrame:
    got = series.rows(kpi, area_codes, breakdown_type, as_at) if series is not None else None
    if got is None:
        got = kpi_series(store, kpi, area_codes=area_codes, breakdown_type=breakdown_type, as_at=as_at)
    return got


def trend_data(store: Store, framework: Framework, kpi: Kpi, *, against: tuple[str, ...] = ("england",),
               as_at: datetime | None = None, series: PageSeries | None = None) -> pd.DataFrame:
    """The KPI's 'all children' series for the home area and the chosen comparison areas, with a `role` column."""
    roles = series.roles if series is not None else comparison_areas(store, framework)
    wanted = {"home", *against}
    codes = {code: role for role, cs in roles.items() if role in wanted for code in cs}
    if not codes:
        return pd.DataFrame()
    df = _series(store, kpi, area_codes=list(codes), breakdown_type="all", as_at=as_at, series=series)
    df["role"] = df["area_code"].map(codes)
    # Where sub-groups send returns, the published figure for the home area is drawn apart from them
    # (often a different period length and definition).
    home = df["role"] == "home"
    if (home & df["is_local"]).any():
        df.loc[home & ~df["is_local"], "role"] = "home_published"
    return df[df["role"].notna()].reset_index(drop=True)


def breakdown_data(store: Store, framework: Framework, kpi: Kpi, *, as_at: datetime | None = None,
                   period_label: str | None = None, series: PageSeries | None = None) -> pd.DataFrame:
    """The home area's values by group for one period (default: the newest period with any group)."""
    df = _series(store, kpi, area_codes=[framework.home_area], breakdown_type=None, as_at=as_at, series=series)
    if df.empty:
        return df
    groups = df[df["breakdown_type"] != "all"]
    if groups.empty:
        return groups
    if period_label is None:
        period_label = groups.sort_values("period_end")["period_label"].iloc[-1]
    out = df[df["period_label"] == period_label].reset_index(drop=True)
    # Districts are stored by their ONS code; show their names. The areas table holds councils and
    # regions; the framework's [districts] names the home area's districts.
    names = {**framework.districts,
             **area_names(store)}
    out["breakdown_label"] = [names.get(v, v) if t == "district" else v
                              for t, v in zip(out["breakdown_type"], out["breakdown_value"], strict=False)]
    return out


def england_value_for(store: Store, framework: Framework, kpi: Kpi, period_end: date, *,
                      as_at: datetime | None = None,
                      series: PageSeries | None = None) -> tuple[float | None, str | None]:
    """England's newest value for a period ending on or before `period_end`, and that period's label."""
    df = _series(store, kpi, area_codes=[ENGLAND], breakdown_type="all", as_at=as_at, series=series)
    df = df[df["value"].notna() & (pd.to_datetime(df["period_end"]) <= pd.Timestamp(period_end))]
    if df.empty:
        return None, None
    last = df.sort_values("period_end").iloc[-1]
    return float(last["value"]), str(last["period_label"])


def revision_history(store: Store, framework: Framework, kpi: Kpi) -> pd.DataFrame:
    """Every version of every value that was ever changed, oldest first within each value."""
    ids = [kpi.id] + ([kpi.comparator.indicator_id] if kpi.comparator else [])
    df = changed_value_versions(store, ids, (framework.home_area, ENGLAND))
    if df.empty:
        return pd.DataFrame(columns=["Period", "Area", "Group", "Version", "Value", "Current from", "Replaced on",
                                     "Source", "Note"])
    return pd.DataFrame({
        "Period": df["period_label"],
        "Area": ["England" if a == ENGLAND else "Local" for a in df["area_code"]],
        "Group": ["All" if t == "all" else breakdown_label(framework, t, v)
                  for t, v in zip(df["breakdown_type"], df["breakdown_value"], strict=False)],
        "Version": df["version"].astype(int),
        "Value": [kpi.format_value(None if pd.isna(v) else float(v)) + (" (demo)" if d else "")
                  for v, d in zip(df["value"], df["is_demo"], strict=False)],
        "Current from": [short_date_time(pd.Timestamp(t)) for t in df["valid_from"]],
        "Replaced on": ["still current" if pd.isna(t) else short_date_time(pd.Timestamp(t))
                        for t in df["valid_to"]],
        "Source": df["source"],
        "Note": df["commentary"].fillna(""),
    })


def kpi_download(store: Store, framework: Framework, kpi: Kpi, *, as_at: datetime | None = None) -> pd.DataFrame:
    """Every current number of the KPI (home area, England, region, neighbours, every group) for a CSV."""
    roles = comparison_areas(store, framework)
    codes = {code: role for role, cs in roles.items() for code in cs}
    df = kpi_series(store, kpi, area_codes=list(codes), breakdown_type=None, as_at=as_at)
    df.insert(0, "kpi_id", kpi.id)
    df.insert(1, "comparison_role", df["area_code"].map(codes))
    cols = ["kpi_id", "indicator_id", "comparison_role", "area_code", "area_name", "breakdown_type", "breakdown_value",
            "period_label", "period_type", "period_start", "period_end", "value", "lower_ci", "upper_ci",
            "numerator", "denominator", "status", "status_note", "commentary", "is_demo", "source", "version",
            "valid_from"]
    out = df[[c for c in cols if c in df.columns]].sort_values(
        ["comparison_role", "area_code", "breakdown_type", "breakdown_value", "period_end"]).reset_index(drop=True)
    return _tidy_numbers(out, kpi)


def _tidy_numbers(df: pd.DataFrame, kpi: Kpi) -> pd.DataFrame:
    """Numbers as a person writes them (issue 21): counts whole (7870, not 7870.0), confidence limits to one
    place more than the KPI shows (24.53, not 24.529871349); values as stored, whole ones of a count KPI whole."""
    out = df.copy()
    for col in ("lower_ci", "upper_ci"):
        if col in out:
            out[col] = pd.to_numeric(out[col]).round(kpi.decimals + 1)
    wanted = ["numerator", "denominator"] + (["value"] if kpi.unit == "count" else [])
    for col in wanted:
        if col in out:
            numbers = pd.to_numeric(out[col])
            if (numbers.dropna() == numbers.dropna().round(0)).all():
                out[col] = numbers.round(0).astype("Int64")
    return out


def definition_rows(framework: Framework, kpi: Kpi) -> pd.DataFrame:
    """The KPI's metadata as a two-column table."""
    area = framework.area(kpi.area)
    outcome = next((o.name for o in framework.outcomes if o.id == kpi.outcome), kpi.outcome)
    comparator = (comparator_label(kpi, kpi.comparator.indicator_id) if kpi.comparator
                  else no_comparator_words(kpi))
    rows = [("Definition", kpi.definition), ("Methodology", kpi.methodology or "Not recorded"),
            ("Unit", kpi.unit_label), ("Polarity", POLARITY_WORDS[kpi.polarity]),
            ("National comparator", comparator), ("Outcome area", f"{area.name} ({area.sub_group})"),
            ("Overarching outcome", outcome), ("Frequency", kpi.frequency.capitalize()),
            ("Groups reported", ", ".join(framework.breakdowns.get(b, b) for b in kpi.breakdowns)),
            ("Owner", kpi.owner or "Not recorded"), ("Next update", kpi.next_update or "Not recorded")]
    if kpi.target:
        rows.append(("Target", f"{kpi.format_value(kpi.target.value)}" + (f": {kpi.target.note}"
                                                                         if kpi.target.note else "")))
    return pd.DataFrame(rows, columns=["Item", "Detail"])
