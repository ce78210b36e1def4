"""Data quality: are the returns in, on time and complete; which values look unusual; what is missing; imports.

- Completeness of each sub-group's quarterly return: on time (by quarter end plus
  six weeks), late, partial (fewer quarterly KPIs than the sub-group reports),
  missing, or not yet due.
- Unusual values: a value more than three standard deviations from the rest of
  its own series, and values that cannot be right (a percentage outside 0-100,
  a numerator above its denominator, a value that does not match its counts).
- Suppressed, not available and not applicable counts per indicator.
- Imports and returns with the rows they skipped, and why.
"""
from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd

from kpis.analysis.inequalities import group_name
from kpis.core.dates import return_due, short_date, short_date_time
from kpis.core.framework import Framework, breakdown_label
from kpis.core.periods import Period, PeriodError, current_quarter, parse_period, previous_quarter, quarters_between
from kpis.core.sources import SOURCE_NAMES
from kpis.store.database import Store
from kpis.store.quality import (
    batches_with_skips,
    counts_by_status,
    imports_and_skips,
    indicator_sources,
    returned_values,
    submissions_by_area,
    submitted_periods,
    unusual_candidates,
)

Z_LIMIT = 3.0
MIN_HISTORY = 4
STATUS_ORDER = ["Missing", "Partial and late", "Partial", "Late", "On time", "Not yet due"]


def _quarter(label: str) -> Period | None:
    try:
        p = parse_period(label)
    except (PeriodError, ValueError):
        return None
    return p if p.type == "financial_quarter" else None


def quarters_to_check(store: Store, *, today: date | None = None) -> list[Period]:
    """From the first quarter anyone returned to the last quarter that has ended."""
    labels = submitted_periods(store)
    quarters = [q for q in (_quarter(x) for x in labels["period_label"]) if q]
    if not quarters:
        return []
    last = previous_quarter(current_quarter(today))
    last = max(last, max(quarters))
    return quarters_between(min(quarters), last)


def completeness(store: Store, framework: Framework, *, today: date | None = None) -> pd.DataFrame:
    """One row per sub-group and quarter: when the return came, how many quarterly KPIs it covered, a status."""
    today = today or date.today()
    subs = submissions_by_area(store)
    got = returned_values(store, framework.home_area)
    returned = {(r.indicator_id, r.period_label) for r in got.itertuples()}
    sub_at = {(r.outcome_area, r.period_label): r for r in subs.itertuples()}
    rows = []
    for q in quarters_to_check(store, today=today):
        due = return_due(q)
        for area in framework.areas:
            expected = [k.id for k in framework.kpis_in_area(area.id) if k.frequency == "quarterly"]
            if not expected:
                continue
            have = [k for k in expected if (k, q.label) in returned]
            s = sub_at.get((area.id, q.label))
            first = pd.Timestamp(s.first_at).to_pydatetime() if s is not None else None
            days_late = (first.date() - due).days if first else None
            if first is None:
                status = "Not yet due" if today <= due else "Missing"
            else:
                late = days_late > 0
                partial = len(have) < len(expected)
                status = ("Partial and late" if partial and late else "Partial" if partial
                          else "Late" if late else "On time")
            rows.append({
                "area_id": area.id, "sub_group": area.sub_group, "area_name": area.name, "quarter": q.label,
                "quarter_end": q.end, "due": due, "first_submitted": first, "days_late": days_late,
                "submissions": int(s.submissions) if s is not None else 0,
                "kpis_expected": len(expected), "kpis_returned": len(have),
                "kpis_missing": ", ".join(k for k in expected if k not in have), "status": status,
            })
    return pd.DataFrame(rows)


def status_words(row: pd.Series) -> str:
    s = row["status"]
    if s in ("Late", "Partial and late"):
        s += f" ({int(row['days_late'])} days)"
    if s.startswith("Partial"):
        s += f": {row['kpis_returned']} of {row['kpis_expected']} KPIs"
    return s


def completeness_grid(df: pd.DataFrame) -> pd.DataFrame:
    """Sub-groups down, quarters across (latest first), each cell a status in words."""
    if df.empty:
        return pd.DataFrame()
    d = df.assign(cell=[status_words(r) for _, r in df.iterrows()])
    order = d.drop_duplicates("quarter").sort_values("quarter_end", ascending=False)["quarter"].tolist()
    grid = d.pivot(index="sub_group", columns="quarter", values="cell").reindex(columns=order)
    areas = d.drop_duplicates("sub_group")["sub_group"].tolist()
    return grid.reindex(areas).reset_index().rename(columns={"sub_group": "Sub-group"})


def completeness_summary(df: pd.DataFrame) -> dict[str, int]:
    return {s: int((df["status"] == s).sum()) for s in STATUS_ORDER} if not df.empty else {}


# -- unusual values -----------------------------------------------------------------------
def unusual_values(store: Store, framework: Framework, *, area_codes: list[str] | None = None,
                   z_limit: float = Z_LIMIT, min_history: int = MIN_HISTORY) -> pd.DataFrame:
    """Values that are impossible, or more than `z_limit` standard deviations from the rest of their series."""
    codes = area_codes or [framework.home_area]
    df = unusual_candidates(store, codes, z_limit=z_limit, min_history=min_history)
    # Plain Python values, row by row: the same arithmetic as over pandas rows, without their cost.
    cols = {c: df[c].to_list() for c in ("indicator_id", "area_code", "area_name", "breakdown_type",
                                         "breakdown_value", "period_label", "period_type", "value", "numerator",
                                         "denominator", "is_demo", "unit", "look")}
    series: dict[tuple, list[int]] = {}  # rows of each series, in the order above (as pandas' groupby keeps them)
    for i, key in enumerate(zip(*(cols[k] for k in ("indicator_id", "area_code", "breakdown_type",
                                                     "breakdown_value", "period_type")), strict=False)):
        series.setdefault(key, []).append(i)
    flags = []
    for rows in series.values():
        values = [float(cols["value"][j]) for j in rows]
        for i, j in enumerate(rows):
            if cols["look"][j] is not True:
                continue  # the other values of a series that has a row worth a look
            r = {c: cols[c][j] for c in ("indicator_id", "area_name", "breakdown_type", "breakdown_value",
                                         "period_label", "value", "numerator", "denominator", "is_demo", "unit")}
            reasons = _impossible(r)
            others = values[:i] + values[i + 1:]
            z = mean = sd = None
            if len(others) >= min_history:
                mean = sum(others) / len(others)
                sd = math.sqrt(sum([(x - mean) ** 2 for x in others]) / (len(others) - 1))
                if sd > 0:
                    z = (values[i] - mean) / sd
                    if abs(z) > z_limit:
                        reasons.append(f"{abs(z):.1f} standard deviations {'above' if z > 0 else 'below'} the "
                                       f"average of the other {len(others)} values in its series")
            if reasons:
                flags.append({**{k: r[k] for k in ("indicator_id", "area_name", "breakdown_type", "period_label",
                                                     "value", "numerator", "denominator", "is_demo")},
                              "breakdown_value": group_name(r["breakdown_type"], r["breakdown_value"],
                                                            framework.districts),
                              "series_average": mean, "series_sd": sd, "z_score": z, "reason": "; ".join(reasons)})
    return pd.DataFrame(flags, columns=["indicator_id", "area_name", "breakdown_type", "breakdown_value",
                                        "period_label", "value", "numerator", "denominator", "is_demo",
                                        "series_average", "series_sd", "z_score", "reason"])


def _impossible(r) -> list[str]:
    out = []
    v, n, d = r["value"], r["numerator"], r["denominator"]
    if r["unit"] == "percentage" and not 0 <= v <= 100:
        out.append("a percentage outside 0 to 100")
    if r["unit"] == "count" and v < 0:
        out.append("a negative count")
    if pd.notna(n) and pd.notna(d):
        if n > d:
            out.append("numerator larger than denominator")
        elif r["unit"] == "percentage" and d > 0 and abs(100 * n / d - v) > 0.5:
            out.append(f"value does not match numerator / denominator ({100 * n / d:.1f}%)")
    return out


# -- suppressed and missing ----------------------------------------------------------------------
def status_counts(store: Store, framework: Framework) -> pd.DataFrame:
    """Per indicator, current values by status, and values missing without a reason."""
    df = counts_by_status(store, framework.home_area)
    df["source"] = df["source"].replace({"framework": "Sub-group returns"})
    return df


# -- imports ---------------------------------------------------------------------------------------
def _reasons(text) -> dict[str, int]:
    if text is None or (isinstance(text, float) and math.isnan(text)) or text == "":
        return {}
    try:
        value = json.loads(text) if isinstance(text, str) else dict(text)
    except (ValueError, TypeError):
        return {"(unreadable reasons)": 0}
    return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}


def imports(store: Store) -> pd.DataFrame:
    """Every import, and every return that skipped rows: counts and the reasons in words."""
    df = imports_and_skips(store)
    df["reasons"] = ["; ".join(f"{k}: {v:,} rows" for k, v in _reasons(t).items()) or "–"
                     for t in df["skipped_reasons"]]
    return df.drop(columns="skipped_reasons")


def skipped_reasons(store: Store) -> pd.DataFrame:
    """One row per batch and reason, most rows first."""
    df = batches_with_skips(store)
    rows = [{"batch_id": r.batch_id, "kind": r.kind, "source": r.source, "submitted_at": r.submitted_at,
             "reason": k, "rows": v} for r in df.itertuples() for k, v in _reasons(r.reasons).items()]
    out = pd.DataFrame(rows, columns=["batch_id", "kind", "source", "submitted_at", "reason", "rows"])
    return out.sort_values(["rows", "batch_id"], ascending=[False, True]).reset_index(drop=True)


HEADERS = {
    "area_id": "Outcome area id", "sub_group": "Sub-group", "area_name": "Area", "quarter": "Quarter",
    "quarter_end": "Quarter end", "due": "Due by", "first_submitted": "First submitted", "days_late": "Days late",
    "submissions": "Submissions", "kpis_expected": "Quarterly KPIs", "kpis_returned": "KPIs returned",
    "kpis_missing": "KPIs missing", "status": "Status", "indicator_id": "Indicator", "breakdown_type": "Breakdown",
    "breakdown_value": "Group", "period_label": "Period", "value": "Value", "numerator": "Numerator",
    "denominator": "Denominator", "is_demo": "Demo data", "series_average": "Average of the rest of the series",
    "series_sd": "Standard deviation", "z_score": "z score", "reason": "Why flagged", "name": "Name",
    "source": "Source", "values": "Current values", "suppressed": "Suppressed", "not_available": "Not available",
    "not_applicable": "Not applicable", "low_reliability": "Low reliability", "provisional": "Provisional",
    "blank_without_reason": "Blank with no reason", "home_area_values": "Home area: values",
    "home_area_gaps": "Home area: suppressed or not available", "batch_id": "Batch", "kind": "Kind",
    "outcome_area": "Outcome area", "submitted_at": "Received (UTC)", "file_name": "File", "rows_read": "Rows read",
    "rows_imported": "Rows imported", "rows_skipped": "Rows skipped", "new_values": "New values",
    "changed_values": "Changed values", "unchanged_values": "Unchanged values", "reasons": "Why rows were skipped",
    "reason_rows": "Rows", "rows": "Rows",
}


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """The same table with headers people read; demo flags in words."""
    out = df.rename(columns={c: HEADERS.get(c, c) for c in df.columns})
    if "Demo data" in out:
        out["Demo data"] = out["Demo data"].map({True: "Yes (synthetic)", False: ""}).fillna("")
    return out


# -- the same tables, narrow enough for a laptop screen (1366 x 768): counts in words, codes left to the downloads --
def _counted(parts: list[tuple[object, str]], none: str = "none") -> str:
    """'12 suppressed; 3 not available' from (count, words) pairs, leaving out zeros and blanks."""
    said = [f"{int(n):,} {words}" for n, words in parts if pd.notna(n) and int(n)]
    return "; ".join(said) or none


def indicator_names(store: Store, framework: Framework) -> dict[str, str]:
    """Each stored indicator as people read it: a KPI as 'SG02 Repeat child protection plans', a published one by
    its name and publisher ('Hospital admissions ... (OHID Fingertips)'), never by its internal code alone."""
    inds = indicator_sources(store)
    out = {r.indicator_id: (f"{r.name} ({SOURCE_NAMES.get(r.source, r.source)})" if isinstance(r.name, str) and
                            r.name else f"{SOURCE_NAMES.get(r.source, r.source)} indicator")
           for r in inds.itertuples(index=False)}
    out.update({k.id: f"{k.id} {k.short_title}" for k in framework.kpis})
    return out


def status_counts_on_screen(counts: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """`status_counts` in five columns: the indicator by name, where it comes from, how many values, which are
    not given as a number (and why), and the home area's. Every count, and the source id, stay in the download."""
    return pd.DataFrame({
        "Indicator": [names.get(i, n) for i, n in zip(counts["indicator_id"], counts["name"], strict=False)],
        "Source": counts["source"].replace({"fingertips": SOURCE_NAMES["fingertips"], "lait": SOURCE_NAMES["lait"],
                                            "dfe_ees": SOURCE_NAMES["dfe_ees"]}),
        "Current values": counts["values"].astype(int),
        "Not given as a number": [_counted([(r.suppressed, "suppressed"), (r.not_available, "not available"),
                                            (r.not_applicable, "not applicable"),
                                            (r.blank_without_reason, "blank with no reason")])
                                  for r in counts.itertuples(index=False)],
        "With a caveat": [_counted([(r.low_reliability, "low reliability"), (r.provisional, "provisional")])
                    for r in counts.itertuples(index=False)],
        "Home area": [_counted([(r.home_area_values, "values"), (r.home_area_gaps, "suppressed or not available")],
                               none="no values") for r in counts.itertuples(index=False)],
    })


def imports_on_screen(df: pd.DataFrame) -> pd.DataFrame:
    """`imports` (or `kpis.analysis.comparisons.import_history`) with its counts in words, in columns that fit a
    laptop screen; every count stays in the download."""
    return pd.DataFrame({
        "Batch": df["batch_id"].astype(int),
        "Received (UTC)": [short_date_time(pd.Timestamp(t)) + (f", by {by}" if isinstance(by, str) and by
                                                                          else "")
                           for t, by in zip(df["submitted_at"],
                                            df.get("submitted_by", [None] * len(df)), strict=False)],
        "Source": df["source"].fillna("").replace({"": "–"}),
        "File": df["file_name"].fillna("–"),
        "Rows": [_counted([(r.rows_read, "read"), (r.rows_imported, "imported"), (r.rows_skipped, "skipped")])
                 for r in df.itertuples(index=False)],    # why rows were skipped: a table of its own, and the download
        "Values": [_counted([(r.new_values, "new"), (r.changed_values, "changed"), (r.unchanged_values, "unchanged")])
                   for r in df.itertuples(index=False)],
    })


def unusual_on_screen(df: pd.DataFrame, names: dict[str, str], framework: Framework) -> pd.DataFrame:
    """`unusual_values` in columns that fit a laptop screen: the indicator by name, the group as people say it,
    the value with its counts, and why it is flagged; the series average, spread and z score stay in the download."""

    values = []
    for r in df.itertuples(index=False):
        kpi = next((k for k in framework.kpis if k.id == r.indicator_id), None)
        text = kpi.format_value(float(r.value)) if kpi else f"{float(r.value):,.1f}"
        if pd.notna(r.numerator) and pd.notna(r.denominator):
            text += f" ({int(r.numerator):,} of {int(r.denominator):,})"
        values.append(text + (" (demo)" if r.is_demo else ""))
    return pd.DataFrame({
        "Indicator": [names.get(i, i) for i in df["indicator_id"]],
        "Group": ["All" if t == "all" else breakdown_label(framework, t, v) if t in framework.breakdowns else
                  f"{t}: {v}" for t, v in zip(df["breakdown_type"], df["breakdown_value"], strict=False)],
        "Period": df["period_label"], "Value": values, "Why flagged": df["reason"],
    })


def returns_on_screen(comp: pd.DataFrame) -> pd.DataFrame:
    """`completeness` in five columns that fit a laptop screen: the sub-group, the quarter, its status, when the
    return came (against when it was due) and which KPIs it held; every column stays in the download."""
    def sent(r) -> str:
        due = f"due {short_date(pd.Timestamp(r.due))}"
        if r.first_submitted is None or pd.isna(r.first_submitted):
            return f"Not sent; {due}"
        times = f"; {int(r.submissions)} versions" if r.submissions > 1 else ""
        return f"{short_date(pd.Timestamp(r.first_submitted))}, {due}{times}"

    return pd.DataFrame({
        "Sub-group": comp["sub_group"], "Quarter": comp["quarter"], "Status": comp["status"],
        "Sent": [sent(r) for r in comp.itertuples(index=False)],
        "KPIs": [f"{r.kpis_returned} of {r.kpis_expected}" + (f"; missing {r.kpis_missing}" if r.kpis_missing else "")
                 for r in comp.itertuples(index=False)],
    })
