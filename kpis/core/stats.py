"""Statistics as analysts in England expect them: the methods of OHID's Fingertips.

The formulas follow PHEindicatormethods (the R package behind Fingertips); the confidence
intervals (Wilson, Byar's) are in ``kpis.core.intervals``.

- comparison with a benchmark: significantly better/worse when the benchmark
  lies outside the local confidence interval (``compare_with_benchmark``);
- recent trend over the most recent five points (``recent_trend``, ``trend_result``).

Recent trend, the contract (issue 4): ``recent_trend(points, polarity) -> str``, where
``points`` is a list of ``(value, lower, upper)`` (95% limits), oldest first. Fingertips' rule:
at least 5 unbroken points, the most recent 5 tested at 99.8% by a weighted regression using the
limits. It returns exactly one of ``TREND_LABELS``: ``'increasing and getting better'``,
``'increasing and getting worse'``, ``'decreasing and getting better'``, ``'decreasing and getting
worse'``, ``'increasing'`` / ``'decreasing'`` (no polarity), ``'no significant change'``,
``'cannot be calculated'`` (fewer than 5 points, a gap among the last 5, a zero-width interval).

``trend_result(...)`` is the same test with every input Fingertips uses, returning a
``TrendResult`` (label, direction, p value, method, ...). As Fingertips' trend marker calculator
(PholioVisualisation ``TrendMarkerCalculator``) does it:

- Only the most recent ``TREND_POINTS`` (5) points with a value are used (missing points are
  dropped first); with fewer the label is ``'cannot be calculated'``.
- Proportions with numerators and denominators: the chi-squared test for trend
  in proportions (Cochran-Armitage, R's ``prop.trend.test``), periods scored
  1..5.
- Other values with 95% limits (rates, means; and rates given as count and
  population with ``proportion=False``, limits by Byar's method): a weighted
  least-squares regression of value on period, weights 1/SE^2 with
  SE = (upper - lower) / 3.92, and the 1 df chi-squared (slope/SE)^2.
- Both: the trend counts only if no single point drives it: refitting with
  each point left out in turn must keep the slope's sign (the logit of the
  proportion for the proportion test, the weighted fit otherwise).
- Significance: chi-squared above 9.5495, i.e. p < ``TREND_SIGNIFICANCE``
  (0.002, the 99.8% level); pass ``significance=`` to change it.
- Values only (no counts, no limits; our fallback, not a Fingertips method):
  an ordinary least-squares slope with a t test on n-2 degrees of freedom at
  the same level. It is weaker, and ``TrendResult.method`` says which test ran.
- Labels: the contract's words above (Fingertips' wording, lower case); both too few points and
  an impossible input (a zero-width interval, a count above its denominator) are ``'cannot be
  calculated'``. ``direction`` says which: the bare ``'increasing'``,
  ``'decreasing'``, ``'no_change'``, ``'not_enough_data'`` or
  ``'not_calculated'``; ``assessment`` holds ``'better'``, ``'worse'`` or None.

Checked against the published trends of Fingertips indicator 90284 (hospital
admissions for injuries, 0-14, regions file): all 483 series agree.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpis.core import scipy_stats as _st
from kpis.core.intervals import _missing, byars_interval
from kpis.core.normal import chi2_1_sf

TREND_POINTS = 5
TREND_SIGNIFICANCE = 0.002  # Fingertips: chi-squared (1 df) above 9.5495
NO_CHANGE, CANNOT = "no significant change", "cannot be calculated"
TREND_LABELS = (
    "increasing and getting better", "increasing and getting worse",
    "decreasing and getting better", "decreasing and getting worse",
    "increasing", "decreasing", NO_CHANGE, CANNOT,
)

POLARITY_ALIASES = {
    "higher_is_better": "higher_is_better", "higher": "higher_is_better", "high": "higher_is_better",
    "rag - high is good": "higher_is_better",
    "lower_is_better": "lower_is_better", "lower": "lower_is_better", "low": "lower_is_better",
    "rag - low is good": "lower_is_better",
    "no_polarity": "no_polarity", "none": "no_polarity", "": "no_polarity",
}


def normalise_polarity(polarity: str | None) -> str:
    """Map the spellings seen in frameworks and LAIT's dictionary to the framework's three values."""
    key = (polarity or "").strip().lower()
    if key not in POLARITY_ALIASES:
        raise ValueError(f"Unknown polarity {polarity!r}; use higher_is_better, lower_is_better or no_polarity")
    return POLARITY_ALIASES[key]


# -- comparison with a benchmark --------------------------------------------------------
def compare_with_benchmark(value: float | None, lower: float | None, upper: float | None,
                           benchmark: float | None, polarity: str) -> str:
    """'better' / 'similar' / 'worse' (or 'higher' / 'lower' with no polarity), or 'not compared'.

    Similar when the benchmark lies inside [lower, upper], limits included.
    """
    if any(_missing(v) for v in (value, lower, upper, benchmark)):
        return "not compared"
    pol = normalise_polarity(polarity)
    if lower <= benchmark <= upper:
        return "similar"
    higher = lower > benchmark
    if pol == "no_polarity":
        return "higher" if higher else "lower"
    good = higher if pol == "higher_is_better" else not higher
    return "better" if good else "worse"


# -- standing among councils (DfE LAIT) --------------------------------------------------
def lait_quartile(value: float, values: pd.Series | list[float], polarity: str) -> str | None:
    """LAIT's quartile banding of `value` among `values`: A the best quarter, D the worst; None with no polarity."""
    pol = normalise_polarity(polarity)
    v = np.asarray(values, dtype="float64")
    v = v[~np.isnan(v)]
    if pol == "no_polarity" or not len(v) or value is None or math.isnan(value):
        return None
    q25, q50, q75 = np.quantile(v, [0.25, 0.5, 0.75])  # linear interpolation, as R's default (type 7)
    band = 0 if value <= q25 else 1 if value <= q50 else 2 if value <= q75 else 3  # lowest values first
    return ("ABCD" if pol == "lower_is_better" else "DCBA")[band]


def lait_rank(value: float, values: pd.Series | list[float], polarity: str) -> int | None:
    """Rank of `value` among `values`, 1 = best, ties sharing the better rank (R's ties.method = 'min')."""
    pol = normalise_polarity(polarity)
    v = np.asarray(values, dtype="float64")
    v = v[~np.isnan(v)]
    if pol == "no_polarity" or value is None or math.isnan(value):
        return None
    better = (v > value) if pol == "higher_is_better" else (v < value)
    return int(better.sum()) + 1


# -- recent trend -----------------------------------------------------------------------
@dataclass(frozen=True)
class TrendResult:
    label: str                 # one of TREND_LABELS, e.g. 'decreasing and getting better'
    direction: str             # increasing | decreasing | no_change | not_enough_data | not_calculated
    p_value: float | None
    points: int                # points used (at most TREND_POINTS)
    assessment: str | None = None   # better | worse | None
    method: str = ""
    chi_squared: float | None = None


def chi_squared_trend(numerators: Sequence[float], denominators: Sequence[float]) -> tuple[float, float, float]:
    """Chi-squared test for trend in proportions (Cochran-Armitage; R's prop.trend.test), scores 1..k.

    Returns (chi-squared statistic on 1 df, p value, direction as +1/-1/0).
    """
    r = [float(v) for v in numerators]
    n = [float(v) for v in denominators]
    t = range(1, len(r) + 1)
    big_n, big_r = sum(n), sum(r)
    s_nt = sum(ni * ti for ni, ti in zip(n, t, strict=False))
    s_rt = sum(ri * ti for ri, ti in zip(r, t, strict=False))
    s_nt2 = sum(ni * ti * ti for ni, ti in zip(n, t, strict=False))
    lead = big_n * s_rt - big_r * s_nt
    den = big_r * (big_n - big_r) * (big_n * s_nt2 - s_nt ** 2)
    if den <= 0:
        return 0.0, 1.0, 0.0
    chi2 = big_n * lead * lead / den
    return chi2, float(chi2_1_sf(chi2)), (1.0 if lead > 0 else -1.0 if lead < 0 else 0.0)


def _wls(t: Sequence[float], y: Sequence[float], w: Sequence[float]) -> tuple[float, float]:
    """Weighted least-squares slope of y on t and its standard error (weights known)."""
    s1 = sum(w)
    st_ = sum(wi * ti for wi, ti in zip(w, t, strict=False))
    sy = sum(wi * yi for wi, yi in zip(w, y, strict=False))
    sty = sum(wi * ti * yi for wi, ti, yi in zip(w, t, y, strict=False))
    stt = sum(wi * ti * ti for wi, ti in zip(w, t, strict=False))
    d = s1 * stt - st_ ** 2
    return (s1 * sty - st_ * sy) / d, math.sqrt(s1 / d)


def _signs_agree(t: list[float], y: list[float], w: list[float], sign: float) -> bool:
    """Fingertips' outlier check: leaving out any one point must not change the slope's sign."""
    for k in range(len(t)):
        keep = [i for i in range(len(t)) if i != k]
        slope, _ = _wls([t[i] for i in keep], [y[i] for i in keep], [w[i] for i in keep])
        if (1.0 if slope >= 0 else -1.0) != sign:
            return False
    return True


def _label(direction: str, polarity: str) -> tuple[str, str | None]:
    if direction not in ("increasing", "decreasing"):
        return {"no_change": NO_CHANGE, "not_enough_data": CANNOT, "not_calculated": CANNOT}[direction], None
    if polarity == "no_polarity":
        return direction, None
    good = (direction == "increasing") == (polarity == "higher_is_better")
    assessment = "better" if good else "worse"
    return f"{direction} and getting {assessment}", assessment


def _result(direction: str, pol: str, p: float | None, points: int, method: str,
            chi2: float | None = None) -> TrendResult:
    label, assessment = _label(direction, pol)
    return TrendResult(label, direction, p, points, assessment, method, chi2)


def recent_trend(points: Sequence[Sequence[float | None] | None], polarity: str | None) -> str:
    """Fingertips' recent trend of ``points`` [(value, lower 95%, upper 95%), ...], oldest first: one of TREND_LABELS.

    At least five unbroken points are needed: the most recent five must all have a value and both
    limits, else 'cannot be calculated'. They are tested by the weighted regression of value on
    period (weights from the limits) at the 99.8% level, with Fingertips' one-point-left-out check.
    """
    if polarity is None:
        raise ValueError("recent_trend needs a polarity: higher_is_better, lower_is_better or no_polarity")
    pol = normalise_polarity(polarity)
    last = list(points)[-TREND_POINTS:]
    if len(last) < TREND_POINTS or any(not _complete(p) for p in last):
        return CANNOT
    values, lowers, uppers = ([float(p[i]) for p in last] for i in range(3))
    return trend_result(values=values, lower_cis=lowers, upper_cis=uppers, polarity=pol).label


def _complete(point) -> bool:
    """A point of the unbroken run: a value and both limits."""
    try:
        return point is not None and len(point) == 3 and not any(_missing(x) for x in point)
    except TypeError:
        return False


def trend_result(*, numerators: Sequence[float | None] | None = None,
                 denominators: Sequence[float | None] | None = None,
                 values: Sequence[float | None] | None = None,
                 lower_cis: Sequence[float | None] | None = None,
                 upper_cis: Sequence[float | None] | None = None,
                 polarity: str = "no_polarity", proportion: bool = True,
                 significance: float = TREND_SIGNIFICANCE) -> TrendResult:
    """Fingertips' recent trend over the most recent five points (give the series oldest first).

    - numerators + denominators, ``proportion=True``: chi-squared test for trend in proportions;
    - values + lower_cis + upper_cis (or numerators + denominators with ``proportion=False``,
      a rate whose limits come from Byar's method): weighted regression test;
    - values only: ordinary regression slope t test (fallback; no counts or limits known).
    Points with a missing number are dropped before the last five are taken.
    """
    pol = normalise_polarity(polarity)
    if numerators is not None and denominators is not None:
        if len(numerators) != len(denominators):
            raise ValueError("numerators and denominators must have the same length")
        pairs = [(float(a), float(b)) for a, b in zip(numerators, denominators, strict=False)
                 if not _missing(a) and not _missing(b)][-TREND_POINTS:]
        if proportion:
            return _proportion_trend(pairs, pol, significance)
        method = WLS_METHOD
        if len(pairs) < TREND_POINTS:
            return _result("not_enough_data", pol, None, len(pairs), method)
        if any(b <= 0 or a < 0 for a, b in pairs):
            return _result("not_calculated", pol, None, len(pairs), method)
        limits = [byars_interval(a) for a, _ in pairs]
        return _wls_trend([a / b for a, b in pairs], [lo / b for (lo, _), (_, b) in zip(limits, pairs, strict=False)],
                          [hi / b for (_, hi), (_, b) in zip(limits, pairs, strict=False)], pol, significance)
    if values is None:
        raise ValueError("trend_result needs numerators and denominators, or values")
    if lower_cis is not None and upper_cis is not None:
        rows = [(float(v), float(lo), float(hi)) for v, lo, hi in zip(values, lower_cis, upper_cis, strict=False)
                if not (_missing(v) or _missing(lo) or _missing(hi))][-TREND_POINTS:]
        if len(rows) < TREND_POINTS:
            return _result("not_enough_data", pol, None, len(rows), WLS_METHOD)
        return _wls_trend(*map(list, zip(*rows, strict=False)), pol, significance)
    ys = [float(v) for v in values if not _missing(v)][-TREND_POINTS:]
    method = "linear regression slope t test, most recent 5 points (no counts or limits available)"
    if len(ys) < TREND_POINTS:
        return _result("not_enough_data", pol, None, len(ys), method)
    res = _st.linregress(range(1, len(ys) + 1), ys)
    p = float(res.pvalue) if not math.isnan(res.pvalue) else (0.0 if res.slope else 1.0)
    direction = "no_change" if p >= significance or res.slope == 0 else (
        "increasing" if res.slope > 0 else "decreasing")
    return _result(direction, pol, p, len(ys), method)


WLS_METHOD = ("weighted regression of value on period (weights from the 95% limits), 1 df chi-squared test, "
              "slope sign stable when any one point is left out; most recent 5 points")
CA_METHOD = ("chi-squared test for trend in proportions (Cochran-Armitage), slope sign stable when any one "
             "point is left out; most recent 5 points")


def _wls_trend(values: list[float], lowers: list[float], uppers: list[float], pol: str,
               significance: float) -> TrendResult:
    n = len(values)
    ses = [(hi - lo) / (2 * 1.959964) for lo, hi in zip(lowers, uppers, strict=False)]
    if any(se <= 0 for se in ses):
        return _result("not_calculated", pol, None, n, WLS_METHOD)
    t = [float(i) for i in range(1, n + 1)]
    w = [1 / se ** 2 for se in ses]
    slope, se_slope = _wls(t, values, w)
    chi2 = (slope / se_slope) ** 2
    p = float(chi2_1_sf(chi2))
    sign = 1.0 if slope >= 0 else -1.0
    stable = _signs_agree(t, values, w, sign)
    direction = "increasing" if sign > 0 else "decreasing"
    if p >= significance or not stable or slope == 0:
        direction = "no_change"
    return _result(direction, pol, p, n, WLS_METHOD, chi2)


def _proportion_trend(pairs: list[tuple[float, float]], pol: str, significance: float) -> TrendResult:
    n = len(pairs)
    if n < TREND_POINTS:
        return _result("not_enough_data", pol, None, n, CA_METHOD)
    if any(b <= 0 or a < 0 or a > b for a, b in pairs):
        return _result("not_calculated", pol, None, n, CA_METHOD)
    chi2, p, sign = chi_squared_trend([a for a, _ in pairs], [b for _, b in pairs])
    stable = True
    if all(0 < a < b for a, b in pairs):  # the logit is defined: check no single point drives the trend
        logits = [math.log(a / (b - a)) for a, b in pairs]
        stable = _signs_agree([float(i) for i in range(1, n + 1)], logits, [1.0] * n, sign or 1.0)
    direction = "no_change"
    if p < significance and stable and sign:
        direction = "increasing" if sign > 0 else "decreasing"
    return _result(direction, pol, p, n, CA_METHOD, chi2)


def trend(values: Sequence[float | None], numerators: Sequence[float | None] | None = None,
          denominators: Sequence[float | None] | None = None, polarity: str = "no_polarity") -> str:
    """Shorthand for ``trend_result(...).label`` (proportions when counts are given)."""
    if numerators is not None and denominators is not None:
        return trend_result(numerators=numerators, denominators=denominators, polarity=polarity).label
    return trend_result(values=values, polarity=polarity).label
