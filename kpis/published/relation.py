"""What is known about a KPI against England, in words: one rule and one vocabulary for every page, the packs and
the command line (`relate` and its `Relation`).

Three ways, the strongest first:

1. **Significance test** (Fingertips): the value has a 95% interval (given, or worked out from its counts by
   `intervals.interval_of`): better or worse when England's value lies outside it, similar otherwise (higher or
   lower with no polarity).
2. **Difference, quarter and rank**: the value has no interval (the publisher gives no counts, as LAIT):
   no test can be made, so the direction is stated with whether it is better or worse by the KPI's polarity,
   that it was not tested and why, the difference from England, and the area's quarter among all councils
   (LAIT's quartile bands, in words) and rank where known. A published value its publisher marked "Not
   compared" with England (Fingertips) is not tested either, nor ranked, and the words say so.
3. **Related national measure** (a framework KPI's ``related_comparator``): no national figure of the KPI's own
   definition exists, so the home area's published figure on the related measure is set against England's
   (tested when counts are published, else by its quarter among councils or by difference). The KPI's own
   value is never compared with a measure of another definition; the words say so.

Where nothing can be said, one reason from one vocabulary: `NO_NATIONAL`, `NOT_LOADED` (with how to load it),
`SUPPRESSED`; or `NO_LOCAL` when there is no local figure to compare.

Each `Relation` carries the words three ways: `words` (the whole sentence, for the KPI page, the packs and the
command line), `short` (one clause) and `cell` (the board table's one line), with a `shape` (filled: tested;
hollow: not tested) and a `tone` for colour (tested results only), since colour is never the only signal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from kpis.core import intervals, stats
from kpis.core.areas import COUNCIL, ENGLAND
from kpis.core.kpi import Comparator, Kpi
from kpis.core.sources import NO_NATIONAL_FIGURE, NOT_LOADED, SUPPRESSED
from kpis.core.words import COMPARISON_WORDS
from kpis.store.database import Store
from kpis.store.reference import publisher_labels, standing_rows

TESTED, DIFFERENCE, RELATED = "significance test", "difference, quartile and rank", "related national measure"
PUBLISHER_DID_NOT_COMPARE = "Not compared with England by its publisher"
# One vocabulary for why nothing is set against England, used by every page, pack and command.
NO_NATIONAL, NOT_LOADED, SUPPRESSED = NO_NATIONAL_FIGURE, NOT_LOADED, SUPPRESSED   # kpis.core.sources holds them
NOT_LOADED_CELL = "Published, not loaded here"
NO_LOCAL = "No local figure yet"
MISSING_REASONS = (NO_NATIONAL, NOT_LOADED, SUPPRESSED, NO_LOCAL)
# Shapes, so that colour is never the only signal: filled for a tested result, hollow where nothing was tested.
SHAPES = {"better": "●", "similar": "◆", "worse": "■", "higher": "○", "lower": "○"}
UNTESTED_SHAPE, NOTHING_SHAPE = "◇", "–"
NO_COUNTS = "not tested, no counts published"
NOT_COMPARED_BY_PUBLISHER = "not tested, its publisher did not compare it with England"
QUARTERS = {"A": "the best quarter", "B": "the second quarter", "C": "the third quarter", "D": "the worst quarter"}


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
    result: str                 # better | similar | worse | higher | lower | not compared (the KPI's own test)
    basis: str | None           # TESTED | DIFFERENCE | RELATED | None (nothing can be said; `words` says why)
    words: str | None           # the whole sentence
    difference: float | None    # value minus England's, in the unit of the value compared
    short: str | None = None    # one clause: 'Lower than England: better; not tested, no counts published'
    cell: str | None = None     # the board table's one line: '23.5 pts lower: worse (untested)'
    shape: str = NOTHING_SHAPE  # ● ◆ ■ ○ tested; ◇ not tested; – nothing to compare
    tone: str | None = None     # better | similar | worse | higher | lower: a tested result (own or related)


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


def judgement(value: float, england: float, polarity: str, decimals: int = 1) -> tuple[str, str | None]:
    """('higher' | 'lower' | 'same', 'better' | 'worse' | None): the direction from England and, by the KPI's
    polarity, whether that is good (None with no polarity, or the same to the shown decimals)."""
    diff = round(value - england, decimals)
    if diff == 0:
        return "same", None
    way = "higher" if diff > 0 else "lower"
    pol = stats.normalise_polarity(polarity)
    if pol == "no_polarity":
        return way, None
    return way, "better" if (way == "higher") == (pol == "higher_is_better") else "worse"


def direction_words(value: float, england: float, polarity: str, decimals: int = 1) -> str:
    """'Lower than England: better', 'Higher than England (neither direction is better)', 'The same as England'."""
    way, good = judgement(value, england, polarity, decimals)
    if way == "same":
        return "The same as England"
    return COMPARISON_WORDS[way] + (f": {good}" if good else " (neither direction is better)")


def _direction_cell(value: float, england: float, unit: str | None, polarity: str, decimals: int) -> str:
    """'23.5 pts lower: worse', '2.0 higher', 'Same as England'."""
    way, good = judgement(value, england, polarity, decimals)
    if way == "same":
        return "Same as England"
    size = difference_short(value, england, unit, decimals).rsplit(" ", 1)[0]
    return f"{size} {way}" + (f": {good}" if good else "")


def quarter_words(quartile: str | None, rank: int | None = None, rank_of: int | None = None) -> str:
    """'worse than most councils, in the third quarter of 152' (LAIT's quartile C); '' when not ranked."""
    if quartile not in QUARTERS or rank_of is None:
        return ""
    most = "better than most councils" if quartile in "AB" else "worse than most councils"
    return f"{most}, in {QUARTERS[quartile]} of {rank_of}" + (f" (rank {rank}, 1 = best)" if rank else "")


def rank_words(quartile: str | None, rank: int | None, rank_of: int | None) -> str:
    """The standing among councils in words ('' when not ranked): `quarter_words`."""
    if quartile is None or rank is None:
        return ""
    return quarter_words(quartile, rank, rank_of)


def missing(reason: str, *, related: str | None = None) -> Relation:
    """Nothing to set against England: one of `MISSING_REASONS`, said the same way everywhere."""
    cell = NOT_LOADED_CELL if reason == NOT_LOADED else reason
    words = reason + (f". Related national measure: {related}" if related else "")
    return Relation("not compared", None, words, None, reason, cell, NOTHING_SHAPE, None)


def relate(kpi: Kpi, *, value: float | None, lower: float | None, upper: float | None,
           england: float | None, england_period: str | None, quartile: str | None = None,
           rank: int | None = None, rank_of: int | None = None, related: Standing | None = None,
           not_compared_by_publisher: bool = False, england_suppressed: bool = False) -> Relation:
    """The relation of a KPI to England: tested, else direction, difference and rank, else through a related
    measure, else the reason nothing can be said.

    `not_compared_by_publisher`: the value is a published one that its publisher marked "Not compared" with
    England (Fingertips): it is not tested, nor ranked, here either; the direction and difference are stated,
    saying so. `england_suppressed`: England's figure for the period is published as suppressed."""
    if value is not None and england is not None and kpi.comparator is not None:
        diff = round(value - england, 6)
        figures = f"{kpi.format_value(value)} vs England {kpi.format_value(england)}, {england_period}"
        way = direction_words(value, england, kpi.polarity, kpi.decimals)
        cell = _direction_cell(value, england, kpi.unit, kpi.polarity, kpi.decimals)
        if not_compared_by_publisher:
            gap = difference_words(value, england, kpi.unit, kpi.decimals)
            return Relation("not compared", DIFFERENCE,
                            f"{way}; {NOT_COMPARED_BY_PUBLISHER}: {gap} ({figures})", diff,
                            f"{way}; {NOT_COMPARED_BY_PUBLISHER}", f"{cell} (publisher did not compare)",
                            UNTESTED_SHAPE)
        if lower is not None and upper is not None:
            result = stats.compare_with_benchmark(value, lower, upper, england, kpi.polarity)
            words = (f"{COMPARISON_WORDS[result]}, tested at 95%: {kpi.format_value(value)} (95% interval "
                     f"{kpi.format_value(lower)} to {kpi.format_value(upper)}) vs England {kpi.format_value(england)} "
                     f"({england_period})")
            return Relation(result, TESTED, words, diff, COMPARISON_WORDS[result], COMPARISON_WORDS[result],
                            SHAPES[result], result)
        standing = rank_words(quartile, rank, rank_of)
        gap = difference_words(value, england, kpi.unit, kpi.decimals)
        words = f"{way}; {NO_COUNTS}: {gap} ({figures})" + (f"; {standing}" if standing else "")
        return Relation("not compared", DIFFERENCE, words, diff, f"{way}; {NO_COUNTS}", f"{cell} (untested)",
                        UNTESTED_SHAPE)
    if related is not None:
        return related_relation(related)
    if value is None:
        return missing(NO_LOCAL)
    if kpi.comparator is None:
        return missing(NO_NATIONAL)
    return missing(SUPPRESSED if england_suppressed else NOT_LOADED)


def related_relation(s: Standing) -> Relation:
    """The KPI's relation through its related national measure: one sentence, with its shape and tone."""
    return Relation("not compared", RELATED, related_words(s), round(s.value - s.england, 6), related_short(s),
                    related_cell(s), SHAPES[_related_result(s)] if _tested(s) else UNTESTED_SHAPE,
                    _related_result(s) if _tested(s) else None)


def _tested(s: Standing) -> bool:
    return s.lower is not None and s.upper is not None


def _related_result(s: Standing) -> str:
    return stats.compare_with_benchmark(s.value, s.lower, s.upper, s.england, s.polarity)


def _related_how(s: Standing) -> str:
    """'worse than England', 'worse than most councils, in the third quarter of 152', or by direction."""
    if _tested(s):
        result = _related_result(s)
        return COMPARISON_WORDS[result][0].lower() + COMPARISON_WORDS[result][1:]
    standing = quarter_words(s.quartile, None, s.rank_of)
    if standing:
        return standing
    way = direction_words(s.value, s.england, s.polarity)
    return way[0].lower() + way[1:]


def related_short(s: Standing) -> str:
    """'Related measure (persistent absence): worse than most councils, in the third quarter of 152'."""
    return f"Related measure ({s.short_name}): {_related_how(s)}"


def related_cell(s: Standing) -> str:
    """'Related: worse than England', 'Related: worse than most councils', 'Related: lower: better'."""
    if _tested(s):
        return f"Related: {_related_how(s)}"
    if s.quartile in QUARTERS and s.rank_of:
        return f"Related: {'better' if s.quartile in 'AB' else 'worse'} than most councils"
    way, good = judgement(s.value, s.england, s.polarity)
    return "Related: same as England" if way == "same" else f"Related: {way}" + (f", {good}" if good else "")


def related_words(s: Standing) -> str:
    """A related measure's standing in one sentence, said so that no one reads it as the KPI's own comparison."""
    if _tested(s):
        test = f"tested at 95%, interval here {fmt(s.lower, s.unit)} to {fmt(s.upper, s.unit)}"
    else:
        test = f"{difference_words(s.value, s.england, s.unit)}, {NO_COUNTS}"
    standing = rank_words(s.quartile, s.rank, s.rank_of)
    if standing and not _tested(s):
        standing = f"rank {s.rank} of {s.rank_of} councils (1 = best)"
    return (f"{related_short(s)} ({s.name}, {s.period}: {fmt(s.value, s.unit)} here vs England "
            f"{fmt(s.england, s.unit)}; {test}" + (f"; {standing}" if standing else "")
            + "). A related measure, not this KPI's own definition, so the KPI's own value is not compared")


# -- reading the publisher's own comparisons ------------------------------------------------------------------
def not_compared_by_publisher(store: Store, home: str, wanted: list[tuple[str, str]],
                              as_at: datetime | None = None) -> set[tuple[str, str]]:
    """Of (indicator id, period label) pairs, those whose headline value for `home` its publisher marked "Not
    compared" with England (Fingertips' "Compared to England"), as known at `as_at`: one query for all."""
    if not wanted:
        return set()
    return {(i, p) for i, p, label in publisher_labels(store, home, wanted, as_at)
            if str(label).lower() == "not compared"}


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
    series = [(c.indicator_id, _denominator_id(c) or "", end) for c, end in zip(comps, ends, strict=True)]
    found = standing_rows(store, series=series, home=home, england=ENGLAND, council_type=COUNCIL, as_at=as_at)
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
    lo, hi, _ = intervals.interval_of(unit, mine["value"], mine["numerator"], mine["denominator"], mine["lower_ci"],
                                  mine["upper_ci"])
    value = float(mine["value"])
    ranked = pol != "no_polarity" and len(values) > 0 and len(values) >= RANK_MIN_SHARE * n_councils
    return Standing(comp.indicator_id, comp.name or comp.code, unit, pol, str(mine["period_label"]), value, lo, hi,
                    england, stats.lait_quartile(value, values, pol) if ranked else None,
                    stats.lait_rank(value, values, pol) if ranked else None, len(values) if ranked else None,
                    str(comp.options.get("note", "")), str(comp.options.get("short_name") or comp.name or comp.code))
