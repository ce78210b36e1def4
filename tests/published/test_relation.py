"""What the scorecard says about each KPI against England, checked against the published files themselves.

Expected numbers are worked out here from data/reference, independently of kpis.published.relation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpis.analysis.comparisons import kpi_benchmarks
from kpis.core import intervals
from kpis.core.framework import DEFAULT_FRAMEWORK, FrameworkError, load_framework
from kpis.published import relation as comparison
from kpis.published.importer import REFERENCE_DIR
from kpis.store.database import Store

FRAMEWORK = load_framework(DEFAULT_FRAMEWORK)


@pytest.fixture(scope="module")
def rows(demo_db_master):
    store = Store(demo_db_master, read_only=True)
    out = {r["kpi_id"]: r for r in kpi_benchmarks(store, FRAMEWORK)}
    store.close()
    return out


def councils() -> pd.DataFrame:
    areas = pd.read_csv(REFERENCE_DIR / "areas.csv", dtype=str)
    return areas[(areas["area_type"] == "county_ua") & areas["valid_to"].isna()]


def lait(measure: str, year: str) -> pd.DataFrame:
    df = pd.read_parquet(REFERENCE_DIR / "lait" / "bds_long_related_extract.parquet")
    if measure in ("TotPerAbNew",):
        df = pd.read_parquet(REFERENCE_DIR / "lait" / "bds_long_extract.parquet")
    df = df[(df["Short Desc"] == measure) & (df["Years"] == year)].copy()
    df["number"] = df["LA Number"].map(lambda x: str(int(x)))
    df["value"] = pd.to_numeric(df["Values"], errors="coerce")
    return df


def test_the_demo_states_a_relation_to_england_for_ten_kpis(rows):
    stated = {k for k, r in rows.items() if r["relation_basis"] is not None}
    assert stated == {"EH02", "EH03", "EH04", "MH02", "MH03", "SD02", "SD04", "SG01", "SG02", "SG03"}
    assert len(rows) == 16
    assert {k for k, r in rows.items() if r["relation_basis"] == comparison.TESTED} == {"SD02", "SD04", "SG02"}
    # nothing is compared where nothing is loaded, and the words say why, from one vocabulary: EH01's Fingertips
    # indicator is published but not in the extracts; the local-only KPIs have no national figure at all
    assert rows["EH01"]["england_relation"] == comparison.NOT_LOADED
    for k in ("EH05", "MH01", "SD01", "SD03", "SD05"):
        assert rows[k]["england_relation"] == comparison.NO_NATIONAL
    for k in ("EH01", "EH05", "MH01", "SD01", "SD03", "SD05"):
        assert rows[k]["relation_basis"] is None and rows[k]["comparison"] == "not compared"


@pytest.mark.parametrize("kpi_id, measure, year", [("MH02", "TotPerAbNew", "2025"), ("EH02", "ExcessRec", "2025"),
                                                   ("EH03", "ExcessYr6", "2025"), ("MH03", "Emotional_LAC", "2025"),
                                                   ("SG01", "CPPlans2yrs", "2025")])
def test_a_related_lait_measure_is_the_home_councils_figure_its_quartile_and_rank(rows, kpi_id, measure, year):
    r = rows[kpi_id]
    df = lait(measure, year)
    home = float(df.loc[df["number"] == "885", "value"].iloc[0])
    england = float(df.loc[df["number"] == "970", "value"].iloc[0])
    values = df.loc[df["number"].isin(councils()["dfe_code"]), "value"].dropna()
    lower_is_better = FRAMEWORK.kpi(kpi_id).related.options["polarity"] == "lower_is_better"
    rank = int(((values < home) if lower_is_better else (values > home)).sum()) + 1
    q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75])
    band = 0 if home <= q25 else 1 if home <= q50 else 2 if home <= q75 else 3
    quartile = ("ABCD" if lower_is_better else "DCBA")[band]
    assert (r["related_value"], r["related_england_value"]) == (pytest.approx(home), pytest.approx(england))
    assert (r["related_rank"], r["related_quartile"]) == (rank, quartile)
    assert r["relation_basis"] == comparison.RELATED and r["comparison"] == "not compared"  # the KPI is not
    assert "not this KPI's own definition" in r["england_relation"] and f"rank {rank} of {len(values)}" in r[
        "england_relation"]
    diff = round(home - england, 1)
    assert f"{abs(diff):.1f}" in r["england_relation"] and ("above" if diff > 0 else "below") in r["england_relation"]


def test_sg03_is_worked_out_from_the_dfe_counts_with_a_wilson_interval(rows):
    c3 = pd.read_csv(REFERENCE_DIR / "dfe" / "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
                     dtype=str, keep_default_na=False)
    home = c3[c3["new_la_code"] == "E10000034"].iloc[0]
    eng = c3[c3["geographic_level"] == "National"].iloc[0]
    x, n = int(home["Mental_Health_parent"]), int(home["Episodes_with_assessment_factor"])
    england = int(eng["Mental_Health_parent"]) / int(eng["Episodes_with_assessment_factor"]) * 100
    lo, hi = intervals.proportion_ci_pct(x, n)
    r = rows["SG03"]
    assert (x, n) == (2203, 4693) and r["related_value"] == pytest.approx(x / n * 100)
    assert r["related_england_value"] == pytest.approx(england) and round(england, 1) == 33.5
    assert r["related_period"] == "2024/25"
    assert f"tested at 95%, interval here {lo:.1f}% to {hi:.1f}%" in r["england_relation"]
    assert lo > england and "worse than England" in r["england_relation"]   # lower is better, England below
    assert r["related_quartile"] is None and r["related_rank"] is None      # three rows: no rank among councils


def test_eh04_states_the_difference_quartile_and_rank_when_no_interval_can_exist(rows):
    r = rows["EH04"]
    assert (r["comparison"], r["relation_basis"]) == ("not compared", comparison.DIFFERENCE)
    assert r["england_difference"] == pytest.approx(68.0 - 68.3)
    # the direction, whether that is good for this KPI, that it was not tested and why, then the standing in words
    assert r["england_relation"] == ("Lower than England: worse; not tested, no counts published: 0.3 points below "
                                     "England (68.0% vs England 68.3%, AY 2024/25); worse than most councils, in the "
                                     "third quarter of 153 (rank 83, 1 = best)")


def test_difference_words():
    assert comparison.difference_words(68.0, 68.3, "percentage") == "0.3 points below England"
    assert comparison.difference_words(15.2, 14.9, "score") == "0.3 above England"
    assert comparison.difference_words(20.04, 20.0, "percentage") == "the same as England"


def test_a_related_comparator_is_checked_like_a_comparator(tmp_path):
    text = DEFAULT_FRAMEWORK.read_text(encoding="utf-8").replace(
        'related_comparator = { source = "lait", code = "TotPerAbNew"',
        'related_comparator = { source = "ons", code = "TotPerAbNew"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"KPI MH02 \(related_comparator\): comparator source 'ons'"):
        load_framework(bad)
