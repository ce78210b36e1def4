"""The change since the last meeting: the arrow and words for a KPI's move, and whether it is more than chance
(two proportions by a z test, two counts by an exact Poisson test, otherwise intervals that do not overlap)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from kpis.board.points import Point, with_interval
from kpis.core import scipy_stats as _st
from kpis.core.kpi import Kpi
from kpis.core.normal import two_sided_p

CHANGE_SIGNIFICANCE = 0.05
ARROWS = {"up": "▲", "down": "▼", "steady": "▶", "none": "–"}


@dataclass(frozen=True)
class Change:
    symbol: str                 # ▲ ▼ ▶ –
    words: str                  # "Up 2.1 points, getting better"
    direction: str              # up | down | steady | none
    significant: bool | None    # None: not tested
    assessment: str | None      # better | worse | None
    short: str = ""             # "Better: up 2.1 points": the words for a one-line scorecard cell


def movement_is_significant(kpi: Kpi, current: Point, previous: Point,
                            alpha: float = CHANGE_SIGNIFICANCE) -> bool | None:
    """Is the move from `previous` to `current` more than chance? None when it cannot be tested."""
    if kpi.unit == "percentage" and None not in (current.numerator, current.denominator, previous.numerator,
                                                 previous.denominator):
        return two_proportion_p(current.numerator, current.denominator,
                                previous.numerator, previous.denominator) < alpha
    if kpi.unit == "count" and float(current.value).is_integer() and float(previous.value).is_integer():
        return two_count_p(current.value, previous.value) < alpha
    lo1, hi1 = with_interval(kpi, current)
    lo0, hi0 = with_interval(kpi, previous)
    if None in (lo1, hi1, lo0, hi0):
        return None
    return hi1 < lo0 or hi0 < lo1  # intervals that do not overlap


def two_proportion_p(x1: float, n1: float, x0: float, n0: float) -> float:
    """Two-sided p value of the pooled z test for two proportions."""
    if n1 <= 0 or n0 <= 0:
        return 1.0
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x0 / n0) / se
    return float(two_sided_p(z))


def two_count_p(c1: float, c0: float) -> float:
    """Exact two-sided test that two Poisson counts share one rate (conditional binomial test)."""
    total = int(c1 + c0)
    if total == 0:
        return 1.0
    return float(_st.binomtest(int(c1), total, 0.5).pvalue)


def magnitude(kpi: Kpi, diff: float) -> str:
    size = abs(diff)
    if kpi.unit == "percentage":
        return f"{size:,.{kpi.decimals}f} points"
    if kpi.unit == "count":
        return f"{size:,.{kpi.decimals}f}"
    return f"{size:,.{kpi.decimals}f} {kpi.unit_label}"


def describe_change(kpi: Kpi, current: Point | None, previous: Point | None) -> Change:
    """Arrow and words for the change since the last meeting, the meaning first (and the same, shorter)."""
    if current is None:
        return Change(ARROWS["none"], "No figures yet", "none", None, None, "No figures yet")
    if previous is None:
        return Change(ARROWS["none"], "New since the last meeting", "none", None, None, "New since last meeting")
    was = kpi.format_value(previous.value)
    if current.period_label == previous.period_label:
        if round(current.value - previous.value, kpi.decimals) != 0:
            return Change(ARROWS["none"], f"No new figure; {current.period_label} revised from {was}",
                          "none", None, None, f"No new figure; revised from {was}")
        return Change(ARROWS["none"], "No new figure", "none", None, None, "No new figure")
    diff = current.value - previous.value
    if round(diff, kpi.decimals) == 0:
        return Change(ARROWS["steady"], f"No change from {was}", "steady", False, None, "No change")
    direction = "up" if diff > 0 else "down"
    by = f"{'up' if diff > 0 else 'down'} {magnitude(kpi, diff)}"
    move = f"{by} from {was}"
    significant = movement_is_significant(kpi, current, previous)
    if significant is None:
        return Change(ARROWS["steady"], f"Not tested: {move}", direction, None, None, f"Not tested: {by}")
    if not significant:
        return Change(ARROWS["steady"], f"No significant change: {move}", direction, False, None,
                      "No significant change")
    if kpi.polarity == "no_polarity":
        word = "rise" if diff > 0 else "fall"
        return Change(ARROWS[direction], f"Significant {word}: {move}", direction, True, None,
                      f"{word.capitalize()}: {by}")
    better = (diff > 0) == (kpi.polarity == "higher_is_better")
    assessment = "better" if better else "worse"
    return Change(ARROWS[direction], f"Getting {assessment}: {move}", direction, True, assessment,
                  f"{assessment.capitalize()}: {by}")

