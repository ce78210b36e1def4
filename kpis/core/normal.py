"""The normal distribution's few functions the statistics need, from Python's standard library.

`statistics.NormalDist.inv_cdf` (Wichura's algorithm AS 241, accurate to about 1e-15) and `math.erfc` give the
same figures as scipy.stats to the last digits that matter, without importing scipy.stats (one to four seconds):
every Wilson interval, z test and one-degree chi-squared test of a page, a pack or the demo build is worked out
without it. tests/core/test_normal.py compares them with scipy.stats.
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
