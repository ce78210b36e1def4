"""AppTest of the explorer's comparison of one group across councils and with the region (issue 22), on the real
demo database (its Fingertips indicators carry groups by sex and the publisher's labels against the region)."""
import pandas as pd
import pytest

from kpis.analysis import across_areas, explore
from kpis.core.areas import COUNCIL
from kpis.core.framework import load_framework
from kpis.store.database import Store
from tests.app.test_pages_analysis import every_tab, figures, open_page, texts

INJURIES = "fingertips:90284"   # injuries to children: groups by sex for every council, region labels


def table_with(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_one_group_compared_across_councils(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator=INJURIES)
    assert at.header[0].value == "One group across councils"
    options = at.selectbox(key="ex_cg_group").options
    assert "Sex: Female" in options and "Sex: Male" in options
    assert not any(":" in o.split(": ", 1)[1] or "fingertips" in o for o in options)   # no internal codes
    at.selectbox(key="ex_cg_group").select("sex|Female").run()
    at.radio(key="ex_group").set_value("all_councils").run()
    assert not at.exception, at.exception
    period = at.selectbox(key="ex_period").value
    shown = table_with(at, "Group")
    assert set(shown["Group"]) == {"Sex: Female"}
    fw = load_framework()
    store = Store(readers_demo_db)
    try:
        ind = explore.indicator(store, fw, INJURIES)
        want = across_areas.compare_group(store, ind, home=fw.home_area, breakdown_type="sex", breakdown_value="Female",
                                     period_label=period)
    finally:
        store.close()
    want = want[want["value"].notna() & (want["area_type"] == COUNCIL)]
    assert len(want) >= 5
    got = shown.set_index("Area code")
    for r in want.itertuples():
        assert got.loc[r.area_code, "Value"] == pytest.approx(r.value)
        assert got.loc[r.area_code, "Compared with England"] == r.significance_text
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any(t.endswith(f": Sex: Female, {period}") and t.startswith("Hospital admissions") for t in titles)
    assert every_tab(at).downloads.count("Download Excel") == 5      # compare, group, region, over time, breakdowns


def test_councils_beside_their_region_with_the_published_label(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator=INJURIES)
    assert [h.value for h in at.header] == ["One group across councils", "Compared with region"]
    region = table_with(at, "Region value")
    period = at.selectbox(key="ex_period").value
    store = Store(readers_demo_db)
    try:
        regions = dict(store.df("SELECT o.area_code, o.value FROM current_observations o JOIN areas a USING "
                                "(area_code) WHERE a.area_type = 'region' AND o.indicator_id = ? AND "
                                "o.period_label = ? AND o.breakdown_type = 'all'", [INJURIES, period])
                       .itertuples(index=False))
        of = dict(store.df("SELECT area_code, region_code FROM areas").itertuples(index=False))
        labels = dict(store.df("SELECT area_code, label FROM current_published_comparisons WHERE versus = 'Region' "
                               "AND indicator_id = ? AND period_label = ? AND breakdown_type = 'all'",
                               [INJURIES, period]).itertuples(index=False))
    finally:
        store.close()
    assert len(region) >= 5 and region["Region"].nunique() >= 2
    for code, value in zip(region["Area code"], region["Region value"], strict=False):
        assert value == pytest.approx(regions[of[code]])                  # its own region's value
    published = region.set_index("Area code")["Published comparison with region"]
    assert labels and all(published[c] == label for c, label in labels.items() if c in published.index)
    assert published["E10000034"] == labels["E10000034"] != across_areas.NO_REGION_LABEL   # Worcestershire's, in words
    assert (published == across_areas.NO_REGION_LABEL).sum() == len(published) - len(set(labels) & set(published.index))
    assert "Worcestershire" in set(region["Area"])                         # the home area and its neighbours
    assert region["Compared with region"].str.contains("region").all()
    assert set(labels.values()) & {"Better", "Similar", "Worse", "Higher", "Lower"}


def test_an_indicator_with_only_the_total_says_so(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="SG02")
    assert "Across councils this indicator is published for the total only" in texts(at)
    assert not [s for s in at.selectbox if s.key == "ex_cg_group"]


def test_a_count_is_not_compared_with_its_region_and_the_page_says_so(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="MH01")      # a count (children missing education)
    assert "This indicator is a count, and a count is not compared with its region's total" in texts(at)
    assert not any("Region value" in d.value.columns for d in at.dataframe)
