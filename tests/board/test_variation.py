"""The scorecard's SPC verdicts in words (kpis.board.variation), on series whose limits are worked out by hand."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from kpis.board import variation
from kpis.board.scorecard import scorecard
from kpis.core.framework import load_framework
from kpis.core.kpi import Target
from kpis.store.database import Store

FW = load_framework()
KPI = FW.kpi("SG02")                          # a percentage
QUARTERS = [date(2020 + (i // 4), 3 * (i % 4) + 3, 28) for i in range(16)]


def kpi(polarity: str, target: float | None = None):
    return replace(KPI, polarity=polarity, target=Target(target) if target is not None else None)


# 9 points around 20, then 7 in a row a little higher (mean 20.625; none near a limit, no 7-point trend): a shift,
# "7 Points Above CL" at the last point.
SHIFT = [20, 21, 19, 20, 22, 18, 20, 21, 19, 21, 22, 21, 22, 21, 22, 21]


def test_a_run_above_the_mean_is_improvement_when_higher_is_better_and_concern_when_lower_is():
    up = variation.verdict(kpi("higher_is_better"), QUARTERS, SHIFT)
    assert (up.icon, up.shape, up.short) == ("improvement_high", "▲", "Improving")
    assert up.cause == "7 points in a row above the mean" and up.signal
    assert up.words.startswith("Special cause of improvement: a signal, not chance (7 points in a row above")
    down = variation.verdict(kpi("lower_is_better"), QUARTERS, SHIFT)
    assert (down.icon, down.short) == ("concern_high", "Worsening")
    neutral = variation.verdict(kpi("no_polarity"), QUARTERS, SHIFT)
    assert (neutral.icon, neutral.short) == ("neutral_high", "Higher (signal)")
    assert neutral.assurance_short == "No target"


def test_noise_is_common_cause_and_says_so():
    flat = [20, 21, 19, 20, 22, 18, 20, 21, 19, 20, 21, 19, 20, 22, 18, 20]
    v = variation.verdict(kpi("higher_is_better"), QUARTERS, flat)
    assert (v.icon, v.short, v.cause, v.signal, v.trial) == ("common_cause", "No signal", None, False, False)


def test_no_verdict_is_invented_from_too_few_points_and_short_series_have_trial_limits():
    few = variation.verdict(kpi("higher_is_better", 20), QUARTERS[:5], SHIFT[:5])
    assert few.icon is None and few.short == "5 of 7 points"
    assert few.words == "Too few points for a signal: 5 of the 7 needed"
    assert few.assurance_icon is None and few.assurance_short == "Too few points"
    none = variation.verdict(kpi("higher_is_better"), [], [])
    assert (none.short, none.words) == ("No figures", "No figures yet")
    trial = variation.verdict(kpi("higher_is_better"), QUARTERS[:10], SHIFT[:10])
    assert trial.trial and trial.short.endswith("(trial)") and "Trial limits: 10 points" in trial.words


@pytest.mark.parametrize("polarity,target,icon,short", [
    ("higher_is_better", 10.0, "pass", "Passes"),     # below the lower limit: always above it
    ("higher_is_better", 40.0, "fail", "Fails"),    # above the upper limit: never reached
    ("higher_is_better", 20.5, "inconsistent", "Hit and miss"),   # within the limits
    ("lower_is_better", 10.0, "fail", "Fails"),
    ("lower_is_better", 40.0, "pass", "Passes"),
])
def test_assurance_compares_the_target_with_the_latest_limits(polarity, target, icon, short):
    flat = [20, 21, 19, 20, 22, 18, 20, 21, 19, 20, 21, 19, 20, 22, 18, 20]
    # by hand: mean 20.0; moving ranges 1,2,1,2,4,2,1,2,1,1,2,1,2,4,2 -> mean 1.8667 (none screened: all
    # < 3.267 x 1.8667 = 6.1); limits 20 -/+ 2.66 x 1.8667 = 15.03 and 24.97
    v = variation.verdict(kpi(polarity, target), QUARTERS, flat)
    assert (v.assurance_icon, v.assurance_short) == (icon, short)
    assert "limits 15.0% to 25.0%" in v.assurance_words
    result = v.result
    assert result.points[-1].lpl == pytest.approx(20 - 2.66 * 28 / 15) and result.points[-1].mean == 20


def test_every_scorecard_row_has_a_variation_and_an_assurance_verdict_or_a_stated_reason(demo_db):
    store = Store(demo_db, read_only=True)
    try:
        card = scorecard(store, FW)
    finally:
        store.close()
    assert len(card) == len(FW.kpis)
    for _, row in card.iterrows():
        assert row["variation_short"] and row["variation_text"], row["kpi_id"]
        assert row["assurance_short"] and row["assurance_text"], row["kpi_id"]
        if pd.isna(row["variation_icon"]):    # a reason instead of a verdict
            assert row["variation_text"].startswith(("Too few points", "No figures", "No chart")), row["kpi_id"]
        else:
            assert row["variation_points"] >= variation.MIN_POINTS
    # SG02 has a target and 14 quarters in the demo: a verdict for both
    sg02 = card.set_index("kpi_id").loc["SG02"]
    assert not pd.isna(sg02["variation_icon"]) and sg02["assurance_icon"] in ("pass", "fail", "inconsistent")
