"""Statistical process control (SPC) as NHS England's "Making Data Count" defines it: the XmR chart.

This follows the reference implementation, the R package NHSRplotthedots (v0.2.2, commit 050b07d, MIT
licence, https://github.com/nhs-r-community/NHSRplotthedots), and uses its words; the functions of the rules
keep the package's names without its ``ptd_`` prefix. tests/core/test_spc.py reproduces the package's tests.

- Limits (``xmr_limits``): mean +/- 2.66 x the mean moving range. By default moving ranges of
  3.267 x the mean moving range or more are screened out and the mean moving range recomputed
  (``screen_outliers=False`` gives the Making Data Count Excel tool's limits).
- Special-cause rules (``special_cause_type``), one label per point, in this order: a point outside
  the limits (``Above UCL``), a 7-point trend, 2 of 3 points in the 2-3 sigma zone on one side of the
  mean, 7 points on one side of the mean. The lengths are fixed at 7, as in the package.
- Point types (``point_type``): the improvement direction (increase, decrease, neutral) turns a label
  into ``special_cause_improvement``, ``special_cause_concern``, ``special_cause_neutral_high``/``_low``
  or ``common_cause``.
- Icons: the variation icon comes from the point type of the last point; the assurance icon compares
  the target with the limits of the last point (so only the latest rebase group counts).
- Rebasing: a point whose date is a rebase date starts a new group with its own limits and rules.
- ``fix_after_n_points`` (12 or more): each group's limits from its first n points only. By default, as in
  the package's code (its vignette speaks of fixing after 12), the limits use all the group's points.
- Groups of fewer than ``warning_threshold`` (13, the package's default) points have trial limits, as
  the package warns. The package still draws limits and icons for them, and so does this module; the
  ``trial_limits`` flags say so. A group of one point has no moving range, so no limits (NaN).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date

LIMIT = 2.66  # 3 sigma, as a multiple of the mean moving range
LIMIT_CLOSE = 2 * (LIMIT / 3)  # 2 sigma
SCREEN = 3.267  # moving ranges at or above this multiple of the mean moving range are screened out
WARNING_THRESHOLD = 13  # groups with fewer points have trial limits (getOption("ptd_spc.warning_threshold", 13))
MIN_FIX_AFTER_N_POINTS = 12
DIRECTIONS = {"increase": 1, "neutral": 0, "decrease": -1}
# the framework's polarities (kpis.core.kpi.POLARITIES) as the package's improvement directions
DIRECTION_OF_POLARITY = {"higher_is_better": "increase", "lower_is_better": "decrease", "no_polarity": "neutral"}
SHORT_GROUP_WARNING = ("Some groups have 'n < 12' observations. These have trial limits, which will be revised "
                       "with each additional observation until 'n = fix_after_n_points' has been reached.")
SPECIAL_CAUSE_TYPES = ("Above UCL", "Below LCL", "7 Point Trend (Increasing)", "7 Point Trend (Decreasing)",
                       "2 in 3 Above CL", "2 in 3 Below CL", "7 Points Above CL", "7 Points Below CL", "Common Cause")
POINT_TYPES = ("common_cause", "special_cause_improvement", "special_cause_concern", "special_cause_neutral_high",
               "special_cause_neutral_low")
ASSURANCE_ICONS = {"consistent_fail": "fail", "consistent_pass": "pass", "inconsistent": "inconsistent"}


class SpcError(ValueError):
    """The series cannot be charted (a plain-English reason)."""


# -- the special-cause rules, one function per function of the package (R/ptd_calculate_point_type.R) -----------
def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def seven_point_one_side_mean(v: Sequence[float]) -> list[int]:
    """1 where this point and the 6 before it are all on the same side of the mean (v is sign(y - mean))."""
    vp = [0] * 6 + list(v)
    return [int(vp[i] != 0 and all(vp[i] == vp[i - k] for k in range(1, 7))) for i in range(6, len(vp))]


def part_of_seven_trend(v: Sequence[float]) -> list[int]:
    """1 where this point or one of the next 6 completes a run of 7 (v is 1, -1 or 0 at each run's last point)."""
    vp = list(v) + [0] * 6
    return [int(any(abs(vp[i + k]) == 1 for k in range(7))) for i in range(len(v))]


def seven_point_trend(y: Sequence[float]) -> list[int]:
    """1 (-1) where this point ends 7 points each strictly above (below) the one before; else 0. Ties break it."""
    if len(y) < 7:
        return [0] * len(y)
    out = [0] * 6
    for i in range(6, len(y)):
        d = {_sign(y[j] - y[j - 1]) for j in range(i - 5, i + 1)}
        out.append(1 if d == {1} else -1 if d == {-1} else 0)
    return out


def two_in_three(v: Sequence[float], rtm: Sequence[float]) -> list[int]:
    """1 where a window of 3 points holding this one has at least 2 close to a limit (v) and all 3 on one side.

    ``rtm`` is each point's side of the mean (sign(y - mean)); it must be as long as ``v``.
    """
    if len(v) != len(rtm):
        raise ValueError("two_in_three needs one side of the mean per point")
    vp, rp = [0, 0, *v, 0, 0], [0, 0, *rtm, 0, 0]
    return [int(any(sum(vp[i + k:i + k + 3]) >= 2 and abs(sum(rp[i + k:i + k + 3])) == 3 for k in range(3)))
            for i in range(len(v))]


def part_of_two_in_three(v: Sequence[float], x: Sequence[float]) -> list[int]:
    """Of the points in a 2-in-3 window (v), only those themselves close to a limit (x) are flagged."""
    return [int(a == 1 and abs(b) == 1) for a, b in zip(v, x, strict=False)]


def special_cause_type(y: Sequence[float], relative_to_mean: Sequence[float], close_to_limits: Sequence[float],
                       outside_limits: Sequence[float]) -> list[str]:
    """Each point's label, by the package's precedence: outside > trend > 2 in 3 > 7 on one side > common cause."""
    n = len(y)
    trend = part_of_seven_trend(seven_point_trend(y))
    two = part_of_two_in_three(two_in_three(close_to_limits, relative_to_mean), close_to_limits)
    shift = part_of_seven_trend(seven_point_one_side_mean(relative_to_mean))
    sdy = [_sign(b - a) for a, b in itertools.pairwise(y)]
    labels = []
    for i in range(n):
        # the trend's direction: the step on the right if the next point is in the trend too, else the left
        up = sdy[i] == 1 if trend[i] and i + 1 < n and trend[i + 1] else i > 0 and sdy[i - 1] == 1
        side = "Above" if relative_to_mean[i] > 0 else "Below"
        if outside_limits[i]:
            labels.append("Above UCL" if relative_to_mean[i] == 1 else "Below LCL")
        elif trend[i]:
            labels.append(f"7 Point Trend ({'In' if up else 'De'}creasing)")
        elif two[i]:
            labels.append(f"2 in 3 {side} CL")
        elif shift[i]:
            labels.append(f"7 Points {side} CL")
        else:
            labels.append("Common Cause")
    return labels


def point_type(special_cause_types: Sequence[str], improvement_direction: int) -> list[str]:
    """Orient each label by the improvement direction (1 increase, -1 decrease, 0 neutral)."""
    out = []
    for label in special_cause_types:
        v = 1 if ("Above" in label or "Increasing" in label) else -1 if ("Below" in label or "Decreasing" in label) \
            else 0
        if improvement_direction == 0:
            out.append("special_cause_neutral_high" if v > 0 else "special_cause_neutral_low" if v < 0
                       else "common_cause")
        else:
            v *= improvement_direction
            out.append("special_cause_improvement" if v > 0 else "special_cause_concern" if v < 0 else "common_cause")
    return out


# -- limits ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class XmrLimits:
    """The mean, the mean moving range (after screening) and the 3-sigma (lpl, upl) and 2-sigma limits."""

    mean: float
    amr: float
    lpl: float
    upl: float
    nlpl: float
    nupl: float


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs) if xs else math.nan


def xmr_limits(values: Sequence[float], *, screen_outliers: bool = True,
               fix_after_n_points: int | None = None) -> XmrLimits:
    """XmR limits of one group (R/ptd_spc_standard.R): from its first ``fix_after_n_points`` values, or all.

    Screening keeps a moving range only if it is strictly below 3.267 x the mean moving range. With one value
    (or when every moving range is screened out) there is no mean moving range, and the limits are NaN.
    """
    base = list(values)[:fix_after_n_points] if fix_after_n_points else list(values)
    mean = _mean(base)
    mrs = [abs(b - a) for a, b in itertools.pairwise(base)]
    amr = _mean(mrs)
    if screen_outliers:
        amr = _mean([m for m in mrs if m < SCREEN * amr])
    return XmrLimits(mean, amr, mean - LIMIT * amr, mean + LIMIT * amr, mean - LIMIT_CLOSE * amr,
                     mean + LIMIT_CLOSE * amr)


# -- the chart ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpcPoint:
    """One point of the chart, with its group's mean and limits and its labels in the package's words."""

    date: date
    value: float
    rebase_group: int
    mean: float
    lpl: float
    upl: float
    outside_limits: bool
    relative_to_mean: int
    close_to_limits: bool
    special_cause_type: str
    special_cause_flag: bool
    point_type: str
    trial_limits: bool  # the package's short_group_warning


@dataclass(frozen=True)
class SpcGroup:
    """One rebase group, as the package's summary() gives it; assurance only for the latest group."""

    rebase_group: int
    start: date
    end: date
    n: int
    mean: float
    lpl: float
    upl: float
    trial_limits: bool
    common_cause: int
    special_cause_improvement: int
    special_cause_concern: int
    variation_type: str
    assurance_type: str | None


@dataclass(frozen=True)
class SpcResult:
    """The chart: every point, every rebase group, and the variation and assurance icons of the last point."""

    improvement_direction: str
    target: float | None
    screen_outliers: bool
    points: tuple[SpcPoint, ...]
    groups: tuple[SpcGroup, ...]
    variation_type: str
    variation_icon: str
    assurance_type: str | None
    assurance_icon: str | None

    @property
    def trial_limits(self) -> bool:
        """True if any group has fewer points than the package's warning threshold."""
        return any(g.trial_limits for g in self.groups)

    def to_dict(self) -> dict:
        """Plain values for JSON: dates as ISO text, NaN limits as None."""
        def clean(d: dict) -> dict:
            return {k: (v.isoformat() if isinstance(v, date) else None if isinstance(v, float) and math.isnan(v)
                        else v) for k, v in d.items()}
        out = {k: getattr(self, k) for k in ("improvement_direction", "target", "screen_outliers", "variation_type",
                                              "variation_icon", "assurance_type", "assurance_icon", "trial_limits")}
        out["points"] = [clean(asdict(p)) for p in self.points]
        out["groups"] = [clean(asdict(g)) for g in self.groups]
        return out


def variation_icon(last_point_type: str, improvement_direction: str) -> str:
    """The variation icon's name (R/geom_ptd_icon.R), e.g. ``improvement_high``, from the last point's type."""
    increase = improvement_direction == "increase"
    return {"common_cause": "common_cause", "special_cause_neutral_high": "neutral_high",
            "special_cause_neutral_low": "neutral_low",
            "special_cause_concern": "concern_low" if increase else "concern_high",
            "special_cause_improvement": "improvement_high" if increase else "improvement_low"}[last_point_type]


def assurance_type(target: float | None, lpl: float, upl: float, improvement_direction: str) -> str | None:
    """``consistent_pass``, ``consistent_fail`` or ``inconsistent`` (R/ptd_calculate_assurance_type.R).

    None without a target or when neither direction is better. The comparisons are strict, so a target on a
    limit is ``inconsistent``; so is any target when the limits are NaN (as in R, where NA falls through).
    """
    if target is None or improvement_direction == "neutral":
        return None
    increasing = improvement_direction == "increase"
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


def _check(dates: Sequence[date], values: Sequence[float], improvement_direction: str,
           fix_after_n_points: int | None) -> None:
    if improvement_direction not in DIRECTIONS:
        raise SpcError("The improvement direction must be increase, decrease or neutral, "
                       f"not '{improvement_direction}'.")
    if len(dates) != len(values):
        raise SpcError(f"There are {len(dates)} dates but {len(values)} values.")
    if not values:
        raise SpcError("There are no points to chart.")
    if fix_after_n_points is not None and (isinstance(fix_after_n_points, bool) or not isinstance(
            fix_after_n_points, int) or fix_after_n_points < MIN_FIX_AFTER_N_POINTS):
        raise SpcError("fix_after_n_points must be a single numeric that is greater than or equal to 12.")
    for d, v in zip(dates, values, strict=False):
        if not math.isfinite(v):
            raise SpcError(f"The value for {d} is not a number ({v}).")
    seen: set = set()
    for d in dates:
        if d in seen:
            raise SpcError(f"The date {d} appears more than once; each date may have one value.")
        seen.add(d)


def calculate_spc(dates: Sequence[date], values: Sequence[float], *, improvement_direction: str = "increase",
                  target: float | None = None, rebase: Sequence[date] = (), screen_outliers: bool = True,
                  fix_after_n_points: int | None = None, warning_threshold: int = WARNING_THRESHOLD) -> SpcResult:
    """The XmR chart of one series (R's ``ptd_spc`` without facets), sorted by date.

    ``rebase``: dates on which the limits restart; a rebase date that is not a date of the series does nothing,
    as in the package. Raises ``SpcError`` for duplicate dates, non-finite values, an unknown direction or
    ``fix_after_n_points`` below 12.
    """
    _check(dates, values, improvement_direction, fix_after_n_points)
    order = sorted(range(len(dates)), key=lambda i: dates[i])
    xs, ys = [dates[i] for i in order], [float(values[i]) for i in order]
    starts = set(rebase)
    group_of, g = [], 0
    for d in xs:
        g += d in starts
        group_of.append(g)
    direction = DIRECTIONS[improvement_direction]
    points: list[SpcPoint] = []
    groups: list[SpcGroup] = []
    for g in sorted(set(group_of)):
        idx = [i for i, k in enumerate(group_of) if k == g]
        y = [ys[i] for i in idx]
        lim = xmr_limits(y, screen_outliers=screen_outliers, fix_after_n_points=fix_after_n_points)
        outside = [v > lim.upl or v < lim.lpl for v in y]
        rtm = [_sign(v - lim.mean) for v in y]
        close = [not o and (v < lim.nlpl or v > lim.nupl) for v, o in zip(y, outside, strict=False)]
        labels = special_cause_type(y, rtm, close, outside)
        types = point_type(labels, direction)
        short = len(y) < warning_threshold
        points += [SpcPoint(xs[i], ys[i], g, lim.mean, lim.lpl, lim.upl, o, r, c, lab, lab != "Common Cause", t, short)
                   for i, o, r, c, lab, t in zip(idx, outside, rtm, close, labels, types, strict=False)]
        groups.append(SpcGroup(g, xs[idx[0]], xs[idx[-1]], len(y), lim.mean, lim.lpl, lim.upl, short,
                               labels.count("Common Cause"), types.count("special_cause_improvement"),
                               types.count("special_cause_concern"), types[-1], None))
    last = points[-1]
    assurance = assurance_type(target, last.lpl, last.upl, improvement_direction)
    groups[-1] = replace(groups[-1], assurance_type=assurance)
    return SpcResult(improvement_direction, target, screen_outliers, tuple(points), tuple(groups), last.point_type,
                     variation_icon(last.point_type, improvement_direction), assurance,
                     ASSURANCE_ICONS.get(assurance) if assurance else None)
