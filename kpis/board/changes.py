"""What changed between two moments (usually two board meetings): Barking and Dagenham's
"relevant changes to performance".

Six lists, each a DataFrame ready to show:

- ``new_signals``: KPIs whose latest figure is now a special cause by the SPC rules (`kpis.board.variation`)
  that was not showing at the earlier moment, concerns first: what the board should hear first;
- ``new_data``: figures first recorded in the window (the home area's and England's);
- ``significant_movements``: KPIs whose latest figure moved significantly since the earlier moment;
- ``comparison_changes``: KPIs whose comparison with England changed (for example similar to worse);
- ``revisions``: earlier figures replaced in the window, with the old and new value;
- ``missing_returns``: quarterly returns that are late or still missing. A return is due
  ``RETURN_DUE`` (six weeks) after its quarter ends.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from kpis.board.scorecard import scorecard
from kpis.core.areas import ENGLAND
from kpis.core.dates import RETURN_DUE, return_due, short_date
from kpis.core.framework import Framework, breakdown_label
from kpis.core.periods import Period, PeriodError, financial_quarter_of, parse_period
from kpis.core.units import STATUS_LABELS
from kpis.store.database import Store, now
from kpis.store.returns import first_submissions
from kpis.store.versions import new_figures_summary, revised_figures

KEYS = ("new_signals", "new_data", "significant_movements", "comparison_changes", "revisions",
        "missing_returns")


def _indicator_map(framework: Framework) -> dict[str, str]:
    """indicator_id -> KPI id, for the KPIs and their comparator series."""
    out = {k.id: k.id for k in framework.kpis}
    out.update({k.comparator.indicator_id: k.id for k in framework.kpis if k.comparator})
    return out


def _fmt(framework: Framework, kpi_id: str, value) -> str:
    return framework.kpi(kpi_id).format_value(None if value is None or pd.isna(value) else float(value))


def new_data(store: Store, framework: Framework, *, since: datetime, until: datetime) -> pd.DataFrame:
    """Figures for the home area or England first recorded after `since`, up to `until`.

    One row per KPI and area: how many new figures, for which periods, and the newest of them. DuckDB sums each
    series up (at national scale a window can hold a hundred thousand new figures); Python only words them.
    """
    ids = _indicator_map(framework)
    df = new_figures_summary(store, since=since, until=until, area_codes=(framework.home_area, ENGLAND),
                             indicator_ids=list(ids))
    cols = ["KPI", "Area", "New figures", "Periods", "Newest", "Figures for groups", "Recorded", "Source"]
    if df.empty:
        return pd.DataFrame(columns=[*cols, "kpi_id"])
    order = {k: i for i, k in enumerate(framework.kpi_ids)}
    rows = []
    for r in df.to_dict("records"):
        kpi_id, area, indicator = ids[r["indicator_id"]], r["area_code"], r["indicator_id"]
        if not r["overall"]:
            newest, periods = "–", f"{r['periods']} period(s)"
        else:
            newest = ((STATUS_LABELS["suppressed"] if r["last_status"] == "suppressed"
                       else _fmt(framework, kpi_id, r["last_value"]))
                      + (" (demo)" if r["last_is_demo"] else "") + f" in {r['last_label']}")
            periods = r["first_label"] if r["overall"] == 1 else f"{r['first_label']} to {r['last_label']}"
        rows.append({"KPI": f"{kpi_id} {framework.kpi(kpi_id).short_title}",
                     "Area": ("England" if area == ENGLAND else "Local return" if indicator == kpi_id
                              else "Local, published"), "New figures": int(r["overall"]),
                     "Periods": periods, "Newest": newest, "Figures for groups": int(r["groups"]),
                     "Recorded": short_date(pd.Timestamp(r["recorded"])),
                     "Source": r["sources"], "kpi_id": kpi_id,
                     "_order": (order.get(kpi_id, 999), area != framework.home_area, indicator != kpi_id)})
    out = pd.DataFrame(rows).sort_values("_order").drop(columns="_order").reset_index(drop=True)
    return out[[*cols, "kpi_id"]]


def revisions(store: Store, framework: Framework, *, since: datetime, until: datetime) -> pd.DataFrame:
    """Earlier figures replaced by a new version in the window (home area and England, every group)."""
    ids = _indicator_map(framework)
    df = revised_figures(store, since=since, until=until, area_codes=(framework.home_area, ENGLAND),
                         indicator_ids=list(ids))
    cols = ["KPI", "Area", "Group", "Period", "Was", "Now", "Revised", "Source", "Note"]
    if df.empty:
        return pd.DataFrame(columns=[*cols, "kpi_id"])
    df["kpi_id"] = df["indicator_id"].map(ids)
    return pd.DataFrame({
        "KPI": [f"{k} {framework.kpi(k).short_title}" for k in df["kpi_id"]],
        "Area": ["England" if a == ENGLAND else "Local" for a in df["area_code"]],
        "Group": ["All" if t == "all" else breakdown_label(framework, t, v)
                  for t, v in zip(df["breakdown_type"], df["breakdown_value"], strict=False)],
        "Period": df["period_label"].to_list(),
        "Was": [_fmt(framework, k, v) for k, v in zip(df["kpi_id"], df["old_value"], strict=False)],
        "Now": [_fmt(framework, k, v) + (" (demo)" if d else "")
                for k, v, d in zip(df["kpi_id"], df["new_value"], df["is_demo"], strict=False)],
        "Revised": [short_date(pd.Timestamp(t)) for t in df["valid_from"]],
        "Source": df["source"].to_list(),
        "Note": df["commentary"].fillna("").to_list(),
        "kpi_id": df["kpi_id"].to_list(),
    })


def due_quarters(first: Period, until: date) -> list[Period]:
    """Financial quarters from `first` whose return fell due on or before `until`, oldest first."""
    out, q = [], first
    while return_due(q) <= until:
        out.append(q)
        q = financial_quarter_of(q.end + timedelta(days=1))
    return out


def _quarter(label: str) -> Period | None:
    try:
        p = parse_period(label)
    except PeriodError:
        return None
    return p if p.type == "financial_quarter" else None


def missing_returns(store: Store, framework: Framework, *, since: datetime, until: datetime) -> pd.DataFrame:
    """Quarterly returns that arrived late in the window, or had not arrived by `until`.

    Each sub-group with a quarterly KPI owes one return per quarter, due ``RETURN_DUE`` after the
    quarter ends, from the first quarter it ever sent (or, if it has sent none, from the first quarter
    falling due after `since`). A return missing from before `since` is listed again as "Still missing".
    """
    subs = first_submissions(store, until)
    cols = ["Sub-group", "Quarter", "Due", "Status", "Received"]
    rows = []
    for area in framework.areas:
        if not any(k.frequency == "quarterly" for k in framework.kpis_in_area(area.id)):
            continue
        mine = subs[subs["outcome_area"] == area.id]
        received = dict(zip(mine["period_label"], mine["first_at"], strict=False))
        sent = [q for q in map(_quarter, received) if q is not None]
        first = (min(sent, key=lambda q: q.start) if sent
                 else financial_quarter_of(since.date() - RETURN_DUE + timedelta(days=1)))
        for q in due_quarters(first, until.date()):
            due = return_due(q)
            if not sent and due <= since.date():
                continue
            got = received.get(q.label)
            got_day = None if got is None else pd.Timestamp(got).date()
            if got_day is None:
                status = "Missing" if due > since.date() else "Still missing"
            elif got_day > due and pd.Timestamp(got) > pd.Timestamp(since):
                status = "Late"
            else:
                continue
            rows.append({"Sub-group": area.sub_group, "Quarter": q.label, "Due": short_date(due),
                         "Status": status, "Received": short_date(got_day) if got_day else "Not received",
                         "area": area.id})
    return pd.DataFrame(rows, columns=[*cols, "area"])


def new_signals(after: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """KPIs whose last point is now a special cause (a signal, by the SPC rules) that was not showing at the last
    meeting: a new signal, or a different one. Concerns first, then improvements, then neutral signals."""
    joined = after.merge(before[["kpi_id", "variation_icon", "variation_short"]], on="kpi_id", how="left",
                         suffixes=("", "_before"))
    now_signal = joined["variation_icon"].notna() & (joined["variation_icon"] != "common_cause")
    new = joined[now_signal & (joined["variation_icon"] != joined["variation_icon_before"])].copy()
    order = {"concern": 0, "improvement": 1, "neutral": 2}
    new["rank"] = new["variation_icon"].map(lambda icon: order.get(str(icon).split("_")[0], 3))
    new = new.sort_values(["rank", "area_order", "kpi_id"], kind="stable")
    return pd.DataFrame({
        "KPI": new["kpi_id"] + " " + new["title"],
        "At the last meeting": new["variation_short_before"].fillna("No chart"),
        "Now": new["variation_shape"] + " " + new["variation_short"],
        "What the chart shows": new["variation_text"],
        "kpi_id": new["kpi_id"],
    }).reset_index(drop=True)


def changes_since(store: Store, framework: Framework, *, since: datetime,
                  until: datetime | None = None) -> dict[str, pd.DataFrame]:
    """Everything the board should hear about between `since` and `until` (None: now)."""
    until = until or now()
    after = scorecard(store, framework, as_at=until, previous_meeting=since)
    before = scorecard(store, framework, as_at=since)
    moved = after[after["change_significant"] == True]  # noqa: E712 (None means not tested)
    significant = pd.DataFrame({
        "KPI": moved["kpi_id"] + " " + moved["title"],
        "Then": moved["previous_text"],
        "Now": moved["value_text"] + " (" + moved["latest_period"].fillna("") + ")"
        + moved["is_demo"].map({True: " (demo)", False: ""}),
        "Change": moved["change_symbol"] + " " + moved["change_text"],
        "kpi_id": moved["kpi_id"],
    })
    joined = after.merge(before[["kpi_id", "comparison", "comparison_symbol", "comparison_text", "value_text",
                                 "latest_period", "england_text"]], on="kpi_id", suffixes=("", "_before"))
    flipped = joined[(joined["comparison"] != joined["comparison_before"])
                     & ~((joined["comparison"] == "not compared") & (joined["comparison_before"] == "not compared"))]
    comparison = pd.DataFrame({
        "KPI": flipped["kpi_id"] + " " + flipped["title"],
        "Before": flipped["comparison_symbol_before"] + " " + flipped["comparison_text_before"]
        + " (" + flipped["latest_period_before"].fillna("no data") + ")",
        "Now": flipped["comparison_symbol"] + " " + flipped["comparison_text"]
        + " (" + flipped["latest_period"].fillna("no data") + ")",
        "England": flipped["england_text"],
        "kpi_id": flipped["kpi_id"],
    })
    return {
        "new_signals": new_signals(after, before),
        "new_data": new_data(store, framework, since=since, until=until),
        "significant_movements": significant.reset_index(drop=True),
        "comparison_changes": comparison.reset_index(drop=True),
        "revisions": revisions(store, framework, since=since, until=until),
        "missing_returns": missing_returns(store, framework, since=since, until=until),
    }
