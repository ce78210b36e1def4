"""Issue 21: councils that share a value (39 councils with 0 in LAIT's FSP_Gooddev_With_SENSTATE, AY 2018/19) were
each "rank 1, A (best quarter)" or the like; a tie that spans quarters now has no quartile of its own."""
from __future__ import annotations

import pandas as pd

from kpis.analysis import across_areas, explore
from kpis.analysis.ties import quartile_of, shared_quartiles
from kpis.core.framework import load_framework
from kpis.store.database import Store


def test_a_tie_across_quarters_gets_no_quartile_and_says_how_many_share_it():
    # 12 councils, lower is better: six share 0 (positions 1-6 span quarters 1 and 2), two share 5 (7-8, quarter 3)
    values = [0.0] * 6 + [5.0, 5.0, 7.0, 8.0, 9.0, 10.0]
    df = pd.DataFrame({"value": values, "rank": pd.Series(values).rank(method="min"), "of_councils": 12,
                       "quartile": [across_areas.quartile_label(r, 12, "lower_is_better")
                                    for r in pd.Series(values).rank(method="min")]})
    out = shared_quartiles(df)
    assert df["quartile"].iloc[0] == "A (best quarter)"                       # what the table said before
    assert set(out["quartile"].iloc[:6]) == {"none: 6 councils share this value"}
    assert list(out["quartile"].iloc[6:8]) == ["C", "C"]                       # 7th and 8th of 12: one quarter
    assert list(out["rank"]) == list(df["rank"]) and out["quartile"].iloc[-1] == "D (worst quarter)"
    assert [quartile_of(p, 12) for p in (1, 3, 4, 6, 7, 9, 10, 12)] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_real_lait_figures_with_39_councils_at_zero(demo_db_master):
    store = Store(demo_db_master, read_only=True)
    try:
        fw = load_framework()
        ind = explore.indicator(store, fw, "lait:FSP_Gooddev_With_SENSTATE")
        cmp = across_areas.compare_areas(store, ind, home=fw.home_area, period_label="AY 2018/19")
    finally:
        store.close()
    zero = cmp[(cmp["value"] == 0) & cmp["rank"].notna()]
    assert len(zero) >= 30 and (zero["quartile"].str.startswith("A") | zero["quartile"].str.startswith("D")).all()
    # higher is better here: the zeros share the lowest ranks, all in the worst quarter, so D stays true
    first, n = int(zero["rank"].iloc[0]), int(zero["of_councils"].iloc[0])
    assert quartile_of(first, n) == quartile_of(first + len(zero) - 1, n) == 4
    assert set(shared_quartiles(cmp).loc[zero.index, "quartile"]) == {"D (worst quarter)"}
    # were lower better, the same zeros would span the first two quarters: no quartile, and how many share it
    flipped = cmp.assign(rank=cmp["value"].where(cmp["rank"].notna()).rank(method="min"))
    assert set(shared_quartiles(flipped).loc[zero.index, "quartile"]) == {
        f"none: {len(zero)} councils share this value"}
