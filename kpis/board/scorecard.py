"""The board scorecard: every KPI's latest value, change since the last meeting, England comparison,
recent trend and target, as known at a moment in time.

The rules, in plain words:

- **Latest value**: the home area's newest published figure (suppressed values are skipped).
- **Change since the last meeting**: against the newest figure that was known at the previous
  meeting. It is called a real movement only when a test says so at 95%: two proportions by a
  z test (with numerators and denominators), two counts by an exact Poisson test, otherwise
  only when the two confidence intervals do not overlap. Smaller moves say "no significant change"
  (`kpis.board.movement`).
- **Compared with England**: England's newest value for a period that ends on or before the
  local period's end (the period is named), judged as Fingertips does: better or worse when
  England lies outside the local 95% confidence interval, similar otherwise; with no polarity,
  higher or lower. Where that cannot be tested, the relation is still stated (`kpis.published.relation`): the
  difference, quartile and rank when the value has no interval, or the home area's figure on a related
  national measure (a KPI's `related_comparator`) against England's; ``england_relation`` holds the words.
  A published figure its publisher marked "Not compared" with England is not compared here either.
- **Recent trend**: Fingertips' test over the most recent five points (`kpis.core.stats.trend_result`).
- **Target**: met when the value is on the right side of the target for the KPI's polarity.

Each KPI's row is a `kpis.board.row.ScorecardRow`; `scorecard` gives the rows as a table.
"""
from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd

from kpis.board import variation
from kpis.board.movement import describe_change
from kpis.board.points import Point, home_and_england, with_interval
from kpis.board.rebases import all_rebases
from kpis.board.row import ScorecardRow, rows_frame
from kpis.core import stats
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.words import COMPARISON_WORDS
from kpis.published import relation as relations
from kpis.store.database import Store, now
from kpis.store.governance import meeting_dates

SPARK_POINTS = 8
COMPARISON_BADGES = {  # shape, words: the word and the shape carry the meaning, colour only repeats it
    **{result: (relations.SHAPES[result], words) for result, words in COMPARISON_WORDS.items()},
    "not compared": ("–", "Not compared"),
}


# -- the recent trend ----------------------------------------------------------------------------------
def trend_words(trend: stats.TrendResult) -> str:
    """The recent trend in a few plain words: 'Getting better', 'Increasing', 'No significant change'."""
    if trend.assessment:
        return f"Getting {trend.assessment}"
    if trend.direction == "not_enough_data":
        return "Not enough data"
    return sentence_case(trend.label)


def sentence_case(text: str) -> str:
    """'no significant change' -> 'No significant change' (Fingertips' labels are lower case)."""
    return text[:1].upper() + text[1:]


# -- comparison with England and the target ------------------------------------------------------------
def compare_with_england(kpi: Kpi, current: Point | None, england: Point | None, *,
                         not_compared_by_publisher: bool = False) -> tuple[str, str, str]:
    """(result, shape, words): the Fingertips comparison of the local value with England's.
    `not_compared_by_publisher`: the value is published, and its publisher did not compare it with England."""
    if current is None:
        return "not compared", "–", relations.NO_LOCAL
    if kpi.comparator is None:
        return "not compared", "–", relations.NO_NATIONAL
    if england is None:
        return "not compared", "–", relations.NOT_LOADED
    if not_compared_by_publisher:
        return "not compared", relations.UNTESTED_SHAPE, relations.PUBLISHER_DID_NOT_COMPARE
    lo, hi = with_interval(kpi, current)
    if lo is None:
        return "not compared", relations.UNTESTED_SHAPE, "Not tested: no counts published"
    result = stats.compare_with_benchmark(current.value, lo, hi, england.value, kpi.polarity)
    shape, words = COMPARISON_BADGES[result]
    return result, shape, words


def target_status(kpi: Kpi, value: float | None) -> tuple[str, str]:
    """('Met' | 'Not met' | 'No target' | 'No data', words naming the target)."""
    if kpi.target is None:
        return "No target", "No target set"
    goal = kpi.format_value(kpi.target.value)
    if value is None or pd.isna(value):
        return "No data", f"Target {goal}"
    if kpi.polarity == "higher_is_better":
        return ("Met" if value >= kpi.target.value else "Not met"), f"target {goal} or more"
    if kpi.polarity == "lower_is_better":
        return ("Met" if value <= kpi.target.value else "Not met"), f"target {goal} or less"
    return "No target", f"Target {goal} (no direction set)"


# -- meetings -------------------------------------------------------------------------------------------
def meetings(store: Store) -> list[date]:
    """Board meeting dates held in the store, oldest first."""
    return meeting_dates(store)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999))


def meeting_context(store: Store, meeting_date: date | None, *, today: date | None = None,
                    held: list[date] | None = None) -> tuple[datetime | None, datetime | None]:
    """(as_at, previous meeting's as_at) for a meeting; None as the meeting means "now". `held`: the store's
    `meetings`, if already read.

    A meeting sees everything recorded by the end of its day; its "last meeting"
    is the one before it.
    """
    today = today or now().date()
    held = meetings(store) if held is None else held
    earlier = ([m for m in held if m <= today] if meeting_date is None
               else [m for m in held if m < meeting_date])
    previous = end_of_day(earlier[-1]) if earlier else None
    return (None if meeting_date is None else end_of_day(meeting_date)), previous


def past_meetings(store: Store, *, today: date | None = None, held: list[date] | None = None) -> list[date]:
    """Meetings that have happened (today counts), newest first. `held`: the store's `meetings`, if already read."""
    today = today or now().date()
    return sorted((m for m in (meetings(store) if held is None else held) if m <= today), reverse=True)


# -- the scorecard ----------------------------------------------------------------------------------------
def _latest(rows: list[dict]) -> Point | None:
    return Point.from_row(rows[-1]) if rows else None


def _england(rows: list[dict], local: Point | None) -> Point | None:
    """England's newest value whose period ends on or before the local period's end."""
    if local is None or not rows:
        return None
    ok = [r for r in rows if pd.Timestamp(r["period_end"]).date() <= local.period_end] if local.period_end else rows
    ok = [r for r in ok if not pd.isna(r["value"])]
    return Point.from_row(ok[-1]) if ok else None


def _england_suppressed(rows: list[dict], local: Point | None) -> bool:
    """England's figure for the newest period ending on or before the local period's is published suppressed."""
    if local is None or local.period_end is None:
        return False
    ok = [r for r in rows if pd.Timestamp(r["period_end"]).date() <= local.period_end]
    return bool(ok) and pd.isna(ok[-1]["value"])


def _trend(kpi: Kpi, rows: list[dict]) -> stats.TrendResult:
    """Fingertips' recent trend over the home area's values (rows oldest first): from numerators and
    denominators where a percentage has them all, else from the values."""
    if kpi.unit == "percentage" and rows and all(pd.notna(r["numerator"]) and pd.notna(r["denominator"])
                                                 for r in rows):
        return stats.trend_result(numerators=[r["numerator"] for r in rows],
                                  denominators=[r["denominator"] for r in rows], polarity=kpi.polarity)
    return stats.trend_result(values=[r["value"] for r in rows], polarity=kpi.polarity)


def _not_compared_by_publisher(store: Store, framework: Framework, kpis: list[Kpi],
                               points: dict[str, tuple[Point | None, Point | None]],
                               as_at: datetime | None) -> set[str]:
    """The KPIs whose newest home figure is the published one, which its publisher did not compare with England."""
    published = {k.id: (k.comparator.indicator_id, points[k.id][0].period_label) for k in kpis
                 if k.comparator is not None and points[k.id][0] is not None and not points[k.id][0].is_local}
    marked = relations.not_compared_by_publisher(store, framework.home_area, list(published.values()), as_at)
    return {k for k, key in published.items() if key in marked}


def _standings(store: Store, framework: Framework, kpis: list[Kpi],
               points: dict[str, tuple[Point | None, Point | None]],
               as_at: datetime | None) -> dict[tuple[str, str], relations.Standing]:
    """The home area's standing among councils where the scorecard needs it, in one query: on the KPI's own
    comparator when the value has no interval, on its related measure when the KPI cannot be compared itself."""
    requests = {}
    for kpi in kpis:
        current, england = points[kpi.id]
        untested = current is not None and england is not None and kpi.comparator is not None
        if untested and with_interval(kpi, current)[0] is None:
            requests[(kpi.id, "own")] = (kpi.comparator, kpi.polarity, current.period_end)
        elif kpi.related is not None and not untested:
            requests[(kpi.id, "related")] = (kpi.related, kpi.polarity, current.period_end if current else None)
    return relations.standings(store, requests, home=framework.home_area, as_at=as_at)


def _relation(kpi: Kpi, current: Point | None, england: Point | None,
              known: dict[tuple[str, str], relations.Standing], *,
              not_compared_by_publisher: bool = False, england_suppressed: bool = False) -> relations.Relation:
    """`kpis.published.relation.relate` for a scorecard row: the same words as the benchmark view's."""
    lo, hi = with_interval(kpi, current) if current else (None, None)
    own = known.get((kpi.id, "own"))
    same = own is not None and england is not None and current is not None and own.value == current.value \
        and own.period == england.period_label
    return relations.relate(kpi, value=current.value if current else None, lower=lo, upper=hi,
                            england=england.value if england else None,
                            england_period=england.period_label if england else None,
                            quartile=own.quartile if same else None, rank=own.rank if same else None,
                            rank_of=own.rank_of if same else None, related=known.get((kpi.id, "related")),
                            not_compared_by_publisher=not_compared_by_publisher,
                            england_suppressed=england_suppressed)


def scorecard(store: Store, framework: Framework, *, as_at: datetime | None = None,
              previous_meeting: datetime | None = None, kpi_ids: list[str] | None = None) -> pd.DataFrame:
    """`scorecard_rows` as a table (`kpis.board.row.rows_frame`): one row per KPI, one column per field."""
    return rows_frame(scorecard_rows(store, framework, as_at=as_at, previous_meeting=previous_meeting,
                                     kpi_ids=kpi_ids))


def scorecard_rows(store: Store, framework: Framework, *, as_at: datetime | None = None,
                   previous_meeting: datetime | None = None, kpi_ids: list[str] | None = None) -> list[ScorecardRow]:
    """One row per KPI (or per KPI in `kpi_ids`), in framework order, as known at `as_at` (None: now)."""
    areas = {a.id: a.name for a in framework.areas}
    outcomes = {o.id: o.name for o in framework.outcomes}
    area_order = {a.id: i for i, a in enumerate(framework.areas)}
    outcome_order = {o.id: i for i, o in enumerate(framework.outcomes)}
    kpis = [k for k in framework.kpis if kpi_ids is None or k.id in kpi_ids]
    series = home_and_england(store, framework, kpis, as_at)
    before = home_and_england(store, framework, kpis, previous_meeting) if previous_meeting is not None else None
    points = {k.id: (_latest(series[k.id][0]), _england(series[k.id][1], _latest(series[k.id][0]))) for k in kpis}
    declined = _not_compared_by_publisher(store, framework, kpis, points, as_at)
    known = _standings(store, framework, kpis, points, as_at)
    in_force = all_rebases(store, framework, as_at=as_at)   # every KPI's rebases in one query, not one per KPI
    rows = []
    for kpi in kpis:
        home, eng = series[kpi.id]
        current, england = points[kpi.id]
        previous = _latest(before[kpi.id][0]) if before is not None else None
        change = describe_change(kpi, current, previous)
        publisher_did_not = kpi.id in declined
        comparison = compare_with_england(kpi, current, england, not_compared_by_publisher=publisher_did_not)[0]
        relation = _relation(kpi, current, england, known, not_compared_by_publisher=publisher_did_not,
                             england_suppressed=_england_suppressed(eng, current))
        trend = _trend(kpi, home)
        status, target_words = target_status(kpi, current.value if current else None)
        lo, hi = with_interval(kpi, current) if current else (None, None)
        signal = variation.verdict(kpi, [pd.Timestamp(r["period_end"]).date() for r in home],
                                   [r["value"] for r in home], rebases=in_force.get(kpi.id, ()))
        rows.append(ScorecardRow(
            kpi_id=kpi.id, area=kpi.area, area_name=areas.get(kpi.area, kpi.area),
            outcome=kpi.outcome, outcome_name=outcomes.get(kpi.outcome, kpi.outcome),
            area_order=area_order.get(kpi.area, 99), outcome_order=outcome_order.get(kpi.outcome, 99),
            title=kpi.short_title, full_title=kpi.title, unit=kpi.unit, polarity=kpi.polarity,
            latest_period=current.period_label if current else None,
            period_end=current.period_end if current else None,
            value=current.value if current else None,
            value_text=kpi.format_value(current.value) if current else "No data yet",
            lower_ci=lo, upper_ci=hi,
            is_demo=bool(current and current.is_demo), source=current.source if current else "",
            previous_period=previous.period_label if previous else None,
            previous_value=previous.value if previous else None,
            previous_text=(f"{kpi.format_value(previous.value)} ({previous.period_label})"
                           if previous else "–"),
            change_symbol=change.symbol, change_text=change.words, change_short=change.short,
            change_direction=change.direction,
            change_significant=change.significant, change_assessment=change.assessment,
            england_period=england.period_label if england else None,
            england_value=england.value if england else None,
            england_value_text=kpi.format_value(england.value) if england else None,
            england_text=(f"{kpi.format_value(england.value)} ({england.period_label})" if england
                          else relation.cell),
            # the relation's words (`kpis.published.relation`): the whole sentence, one clause, the table's cell
            comparison=comparison, comparison_symbol=relation.shape, comparison_text=relation.short,
            comparison_short=relation.cell, comparison_tone=relation.tone,
            relation_basis=relation.basis, england_relation=relation.words,
            trend=sentence_case(trend.label), trend_words=trend_words(trend), trend_direction=trend.direction,
            trend_assessment=trend.assessment,
            sparkline=[float(r["value"]) for r in home[-SPARK_POINTS:]],
            target=kpi.target.value if kpi.target else None,
            target_status=status, target_text=target_words,
            variation_icon=signal.icon, variation_shape=signal.shape, variation_short=signal.short,
            variation_text=signal.words, variation_points=signal.points, variation_trial=signal.trial,
            assurance_icon=signal.assurance_icon, assurance_shape=signal.assurance_shape,
            assurance_short=signal.assurance_short, assurance_text=signal.assurance_words,
            variation=signal,   # the whole verdict, with its chart (KPI detail draws it)
        ))
    return rows
