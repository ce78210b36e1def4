"""Confidence intervals as analysts in England expect them: the methods of OHID's Fingertips.

The formulas follow PHEindicatormethods (the R package behind Fingertips):

- proportions: Wilson score interval (``wilson_interval``);
- counts and rates: Byar's method, and the exact Poisson method (chi-squared
  quantiles) when the count is below 10 (``byars_interval``);
- the interval of an observation, as given or worked out from its counts (``fill_intervals``).

Every function takes the confidence level as a fraction (0.95, 0.998); 95 and
99.8 are accepted too, as PHEindicatormethods does.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

from kpis.core import scipy_stats as _st
from kpis.core.normal import exact_poisson_limits, z_quantile
from kpis.core.units import RATE_SCALE


def _conf(confidence: float) -> float:
    c = float(confidence)
    if c >= 90:  # 95 or 99.8, as PHEindicatormethods accepts
        c = c / 100
    if not 0.5 <= c < 1:
        raise ValueError(f"confidence should be a level such as 0.95 or 0.998, not {confidence!r}")
    return c


def _z(confidence: float) -> float:
    c = _conf(confidence)
    return float(z_quantile(c + (1 - c) / 2))


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# -- confidence intervals ---------------------------------------------------------------
# One formula per statistic: the array functions (`wilson_limits`, `byars_limits`) hold it; the scalar
# ones check their input and call them.
def wilson_limits(counts: npt.ArrayLike, denominators: npt.ArrayLike,
                  confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits (proportions of 1) for arrays of counts and denominators, vectorised: the one Wilson formula.

    Inputs must already be valid (0 <= count <= denominator, denominator > 0).
    """
    z = _z(confidence)
    x = np.asarray(counts, dtype="float64")
    n = np.asarray(denominators, dtype="float64")
    centre = 2 * x + z * z
    spread = z * np.sqrt(z * z + 4 * x * (1 - x / n))
    bottom = 2 * (n + z * z)
    lower = np.where(x == 0, 0.0, np.clip((centre - spread) / bottom, 0.0, 1.0))
    upper = np.where(x == n, 1.0, np.clip((centre + spread) / bottom, 0.0, 1.0))
    return lower, upper


def wilson_pct(counts: npt.ArrayLike, denominators: npt.ArrayLike,
               confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """`wilson_limits` in percent (0..100)."""
    lower, upper = wilson_limits(counts, denominators, confidence)
    return lower * 100, upper * 100


def wilson_interval(count: float, denominator: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for count/denominator, as proportions of 1 (0..1)."""
    if _missing(count) or _missing(denominator):
        raise ValueError("Wilson interval needs a count and a denominator")
    if denominator <= 0:
        raise ValueError(f"the denominator must be more than 0, not {denominator}")
    if count < 0:
        raise ValueError(f"the count must not be negative, not {count}")
    if count > denominator:
        raise ValueError(f"the count ({count}) cannot be more than the denominator ({denominator})")
    lower, upper = wilson_limits(float(count), float(denominator), confidence)
    return float(lower), float(upper)


def proportion_ci_pct(numerator: float, denominator: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval in percent (0..100)."""
    lo, hi = wilson_interval(numerator, denominator, confidence)
    return lo * 100, hi * 100


BYAR_EXACT_BELOW = 10  # exact Poisson limits (chi-squared quantiles) for counts below this


def byars_limits(counts: npt.ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's limits for an array of counts (exact Poisson below 10), vectorised: the one Byar formula.

    Inputs must already be valid (counts >= 0).
    """
    c = _conf(confidence)
    z = _z(c)
    x = np.asarray(counts, dtype="float64")
    alpha = 1 - c
    small = x < BYAR_EXACT_BELOW
    with np.errstate(divide="ignore", invalid="ignore"):
        big_lo = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        big_hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    lower, upper = np.maximum(0.0, big_lo), big_hi
    if np.any(small):  # the exact limits only where they are used
        few = np.where(small, x, 1.0)
        if np.all(few == np.floor(few)):   # whole counts: from the Poisson distribution (kpis.core.normal)
            limits = [exact_poisson_limits(int(k), alpha) for k in np.ravel(few)]
            exact_lo = np.reshape([lo for lo, _ in limits], few.shape)
            exact_hi = np.reshape([hi for _, hi in limits], few.shape)
        else:                              # a count with a fraction (an estimate): chi-squared quantiles
            exact_lo = np.where(few == 0, 0.0, _st.chi2.ppf(alpha / 2, 2 * few) / 2)
            exact_hi = _st.chi2.ppf(1 - alpha / 2, 2 * few + 2) / 2
        lower, upper = np.where(small, exact_lo, lower), np.where(small, exact_hi, upper)
    return lower, upper


def byars_interval(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence limits on a count: Byar's method, exact Poisson (chi-squared) below 10."""
    if _missing(count):
        raise ValueError("Byar's interval needs a count")
    if count < 0:
        raise ValueError(f"the count must not be negative, not {count}")
    lower, upper = byars_limits(float(count), confidence)
    return float(lower), float(upper)


def rate_ci(count: float, population: float, per: float = 10000, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence limits of a crude rate count/population*per, by Byar's method."""
    if _missing(population) or population <= 0:
        raise ValueError(f"the population must be more than 0, not {population}")
    lo, hi = byars_interval(count, confidence)
    return lo / population * per, hi / population * per


# -- the interval of an observation -----------------------------------------------------
CI_PUBLISHED, CI_WILSON, CI_BYAR, CI_NONE = ("Given with the data", "Wilson score (calculated)",
                                             "Byar's method (calculated)", "None: no counts published")


def fill_intervals(values: Iterable[object], numerators: Iterable[object], denominators: Iterable[object],
                   lowers: Iterable[object], uppers: Iterable[object], units: str | Iterable[str | None] | None,
                   confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The 95% limits of observations: as given when both are, else worked out from the counts the Fingertips way.

    The one rule, used by the scorecard, the explorer and the return check:

    - both limits given: kept (`CI_PUBLISHED`);
    - no value: no limits, no method ('');
    - a percentage with 0 <= numerator <= denominator, denominator > 0: Wilson score (`CI_WILSON`);
    - a count with a value of 0 or more: Byar's method on the value (`CI_BYAR`);
    - a rate per 10,000 or 100,000 with numerator >= 0 and denominator > 0: Byar's on the numerator,
      scaled (`CI_BYAR`);
    - otherwise none (`CI_NONE`).

    Every argument but `units` is a sequence of numbers (None or NaN when missing); `units` is one unit code
    for all or a sequence of codes. Returns (lower, upper, method) as two float arrays (NaN: none) and a list.
    """
    v, num, den, lo, hi = (_floats(a) for a in (values, numerators, denominators, lowers, uppers))
    unit = (np.full(len(v), units, dtype=object) if units is None or isinstance(units, str)
            else np.asarray(list(units), dtype=object))
    given = ~np.isnan(lo) & ~np.isnan(hi)
    has_value = ~np.isnan(v) & ~given
    with np.errstate(invalid="ignore"):
        pct = has_value & (unit == "percentage") & (den > 0) & (num >= 0) & (num <= den)
        count = has_value & (unit == "count") & (v >= 0)
        scale = np.array([RATE_SCALE.get(u, np.nan) if isinstance(u, str) else np.nan for u in unit], dtype="float64")
        rate = has_value & ~np.isnan(scale) & (den > 0) & (num >= 0)
    lower, upper = np.where(given, lo, np.nan), np.where(given, hi, np.nan)
    if pct.any():
        lower[pct], upper[pct] = wilson_pct(num[pct], den[pct], confidence)
    if count.any():
        lower[count], upper[count] = byars_limits(v[count], confidence)
    if rate.any():
        b_lo, b_hi = byars_limits(num[rate], confidence)
        lower[rate], upper[rate] = b_lo / den[rate] * scale[rate], b_hi / den[rate] * scale[rate]
    method = np.where(given, CI_PUBLISHED, np.where(np.isnan(v), "", np.where(
        pct, CI_WILSON, np.where(count | rate, CI_BYAR, CI_NONE))))
    return lower, upper, method.tolist()


def _floats(a) -> np.ndarray:
    """Numbers as a float array, NaN where missing (None, NaN, pd.NA or text that is not a number)."""
    if isinstance(a, pd.Series):
        return pd.to_numeric(a, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if isinstance(a, np.ndarray) and a.dtype.kind in "fiu":
        return a.astype("float64")
    out = []
    for x in a:
        try:
            out.append(np.nan if x is None or pd.isna(x) else float(x))
        except (TypeError, ValueError):
            out.append(np.nan)
    return np.asarray(out, dtype="float64")


def interval_of(unit: str | None, value: float | None, numerator: float | None = None,
                denominator: float | None = None, lower: float | None = None,
                upper: float | None = None) -> tuple[float | None, float | None, str]:
    """`fill_intervals` for one observation: (lower, upper, method), None for a limit that cannot be known."""
    lo, hi, method = fill_intervals([value], [numerator], [denominator], [lower], [upper], unit)
    return (None if np.isnan(lo[0]) else float(lo[0])), (None if np.isnan(hi[0]) else float(hi[0])), method[0]
