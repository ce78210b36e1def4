"""The Fingertips statistics, checked against published numbers."""
from __future__ import annotations

import math

import pytest
from scipy import stats as st

from kpis.core import stats
from kpis.core.intervals import byars_interval, proportion_ci_pct, rate_ci, wilson_interval
from kpis.core.stats import (
    TREND_LABELS,
    TrendResult,
    chi_squared_trend,
    compare_with_benchmark,
    recent_trend,
    trend,
    trend_result,
)


def sig4(a: float, b: float) -> bool:
    """Equal to 4 significant figures."""
    return f"{a:.4g}" == f"{b:.4g}"


# Real rows of OHID Fingertips indicator 90284 (hospital admissions caused by unintentional and
# deliberate injuries in children aged 0-14, crude rate per 10,000), copied from the Fingertips
# download file la_hospital_admissions_2324.csv (OGL v3). Columns: area, sex, period, Count,
# Denominator, Value, Lower/Upper CI 95.0 limit, Lower/Upper CI 99.8 limit.
# (Fingertips rounds most local counts to the nearest 5 but computes limits from the true count;
# these rows are ones where the published count is the true one.)
FINGERTIPS_90284 = [
    ("England", "Persons", "2023/24", 72293, 9942344, 72.71223, 72.18314, 73.24423, 71.87939, 73.55181),
    ("England", "Female", "2022/23", 34033, 4831484, 70.44006, 69.69365, 71.19247, 69.26601, 71.62799),
    ("England", "Male", "2021/22", 44065, 5027114, 87.65467, 86.83813, 88.47697, 86.36995, 88.95273),
    ("Worcestershire", "Persons", "2023/24", 595, 98246, 60.56226, 55.79308, 65.63009, 53.17812, 68.63467),
    ("Worcestershire", "Persons", "2021/22", 700, 97283, 71.95502, 66.72257, 77.48876, 63.842, 80.76262),
    ("Worcestershire", "Female", "2022/23", 320, 47619, 67.20007, 60.03794, 74.98136, 56.1848, 79.63998),
    ("Rutland", "Male", "2012/13", 25, 3086, 81.01102, 52.41175, 119.59316, 39.87187, 144.76598),
    ("Rutland", "Female", "2017/18", 10, 2977, 33.59086, 16.08146, 61.7785, 9.79617, 81.26881),
]


@pytest.mark.parametrize("row", FINGERTIPS_90284, ids=lambda r: f"{r[0]}-{r[1]}-{r[2]}")
def test_byars_rate_limits_match_fingertips(row):
    _, _, _, count, denom, value, lo95, hi95, lo998, hi998 = row
    assert sig4(count / denom * 10000, value)
    lo, hi = rate_ci(count, denom, per=10000)
    assert sig4(lo, lo95) and sig4(hi, hi95)
    lo, hi = rate_ci(count, denom, per=10000, confidence=0.998)
    assert sig4(lo, lo998) and sig4(hi, hi998)
    # 99.8 as a percentage is accepted too, as in PHEindicatormethods
    assert rate_ci(count, denom, per=10000, confidence=99.8) == rate_ci(count, denom, confidence=0.998)


def test_exact_poisson_below_ten():
    assert byars_interval(0) == (0.0, pytest.approx(3.6889, abs=1e-4))
    lo, hi = byars_interval(5)
    assert lo == pytest.approx(1.6235, abs=1e-4) and hi == pytest.approx(11.6683, abs=1e-4)
    for x in range(1, 10):
        for conf in (0.95, 0.998):
            a = 1 - conf
            lo, hi = byars_interval(x, conf)
            assert lo == pytest.approx(st.chi2.ppf(a / 2, 2 * x) / 2)
            assert hi == pytest.approx(st.chi2.ppf(1 - a / 2, 2 * x + 2) / 2)
    lo, hi = byars_interval(0, 0.998)
    assert lo == 0 and hi == pytest.approx(-math.log(0.001))  # the exact upper limit for 0 events


# -- reference values published with PHE's methods (APHO/PHE "Technical Guide: Confidence Intervals",
# PHEindicatormethods' worked examples), each checked here against scipy before being asserted.
def test_wilson_one_in_a_hundred():
    lo, hi = wilson_interval(1, 100)
    # published to 4 dp as 0.0018 and 0.0545; more precisely 0.001767 and 0.054486
    assert (round(lo, 4), round(hi, 4)) == (0.0018, 0.0545)
    assert lo == pytest.approx(0.001767, abs=5e-7) and hi == pytest.approx(0.054486, abs=5e-7)
    ref = st.binomtest(1, 100).proportion_ci(confidence_level=0.95, method="wilson")
    assert lo == pytest.approx(ref.low, rel=1e-12) and hi == pytest.approx(ref.high, rel=1e-12)


def test_byars_sixty_five():
    # PHEindicatormethods' example byars_lower(65) / byars_upper(65): Byar's formula gives 50.163 and 82.849.
    # (50.17 is the exact Poisson lower limit, 50.166, rounded: Byar's method is within 0.2% of exact.)
    lo, hi = byars_interval(65)
    assert lo == pytest.approx(50.1632, abs=1e-4) and hi == pytest.approx(82.8491, abs=1e-4)
    assert (round(lo, 2), round(hi, 2)) == (50.16, 82.85)
    z = st.norm.ppf(0.975)
    assert lo == pytest.approx(65 * (1 - 1 / (9 * 65) - z / (3 * math.sqrt(65))) ** 3)
    assert hi == pytest.approx(66 * (1 - 1 / (9 * 66) + z / (3 * math.sqrt(66))) ** 3)
    exact_lo, exact_hi = st.chi2.ppf(0.025, 130) / 2, st.chi2.ppf(0.975, 132) / 2
    assert abs(lo / exact_lo - 1) < 0.002 and abs(hi / exact_hi - 1) < 0.002


@pytest.mark.parametrize("count,lower,upper", [(0, 0.0, 3.689), (3, 0.6187, 8.767), (5, 1.6235, 11.6683),
                                               (9, 4.115, 17.08)])
def test_exact_poisson_for_small_counts(count, lower, upper):
    lo, hi = byars_interval(count)  # below 10 events: the exact (chi-squared) limits
    places = lambda x: len(f"{x}".split(".")[1])  # noqa: E731 - as many decimals as published
    assert round(lo, places(lower)) == pytest.approx(lower) and round(hi, places(upper)) == pytest.approx(upper)
    assert lo == pytest.approx(st.chi2.ppf(0.025, 2 * count) / 2 if count else 0.0)
    assert hi == pytest.approx(st.chi2.ppf(0.975, 2 * count + 2) / 2)


def test_byars_is_continuous_at_ten():
    lo9, hi9 = byars_interval(9)
    lo10, hi10 = byars_interval(10)
    assert lo9 < lo10 < 10 < hi9 < hi10


def test_byars_rejects_bad_input():
    with pytest.raises(ValueError):
        byars_interval(-1)
    with pytest.raises(ValueError):
        rate_ci(5, 0)


def test_wilson_matches_dfe_sg02_england_2025():
    # DfE Children in need 2025, table D3: England CPP_start 61840, CPP_subsequent 15130 = 24.5%.
    lo, hi = wilson_interval(15130, 61840)
    assert pytest.approx(24.5, abs=0.05) == 15130 / 61840 * 100
    assert lo < 15130 / 61840 < hi
    ref = st.binomtest(15130, 61840).proportion_ci(confidence_level=0.95, method="wilson")
    assert lo == pytest.approx(ref.low, rel=1e-9) and hi == pytest.approx(ref.high, rel=1e-9)
    assert proportion_ci_pct(15130, 61840) == pytest.approx((24.1291, 24.8068), abs=1e-4)
    lo8, hi8 = proportion_ci_pct(15130, 61840, confidence=0.998)
    assert lo8 == pytest.approx(23.9361, abs=1e-4) and hi8 == pytest.approx(25.0045, abs=1e-4)
    ref = st.binomtest(15130, 61840).proportion_ci(confidence_level=0.998, method="wilson")
    assert lo8 / 100 == pytest.approx(ref.low) and hi8 / 100 == pytest.approx(ref.high)


@pytest.mark.parametrize("x,n", [(0, 10), (10, 10), (1, 2), (3, 7), (55, 60)])
def test_wilson_small_numbers_and_edges(x, n):
    lo, hi = wilson_interval(x, n)
    ref = st.binomtest(x, n).proportion_ci(method="wilson")
    assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)
    assert 0 <= lo <= x / n <= hi <= 1
    if x == 0:
        assert lo == 0
    if x == n:
        assert hi == 1


@pytest.mark.parametrize("x,n", [(1, 0), (-1, 5), (6, 5), (1, -3)])
def test_wilson_rejects_bad_input(x, n):
    with pytest.raises(ValueError):
        wilson_interval(x, n)


def test_compare_with_benchmark():
    assert compare_with_benchmark(60.6, 55.8, 65.6, 72.7, "lower_is_better") == "better"
    assert compare_with_benchmark(60.6, 55.8, 65.6, 72.7, "higher_is_better") == "worse"
    assert compare_with_benchmark(60.6, 55.8, 65.6, 72.7, "no_polarity") == "lower"
    assert compare_with_benchmark(80.0, 75.0, 85.0, 72.7, "no_polarity") == "higher"
    assert compare_with_benchmark(80.0, 75.0, 85.0, 72.7, "higher_is_better") == "better"
    assert compare_with_benchmark(60.0, 55.0, 65.0, 60.0, "lower_is_better") == "similar"
    # limits are inclusive
    assert compare_with_benchmark(60.0, 55.0, 65.0, 65.0, "lower_is_better") == "similar"
    assert compare_with_benchmark(60.0, 55.0, 65.0, 55.0, "higher_is_better") == "similar"
    for missing in (None, float("nan")):
        assert compare_with_benchmark(60.0, missing, 65.0, 50.0, "lower_is_better") == "not compared"
        assert compare_with_benchmark(60.0, 55.0, 65.0, missing, "lower_is_better") == "not compared"


# Fingertips 90284, regions file region_hospital_admissions_2324.csv: the last five years
# (2019/20-2023/24) and the published "Recent Trend" (polarity: lower is better). Values, then
# lower and upper 95% limits, then counts and denominators.
WORCS = dict(
    values=[79.00424, 69.75933, 71.95502, 72.00417, 60.56226],
    lower=[73.63749, 64.41645, 66.72257, 66.58967, 55.79308],
    upper=[84.87348, 74.99261, 77.48876, 77.30948, 65.63009],
    counts=[775, 680, 700, 705, 595], denoms=[98096, 97478, 97283, 97911, 98246],
    published="decreasing and getting better")
YORKS = dict(  # Yorkshire and the Humber: a large fall in 2020/21 then flat -> not a steady trend
    values=[97.47919, 76.32396, 85.44279, 80.80007, 81.72719],
    lower=[95.50056, 74.59746, 83.60922, 79.02307, 79.95417],
    upper=[99.4465, 78.10151, 87.32772, 82.62812, 83.57173],
    counts=[9425, 7335, 8160, 7765, 7890], denoms=[966873, 961035, 955025, 961014, 965407],
    published="no significant change")


@pytest.mark.parametrize("case", [WORCS, YORKS], ids=["worcestershire", "yorkshire"])
def test_recent_trend_matches_published_fingertips(case):
    r = trend_result(values=case["values"], lower_cis=case["lower"], upper_cis=case["upper"],
                     polarity="lower_is_better")
    assert r.label == case["published"]
    assert r.points == 5
    r2 = trend_result(numerators=case["counts"], denominators=case["denoms"], proportion=False,
                      polarity="lower_is_better")
    assert r2.label == case["published"]


def points(case):
    return list(zip(case["values"], case["lower"], case["upper"], strict=False))


@pytest.mark.parametrize("case", [WORCS, YORKS], ids=["worcestershire", "yorkshire"])
def test_recent_trend_contract_reproduces_fingertips(case):
    # recent_trend(points, polarity) -> str, points (value, lower, upper) oldest first
    label = recent_trend(points(case), "lower_is_better")
    assert isinstance(label, str) and label in TREND_LABELS
    assert label == case["published"]
    assert recent_trend(points=points(case), polarity="lower") == case["published"]  # aliases accepted


def test_recent_trend_contract_labels_by_polarity():
    down = points(WORCS)
    assert recent_trend(down, "lower_is_better") == "decreasing and getting better"
    assert recent_trend(down, "higher_is_better") == "decreasing and getting worse"
    assert recent_trend(down, "no_polarity") == "decreasing"
    up = [(200 - v, 200 - hi, 200 - lo) for v, lo, hi in down]  # the mirror image rises
    assert recent_trend(up, "lower_is_better") == "increasing and getting worse"
    assert recent_trend(up, "higher_is_better") == "increasing and getting better"
    assert recent_trend(up, "no_polarity") == "increasing"
    assert recent_trend(points(YORKS), "no_polarity") == "no significant change"
    flat = [(50.0, 45.0, 55.0), (51.0, 46.0, 56.0), (49.0, 44.0, 54.0), (50.5, 45.5, 55.5), (50.0, 45.0, 55.0)]
    assert recent_trend(flat, "higher_is_better") == "no significant change"


def test_recent_trend_contract_needs_five_unbroken_points():
    five = points(WORCS)
    assert recent_trend(five[1:], "lower_is_better") == "cannot be calculated"        # four points
    assert recent_trend([], "lower_is_better") == "cannot be calculated"
    gap = [*five[:2], (None, None, None), *five[3:]]
    assert recent_trend(gap, "lower_is_better") == "cannot be calculated"            # a gap in the last five
    assert recent_trend([*five[:2], None, *five[3:]], "lower_is_better") == "cannot be calculated"
    no_limits = [*five[:4], (60.56, float("nan"), 65.6)]
    assert recent_trend(no_limits, "lower_is_better") == "cannot be calculated"
    zero_width = [*five[:4], (60.56, 60.56, 60.56)]
    assert recent_trend(zero_width, "lower_is_better") == "cannot be calculated"
    # a gap before the most recent five does not matter: only the last five are tested
    older = [(100.0, 90.0, 110.0), (None, None, None)]
    assert recent_trend(older + five, "lower_is_better") == WORCS["published"]
    with pytest.raises(ValueError):
        recent_trend(five, None)
    with pytest.raises(ValueError):
        recent_trend(five, "sideways")


def test_every_trend_label_is_in_the_contract():
    seen = set()
    for direction in ("increasing", "decreasing", "no_change", "not_enough_data", "not_calculated"):
        for pol in ("higher_is_better", "lower_is_better", "no_polarity"):
            seen.add(stats._label(direction, pol)[0])
    assert seen == set(TREND_LABELS)


def test_yorkshire_trend_is_significant_but_driven_by_one_point():
    r = trend_result(values=YORKS["values"], lower_cis=YORKS["lower"], upper_cis=YORKS["upper"],
                     polarity="lower_is_better")
    assert r.p_value < 0.002 and r.direction == "no_change"


def test_recent_trend_uses_only_the_last_five_points():
    older = [200.0, 10.0, 300.0]
    r = trend_result(values=older + WORCS["values"], lower_cis=[190.0, 5.0, 290.0] + WORCS["lower"],
                     upper_cis=[210.0, 15.0, 310.0] + WORCS["upper"], polarity="lower_is_better")
    assert r.label == WORCS["published"] and r.points == 5


def test_chi_squared_trend_by_hand():
    # By hand (Altman, Practical Statistics for Medical Research, chi-squared for trend):
    # R = 43, N = 500, p = 0.086, mean score 3; sum r_i (t_i - 3) = -26; sum n_i (t_i - 3)^2 = 1000;
    # chi2 = 26^2 / (0.086 * 0.914 * 1000) = 8.6001 on 1 df.
    chi2, p, sign = chi_squared_trend([15, 10, 8, 6, 4], [100] * 5)
    assert chi2 == pytest.approx(676 / (0.086 * 0.914 * 1000))
    assert chi2 == pytest.approx(8.6001, abs=1e-4)
    assert p == pytest.approx(st.chi2.sf(chi2, 1))
    assert sign == -1


def test_recent_trend_proportions_with_polarity():
    nums, dens = [2000, 2100, 2200, 2300, 2400], [10000] * 5
    up = trend_result(numerators=nums, denominators=dens, polarity="higher_is_better")
    assert isinstance(up, TrendResult)
    assert (up.label, up.direction, up.assessment) == ("increasing and getting better", "increasing", "better")
    assert trend_result(numerators=nums, denominators=dens, polarity="lower_is_better").label == \
        "increasing and getting worse"
    assert trend_result(numerators=nums, denominators=dens, polarity="no_polarity").label == "increasing"
    down = trend_result(numerators=nums[::-1], denominators=dens, polarity="lower_is_better")
    assert down.label == "decreasing and getting better"
    flat = trend_result(numerators=[2000, 2010, 1995, 2005, 2000], denominators=dens, polarity="lower_is_better")
    assert flat.label == "no significant change" and flat.p_value > 0.002
    assert trend([], numerators=nums, denominators=dens, polarity="higher_is_better") == "increasing and getting better"


def test_recent_trend_not_enough_data():
    r = trend_result(numerators=[10, 12, None, 14, 15], denominators=[100] * 5, polarity="higher_is_better")
    assert (r.label, r.direction, r.points, r.p_value) == ("cannot be calculated", "not_enough_data", 4, None)
    assert trend_result(values=[1, 2, 3], polarity="no_polarity").label == "cannot be calculated"
    assert trend_result(values=[1, 2, 3, float("nan"), 4], polarity="no_polarity").direction == "not_enough_data"


def test_recent_trend_values_only_uses_regression():
    r = trend_result(values=[10, 20, 30, 40, 50.0001], polarity="higher_is_better")
    assert r.label == "increasing and getting better" and "regression" in r.method
    assert trend_result(values=[10, 30, 12, 28, 15], polarity="higher_is_better").label == "no significant change"
    assert trend([10, 20, 30, 40, 50.0001], polarity="lower_is_better") == "increasing and getting worse"


def test_recent_trend_needs_input():
    with pytest.raises(ValueError):
        trend_result(polarity="no_polarity")
    with pytest.raises(ValueError):
        trend_result(values=[1, 2, 3, 4, 5], polarity="sideways")


def test_wilson_limits_vectorised_matches_scalar():
    from kpis.core.intervals import wilson_limits
    counts, dens = [0, 3, 15130, 10], [10, 7, 61840, 10]
    lo, hi = wilson_limits(counts, dens)
    for i, (x, n) in enumerate(zip(counts, dens, strict=False)):
        assert (lo[i], hi[i]) == pytest.approx(wilson_interval(x, n))
