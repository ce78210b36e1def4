"""Disclosure control for anything public: small numbers are suppressed on the way out.

The rules, with a threshold `t` set per KPI in the framework file (`suppression_threshold = 10`
in a `[[kpis]]` entry; 7 when not set):

1. **Small numbers.** A count from 1 to `t` is not shown: a count KPI's value, a numerator, a
   denominator, or the rest of a percentage's denominator (a 95% from 20 children leaves 1). Nor is
   anything derived from it: the rate or percentage, its confidence interval, its numerator and
   denominator all go. A count that is not stored but can be worked out from what is shown counts as
   shown: where a rate or percentage has no numerator, it is worked back from the value and the
   denominator (numerator = value / scale x denominator); where it has no denominator, from the value
   and the numerator (denominator = numerator / (value / scale): 99% with a numerator of 693 shows a
   denominator of 700, and so the 7 children left). Zero is shown.
2. **At source.** A value the sub-group sent as suppressed stays suppressed.
3. **Secondary suppression.** Where a breakdown adds up to the total (districts, sexes, age bands),
   one hidden group could be worked out as the total minus the others, so a second one is hidden:
   the next smallest group with a count above zero, or else the total. A hidden total whose groups
   are all shown is protected the same way. Where the total minus every group shown leaves from 1
   to `t` children (children in no listed group, or in a single-group breakdown such as SEND, the
   children outside it), the smallest group is hidden too.

Stored values are never changed: `suppress` returns a copy, and only the public view and
`export --public` use it. Free text that a sub-group wrote (commentary, status notes) is never
public; a narrative is public only where the sub-group marked it publishable.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from kpis.core import exports
from kpis.core.areas import ENGLAND as ENGLAND_CODE
from kpis.core.framework import Framework, breakdown_label
from kpis.core.kpi import DEFAULT_SUPPRESSION_THRESHOLD, Kpi
from kpis.core.sources import NOT_LOADED, no_comparator_words
from kpis.core.units import GAP_LABELS, SCALE
from kpis.store.database import Store
from kpis.store.narratives import publishable_narratives
from kpis.store.series import kpis_series

SMALL, AT_SOURCE, SECONDARY = "small number", "suppressed at source", "secondary suppression"
HIDDEN_COLUMNS = ["value", "numerator", "denominator", "lower_ci", "upper_ci"]
PUBLIC_NOTE = (f"Counts from 1 to the KPI's threshold (usually {DEFAULT_SUPPRESSION_THRESHOLD}) are suppressed, "
               "with the rates and percentages worked out from them, and a second figure wherever a suppressed one "
               "could be worked out from a total. Suppressed figures show as 'Suppressed'.")


def thresholds(framework: Framework) -> dict[str, int]:
    """Each KPI's suppression threshold, as the loaded framework holds it (`Kpi.suppression_threshold`)."""
    return {k.id: k.suppression_threshold for k in framework.kpis}


def suppress(df: pd.DataFrame, *, framework: Framework,
             threshold_for: Mapping[str, int] | Callable[[str], int] | None = None) -> pd.DataFrame:
    """A copy of `df` (observation rows) with every disclosive figure blanked and marked.

    Blanked rows get status 'suppressed' and a `suppression` reason; the others an empty reason.
    """
    out = df.copy().reset_index(drop=True)
    out["suppression"] = ""
    if out.empty:
        return out
    limits = threshold_for if threshold_for is not None else thresholds(framework)
    limit = limits if callable(limits) else (lambda i: limits.get(i, DEFAULT_SUPPRESSION_THRESHOLD))
    units = {k.id: k.unit for k in framework.kpis}
    t = out["indicator_id"].map(limit).astype(float)
    unit = out["indicator_id"].map(units)
    value = pd.to_numeric(out["value"], errors="coerce")
    den = pd.to_numeric(out["denominator"], errors="coerce")
    num = pd.to_numeric(out["numerator"], errors="coerce")
    scale = unit.map(SCALE).astype(float)
    # A count not stored is shown all the same when the value and the other count give it away.
    den = den.fillna((num * scale / value.where(value > 0)).round())   # denominator = numerator / (value / scale)
    num = num.fillna((value * den / scale).round())                    # numerator = value / scale x denominator
    value_count = value.where(unit == "count")
    rest = (den - num).where(unit == "percentage")

    def small(x: pd.Series) -> pd.Series:
        r = x.round()
        return ((r >= 1) & (r <= t)).fillna(False).astype(bool)

    primary = small(value_count) | small(num) | small(den) | small(rest)
    at_source = out.get("status", pd.Series("published", index=out.index)).eq("suppressed")
    out.loc[primary, "suppression"] = SMALL
    out.loc[at_source, "suppression"] = AT_SOURCE
    size = value_count.fillna(num)          # the count a breakdown adds up: the value, or the numerator
    sizes = {"size": size, "den": den.where(unit != "count")}
    _secondary(out, sizes, t)
    hidden = out["suppression"] != ""
    for col in HIDDEN_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype("float64").mask(hidden)
    if "status" in out.columns:
        out.loc[hidden, "status"] = "suppressed"
    return out


def _secondary(out: pd.DataFrame, sizes: dict[str, pd.Series], t: pd.Series) -> None:
    """Hide more figures until no hidden one can be worked out from a total (rule 3). Changes `out`."""
    # Plain Python lists, not pandas or NumPy scalars: the loops below visit every row several times.
    reason = out["suppression"].to_list()
    size = sizes["size"].to_numpy(dtype=float).tolist()
    measures = [s.to_numpy(dtype=float).tolist() for s in sizes.values()]
    limit = t.to_numpy(dtype=float).tolist()
    is_total = ((out["breakdown_type"] == "all") & (out["breakdown_value"] == "all")).to_numpy().tolist()
    breakdown_type = out["breakdown_type"].to_list()
    no_size = [math.isnan(x) for x in size]
    blocks = []
    for _, block in out.groupby(["indicator_id", "area_code", "period_label"], sort=False).indices.items():
        block = block.tolist()
        totals = [i for i in block if is_total[i]]
        if len(totals) != 1:
            continue  # no total published, so nothing can be worked out from it
        groups: dict[str, list[int]] = {}
        for i in block:
            if not is_total[i]:
                groups.setdefault(breakdown_type[i], []).append(i)
        blocks += [(totals[0], parts) for parts in groups.values()]

    # A block's outcome depends only on which of its own figures are hidden: one that changed nothing need not
    # be looked at again until one of its figures is hidden (the passes below then end exactly as before).
    blocks_of: dict[int, list[int]] = {}
    for b, (total, parts) in enumerate(blocks):
        for i in (total, *parts):
            blocks_of.setdefault(i, []).append(b)
    unsettled = [True] * len(blocks)

    def hide(i: int) -> None:
        reason[i] = SECONDARY
        for b in blocks_of[i]:
            unsettled[b] = True

    changed = True
    while changed:  # hiding one figure can expose another through a shared total, so repeat until settled
        changed = False
        for b, (total, parts) in enumerate(blocks):
            if not unsettled[b]:
                continue
            unsettled[b] = False
            hidden = [i for i in parts if reason[i]]
            unknown = [i for i in parts if reason[i] or no_size[i]]
            shown = [i for i in parts if not (reason[i] or no_size[i])]
            positive = sorted((i for i in shown if size[i] > 0), key=lambda i: size[i])
            if reason[total]:  # a hidden total is the sum of its groups when all are shown
                if len(parts) >= 2 and not unknown and positive:
                    hide(positive[0])
                    changed = True
                continue
            if no_size[total]:
                continue
            if len(parts) >= 2 and len(hidden) == 1 and len(unknown) == 1:  # total minus the others
                hide(positive[0] if positive else total)
                changed = True
                continue
            if len(unknown) > 1 or not positive:
                continue
            for m in measures:  # children in no listed group: the total minus every group shown
                rest = m[total] - sum(m[i] for i in shown)
                if not math.isnan(rest) and 1 <= round(rest) <= limit[total]:
                    hide(positive[0])
                    changed = True
                    break
    out["suppression"] = reason


# -- the public view and export --------------------------------------------------------------------
PUBLIC_COLUMNS = ["indicator_id", "area_code", "breakdown_type", "breakdown_value", "period_label", "period_type",
                  "period_start", "period_end", "value", "numerator", "denominator", "lower_ci", "upper_ci", "status",
                  "is_demo", "source"]


def public_frame(store: Store, framework: Framework, *, as_at: datetime | None = None) -> pd.DataFrame:
    """The home area's figures for every KPI that may be public: its own returns and the figures published
    for it nationally (the return wins where both exist), no provisional values, small numbers suppressed,
    no free text and no provenance beyond the kind of source (never who sent what)."""
    return publish(public_rows(store, framework, as_at=as_at), framework)


def public_rows(store: Store, framework: Framework, *, as_at: datetime | None = None,
                newest_period: bool = False) -> pd.DataFrame:
    """`public_frame` before disclosure control: the rows that may be public, each under its KPI's id
    (`indicator_id`), in `public_frame`'s order. `newest_period`: only each KPI's newest period (its all-children
    row and its groups), as the public page shows them."""
    every = kpis_series(store, list(framework.kpis), area_codes=[framework.home_area], breakdown_type=None,
                        as_at=as_at, columns=PUBLIC_COLUMNS, skip_status=("provisional",),
                        newest_period=newest_period)
    if every.empty:
        return pd.DataFrame(columns=PUBLIC_COLUMNS)
    # each KPI's rows under its own id, whichever series (its returns or its comparator) they came from
    return every[PUBLIC_COLUMNS].assign(indicator_id=every["kpi_id"]).reset_index(drop=True)


def publish(rows: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """`public_frame` from `public_rows`: small numbers suppressed, names and words added, in the same order.

    Suppression looks at one KPI's period at a time (its total and its groups), so rows holding whole periods
    give the same figures as the whole frame does for those periods.
    """
    df = suppress(rows, framework=framework)
    kpis = {k.id: k for k in framework.kpis}
    areas = {a.id: a.name for a in framework.areas}
    df.insert(1, "kpi", df["indicator_id"].map(lambda i: kpis[i].short_title))
    df.insert(2, "outcome_area", df["indicator_id"].map(lambda i: areas[kpis[i].area]))
    df.insert(3, "unit", df["indicator_id"].map(lambda i: kpis[i].unit))
    pairs = list(zip(df["breakdown_type"].to_list(), df["breakdown_value"].to_list(), strict=False))
    labels = {pair: breakdown_label(framework, *pair) for pair in set(pairs)}  # a few groups, many rows
    df.insert(5, "breakdown", [labels[pair] for pair in pairs])
    df["value_text"] = [shown_value(kpis[i], v, s, r) for i, v, s, r in
                        zip(df["indicator_id"].to_list(), df["value"].to_list(), df["status"].to_list(),
                            df["suppression"].to_list(), strict=False)]
    return df.rename(columns={"indicator_id": "kpi_id"})


def newest_periods(rows: pd.DataFrame, kpi_ids: list[str]) -> tuple[list, list]:
    """Of these KPIs' rows (`public_rows`, or `public_frame` with `indicator_id` for `kpi_id`): the index of each
    KPI's newest all-children row, in the order of `kpi_ids` (the framework's), and the index of that period's
    groups, in row order. What the public page shows, picked before disclosure control so that only these
    periods need it."""
    mine = rows[rows["indicator_id"].isin(kpi_ids)]
    totals = mine[mine["breakdown_type"] == "all"].sort_values("period_end").groupby("indicator_id").tail(1)
    order = {k: n for n, k in enumerate(kpi_ids)}
    totals = totals.iloc[sorted(range(len(totals)), key=lambda i: order[totals["indicator_id"].iloc[i]])]
    parts = mine.reset_index().merge(totals[["indicator_id", "period_label"]], on=["indicator_id", "period_label"])
    return list(totals.index), list(parts.loc[parts["breakdown_type"] != "all", "index"])


def england_figures(store: Store, framework: Framework, totals: pd.DataFrame, *,
                    as_at: datetime | None = None) -> list[str]:
    """For each row of `totals` (`kpi_id`, `period_end`): England's published figure for the latest period ending
    on or before it, with that period ('24.5% (2024/25)'), or words saying why there is none. England's figures
    are national statistics, published already, so they need no disclosure control."""
    if totals.empty:
        return []
    kpis = {k.id: k for k in framework.kpis}
    wanted = [kpis[k] for k in dict.fromkeys(totals["kpi_id"])]
    eng = kpis_series(store, wanted, area_codes=[ENGLAND_CODE], breakdown_type="all", as_at=as_at,
                      columns=["period_label", "period_end", "value"])
    eng = eng[eng["value"].notna()].sort_values("period_end")
    out = []
    for kpi_id, end in zip(totals["kpi_id"], totals["period_end"], strict=False):
        kpi = kpis[kpi_id]
        if kpi.comparator is None:
            out.append(no_comparator_words(kpi, short=True))
            continue
        mine = eng[(eng["kpi_id"] == kpi_id) & (pd.to_datetime(eng["period_end"]) <= pd.Timestamp(end))]
        out.append(NOT_LOADED if mine.empty else
                   f"{kpi.format_value(float(mine['value'].iloc[-1]))} ({mine['period_label'].iloc[-1]})")
    return out


def shown_value(kpi: Kpi, value: float | None, status: str, suppression: str) -> str:
    if suppression:
        return "Suppressed"
    if value is None or pd.isna(value):
        return GAP_LABELS.get(status, "No figure") if status != "suppressed" else "No figure"
    text = kpi.format_value(value)
    return f"{text} (low reliability)" if status == "low_reliability" else text


def public_narratives(store: Store, framework: Framework) -> pd.DataFrame:
    """Current narratives the sub-group marked publishable, newest period first within each area."""
    df = publishable_narratives(store)
    if df.empty:
        return df
    order = {a.id: i for i, a in enumerate(framework.areas)}
    df = df[df["outcome_area"].isin(order)].copy()
    df["area_order"] = df["outcome_area"].map(order)
    df["sort_key"] = pd.to_datetime(df["period_end"]).fillna(pd.to_datetime(df["valid_from"]))
    df = df.sort_values(["area_order", "sort_key"], ascending=[True, False])
    return df.drop(columns=["area_order", "sort_key", "valid_from"]).reset_index(drop=True)


PublicView = tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame]], bool, pd.DataFrame]


def public_view(store: Store, framework: Framework) -> PublicView:
    """What the public page shows: per outcome area, each KPI's newest period (its all-children figures with
    England's, then its groups); whether anything is published at all; and the publishable narratives.

    Only the chosen periods go through disclosure control, which works within a period, so they come out as in
    `public_frame`."""
    rows = public_rows(store, framework, newest_period=True)  # only the periods shown: each KPI's newest
    picked = {area.id: newest_periods(rows, [k.id for k in framework.kpis_in_area(area.id)])
              for area in framework.areas}
    figures = publish(rows, framework)  # every row of the chosen periods, in order (a RangeIndex, as `rows`)
    shown = {}
    for area_id, (totals, parts) in picked.items():
        latest = figures.iloc[totals]
        latest = latest.assign(england=england_figures(store, framework, latest))
        shown[area_id] = (latest, figures.iloc[parts].reset_index(drop=True))
    return shown, not rows.empty, public_narratives(store, framework)


def _count_text(x: object) -> str:
    return "–" if pd.isna(x) else f"{x:,.0f}"


def public_table(rows: pd.DataFrame, *, first: str) -> pd.DataFrame:
    """Rows of `public_view` as the page's table: the first column (named `first`, from rows["first"]), period,
    value (marked demo where it is), count, out of, and England's figure with its period where known."""
    columns = {
        first: rows["first"],
        "Period": rows["period_label"],
        "Value": rows["value_text"] + rows["is_demo"].map({True: " (demo)", False: ""}),
        "Count": rows["numerator"].map(_count_text),
        "Out of": rows["denominator"].map(_count_text),
    }
    if "england" in rows:
        columns["England (period)"] = rows["england"]
    return pd.DataFrame(columns).set_index(first)


def public_export(store: Store, framework: Framework, path: str | Path) -> tuple[int, int]:
    """Write the public figures (and, in .xlsx, the publishable narratives). Returns (rows, suppressed)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"Export to a .csv or .xlsx file, not '{path.name}'.")
    df = public_frame(store, framework)
    values = df[["kpi_id", "kpi", "outcome_area", "unit", "breakdown", "breakdown_type", "breakdown_value",
                 "period_label", "period_start", "period_end", "value", "numerator", "denominator", "lower_ci",
                 "upper_ci", "status", "suppression", "is_demo", "source"]]
    if suffix == ".csv":
        data = exports.to_csv_bytes(values)
    else:
        narratives = public_narratives(store, framework)
        data = exports.to_excel_bytes(
            {"Values": values.map(exports.safe_cell_text) if not values.empty else values,
             "Narratives": narratives.map(exports.safe_cell_text) if not narratives.empty else narratives},
            {"Contents": f"Published KPI figures of the {framework.name}, for the public.",
             "Disclosure control": PUBLIC_NOTE,
             "Narratives": "Only narratives the sub-group marked as publishable.", "Rows": len(values)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(values), int((values["suppression"] != "").sum())
