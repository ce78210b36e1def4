"""What is known about a KPI against England, in words: one rule for the board scorecard and the benchmark view.

Three ways, the strongest first:

1. **Significance test** (Fingertips): the value has a 95% interval (given, or worked out from its counts by
   `stats.interval_of`): better or worse when England's value lies outside it, similar otherwise (higher or
   lower with no polarity).
2. **Difference, quartile and rank**: the value has no interval (the publisher gives no counts, as LAIT):
   no test can be made, so the difference from England is stated, with the area's LAIT quartile band (A = best)
   and rank among all councils for the same published figure where known. A published value its publisher
   marked "Not compared" with England (Fingertips) is not tested either, nor ranked: the difference is stated,
   and that the publisher did not compare it.
3. **Related national measure** (a framework KPI's ``related_comparator``): no national figure of the KPI's own
   definition exists, so the home area's published figure on the related measure is set against England's
   (tested when counts are published, else by difference, quartile and rank). The KPI's own value is never
   compared with a measure of another definition; the words say so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from kpis.core import stats
from kpis.core.areas import COUNCIL, ENGLAND
from kpis.core.framework import Comparator, Kpi
from kpis.store.database import Store, observations_as_at

TESTED, DIFFERENCE, RELATED = "significance test", "difference, quartile and rank", "related national measure"
PUBLISHER_DID_NOT_COMPARE = "Not compared with England by its publisher"
BADGE_WORDS = {"better": "Better than England", "similar": "Similar to England", "worse": "Worse than England",
               "higher": "Higher than England", "lower": "Lower than England"}


@dataclass(frozen=True)
class Standing:
    """The home area's published value of one series against England's and all councils', in one period."""
    indicator_id: str
    name: str
    unit: str | None
    polarity: str
    period: str
    value: float
    lower: float | None
    upper: float | None
    england: float
    quartile: str | None
    rank: int | None
    rank_of: int | None
    note: str = ""
    short_name: str = ""


@dataclass(frozen=True)
class Relation:
    result: str                 # better | similar | worse | higher | lower | not compared
    basis: str | None           # TESTED | DIFFERENCE | RELATED | None (nothing can be said)
    words: str | None
    difference: float | None    # value minus England's, in the unit of the value compared
    short: str | None = None    # the same in a few words, for a scorecard cell
    cell: str | None = None     # fewer still, for one line of the board table: '0.3 pts below', 'Related: ...'


def fmt(value: float, unit: str | None, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}"
    return f"{text}%" if unit == "percentage" else text


def difference_words(value: float, england: float, unit: str | None, decimals: int = 1) -> str:
    """'0.3 points below England', '2.0 above England', 'the same as England' (to the shown decimals)."""
    return _difference(value, england, unit, decimals, points="points", england=" England", same="the same as")


def difference_short(value: float, england: float, unit: str | None, decimals: int = 1) -> str:
    """'0.3 pts below', '2.0 above', 'the same' (the board table's column says 'Compared with England')."""
    return _difference(value, england, unit, decimals, points="pts", england="", same="the same")


def _difference(value: float, other: float, unit: str | None, decimals: int, *, points: str, england: str,
                same: str) -> str:
    diff = round(value - other, decimals)
    if diff == 0:
        return f"{same}{england}"
    size = f"{abs(diff):,.{decimals}f}{' ' + points if unit == 'percentage' else ''}"
    return f"{size} {'above' if diff > 0 else 'below'}{england}"


def rank_words(quartile: str | None, rank: int | None, rank_of: int | None) -> str:
    if quartile is None or rank is None:
        return ""
    return f"quartile {quartile} (A = best), rank {rank} of {rank_of} councils"


def relate(kpi: Kpi, *, value: float | None, lower: float | None, upper: float | None,
           england: float | None, england_period: str | None, quartile: str | None = None,
           rank: int | None = None, rank_of: int | None = None, related: Standing | None = None,
           not_compared_by_publisher: bool = False) -> Relation:
    """The relation of a KPI to England: tested, else difference and rank, else through a related measure.

    `not_compared_by_publisher`: the value is a published one that its publisher marked "Not compared" with
    England (Fingertips): it is not tested, nor ranked, here either; only the difference is stated, saying so."""
    none = Relation("not compared", None, None, None)
    if value is not None and england is not None and kpi.comparator is not None:
        diff = round(value - england, 6)
        if not_compared_by_publisher:
            gap = difference_words(value, england, kpi.unit, kpi.decimals)
            words = (f"{PUBLISHER_DID_NOT_COMPARE} (so not tested here): {gap} ({kpi.format_value(value)} vs England "
                     f"{kpi.format_value(england)}, {england_period})")
            return Relation("not compared", DIFFERENCE, words, diff, f"Not compared by its publisher: {gap}",
                            f"Not compared by publisher: {difference_short(value, england, kpi.unit, kpi.decimals)}")
        if lower is not None and upper is not None:
            result = stats.compare_with_benchmark(value, lower, upper, england, kpi.polarity)
            words = (f"{BADGE_WORDS[result]}: {kpi.format_value(value)} (95% interval {kpi.format_value(lower)} "
                     f"to {kpi.format_value(upper)}) vs England {kpi.format_value(england)} ({england_period})")
            return Relation(result, TESTED, words, diff, BADGE_WORDS[result])
        standing = rank_words(quartile, rank, rank_of)
        gap = difference_words(value, england, kpi.unit, kpi.decimals)
        words = (f"Not tested (no counts in the published file): {gap} "
                 f"({kpi.format_value(value)} vs England {kpi.format_value(england)}, {england_period})"
                 + (f"; {standing}" if standing else ""))
        short = f"Not tested (no counts): {gap}" + (
            f", quartile {quartile}" if quartile else "")
        return Relation("not compared", DIFFERENCE, words, diff, short,
                        difference_short(value, england, kpi.unit, kpi.decimals))
    if related is None:
        return none
    return Relation("not compared", RELATED, related_words(related), round(related.value - related.england, 6),
                    related_short(related), related_cell(related))


def related_short(s: Standing) -> str:
    """'Related measure, excess weight (AY 2024/25): 1.0 points below England; quartile B'."""
    if s.lower is not None and s.upper is not None:
        result = stats.compare_with_benchmark(s.value, s.lower, s.upper, s.england, s.polarity)
        how = BADGE_WORDS[result][0].lower() + BADGE_WORDS[result][1:]
    else:
        how = difference_words(s.value, s.england, s.unit)
    return f"Related measure, {s.short_name}: {how}" + (f", quartile {s.quartile}" if s.quartile else "")


def related_cell(s: Standing) -> str:
    """'Related: excess weight, quartile B', 'Related: parental mental health, worse', or with neither a test nor
    a quartile 'Related: x, 1.0 pts below'. Untested, the quartile (A = best) is the one word that says which way
    is good (below England is good on one measure and bad on another); the difference is in the longer words."""
    if s.lower is not None and s.upper is not None:
        how = stats.compare_with_benchmark(s.value, s.lower, s.upper, s.england, s.polarity)
    elif s.quartile:
        how = f"quartile {s.quartile}"
    else:
        how = difference_short(s.value, s.england, s.unit)
    return f"Related: {s.short_name}, {how}"


def related_words(s: Standing) -> str:
    """A related measure's standing, said so that no one reads it as the KPI's own comparison."""
    if s.lower is not None and s.upper is not None:
        result = stats.compare_with_benchmark(s.value, s.lower, s.upper, s.england, s.polarity)
        how = (f"{BADGE_WORDS[result][0].lower()}{BADGE_WORDS[result][1:]} (95% interval here "
               f"{fmt(s.lower, s.unit)} to {fmt(s.upper, s.unit)})")
    else:
        how = f"{difference_words(s.value, s.england, s.unit)}, not tested (no counts in the published file)"
    standing = rank_words(s.quartile, s.rank, s.rank_of)
    return (f"Related measure, not this KPI's definition: {s.name}, {s.period}: {fmt(s.value, s.unit)} here vs "
            f"England {fmt(s.england, s.unit)}: {how}" + (f"; {standing}" if standing else ""))


# -- reading the publisher's own comparisons ------------------------------------------------------------------
def not_compared_by_publisher(store: Store, home: str, wanted: list[tuple[str, str]],
                              as_at: datetime | None = None) -> set[tuple[str, str]]:
    """Of (indicator id, period label) pairs, those whose headline value for `home` its publisher marked "Not
    compared" with England (Fingertips' "Compared to England"), as known at `as_at`: one query for all."""
    if not wanted:
        return set()
    when = "p.is_current" if as_at is None else "b.submitted_at <= ?"
    params: list[Any] = [[w[0] for w in wanted], [w[1] for w in wanted], home]
    if as_at is not None:
        params.append(pd.Timestamp(as_at).to_pydatetime())
    df = store.df(f"""
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS indicator_id, unnest(?::VARCHAR[]) AS period_label)
        SELECT p.indicator_id, p.period_label, p.label
        FROM published_comparisons p JOIN batches b ON b.batch_id = p.batch_id
        JOIN wanted w ON w.indicator_id = p.indicator_id AND w.period_label = p.period_label
        WHERE p.area_code = ? AND p.versus = 'England' AND p.breakdown_type = 'all' AND p.breakdown_value = 'all'
              AND {when}
        QUALIFY row_number() OVER (PARTITION BY p.indicator_id, p.period_label
                                   ORDER BY b.submitted_at DESC, p.batch_id DESC) = 1""", params)
    return {(i, p) for i, p, label in df.itertuples(index=False, name=None) if str(label).lower() == "not compared"}


# -- reading standings --------------------------------------------------------------------------------
def related_standings(store: Store, kpis: list[Kpi] | tuple[Kpi, ...], *, home: str,
                      as_at: datetime | None = None, until: dict[str, date | None] | None = None,
                      councils: set[str] | None = None) -> dict[str, Standing]:
    """Per KPI with a related comparator, the home area's standing on it (one query for all), as known at `as_at`.

    `until`: per KPI id, the end of the local period; the related figure is then the newest whose period ends
    on or before it (as England's is for the KPI itself). None or missing: the newest published.
    """
    return standings(store, {k.id: (k.related, k.polarity, (until or {}).get(k.id)) for k in kpis
                             if k.related is not None}, home=home, as_at=as_at, councils=councils)


def standings(store: Store, requests: dict[Any, tuple[Comparator, str, date | None]], *, home: str,
              as_at: datetime | None = None, councils: set[str] | None = None) -> dict[Any, Standing]:
    """Per key, the home area's standing on a published series: `requests` maps a key to (comparator, the KPI's
    polarity, the end of the local period or None). The period is the newest with a home and an England figure
    ending on or before that end. One query for all keys: the chosen period's rows of every area. Keys with no
    home and England figure are left out. `councils`: the current councils (default: from the areas table)."""
    if not requests:
        return {}
    keys = list(requests)
    comps = [requests[k][0] for k in keys]
    ends = [None if requests[k][2] is None else pd.Timestamp(requests[k][2]).date() for k in keys]
    sql = f"""
        WITH obs AS (
            SELECT indicator_id, area_code, period_label, period_end, value, numerator, denominator, lower_ci, upper_ci
            FROM ({observations_as_at(as_at)}) o
            WHERE indicator_id IN (SELECT unnest(?)) AND breakdown_type = 'all' AND value IS NOT NULL),
        wanted AS (SELECT unnest(?) AS k, unnest(?) AS iid, unnest(?) AS total_id, CAST(unnest(?) AS DATE) AS until),
        pick AS (
            SELECT w.k, w.iid, w.total_id, h.period_label
            FROM wanted w JOIN obs h ON h.indicator_id = w.iid AND h.area_code = ?
            JOIN obs e ON e.indicator_id = w.iid AND e.area_code = ? AND e.period_label = h.period_label
            WHERE w.until IS NULL OR h.period_end <= w.until
            QUALIFY row_number() OVER (PARTITION BY w.k ORDER BY h.period_end DESC) = 1)
        SELECT p.k, o.*, (a.area_type = ? AND a.valid_to IS NULL) AS is_council,
               (SELECT count(*) FROM areas WHERE area_type = ? AND valid_to IS NULL) AS n_councils
        FROM pick p JOIN obs o ON o.period_label = p.period_label AND o.indicator_id IN (p.iid, p.total_id)
        LEFT JOIN areas a ON a.area_code = o.area_code"""
    params = [sorted({i for c in comps for i in (c.indicator_id, _denominator_id(c)) if i}),
              list(range(len(keys))), [c.indicator_id for c in comps], [_denominator_id(c) or "" for c in comps],
              ends, home, ENGLAND, COUNCIL, COUNCIL]
    cur = store.cursor()
    try:  # plain tuples: a few hundred rows, no DataFrame needed
        result = cur.execute(sql, params)
        names = [d[0] for d in result.description]
        found = [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        cur.close()
    by_key: dict[int, list[dict]] = {}
    for r in found:
        by_key.setdefault(int(r["k"]), []).append(r)
    out = {}
    for i, rows in by_key.items():
        comp, polarity, _ = requests[keys[i]]
        rows = _series(rows, comp)
        mine = [r for r in rows if r["area_code"] == home]
        england = [r["value"] for r in rows if r["area_code"] == ENGLAND]
        if not mine or not england:
            continue
        if councils is not None:
            values, n_councils = [float(r["value"]) for r in rows if r["area_code"] in councils], len(councils)
        else:
            values, n_councils = [float(r["value"]) for r in rows if r["is_council"]], int(rows[0]["n_councils"])
        out[keys[i]] = _standing(comp, polarity, mine[0], float(england[0]), values, n_councils)
    return out


def _denominator_id(comp: Comparator) -> str | None:
    code = comp.options.get("denominator_code")
    return f"{comp.source}:{code}" if code else None


def _series(rows: list[dict], comp: Comparator) -> list[dict]:
    """One series' rows; for a measure published only as counts (a `denominator_code`), the count as a percentage
    of the total for the same area and period, with both kept as numerator and denominator."""
    counts = [r for r in rows if r["indicator_id"] == comp.indicator_id]
    total_id = _denominator_id(comp)
    if total_id is None:
        return counts
    totals = {(r["area_code"], r["period_label"]): r["value"] for r in rows if r["indicator_id"] == total_id}
    out = []
    for r in counts:
        total = totals.get((r["area_code"], r["period_label"]))
        if total is not None and total > 0:
            out.append({**r, "value": r["value"] / total * 100, "numerator": r["value"], "denominator": total,
                        "lower_ci": None, "upper_ci": None})
    return out


# Councils are ranked only when most have a figure: a rank among a handful would mislead.
RANK_MIN_SHARE = 0.5


def _standing(comp: Comparator, polarity: str, mine: dict, england: float, values: list[float],
              n_councils: int) -> Standing:
    unit = comp.options.get("unit")
    pol = stats.normalise_polarity(comp.options.get("polarity") or polarity)
    lo, hi, _ = stats.interval_of(unit, mine["value"], mine["numerator"], mine["denominator"], mine["lower_ci"],
                                  mine["upper_ci"])
    value = float(mine["value"])
    ranked = pol != "no_polarity" and len(values) > 0 and len(values) >= RANK_MIN_SHARE * n_councils
    return Standing(comp.indicator_id, comp.name or comp.code, unit, pol, str(mine["period_label"]), value, lo, hi,
                    england, stats.lait_quartile(value, values, pol) if ranked else None,
                    stats.lait_rank(value, values, pol) if ranked else None, len(values) if ranked else None,
                    str(comp.options.get("note", "")), str(comp.options.get("short_name") or comp.name or comp.code))
