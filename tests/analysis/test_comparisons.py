"""Every KPI against England, the region, the neighbours and all councils, on the demo database.

Expected numbers are worked out here independently, from the published files in data/reference.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from kpis.analysis.comparisons import COLUMNS, kpi_benchmarks
from kpis.core import intervals, stats
from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.core.stats import lait_quartile, lait_rank
from kpis.published.importer import REFERENCE_DIR
from kpis.store.database import Store

FRAMEWORK = load_framework(DEFAULT_FRAMEWORK)
WORCS_DFE = "885"


@pytest.fixture
def demo(demo_db):
    s = Store(demo_db, read_only=True)
    yield s
    s.close()


@pytest.fixture
def rows(demo):
    return {r["kpi_id"]: r for r in kpi_benchmarks(demo, FRAMEWORK)}


def current_councils() -> pd.DataFrame:
    areas = pd.read_csv(REFERENCE_DIR / "areas.csv", dtype=str)
    return areas[(areas["area_type"] == "county_ua") & areas["valid_to"].isna()]


def neighbour_numbers() -> list[str]:
    sn = pd.read_csv(REFERENCE_DIR / "statistical_neighbours.csv", dtype=str)
    return sn.loc[sn["dfe_code"] == WORCS_DFE, "neighbour_dfe_code"].tolist()


def test_one_row_per_kpi_with_every_key(rows):
    assert list(rows) == [k.id for k in FRAMEWORK.kpis]
    for r in rows.values():
        assert list(r) == COLUMNS
        assert r["trend"] in stats.TREND_LABELS
        assert r["comparison"] in ("better", "similar", "worse", "higher", "lower", "not compared")


def test_sg02_against_england_2024_25(rows, demo):
    r = rows["SG02"]
    # the home series is the sub-group's own (demo) quarterly returns
    assert (r["value_source"], r["is_demo"], r["unit"], r["polarity"]) == ("local return", True, "percentage",
                                                                          "lower_is_better")
    latest = demo.df("SELECT period_label, period_end, value, numerator, denominator FROM current_observations "
                     "WHERE indicator_id = 'SG02' AND area_code = 'E10000034' AND breakdown_type = 'all' "
                     "ORDER BY period_end").dropna(subset=["value"])
    cur, prev = latest.iloc[-1], latest.iloc[-2]
    assert (r["period"], r["value"]) == (cur["period_label"], pytest.approx(cur["value"]))
    assert r["period_end"] == pd.Timestamp(cur["period_end"]).date().isoformat()
    lo, hi = intervals.proportion_ci_pct(cur["numerator"], cur["denominator"])
    assert (r["lower_ci"], r["upper_ci"]) == (pytest.approx(lo), pytest.approx(hi))
    # England: DfE Children in need 2025 (reporting year 2025 = 2024/25), the latest ending before the quarter
    assert (r["england_value"], r["england_period"]) == (24.5, "2024/25")
    assert r["comparison"] == stats.compare_with_benchmark(r["value"], lo, hi, 24.5, "lower_is_better")
    assert r["change"] == pytest.approx(cur["value"] - prev["value"])
    assert r["previous_period"] == prev["period_label"]
    # the other comparators for the same published year
    assert r["benchmark_period"] == "2024/25"
    assert (r["region"], r["region_value"]) == ("E12000005", 26.7)        # West Midlands


def test_sg02_neighbours_pooled_and_quartile_from_the_dfe_file(rows):
    d3 = pd.read_csv(REFERENCE_DIR / "dfe" / "d3_cpps_subsequent_plan_2013_to_2025.csv", dtype=str,
                     keep_default_na=False)
    d3 = d3[(d3["time_period"] == "2025") & (d3["geographic_level"] == "Local authority")]
    nb = d3[d3["old_la_code"].isin(neighbour_numbers())]
    assert len(nb) == 10
    pooled = pd.to_numeric(nb["CPP_subsequent"]).sum() / pd.to_numeric(nb["CPP_start"]).sum() * 100
    r = rows["SG02"]
    assert r["neighbours_value"] == pytest.approx(pooled, abs=1e-6) and r["neighbours_count"] == 10
    assert r["neighbours_method"].startswith("pooled rate")
    # by DfE number: the 2025 file gives Barnsley and Sheffield their former codes (E08000016/19), the same councils
    # as today's E08000038/39 (data/reference/dfe/la_codes_with_history.csv)
    councils = d3[d3["old_la_code"].isin(current_councils()["dfe_code"])]
    values = pd.to_numeric(councils["CPP_subsequent_percent"], errors="coerce").dropna()
    worcs = float(councils.loc[councils["new_la_code"] == "E10000034", "CPP_subsequent_percent"].iloc[0])
    assert worcs == 31.4 == r["benchmark_value"]
    assert r["rank"] == int((values < worcs).sum()) + 1 == 141 and r["rank_of"] == len(values) == 153
    assert worcs > np.quantile(values, 0.75) and r["quartile"] == "D"   # lower is better: the worst quarter


def test_eh04_gld_against_england_with_quartile_and_rank(rows):
    r = rows["EH04"]
    # no local returns: the published LAIT series is the home series
    assert (r["value_source"], r["period"], r["value"]) == ("published", "AY 2024/25", 68.0)
    assert (r["england_value"], r["england_period"]) == (68.3, "AY 2024/25")
    # LAIT publishes no counts, so there is no interval and no significance test
    assert (r["lower_ci"], r["upper_ci"], r["comparison"]) == (None, None, "not compared")
    assert r["change"] == pytest.approx(0.4) and r["previous_period"] == "AY 2023/24"
    assert r["region_value"] == 66.9
    lait = pd.read_csv(REFERENCE_DIR / "lait" / "bds_long_extract.csv", dtype=str, keep_default_na=False)
    lait = lait[(lait["Short Desc"] == "FSP_NEW_GOODDEV") & (lait["Years"] == "2025")]
    number = lait["LA Number"].str.replace(r"\.0$", "", regex=True)
    neighbours = pd.to_numeric(lait.loc[number.isin(neighbour_numbers()), "Values"])
    assert r["neighbours_value"] == pytest.approx(neighbours.mean()) == pytest.approx(69.1)
    assert r["neighbours_method"] == "mean of 10 neighbours' values"  # no counts: the mean
    councils = current_councils()
    values = pd.to_numeric(lait.loc[number.isin(councils["dfe_code"]), "Values"], errors="coerce").dropna()
    assert r["rank"] == int((values > 68.0).sum()) + 1 == 83 and r["rank_of"] == len(values) == 153
    q25, q50 = np.quantile(values, [0.25, 0.5])
    assert q25 < 68.0 <= q50 and r["quartile"] == "C"   # higher is better: second quarter from the bottom


def test_as_at_before_the_demo_returns_has_no_local_value(demo):
    first_return = demo.scalar("SELECT min(valid_from) FROM observations WHERE indicator_id = 'SG02'")
    before = datetime(2023, 7, 1)
    assert before < first_return
    rows = {r["kpi_id"]: r for r in kpi_benchmarks(demo, FRAMEWORK, as_at=before)}
    assert all(r["value_source"] != "local return" for r in rows.values())
    for kpi in FRAMEWORK.kpis:
        if kpi.comparator is None:  # local-only KPIs: nothing at all yet
            assert rows[kpi.id]["value"] is None and rows[kpi.id]["period"] is None
    sg02 = rows["SG02"]  # only the published figure known then (DfE 2022/23 came out in the autumn of 2023)
    assert (sg02["value_source"], sg02["period"], sg02["value"]) == ("published", "2021/22", 29.2)
    assert (sg02["england_value"], sg02["england_period"]) == (22.7, "2021/22")
    after = {r["kpi_id"]: r for r in kpi_benchmarks(demo, FRAMEWORK, as_at=datetime(2023, 8, 5))}
    assert (after["SG02"]["value_source"], after["SG02"]["period"]) == ("local return", "2023/24 Q1")


def test_lait_quartile_and_rank_rules():
    values = [10.0, 20.0, 30.0, 40.0, 50.0]  # quartiles 20, 30, 40
    assert [lait_quartile(v, values, "lower_is_better") for v in values] == ["A", "A", "B", "C", "D"]
    assert [lait_quartile(v, values, "higher_is_better") for v in values] == ["D", "D", "C", "B", "A"]
    assert lait_quartile(30.0, values, "no_polarity") is None
    assert [lait_rank(v, values, "higher_is_better") for v in values] == [5, 4, 3, 2, 1]
    assert [lait_rank(v, values, "lower_is_better") for v in values] == [1, 2, 3, 4, 5]
    assert lait_rank(20.0, [*values, 20.0], "lower_is_better") == 2  # ties share the better rank
    assert lait_rank(20.0, values, "no_polarity") is None
