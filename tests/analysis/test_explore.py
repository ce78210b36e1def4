"""The explorer's analysis on the demo database: compare areas, spine, trends, neighbours, breakdowns."""
import itertools
import math

import pandas as pd
import pytest

from kpis.analysis import across_areas, explore, inequalities, timeseries
from kpis.analysis import charts as explore_charts
from kpis.core.areas import ENGLAND
from kpis.core.framework import load_framework
from kpis.store.database import Store

HOME = "E10000034"
SG02_HOME = {"2020/21": 24.7, "2021/22": 29.2, "2022/23": 29.8, "2023/24": 26.8, "2024/25": 31.4}
SG02_ENGLAND = {"2020/21": 22.1, "2021/22": 22.7, "2022/23": 23.6, "2023/24": 24.7, "2024/25": 24.5}


@pytest.fixture(scope="module")
def store(demo_db_master):
    s = Store(demo_db_master, read_only=True)
    yield s
    s.close()


@pytest.fixture(scope="module")
def fw():
    return load_framework()


@pytest.fixture(scope="module")
def sg02(store, fw):
    return explore.indicator(store, fw, "SG02")


# -- choosing an indicator --------------------------------------------------------------------------
def test_choices_list_every_kpi_then_every_source_indicator(store, fw):
    choices = explore.indicator_choices(store, fw)
    kpis = choices[choices["kind"] == "Framework KPI"]
    assert kpis["indicator_id"].tolist() == fw.kpi_ids
    sources = set(choices.loc[choices["kind"] == "Source indicator", "indicator_id"])
    assert {"dfe_ees:d3_cpps_subsequent_plan", "lait:FSP_NEW_GOODDEV", "fingertips:90284"} <= sources
    sg02 = choices.set_index("indicator_id").loc["SG02"]
    assert sg02["area_series_id"] == "dfe_ees:d3_cpps_subsequent_plan" and sg02["areas"] > 150


def test_a_kpi_uses_its_comparator_for_other_areas_unless_none_is_imported(store, fw, sg02):
    assert sg02.area_series_id == "dfe_ees:d3_cpps_subsequent_plan"
    assert sg02.polarity == "lower_is_better" and sg02.unit == "percentage"
    assert explore.indicator(store, fw, "SG03").area_series_id == "SG03"   # comparator named, not imported
    assert explore.indicator(store, fw, "MH01").area_series_id == "MH01"   # local only
    source = explore.indicator(store, fw, "fingertips:90284")
    # issue 14: no framework KPI, so polarity and unit come from the file itself: Fingertips marks councils
    # above England 'Worse' (lower is better), and its Value is Count / Denominator x 10,000
    assert source.kind == "Source indicator" and source.polarity == "lower_is_better"
    assert source.unit == "rate_per_10000" and source.axis_title == "Rate per 10,000"
    with pytest.raises(KeyError, match="no indicator"):
        explore.indicator(store, fw, "nope:1")


def test_default_indicator_covers_the_home_area(store, fw):
    kpi = explore.default_indicator(store, fw)
    assert fw.kpi(kpi).comparator is not None


# -- intervals and comparisons ------------------------------------------------------------------------
def frame(**cols) -> pd.DataFrame:
    base = {"value": [None], "numerator": [None], "denominator": [None], "lower_ci": [None], "upper_ci": [None]}
    base.update({k: [v] for k, v in cols.items()})
    return pd.DataFrame(base).astype("float64")


def test_intervals_published_are_kept_missing_ones_calculated_and_the_method_said():
    given = explore.with_intervals(frame(value=30.0, lower_ci=25.0, upper_ci=35.0), "percentage").iloc[0]
    assert (given["lower_ci"], given["upper_ci"], given["ci_method"]) == (25.0, 35.0, explore.CI_PUBLISHED)
    wilson = explore.with_intervals(frame(value=31.36, numerator=223, denominator=711), "percentage").iloc[0]
    assert wilson["ci_method"] == explore.CI_WILSON
    assert wilson["lower_ci"] == pytest.approx(28.06, abs=0.01) and wilson["upper_ci"] == pytest.approx(34.87, abs=0.01)
    byar = explore.with_intervals(frame(value=4.0), "count").iloc[0]
    assert byar["ci_method"] == explore.CI_BYAR and byar["lower_ci"] == pytest.approx(1.0899, abs=1e-3)
    rate = explore.with_intervals(frame(value=60.5, numerator=595, denominator=98246), "rate_per_10000").iloc[0]
    assert rate["ci_method"] == explore.CI_BYAR and rate["lower_ci"] < 60.5 < rate["upper_ci"]
    none = explore.with_intervals(frame(value=68.0), "percentage").iloc[0]
    assert none["ci_method"] == explore.CI_NONE and math.isnan(none["lower_ci"])
    bad = explore.with_intervals(frame(value=50.0, numerator=9, denominator=4), "percentage").iloc[0]
    assert bad["ci_method"] == explore.CI_NONE                        # impossible counts: no interval, no crash


def test_significance_in_words_with_and_without_polarity():
    df = pd.DataFrame({"value": [31.4, 24.0, 19.5, None, 50.0], "lower_ci": [28.1, 21.0, 16.0, None, None],
                       "upper_ci": [34.9, 27.0, 23.5, None, None],
                       "status": ["published", "published", "published", "suppressed", "published"]})
    out = explore.add_significance(df, 24.5, "lower_is_better")
    assert out["significance"].tolist() == ["worse", "similar", "better", "not compared", "not compared"]
    assert out["significance_text"].tolist() == [
        "Significantly worse than England", "Similar to England", "Significantly better than England",
        "Suppressed (small number)", "Not compared: no confidence interval"]
    plain = explore.add_significance(df, 24.5, "no_polarity")
    assert plain["significance_text"].iloc[0] == "Significantly higher than England"
    nobench = explore.add_significance(df, None, "lower_is_better")
    assert nobench["significance_text"].iloc[0] == "Not compared: no England value for this period"


@pytest.mark.parametrize("rank,n,polarity,label", [
    (1, 152, "lower_is_better", "A (best quarter)"), (38, 152, "higher_is_better", "A (best quarter)"),
    (39, 152, "higher_is_better", "B"), (114, 152, "lower_is_better", "C"),
    (115, 152, "lower_is_better", "D (worst quarter)"),
    (152, 152, "lower_is_better", "D (worst quarter)"), (1, 4, "no_polarity", "1 (highest quarter)"),
    (float("nan"), 152, "lower_is_better", "–"),
])
def test_quartile_bands(rank, n, polarity, label):
    assert across_areas.quartile_label(rank, n, polarity) == label


# -- compare areas ----------------------------------------------------------------------------------------
def test_compare_areas_for_sg02_in_2024_25(store, sg02):
    df = across_areas.compare_areas(store, sg02, home=HOME)
    assert set(df["period_label"]) == {"2024/25"}                    # the home area's latest published year
    home = df[df["role"] == "home"].iloc[0]
    assert home["value"] == 31.4 and home["significance"] == "worse"
    assert home["significance_text"] == "Significantly worse than England"
    assert home["ci_method"] == explore.CI_PUBLISHED
    eng = df[df["area_code"] == ENGLAND].iloc[0]
    assert eng["role"] == "england" and eng["significance"] == "benchmark" and pd.isna(eng["rank"])
    assert df["england_value"].iloc[0] == 24.5
    councils = df[df["rank"].notna()]
    assert (councils["area_type"] == "county_ua").all()
    assert int(home["of_councils"]) == len(councils) >= 150
    assert int(home["rank"]) == int((councils["value"] < 31.4).sum()) + 1    # lower is better: 1 = lowest
    assert home["quartile"] == "D (worst quarter)"
    assert int(home["of_neighbour_group"]) == 11 and int(home["neighbour_rank"]) == 11
    assert df["value"].dropna().is_monotonic_increasing                     # sorted best first
    assert set(df.loc[df["role"] == "neighbour", "area_code"]) == set(across_areas.area_roles(HOME).neighbours)


def test_area_groups(store, sg02):
    df = across_areas.compare_areas(store, sg02, home=HOME, period_label="2024/25")
    nb = across_areas.comparison_group(df, "neighbours", home=HOME)
    assert len(nb) == 13 and set(nb["role"]) == {"home", "england", "region", "neighbour"}
    region = across_areas.comparison_group(df, "region", home=HOME)
    assert set(region.loc[region["role"].isin(["council", "home"]), "region_code"]) == {"E12000005"}
    assert len(across_areas.comparison_group(df, "all_councils", home=HOME)) > 150
    with pytest.raises(ValueError):
        across_areas.comparison_group(df, "planets", home=HOME)


def test_rank_summary_and_table(store, sg02):
    df = across_areas.compare_areas(store, sg02, home=HOME, period_label="2024/25")
    text = across_areas.rank_summary(df, sg02)
    assert text.startswith("Worcestershire: 31.4% in 2024/25. Significantly worse than England. Rank ")
    assert ("(1 = lowest, the best); quartile D (worst quarter). 11th of 11 among itself and its statistical "
            "neighbours.") in text
    table = across_areas.compare_table(across_areas.comparison_group(df, "neighbours", home=HOME), sg02)
    assert {"Area", "Value", "Lower 95% CI", "Upper 95% CI", "Compared with England", "Quartile"} <= set(table.columns)


def test_spine(store, sg02):
    df = across_areas.compare_areas(store, sg02, home=HOME, period_label="2024/25")
    sp = across_areas.spine(df)
    assert sp["min"] <= sp["p25"] <= sp["median"] <= sp["p75"] <= sp["max"]
    assert sp["england"] == 24.5 and sp["home"] == 31.4 and sp["councils"] == int(df["of_councils"].iloc[0])
    assert across_areas.spine_table(sp, sg02)["Measure"].tolist()[:5] == [
        "Lowest council", "25th percentile", "Median council", "75th percentile", "Highest council"]
    fig = explore_charts.spine_figure(sp, sg02)
    assert fig.layout.xaxis.autorange == "reversed"                      # better to the right
    assert across_areas.shows_spine(sp)


def test_a_spine_needs_at_least_four_councils():
    assert across_areas.SPINE_MIN_COUNCILS == 4
    assert [across_areas.shows_spine({"councils": n}) for n in (0, 3, 4, 150)] == [False, False, True, True]
    assert not across_areas.shows_spine({})                               # no value in the period at all


def test_local_only_kpi_compares_only_the_home_area(store, fw):
    ind = explore.indicator(store, fw, "MH01")
    df = across_areas.compare_areas(store, ind, home=HOME)
    assert df["area_code"].unique().tolist() == [HOME]
    assert across_areas.local_only(df)
    assert not across_areas.local_only(across_areas.compare_areas(store, explore.indicator(store, fw, "SG02"),
                                                                  home=HOME))


def test_the_page_words_for_an_indicator_and_its_picker_labels(store, fw, sg02):
    assert (sg02.kind_words, sg02.polarity_words) == ("framework KPI", "lower is better")
    source = explore.indicator(store, fw, "fingertips:90284")
    assert (source.kind_words, source.polarity_words) == ("source indicator", "lower is better")
    labels = explore.choice_labels(explore.indicator_choices(store, fw))
    assert labels["SG02"] == f"KPI · SG02 {fw.kpi('SG02').short_title}"
    assert labels["fingertips:90284"].startswith("Source · ") and "fingertips:90284" not in labels["fingertips:90284"]
    assert labels["fingertips:90284"].endswith(" (OHID Fingertips)")


def test_regions_are_compared_for_rates_and_percentages_not_counts(sg02):
    assert across_areas.compared_with_region(sg02)
    count = explore.Indicator(id="x", name="x", kind="Source indicator", source="dfe_ees", unit="count",
                              polarity="no_polarity", decimals=0, area_series_id="x")
    assert not across_areas.compared_with_region(count)
    assert not across_areas.has_region_value(pd.DataFrame())
    assert not across_areas.has_region_value(pd.DataFrame({"region_value": [None, None]}, dtype="float64"))
    assert across_areas.has_region_value(pd.DataFrame({"region_value": [None, 21.5]}, dtype="float64"))
    table = pd.DataFrame({"Published comparison with region": [across_areas.NO_REGION_LABEL, "Worse"]})
    assert not across_areas.no_published_region_comparison(table)
    assert across_areas.no_published_region_comparison(table.iloc[:1])


# -- over time ------------------------------------------------------------------------------------------
def test_the_areas_over_time_at_first_and_as_picked():
    roles = across_areas.AreaRoles(home=HOME, england=ENGLAND, region="E12000005", neighbours=("E1", "E2"))
    names = {HOME: "Worcestershire", ENGLAND: "England", "E12000005": "West Midlands", "E1": "Zed", "E2": "Aye"}
    assert timeseries.default_areas(roles, names) == [HOME, ENGLAND, "E12000005"]
    assert timeseries.default_areas(roles, {HOME: "Worcestershire"}) == [HOME]    # only areas with values
    assert timeseries.area_options(names, [HOME, ENGLAND]) == [ENGLAND, HOME, "E2", "E12000005", "E1"]
    assert timeseries.plotted_areas([], roles, each_neighbour=False) == [HOME]
    assert timeseries.plotted_areas(["E1", ENGLAND], roles, each_neighbour=True) == ["E1", ENGLAND, "E2"]
    assert timeseries.plotted_areas([ENGLAND], roles, each_neighbour=False) == [ENGLAND]


def test_trends_with_local_returns_and_england(store, sg02):
    df = timeseries.trends(store, sg02, [HOME, ENGLAND], home=HOME, last_years=5)
    pub = df[df["role"] == "home"].set_index("period_label")["value"].to_dict()
    assert pub == SG02_HOME
    local = df[df["role"] == "home_local"]
    assert not local.empty and local["is_demo"].all()
    assert local["series"].iloc[0] == "Worcestershire (local returns, demo data)"
    assert local["period_type"].eq("financial_quarter").all()
    eng = df[df["role"] == "england"]
    assert (eng["significance"] == "benchmark").all()
    # a 2025/26 quarter is compared with England's latest year ending on or before it, 2024/25 (24.5%)
    q = local[local["period_label"] == "2025/26 Q1"].iloc[0]
    assert q["significance"] in ("similar", "better", "worse")
    no_local = timeseries.trends(store, sg02, [HOME], home=HOME, last_years=5, local_returns=False)
    assert set(no_local["role"]) == {"home"}


def test_trends_of_a_source_indicator_for_picked_areas(store, fw):
    ind = explore.indicator(store, fw, "lait:PrevRegCPR")
    df = timeseries.trends(store, ind, [HOME, "E10000013"], home=HOME, last_years=None)
    assert set(df["area_code"]) == {HOME, "E10000013"}
    assert (df["ci_method"] == explore.CI_NONE).all()                   # LAIT publishes no counts
    assert (df["significance_text"] == "Not compared: no confidence interval").all()
    assert "E92000001" not in set(df["area_code"])                      # England only fetched as the benchmark


def test_neighbours_over_five_years_answers_the_sg02_question(store, sg02):
    nc = timeseries.neighbour_comparison(store, sg02, home=HOME, last_years=5)
    assert nc["period_label"].tolist() == list(SG02_HOME)
    assert dict(zip(nc["period_label"], nc["home_value"], strict=False)) == SG02_HOME
    assert dict(zip(nc["period_label"], nc["england_value"], strict=False)) == SG02_ENGLAND
    last = nc.iloc[-1]
    assert last["neighbours_with_value"] == 10 and last["neighbours_mean"] == pytest.approx(25.56)
    assert int(last["rank_among_neighbours"]) == 11 and last["neighbour_group_size"] == 11
    assert last["home_vs_england"] == "Significantly worse than England"
    text = timeseries.neighbour_summary(nc, sg02, "Worcestershire")
    assert "Over 5 periods from 2020/21 to 2024/25" in text and "ranked 11 of 11" in text
    table = timeseries.neighbour_table(nc, sg02, "Worcestershire")
    assert table["Worcestershire"].tolist() == list(SG02_HOME.values())


def test_neighbour_matrix(store, sg02):
    m = timeseries.neighbour_matrix(store, sg02, home=HOME, last_years=5)
    assert list(m.columns) == ["Area code", "Area", "Role", *SG02_HOME]
    assert m["Area"].iloc[0] == "Worcestershire" and m["Area"].iloc[-1] == "England"
    assert len(m) == 1 + 10 + 1 + 1
    assert m.iloc[0][list(SG02_HOME)].tolist() == list(SG02_HOME.values())


def test_trend_figure_has_a_trace_per_series_and_the_band(store, sg02):
    df = timeseries.trends(store, sg02, [HOME, ENGLAND], home=HOME, last_years=5)
    band = timeseries.neighbour_band(timeseries.neighbour_comparison(store, sg02, home=HOME, last_years=5))
    fig = explore_charts.trend_figure(df, sg02, band=band)
    names = [t.name for t in fig.data]
    assert names[:2] == ["Statistical neighbours: lowest to highest", "Neighbours' median"]
    assert {"Worcestershire", "England", "Worcestershire (local returns, demo data)"} <= set(names)
    # issue 21: the axis labels periods up to the last one plotted (the local quarters after the published years
    # too), at most MAX_TICKS of them, and every point sits at the middle of its period, as on the board's pages
    plotted = df[df["value"].notna()].sort_values("period_end")
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[-1] == plotted["period_label"].iloc[-1] and len(ticks) <= explore_charts.MAX_TICKS
    assert set(SG02_HOME) & set(ticks) and any(t.endswith(("Q1", "Q2", "Q3", "Q4")) for t in ticks)
    home = next(t for t in fig.data if t.name == "Worcestershire")
    rows = df[df["series"] == "Worcestershire"].sort_values("period_end")
    middles = [pd.Timestamp(s) + (pd.Timestamp(e) - pd.Timestamp(s)) / 2
               for s, e in zip(rows["period_start"], rows["period_end"], strict=False)]
    assert [pd.Timestamp(x) for x in home.x] == middles
    mids = [pd.Timestamp(v) for v in fig.layout.xaxis.tickvals]
    assert all(b - a >= (mids[-1] - mids[0]) / (explore_charts.MAX_TICKS + 1) for a, b in itertools.pairwise(mids))


# -- breakdowns -------------------------------------------------------------------------------------------
def test_breakdown_options_and_local_breakdowns(store, fw, sg02):
    opts = inequalities.breakdown_options(store, sg02, HOME, fw.breakdowns)
    assert set(opts["breakdown_type"]) == {"age_band", "district"}
    assert set(opts["series"]) == {"Local returns"}
    df = inequalities.breakdowns(store, sg02, series_id="SG02", area_code=HOME, breakdown_type="district",
                                 names=fw.breakdowns, districts=fw.districts)
    assert df["group"].iloc[0] == "All children and young people" and df["significance"].iloc[0] == "benchmark"
    assert set(df["group"].iloc[1:]) == {"Bromsgrove", "Malvern Hills", "Redditch", "Worcester", "Wychavon",
                                         "Wyre Forest"}
    assert df["period_label"].nunique() == 1
    suppressed = df[df["status"] == "suppressed"]
    assert suppressed["numerator"].isna().all() and suppressed["denominator"].isna().all()   # counts hidden too
    assert (suppressed["significance_text"] == "Suppressed (small number)").all()
    compared = df[(df["breakdown_type"] != "all") & df["value"].notna()]
    assert compared["significance_text"].str.endswith("all children in Worcestershire").all()


def test_deprivation_deciles_in_order_from_most_to_least_deprived(store, fw):
    ind = explore.indicator(store, fw, "fingertips:90284")
    areas = inequalities.breakdown_areas(store, ind)
    assert areas["area_code"].iloc[0] == ENGLAND
    btype = "county_ua_deprivation_deciles_in_england_imd2019_4_23_geography"
    df = inequalities.breakdowns(store, ind, series_id=ind.id, area_code=ENGLAND, breakdown_type=btype)
    groups = df["group"].tolist()[1:]
    assert groups[0].startswith("Most deprived") and groups[-1].startswith("Least deprived")
    assert len(groups) == 10
    label = inequalities.breakdown_label(btype)
    assert label == "Deprivation decile of counties and unitary authorities (IMD 2019, 2023 boundaries)"


def test_counts_by_group_are_not_compared_with_the_total(store, fw):
    ind = explore.indicator(store, fw, "MH01")
    df = inequalities.breakdowns(store, ind, series_id="MH01", area_code=HOME, breakdown_type="send")
    assert (df.loc[df["breakdown_type"] != "all", "significance"] == "not compared").all()


def test_view_metadata_for_exports(store, sg02):
    df = timeseries.trends(store, sg02, [HOME, ENGLAND], home=HOME, last_years=5)
    meta = explore.view_metadata(sg02, view="Over time", data=df)
    assert meta["Title"] == "SG02 Repeat child protection plans"
    assert meta["Demo data"].startswith("Yes")
    assert meta["Periods"].startswith("2020/21 to 2026/27 Q2")
    assert "DfE Children in need 2025, table D3" in meta["Sources"]
    assert any("Wilson" in n for n in meta["Notes"])
    assert "Open Government Licence v3.0" in meta["Licence"]


def test_downloads_carry_what_the_screen_shows(store, sg02):
    """Issue 16: the explorer's CSV carried 15.246007187970715 and counts as 51.0."""
    from kpis.core import exports
    df = across_areas.compare_areas(store, sg02, home=HOME, period_label="2024/25")
    table = across_areas.compare_table(df, sg02)
    raw = exports.to_csv_bytes(table).decode("utf-8-sig")
    assert any(len(x.split(".")[-1]) > 3 for x in raw.replace("\r\n", ",").split(",") if x.count(".") == 1
               and x.replace(".", "").isdigit())                     # the raw table does carry long decimals
    shown = exports.rounded(table, decimals=sg02.decimals)
    text = exports.to_csv_bytes(shown).decode("utf-8-sig")
    numbers = [x for x in text.replace("\r\n", ",").split(",") if x.replace(".", "", 1).isdigit()]
    assert numbers and all(len(x.split(".")[1]) <= 1 for x in numbers if "." in x)
    for col in ("Numerator", "Denominator"):
        assert str(shown[col].dtype) == "Int64"
        assert not any(x.endswith(".0") for x in shown[col].dropna().astype(str))
    assert shown["Value"].isna().sum() == table["Value"].isna().sum()    # missing stays missing
    lower = shown["Lower 95% CI"].dropna()
    assert (lower == lower.round(1)).all() and len(lower) == table["Lower 95% CI"].notna().sum()


def test_compare_labels_sit_right_of_the_england_line(store, sg02):
    df = across_areas.compare_areas(store, sg02, home=HOME, period_label="2024/25")
    shown = across_areas.comparison_group(df, "neighbours", home=HOME)
    higher = shown.assign(england_value=shown["value"].max() + 10)          # England beyond every bar
    fig = explore_charts.compare_figure(higher, sg02)
    labels = next(t for t in fig.data if t.type == "scatter" and t.mode == "text")
    line = next(s for s in fig.layout.shapes if s.line.dash == "dash")
    assert line.x0 < min(labels.x)


def test_a_comparator_is_named_with_its_publisher_and_no_code(fw):
    """Issue 16: people read 'lait:FSP_NEW_GOODDEV' and 'dfe_ees:d3_cpps_subsequent_plan'. Issue 21: the code
    after the name was still an internal code on a board page; it is the downloads' Source id only."""
    from kpis.board.detail import definition_rows
    eh04 = fw.kpi("EH04")
    label = explore.comparator_label(eh04, eh04.comparator.indicator_id)
    assert label.startswith(eh04.comparator.name) and "DfE Local Authority Interactive Tool" in label
    assert eh04.comparator.indicator_id not in label and "code" not in label
    shown = definition_rows(fw, fw.kpi("SG02")).set_index("Item").iloc[:, 0]["National comparator"]
    assert shown.startswith("Child protection plans which are a second or subsequent plan (DfE Explore education")
    assert "source: dfe_ees" not in shown
