"""The few distribution functions the statistics need, from Python's standard library: the standard normal's
quantile and tails, the one-degree chi-squared tail, and the exact Poisson limits of a small whole count.

`statistics.NormalDist.inv_cdf` (Wichura's algorithm AS 241, accurate to about 1e-15), `math.erfc` and a bisection
on the Poisson distribution give the same figures as scipy.stats to the last digits that matter, without importing
scipy.stats (one to four seconds): every Wilson interval, z test, one-degree chi-squared test and Byar interval of a
page, a pack or the demo build is worked out without it. tests/core/test_normal.py compares them with scipy.stats.
"""
from __future__ import annotations

import math
from statistics import NormalDist

_STANDARD = NormalDist()


def z_quantile(p: float) -> float:
    """The standard normal quantile: the z below which a fraction `p` lies (scipy.stats.norm.ppf)."""
    return _STANDARD.inv_cdf(p)


def two_sided_p(z: float) -> float:
    """Two-sided p value of a standard normal statistic: 2 * norm.sf(|z|), exact in the far tail too."""
    return math.erfc(abs(z) / math.sqrt(2))


def chi2_1_sf(x: float) -> float:
    """Upper tail of the chi-squared distribution with one degree of freedom (scipy.stats.chi2.sf(x, 1))."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2))


def _poisson_cdf(k: int, lam: float) -> float:
    """P(X <= k) for a Poisson count X of mean `lam` (k small: a few terms)."""
    term = total = math.exp(-lam)
    for i in range(1, k + 1):
        term *= lam / i
        total += term
    return total


def exact_poisson_limits(count: int, alpha: float) -> tuple[float, float]:
    """The exact (Garwood) limits of a Poisson mean for a small whole `count`, two-sided at level 1 - `alpha`:
    the means at which the count's upper and lower tails hold alpha/2 each. They are scipy.stats'
    chi2.ppf(alpha/2, 2 * count) / 2 and chi2.ppf(1 - alpha/2, 2 * count + 2) / 2, found by bisection on the
    Poisson distribution (which is what those quantiles are for a whole count) to the last digit of a float."""
    def solve(k: int, target: float) -> float:   # the mean at which P(X <= k) = target (it falls as the mean grows)
        lo, hi = 0.0, 10.0 + 10 * k
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _poisson_cdf(k, mid) > target else (lo, mid)
            if hi - lo <= 1e-15 * hi:
                break
        return (lo + hi) / 2
    lower = 0.0 if count == 0 else solve(count - 1, 1 - alpha / 2)
    return lower, solve(count, alpha / 2)
