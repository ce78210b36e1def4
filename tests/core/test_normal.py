"""The standard library's normal distribution (kpis.core.normal) gives scipy.stats' figures."""
from __future__ import annotations

import math

import pytest


@pytest.mark.parametrize("p", [0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 0.999999, 0.001, 0.025])
def test_the_quantile_is_scipys(p):
    from scipy import stats

    from kpis.core.normal import z_quantile
    assert z_quantile(p) == pytest.approx(stats.norm.ppf(p), rel=1e-12, abs=1e-12)


def test_the_levels_fingertips_uses():
    from kpis.core.normal import z_quantile
    assert round(z_quantile(0.975), 6) == 1.959964   # 95%
    assert round(z_quantile(0.999), 6) == 3.090232   # 99.8%


@pytest.mark.parametrize("z", [0.0, 0.3, -1.0, 1.959964, -2.5, 3.090232, 6.0, -9.0, 20.0])
def test_the_two_sided_p_is_scipys_even_far_out(z):
    from scipy import stats

    from kpis.core.normal import two_sided_p
    assert two_sided_p(z) == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10, abs=1e-300)
    assert two_sided_p(z) > 0 or abs(z) > 37      # no rounding to 0 where scipy still has a value


@pytest.mark.parametrize("x", [0.0, 0.01, 1.0, 3.841459, 6.635, 10.83, 50.0, 400.0])
def test_the_chi_squared_tail_is_scipys(x):
    from scipy import stats

    from kpis.core.normal import chi2_1_sf
    assert chi2_1_sf(x) == pytest.approx(stats.chi2.sf(x, 1), rel=1e-10, abs=1e-300)
    assert math.isclose(chi2_1_sf(3.841459), 0.05, rel_tol=1e-6)


@pytest.mark.parametrize("alpha", [0.05, 0.002])
def test_the_exact_poisson_limits_are_scipys_chi_squared_quantiles(alpha):
    from scipy import stats

    from kpis.core.normal import exact_poisson_limits
    for count in range(0, 10):
        lower, upper = exact_poisson_limits(count, alpha)
        assert lower == (0.0 if count == 0 else pytest.approx(stats.chi2.ppf(alpha / 2, 2 * count) / 2, rel=1e-12))
        assert upper == pytest.approx(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2, rel=1e-12)


def test_byars_limits_of_whole_and_fractional_small_counts_agree_with_scipy():
    from scipy import stats

    from kpis.core.intervals import byars_limits
    lower, upper = byars_limits([0, 1, 2.5, 9, 10, 40])
    assert lower[:4] == pytest.approx([0.0, stats.chi2.ppf(0.025, 2) / 2, stats.chi2.ppf(0.025, 5) / 2,
                                       stats.chi2.ppf(0.025, 18) / 2], rel=1e-12)
    assert upper[:4] == pytest.approx([stats.chi2.ppf(0.975, d) / 2 for d in (2, 4, 7, 20)], rel=1e-12)
    assert lower[4] == pytest.approx(4.78744991, rel=1e-8) and upper[5] == pytest.approx(54.47, rel=1e-3)
