"""The board scorecard, the benchmark view (`scorecard` command) and the explorer say the same thing about
every KPI of the demo: the same latest value, the same 95% interval, the same comparison with England."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from kpis.analysis import explore
from kpis.analysis.comparisons import kpi_benchmarks
from kpis.analysis.timeseries import trends
from kpis.board.points import Point, with_interval
from kpis.board.scorecard import scorecard
from kpis.core import intervals, stats
from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.store.database import Store

FRAMEWORK = load_framework(DEFAULT_FRAMEWORK)
HOME = FRAMEWORK.home_area


@pytest.fixture(scope="module")
def views(demo_db_master):
    store = Store(demo_db_master, read_only=True)
    board = scorecard(store, FRAMEWORK).set_index("kpi_id")
    bench = {r["kpi_id"]: r for r in kpi_benchmarks(store, FRAMEWORK)}
    explored = {}
    for kpi in FRAMEWORK.kpis:
        df = trends(store, explore.indicator(store, FRAMEWORK, kpi.id), [HOME], home=HOME)
        home = df[df["role"].isin(["home", "home_local"])] if len(df) else df
        local = home[home["role"] == "home_local"] if len(home) else home
        mine = local if len(local) and local["value"].notna().any() else home
        mine = mine[mine["value"].notna()].sort_values("period_end") if len(mine) else mine
        explored[kpi.id] = mine.iloc[-1] if len(mine) else None
    store.close()
    return board, bench, explored


def same(a, b) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    return (missing_a and missing_b) or (not missing_a and not missing_b and a == pytest.approx(b, rel=1e-9))


@pytest.mark.parametrize("kpi_id", FRAMEWORK.kpi_ids)
def test_scorecard_and_explorer_agree(views, kpi_id):
    board, bench, explored = views
    b, c, e = board.loc[kpi_id], bench[kpi_id], explored[kpi_id]
    if e is None:                                       # no figure anywhere
        assert pd.isna(b["value"]) and c["value"] is None
        return
    assert (b["latest_period"], c["period"]) == (e["period_label"], e["period_label"])
    for col in ("value", "lower_ci", "upper_ci"):
        assert same(b[col], e[col]) and same(c[col], e[col]), (col, b[col], c[col], e[col])
    # the comparison with England: the explorer's for the same value and period
    assert b["comparison"] == c["comparison"] == e["significance"], (b["comparison"], c["comparison"],
                                                                    e["significance"])
    assert b["england_relation"] == c["england_relation"] or (pd.isna(b["england_relation"])
                                                              and c["england_relation"] is None)


def test_the_views_compare_some_kpis_and_state_a_relation_for_more(views):
    board, bench, _ = views
    tested = [k for k, r in bench.items() if r["comparison"] != "not compared"]
    stated = [k for k, r in bench.items() if r["relation_basis"] is not None]
    assert set(tested) <= set(stated)
    assert len(tested) >= 3 and len(stated) >= 8
    assert list(board.loc[stated, "relation_basis"]) == [bench[k]["relation_basis"] for k in stated]


def test_a_rate_gets_the_same_interval_on_the_scorecard_and_in_the_explorer():
    rate = FRAMEWORK.kpi("EH05").__class__(**{**FRAMEWORK.kpi("EH05").__dict__, "unit": "rate_per_10000"})
    point = Point("2025/26 Q1", None, 60.56, numerator=595, denominator=98246)
    frame = pd.DataFrame({"value": [60.56], "numerator": [595.0], "denominator": [98246.0], "lower_ci": [None],
                          "upper_ci": [None]})
    got = explore.with_intervals(frame, "rate_per_10000").iloc[0]
    lo, hi = with_interval(rate, point)
    assert (lo, hi) == (pytest.approx(got["lower_ci"]), pytest.approx(got["upper_ci"]))
    assert (lo, hi) == tuple(pytest.approx(x) for x in intervals.rate_ci(595, 98246, 10_000))
