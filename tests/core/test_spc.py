"""SPC ("Making Data Count" XmR charts): the reference package's own test cases, then hand-checked series.

The reference is the R package NHSRplotthedots v0.2.2, snapshot commit 050b07d7eacc011767532732f69b8fd7d6a28fd3
(github.com/nhs-r-community/NHSRplotthedots, MIT licence, (c) 2021 NHS-R Community). Each test names the
package's test file and test_that() name it reproduces. R is not installed here: the package's random test data
(set.seed(123); rnorm(...)) is in tests/fixtures/spc/ (see its README), and its printed snapshots are compared
at the precision they print.
"""
from __future__ import annotations

import csv
import math
from datetime import date, timedelta

import pytest

from kpis.core import spc
from kpis.core.kpi import POLARITIES
from kpis.core.spc import (
    DIRECTIONS,
    SpcError,
    assurance_type,
    calculate_spc,
    part_of_seven_trend,
    part_of_two_in_three,
    point_type,
    seven_point_one_side_mean,
    seven_point_trend,
    special_cause_type,
    two_in_three,
    xmr_limits,
)
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "spc"


def rnorm123() -> list[float]:
    """R's set.seed(123); rnorm(48), as tests/fixtures/spc/make_fixtures.py reproduces it."""
    with open(FIXTURES / "rnorm_seed123.csv") as f:
        return [float(r["value"]) for r in csv.DictReader(f)]


def read_series(name: str) -> tuple[list[date], list[float]]:
    with open(FIXTURES / name) as f:
        rows = list(csv.DictReader(f))
    return [date.fromisoformat(r["date"]) for r in rows], [float(r["value"]) for r in rows]


def days(n: int, start: date = date(2020, 1, 1)) -> list[date]:
    """as.Date("2020-01-01") + 1:n"""
    return [start + timedelta(days=i) for i in range(1, n + 1)]


def shown(x: float, printed: str) -> bool:
    """x, rounded to the decimals R printed, is the number printed."""
    return round(x, len(printed.split(".")[1])) == float(printed)


def sig(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


# == tests/testthat/test-ptd_calculate_point_type.R ==============================================================
def test_seven_point_one_side_mean():
    """test-ptd_calculate_point_type.R, "ptd_seven_point_one_side_mean works as expected" (050b07d)."""
    assert seven_point_one_side_mean([]) == []
    assert seven_point_one_side_mean([1] * 6) == [0] * 6
    assert seven_point_one_side_mean([1] * 6 + [-1]) == [0] * 7
    assert seven_point_one_side_mean([1] * 8 + [-1]) == [0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert seven_point_one_side_mean([-1] * 8 + [1]) == [0, 0, 0, 0, 0, 0, 1, 1, 0]


def test_part_of_seven_trend():
    """test-ptd_calculate_point_type.R, "ptd_part_of_seven_trend works as expected" (050b07d)."""
    assert part_of_seven_trend([]) == []
    assert part_of_seven_trend([0] * 6) == [0] * 6
    assert part_of_seven_trend([0] * 6 + [1, 0]) == [1] * 7 + [0]
    assert part_of_seven_trend([0] * 7 + [1, 0]) == [0] + [1] * 7 + [0]
    assert part_of_seven_trend([0] * 6 + [-1, 0]) == [1] * 7 + [0]
    assert part_of_seven_trend([0] * 7 + [-1, 0]) == [0] + [1] * 7 + [0]


def test_seven_point_trend():
    """test-ptd_calculate_point_type.R, "ptd_seven_point_trend works as expected" (050b07d)."""
    assert seven_point_trend([]) == []
    assert seven_point_trend([1, 2, 3, 4, 5, 6]) == [0] * 6
    assert seven_point_trend([1, 2, 3, 3, 4, 5, 6]) == [0] * 7  # c(1:3, 3:6): a tie breaks the trend
    assert seven_point_trend(list(range(1, 8))) == [0] * 6 + [1]
    assert seven_point_trend([2, *range(1, 8), 3]) == [0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert seven_point_trend(list(range(7, 0, -1))) == [0] * 6 + [-1]
    assert seven_point_trend([2, *range(7, 0, -1), 3]) == [0, 0, 0, 0, 0, 0, 0, -1, 0]


def test_two_in_three():
    """test-ptd_calculate_point_type.R, "ptd_two_in_three works as expected" (050b07d).

    R's `ptd_two_in_three(numeric(3), numeric(1))` passes a side-of-mean vector shorter than the points, which R
    pads with NA; here the sides must be one per point, so that case is `[0, 0, 0]`, with the same expected result.
    """
    assert two_in_three([], []) == []
    assert two_in_three([0, 0, 0], [0, 0, 0]) == [0, 0, 0]
    d = two_in_three([1, 0, 1], [1, 1, 1])
    assert d == two_in_three([0, 1, 1], [1, 1, 1]) == two_in_three([1, 1, 0], [1, 1, 1]) == [1, 1, 1]
    assert two_in_three([0, 0, 1, 0, 1, 0, 0], [1] * 7) == [0, 0, 1, 1, 1, 0, 0]
    assert two_in_three([0, 0, 1, 1, 0, 0, 0], [1] * 7) == [0, 1, 1, 1, 1, 0, 0]
    with pytest.raises(ValueError):
        two_in_three([0, 0, 0], [0])


def test_two_in_three_opposite_sides():
    """test-ptd_calculate_point_type.R, "ptd_two_in_three works as expected when points are on opposite sides of
    the mean" (050b07d)."""
    assert two_in_three([1, 0, 1], [1, -1, 1]) == [0, 0, 0]
    assert two_in_three([0, 1, 1], [1, -1, 1]) == [0, 0, 0]
    assert two_in_three([1, 1, 0], [1, -1, 1]) == [0, 0, 0]
    assert two_in_three([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1]) == [0] * 7
    assert two_in_three([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1]) == [0] * 7


def test_part_of_two_in_three():
    """test-ptd_calculate_point_type.R, "ptd_part_of_two_in_three works as expected" (050b07d).

    As in R, the b and g cases pass their arguments in a different order; b's side vector is `[0, 0, 0]` here (see
    test_two_in_three).
    """
    assert part_of_two_in_three(two_in_three([], []), []) == []
    bv = [0, 0, 0]
    assert part_of_two_in_three(bv, two_in_three(bv, [0, 0, 0])) == bv
    for v in ([1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1, 0, 1, 0, 0]):
        assert part_of_two_in_three(two_in_three(v, [1] * len(v)), v) == v
    gv = [0, 0, 1, 1, 0, 0, 0]
    assert part_of_two_in_three(gv, gv) == gv
    hv = [1, 0, 0, 1]
    assert part_of_two_in_three(two_in_three(hv, [1] * 4), hv) == [0, 0, 0, 0]
    iv = [1, 0, 0, 1, 1]
    assert part_of_two_in_three(two_in_three(iv, [1] * 5), iv) == [0, 0, 0, 1, 1]


def test_special_cause_type_precedence(monkeypatch):
    """test-ptd_calculate_point_type.R, "ptd_special_cause_type works as expected" (050b07d), with the same mocks:
    part_of_seven_trend returns the trend flags on its first call and the one-side-of-the-mean flags on its second,
    part_of_two_in_three returns the 2-in-3 flags."""
    calls = iter([[1, -1, 0, 0, 0, 0, 0, 0], [0, 0, 1, -1, 0, 0, 0, 0]])
    monkeypatch.setattr(spc, "seven_point_one_side_mean", lambda *a: "sevenPointOneSideOfMean")
    monkeypatch.setattr(spc, "seven_point_trend", lambda *a: "sevenPointTrend")
    monkeypatch.setattr(spc, "part_of_seven_trend", lambda *a: next(calls))
    monkeypatch.setattr(spc, "two_in_three", lambda *a: "twoInThree")
    monkeypatch.setattr(spc, "part_of_two_in_three", lambda *a: [0, 0, 0, 0, 1, 0, 0, 0])
    got = special_cause_type(list(range(1, 9)), [1] * 4 + [-1] * 4, "relative_to_mean", [0, 0, 0, 0, 0, 1, -1, 0])
    assert got == ["7 Point Trend (Increasing)", "7 Point Trend (Increasing)", "7 Points Above CL",
                   "7 Points Above CL", "2 in 3 Below CL", "Below LCL", "Below LCL", "Common Cause"]


def test_point_type_orients_by_direction():
    """R/ptd_calculate_point_type.R ptd_point_type (050b07d), and test-ptd_spc.R "it calls ptd_calculate_point_type
    (increase)" / "(decrease)": increase is 1, decrease -1 (neutral 0)."""
    assert DIRECTIONS == {"increase": 1, "neutral": 0, "decrease": -1}
    assert set(spc.DIRECTION_OF_POLARITY) == set(POLARITIES) and set(spc.DIRECTION_OF_POLARITY.values()) == set(
        DIRECTIONS)
    labels = ["Above UCL", "7 Point Trend (Decreasing)", "2 in 3 Below CL", "7 Points Above CL", "Common Cause"]
    assert point_type(labels, 1) == ["special_cause_improvement", "special_cause_concern", "special_cause_concern",
                                     "special_cause_improvement", "common_cause"]
    assert point_type(labels, -1) == ["special_cause_concern", "special_cause_improvement",
                                      "special_cause_improvement", "special_cause_concern", "common_cause"]
    assert point_type(labels, 0) == ["special_cause_neutral_high", "special_cause_neutral_low",
                                     "special_cause_neutral_low", "special_cause_neutral_high", "common_cause"]


# == tests/testthat/test-ptd_spc_standard.R (and its snapshot _snaps/ptd_spc_standard.md) ==========================
def test_limits_match_the_snapshots():
    """test-ptd_spc_standard.R, "it returns expected values" (050b07d): r1 (screened), r2 (y[15] = 10, screened)
    and r3 (y[15] = 10, screen_outliers = FALSE) against _snaps/ptd_spc_standard.md, and the test's own
    expectations that all three differ and that r3's range is wider than r2's."""
    y = rnorm123()[:20]
    assert [f"{v:.8f}" for v in y[:4]] == ["-0.56047565", "-0.23017749", "1.55870831", "0.07050839"]
    r1 = calculate_spc(days(20), y).points
    y2 = list(y)
    y2[14] = 10
    r2 = calculate_spc(days(20), y2).points
    r3 = calculate_spc(days(20), y2, screen_outliers=False).points
    for r, mean, lpl, upl in ((r1, "0.1416238", "-3.01138", "3.294627"), (r2, "0.6694159", "-2.383666", "3.722497"),
                              (r3, "0.6694159", "-4.596625", "5.935457")):
        assert shown(r[0].mean, mean) and shown(r[0].lpl, lpl) and shown(r[0].upl, upl)
        assert all(p.mean == r[0].mean and p.lpl == r[0].lpl and p.upl == r[0].upl for p in r)
        assert [p.outside_limits for p in r[:8]] == [False] * 8 and [p.close_to_limits for p in r[:8]] == [False] * 8
    assert [p.relative_to_mean for p in r1[:15]] == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1]
    assert [p.relative_to_mean for p in r2[:14]] == [-1, -1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1]
    assert len({r1[0].lpl, r2[0].lpl, r3[0].lpl}) == 3 and len({r1[0].upl, r2[0].upl, r3[0].upl}) == 3
    assert r3[0].upl - r3[0].lpl > r2[0].upl - r2[0].lpl


def test_rebase_group():
    """test-ptd_spc_standard.R, "it sets the rebase_group field" (050b07d): no rebase, all group 0; a rebase on the
    11th date, groups 0 x 10 then 1 x 10."""
    y = rnorm123()[:20]
    assert [p.rebase_group for p in calculate_spc(days(20), y).points] == [0] * 20
    r = calculate_spc(days(20), y, rebase=[days(20)[10]])
    assert [p.rebase_group for p in r.points] == [0] * 10 + [1] * 10


def test_fix_after_n_points_changes_the_limits():
    """test-ptd_spc_standard.R, "setting fix_after_n_points changes the calculations" (050b07d)."""
    y = rnorm123()[:20]
    s0, s1 = calculate_spc(days(20), y).points[0], calculate_spc(days(20), y, fix_after_n_points=12).points[0]
    assert s1.lpl != s0.lpl and s1.upl != s0.upl
    assert s1.mean == pytest.approx(sum(y[:12]) / 12)


def test_two_in_three_needs_the_same_side():
    """test-ptd_spc_standard.R, "it only reports special cause for 2of3 points close to limits when they are on the
    same side of the mean" (050b07d): the last two points, 5.5 and -5.5, are both common cause."""
    dates, values = read_series("two_in_three_opposite.csv")
    assert values == [1, -1] * 7 + [5.5, -5.5] and dates == days(16)
    r = calculate_spc(dates, values)
    assert [p.point_type for p in r.points[-2:]] == ["common_cause", "common_cause"]


# == tests/testthat/test-ptd_calculate_assurance_type.R ==========================================================
FACETS = [(1, 2, 3), (5, 6, 7), (1, 4, 5)]  # (lpl, mean, upl) of facets a, b, c; target 4


def test_assurance_without_target():
    """test-ptd_calculate_assurance_type.R, "it returns a column of NA's if there is no target" (050b07d)."""
    assert assurance_type(None, 1, 3, "increase") is None


@pytest.mark.parametrize("direction, expected", [
    ("increase", ["consistent_fail", "consistent_pass", "inconsistent"]),
    ("decrease", ["consistent_pass", "consistent_fail", "inconsistent"]),
    ("neutral", [None, None, None]),
])
def test_assurance_by_direction(direction, expected):
    """test-ptd_calculate_assurance_type.R, "it returns correct values for assurance when improvement_direction is
    increase" / "... is decrease" / "... is neutral" (050b07d)."""
    assert [assurance_type(4, lpl, upl, direction) for lpl, _, upl in FACETS] == expected


def test_assurance_uses_the_last_row():
    """test-ptd_calculate_assurance_type.R, "it returns correct values for assurance when rebase" (050b07d): the rows
    in orders 1,2,3 / 2,3,1 / 3,1,2; only the last row's limits count (decrease, target 4)."""
    for order, expected in (((0, 1, 2), "inconsistent"), ((1, 2, 0), "consistent_pass"),
                            ((2, 0, 1), "consistent_fail")):
        lpl, _, upl = FACETS[order[-1]]
        assert assurance_type(4, lpl, upl, "decrease") == expected


# == tests/testthat/test-ptd_add_rebase_column.R =================================================================
def test_rebase_dates():
    """test-ptd_add_rebase_column.R, "it adds a column of zeros if no rebase is provided" and "it correctly sets
    rebase column when a date vector is passed" (050b07d): rebase on 2020-01-03 and 2020-01-08 of
    as.Date("2020-01-01") + 1:10 gives rebase flags 0,1,0,0,0,0,1,0,0,0, i.e. groups 0,1,1,1,1,1,2,2,2,2."""
    y = rnorm123()[:10]
    assert [p.rebase_group for p in calculate_spc(days(10), y).points] == [0] * 10
    r = calculate_spc(days(10), y, rebase=[date(2020, 1, 3), date(2020, 1, 8)])
    assert [p.rebase_group for p in r.points] == [0, 1, 1, 1, 1, 1, 2, 2, 2, 2]


# == tests/testthat/test-ptd_add_short_group_warnings.R ==========================================================
def test_short_group_threshold():
    """test-ptd_add_short_group_warnings.R (050b07d), with warning_threshold = 12: "it warns when a group is shorter
    than the warning_threshold" (11 points), "it does not warn when a group is equal to the warning_threshold" (12),
    "it chooses warning_threshold from options if no value provided" (10 points: no warning at 10, a warning at 12);
    and the package's default threshold, getOption("ptd_spc.warning_threshold", 13)."""
    y = rnorm123()
    assert [p.trial_limits for p in calculate_spc(days(11), y[:11], warning_threshold=12).points] == [True] * 11
    assert [p.trial_limits for p in calculate_spc(days(12), y[:12], warning_threshold=12).points] == [False] * 12
    assert not calculate_spc(days(10), y[:10], warning_threshold=10).trial_limits
    assert calculate_spc(days(10), y[:10], warning_threshold=12).trial_limits
    assert spc.WARNING_THRESHOLD == 13
    assert calculate_spc(days(12), y[:12]).trial_limits and not calculate_spc(days(13), y[:13]).trial_limits


def test_short_group_with_rebase():
    """test-ptd_add_short_group_warnings.R, "it handles facets and rebase groups - warning on one facet" (050b07d):
    facet a has rebase groups of 35 and 5 points, facet b 20 and 20; only the 5 have trial limits. (Facets are
    independent charts, so each is charted on its own here.)"""
    values = (rnorm123() * 2)[:40]
    a = calculate_spc(days(40), values, rebase=[days(40)[35]], warning_threshold=12)
    b = calculate_spc(days(40), values, rebase=[days(40)[20]], warning_threshold=12)
    assert [p.trial_limits for p in a.points] + [p.trial_limits for p in b.points] == [False] * 35 + [True] * 5 + \
        [False] * 40


# == tests/testthat/test-geom_ptd_icon.R ==========================================================================
def icon_names(r) -> list[str]:
    return [f"variation/{r.variation_icon}.svg"] + ([f"assurance/{r.assurance_icon}.svg"] if r.assurance_icon else [])


def test_icons():
    """test-geom_ptd_icon.R, "ptd_get_icons transforms the data correctly" (050b07d), s1 to s9. s3 and s4 are faceted
    by f (12 points each), so each facet is charted on its own; with the test's ptd_spc.warning_threshold = 0 no group
    is short, and the icons do not depend on it."""
    z = rnorm123()
    x, y = days(24), z[:24]
    assert icon_names(calculate_spc(x, y)) == ["variation/common_cause.svg"]
    assert icon_names(calculate_spc(x, y, target=0.5)) == ["variation/common_cause.svg", "assurance/inconsistent.svg"]
    for part in (slice(0, 12), slice(12, 24)):
        assert icon_names(calculate_spc(x[part], y[part])) == ["variation/common_cause.svg"]
        assert icon_names(calculate_spc(x[part], y[part], target=0.5)) == ["variation/common_cause.svg",
                                                                            "assurance/inconsistent.svg"]
    y5 = y[:12] + [v + 5 for v in z[24:36]]  # d$y[d$f == 1] <- rnorm(12, 5)
    assert read_series("icons_s5.csv") == (x, y5)
    assert icon_names(calculate_spc(x, y5, target=-3)) == ["variation/improvement_high.svg", "assurance/pass.svg"]
    assert icon_names(calculate_spc(x, y5, target=-3, improvement_direction="decrease")) == [
        "variation/concern_high.svg", "assurance/fail.svg"]
    y7 = y[:12] + [v - 5 for v in z[36:48]]  # d$y[d$f == 1] <- rnorm(12, -5)
    assert read_series("icons_s7.csv") == (x, y7)
    assert icon_names(calculate_spc(x, y7, target=3)) == ["variation/concern_low.svg", "assurance/fail.svg"]
    assert icon_names(calculate_spc(x, y7, target=3, improvement_direction="decrease")) == [
        "variation/improvement_low.svg", "assurance/pass.svg"]
    assert icon_names(calculate_spc(x, y7, target=3, improvement_direction="neutral")) == [
        "variation/neutral_low.svg"]


# == tests/testthat/test-ptd_spc.R (summary snapshots in _snaps/ptd_spc.md) ======================================
def test_summary_snapshots():
    """test-ptd_spc.R, "it outputs expected content" and "summary with a target" (050b07d): s1/s5 (no facet), s2
    (rebase on 2020-01-01, which is not a date of the series, so one group 0) and s3/s4 (facets of 10 points)
    against the summary tables of _snaps/ptd_spc.md, printed to 3 significant figures."""
    x, y = days(20), rnorm123()[:20]
    for kw in ({}, {"rebase": [date(2020, 1, 1)]}, {"target": 0.5}):
        (g,) = calculate_spc(x, y, **kw).groups
        assert (g.rebase_group, sig(g.mean, 3), sig(g.lpl, 3), sig(g.upl, 3), g.n, g.common_cause,
                g.special_cause_improvement, g.special_cause_concern) == (0, "0.142", "-3.01", "3.29", 20, 20, 0, 0)
    for part, mean, lpl, upl in ((slice(0, 10), "0.0746", "-2.60", "2.75"), (slice(10, 20), "0.209", "-3.28", "3.70")):
        (g,) = calculate_spc(x[part], y[part]).groups
        assert (sig(g.mean, 3), f"{g.lpl:.2f}", f"{g.upl:.2f}", g.n, g.common_cause) == (mean, lpl, upl, 10, 10)


# == tests/testthat/test-ptd_spc_options.R and test-ptd_validate_spc_options.R ===================================
def test_options_are_checked():
    """test-ptd_spc_options.R, "fix_after_n_points must be a single numeric that is greater than or equal to 12." and
    "improvement_direction must be one of increase, neutral, or decrease"; test-ptd_validate_spc_options.R, "date_field
    can only appear once per facet" (050b07d)."""
    x, y = days(20), rnorm123()[:20]
    for bad in ("a", (15, 20), 11):
        with pytest.raises(SpcError, match="greater than or equal to 12"):
            calculate_spc(x, y, fix_after_n_points=bad)
    calculate_spc(x, y, fix_after_n_points=12)
    for direction in ("increase", "neutral", "decrease"):
        calculate_spc(x, y, improvement_direction=direction)
    assert calculate_spc(x, y).improvement_direction == "increase"
    with pytest.raises(SpcError, match="increase, decrease or neutral"):
        calculate_spc(x, y, improvement_direction="a")
    with pytest.raises(SpcError, match="more than once"):
        calculate_spc([date(2020, 1, 1)] * 2, [1, 2])


# == vignettes/deviations.Rmd (a worked example, not a test) ======================================================
def test_deviation_one_screening():
    """vignettes/deviations.Rmd, "1. Treatment of outlying points" (050b07d): UPL/mean/LPL 4.6/1.94/-0.72 screened,
    6.95/1.94/-3.06 with screen_outliers = FALSE; the 10 is the one special cause (blue: improvement) either way."""
    dates, values = read_series("deviations.csv")
    for screen, expected in ((True, (4.6, 1.94, -0.72)), (False, (6.95, 1.94, -3.06))):
        r = calculate_spc(dates, values, screen_outliers=screen)
        p = r.points[0]
        assert (round(p.upl, 2), round(p.mean, 2), round(p.lpl, 2)) == expected
        assert [q.point_type for q in r.points].count("special_cause_improvement") == 1
        assert r.points[4].special_cause_type == "Above UCL"


# == hand-checked series ==========================================================================================
MONTHS = [date(2024, m, 1) for m in range(1, 13)]
SERIES = [10, 12] * 5 + [10, 30]


def test_hand_checked_monthly_limits():
    """12 months: mean 150 / 12 = 12.5; moving ranges ten 2s and one 20, mean 40 / 11; 20 >= 3.267 x 40 / 11 = 11.88
    is screened, so the mean moving range is 2: limits 12.5 +/- 5.32 = 7.18 and 17.82, 2-sigma zone 12.5 +/- 3.5467.
    Unscreened, 12.5 +/- 2.66 x 40 / 11 = 2.827273 and 22.172727."""
    lim = xmr_limits(SERIES)
    assert (lim.mean, lim.amr) == (12.5, 2.0)
    assert lim.lpl == pytest.approx(7.18) and lim.upl == pytest.approx(17.82)
    assert lim.nlpl == pytest.approx(12.5 - 2 * 2.66 / 3 * 2) and lim.nupl == pytest.approx(12.5 + 3.546667, abs=1e-6)
    raw = xmr_limits(SERIES, screen_outliers=False)
    assert raw.amr == pytest.approx(40 / 11) and raw.upl == pytest.approx(22.172727, abs=1e-6)
    assert raw.lpl == pytest.approx(2.827273, abs=1e-6)


def test_hand_checked_monthly_rules_and_icons():
    """The first 11 months (10 and 12) are all below the mean of 12.5: 7 points below the centre line; the 30 is above
    the upper limit. Higher is better: concern for the 11, improvement for the 30, so the variation icon is
    improvement_high; a target of 20 lies above the upper limit (17.82): the target will consistently be missed."""
    r = calculate_spc(MONTHS, SERIES, improvement_direction="increase", target=20)
    assert [p.special_cause_type for p in r.points] == ["7 Points Below CL"] * 11 + ["Above UCL"]
    assert [p.point_type for p in r.points] == ["special_cause_concern"] * 11 + ["special_cause_improvement"]
    assert (r.variation_type, r.variation_icon, r.assurance_type, r.assurance_icon) == (
        "special_cause_improvement", "improvement_high", "consistent_fail", "fail")
    assert r.trial_limits  # 12 < 13
    lower = calculate_spc(MONTHS, SERIES, improvement_direction="decrease", target=7)
    # lower is better and 7 < 7.18, the lower limit: the process will consistently miss (stay above) the target
    assert (lower.variation_icon, lower.assurance_type, lower.assurance_icon) == ("concern_high", "consistent_fail",
                                                                                  "fail")
    assert calculate_spc(MONTHS, SERIES, target=12.5).assurance_icon == "inconsistent"
    assert calculate_spc(MONTHS, SERIES, target=xmr_limits(SERIES).upl).assurance_type == "inconsistent"  # strict
    neutral = calculate_spc(MONTHS, SERIES, improvement_direction="neutral", target=20)
    assert (neutral.variation_icon, neutral.assurance_icon) == ("neutral_high", None)


def test_hand_checked_rebase():
    """Rebased at the 7th month: group 0 is 10,12,10,12,10,12 (mean 11, mean moving range 2, limits 5.68 to 16.32,
    all common cause); group 1 is 10,12,10,12,10,30 (mean 14; moving ranges 2,2,2,2,20 with mean 5.6; 20 >= 18.295
    is screened, so 2: limits 8.68 to 19.32, 2-sigma zone 10.4533 to 17.5467). In group 1 the 30 is above the upper
    limit, and each 10 is in the 2-3 sigma zone below the mean, with another such 10 and all three points below the
    mean in a window of three: 2 in 3 below the centre line. The target of 20 is judged against
    the latest limits only: above 19.32, so consistently missed when higher is better. Both groups are short."""
    r = calculate_spc(MONTHS, SERIES, rebase=[MONTHS[6]], target=20)
    g0, g1 = r.groups
    assert (g0.mean, g0.lpl, g0.upl, g0.n, g0.assurance_type) == (11, pytest.approx(5.68), pytest.approx(16.32), 6,
                                                                   None)
    assert (g1.mean, g1.lpl, g1.upl, g1.start) == (14, pytest.approx(8.68), pytest.approx(19.32), MONTHS[6])
    two_in_three_below = ["2 in 3 Below CL", "Common Cause"] * 2 + ["2 in 3 Below CL", "Above UCL"]
    assert [p.special_cause_type for p in r.points] == ["Common Cause"] * 6 + two_in_three_below
    assert (g0.variation_type, g1.variation_type, g1.assurance_type) == (
        "common_cause", "special_cause_improvement", "consistent_fail")
    assert g0.trial_limits and g1.trial_limits


def test_hand_checked_quarterly_trend_and_order():
    """8 quarters given out of order, 3,1,2,3,4,5,6,7 once sorted: mean 31 / 8 = 3.875, moving ranges 2,1,1,1,1,1,1
    (mean 8 / 7), upper limit 3.875 + 2.66 x 8 / 7 = 6.915. The last 7 rise strictly: a 7-point trend, but the 7 is
    above the upper limit, which takes precedence. Lower is better: all concern, icon concern_high."""
    quarters = [date(2022 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(4, 28, 3)]  # Apr 2022 .. Jan 2024
    values = [3, 1, 2, 3, 4, 5, 6, 7]
    r = calculate_spc(quarters[::-1], values[::-1], improvement_direction="decrease")
    assert [p.date for p in r.points] == quarters
    assert r.points[0].upl == pytest.approx(3.875 + 2.66 * 8 / 7)
    assert [p.special_cause_type for p in r.points] == ["Common Cause"] + ["7 Point Trend (Increasing)"] * 6 + [
        "Above UCL"]
    assert r.variation_icon == "concern_high" and r.trial_limits


def test_zero_and_no_variation():
    """From the package's code (R/ptd_spc_standard.R): 1,1,1,1,2 has moving ranges 0,0,0,1; the 1 is screened, so
    the mean moving range is 0 and the limits are the mean, 1.2: every point is outside. A constant series has no
    moving range left after screening (0 < 0 is false), so R's mean is NaN: no limits, all common cause, and
    assurance falls through to inconsistent, as R's case_when does."""
    r = calculate_spc(days(5), [1, 1, 1, 1, 2])
    assert {(p.lpl, p.mean, p.upl) for p in r.points} == {(1.2, 1.2, 1.2)}
    assert [p.special_cause_type for p in r.points] == ["Below LCL"] * 4 + ["Above UCL"]
    flat = calculate_spc(days(4), [3, 3, 3, 3], target=5)
    assert all(math.isnan(p.upl) for p in flat.points)
    assert [p.point_type for p in flat.points] == ["common_cause"] * 4
    assert (flat.variation_icon, flat.assurance_type) == ("common_cause", "inconsistent")
    assert flat.to_dict()["points"][0]["upl"] is None


def test_one_point_group_has_no_limits():
    """A rebase on the last date leaves a group of one point: no moving range, so no limits (NaN), common cause."""
    r = calculate_spc(MONTHS, SERIES, rebase=[MONTHS[-1]])
    last = r.groups[-1]
    assert last.n == 1 and math.isnan(last.upl) and r.points[-1].special_cause_type == "Common Cause"


def test_bad_series():
    with pytest.raises(SpcError, match="no points"):
        calculate_spc([], [])
    with pytest.raises(SpcError, match="not a number"):
        calculate_spc(days(3), [1, float("nan"), 2])
    with pytest.raises(SpcError, match="3 dates but 2 values"):
        calculate_spc(days(3), [1, 2])
