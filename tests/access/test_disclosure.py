"""Small-number suppression on the way out: primary, derived and secondary; stored values untouched."""
from pathlib import Path

import pandas as pd
import pytest

from kpis.access.disclosure import AT_SOURCE, SECONDARY, SMALL, public_frame, public_narratives, suppress, thresholds
from kpis.core.framework import DEFAULT_FRAMEWORK, FrameworkError, load_framework
from kpis.store.database import Store

FW = load_framework()


def rows(kpi: str, cells: list[tuple], period: str = "2025/26 Q1") -> pd.DataFrame:
    """(breakdown_type, breakdown_value, value, numerator, denominator[, status]) -> observation rows."""
    out = []
    for c in cells:
        bt, bv, value, num, den, *status = c
        out.append({"indicator_id": kpi, "area_code": "E10000034", "breakdown_type": bt, "breakdown_value": bv,
                    "period_label": period, "value": value, "numerator": num, "denominator": den,
                    "lower_ci": None if value is None else value - 1, "upper_ci": None if value is None else value + 1,
                    "status": status[0] if status else "published"})
    return pd.DataFrame(out)


def reasons(df: pd.DataFrame) -> dict:
    return dict(zip(df["breakdown_value"], df["suppression"], strict=False))


def test_counts_from_1_to_7_are_suppressed_and_zero_and_8_are_shown():
    df = rows("MH01", [("all", "all", 40, None, None), ("send", "SEND", 0, None, None),
                       ("fsm", "FSM eligible", 1, None, None), ("looked_after", "Looked after", 7, None, None),
                       ("young_carers", "Young carer", 8, None, None)])
    out = suppress(df, framework=FW)
    assert reasons(out) == {"all": "", "SEND": "", "FSM eligible": SMALL, "Looked after": SMALL, "Young carer": ""}
    hidden = out[out["suppression"] != ""]
    assert hidden[["value", "lower_ci", "upper_ci"]].isna().all().all()
    assert set(hidden["status"]) == {"suppressed"}
    assert list(df["value"]) == [40, 0, 1, 7, 8]           # the input is a copy: never changed


def test_percentages_from_small_counts_are_suppressed_with_their_intervals():
    df = rows("SG02", [("all", "all", 20.0, 30, 150),
                       ("age_band", "0-4", 12.5, 5, 40),          # numerator 5
                       ("age_band", "5-10", 95.2, 20, 21),         # 1 child is the rest of the denominator
                       ("age_band", "11-15", 25.0, None, 24),      # numerator worked back: 6
                       ("age_band", "16-17", 10.0, 5, 50)])
    out = suppress(df, framework=FW)
    r = reasons(out)
    assert r["0-4"] == r["5-10"] == r["11-15"] == r["16-17"] == SMALL and r["all"] == ""
    assert out.loc[out["suppression"] != "", ["value", "numerator", "denominator", "lower_ci", "upper_ci"]] \
        .isna().all().all()


def test_secondary_suppression_hides_the_next_smallest_group():
    df = rows("EH05", [("all", "all", 45, None, None), ("district", "A", 3, None, None),
                       ("district", "B", 12, None, None), ("district", "C", 10, None, None),
                       ("district", "D", 20, None, None)])
    out = suppress(df, framework=FW)
    assert reasons(out) == {"all": "", "A": SMALL, "B": "", "C": SECONDARY, "D": ""}
    # Nothing can be worked out: total minus the groups shown leaves two unknowns.
    assert out["value"].isna().sum() == 2


def test_when_only_zeros_are_left_the_total_goes_and_the_other_breakdown_protects_it():
    df = rows("EH05", [("all", "all", 30, None, None),
                       ("district", "A", 30, None, None), ("district", "B", 0, None, None),
                       ("sex", "Female", 4, None, None), ("sex", "Male", 26, None, None)])
    out = suppress(df, framework=FW)
    # Female (4) is small; Male is the only other group, so it is hidden too; the districts are not touched.
    assert reasons(out) == {"all": "", "A": "", "B": "", "Female": SMALL, "Male": SECONDARY}
    df = rows("EH05", [("all", "all", 3, None, None), ("district", "A", 3, None, None),
                       ("district", "B", 0, None, None), ("sex", "Female", 1, None, None),
                       ("sex", "Male", 2, None, None)])
    assert reasons(suppress(df, framework=FW)) == {"all": SMALL, "A": SMALL, "B": "", "Female": SMALL, "Male": SMALL}
    df = rows("EH05", [("all", "all", 42, None, None), ("district", "A", 5, None, None),
                       ("district", "B", 0, None, None), ("sex", "Female", 20, None, None),
                       ("sex", "Male", 22, None, None)])
    # A (5) is hidden and only a zero is left beside it, so the total goes; the total could then be worked out
    # as Female + Male, so the smaller of those goes too.
    assert reasons(suppress(df, framework=FW)) == {"all": SECONDARY, "A": SMALL, "B": "", "Female": SECONDARY,
                                                   "Male": ""}


def test_a_hidden_total_with_every_group_shown_gets_a_group_hidden():
    df = rows("EH05", [("all", "all", None, None, None, "suppressed"),
                       ("district", "A", 25, None, None), ("district", "B", 20, None, None)])
    assert reasons(suppress(df, framework=FW)) == {"all": AT_SOURCE, "A": "", "B": SECONDARY}


def test_a_single_group_hides_when_the_children_outside_it_are_few():
    df = rows("MH01", [("all", "all", 32, None, None), ("send", "SEND", 30, None, None),
                       ("fsm", "FSM eligible", 12, None, None)])
    out = suppress(df, framework=FW)
    assert reasons(out) == {"all": "", "SEND": SECONDARY, "FSM eligible": ""}  # 32 - 30 = 2 outside SEND


def test_values_suppressed_at_source_stay_suppressed():
    df = rows("SG02", [("all", "all", 20.0, 30, 150), ("age_band", "0-4", None, 9, 40, "suppressed"),
                       ("age_band", "5-17", 19.6, 21, 110)])
    out = suppress(df, framework=FW)
    assert reasons(out)["0-4"] == AT_SOURCE and reasons(out)["5-17"] == SECONDARY
    assert out["numerator"].isna().sum() == 2


def framework_with(tmp_path: Path, line: str) -> Path:
    text = DEFAULT_FRAMEWORK.read_text(encoding="utf-8").replace('id = "EH05"\n', f'id = "EH05"\n{line}\n', 1)
    path = tmp_path / "fw.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_threshold_is_set_per_kpi_in_the_framework(tmp_path):
    fw = load_framework(framework_with(tmp_path, "suppression_threshold = 10"))
    limits = thresholds(fw)
    assert limits["EH05"] == 10 and limits["MH01"] == 7
    df = rows("EH05", [("all", "all", 100, None, None), ("district", "A", 9, None, None),
                       ("district", "B", 11, None, None), ("district", "C", 80, None, None)])
    assert reasons(suppress(df, framework=fw)) == {"all": "", "A": SMALL, "B": SECONDARY, "C": ""}
    assert reasons(suppress(df, framework=FW))["A"] == ""                  # 9 is above the default of 7
    with pytest.raises(FrameworkError, match="suppression_threshold should be a whole number"):
        thresholds(load_framework(framework_with(tmp_path, "suppression_threshold = 0")))


# -- on the demo database ---------------------------------------------------------------------------
def small_counts_shown(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of a public table that still show a count from 1 to 7."""
    counts = df["value"].where(df["unit"] == "count")
    cells = pd.concat([counts, df["numerator"], df["denominator"]], axis=1).round()
    return df[((cells >= 1) & (cells <= 7)).any(axis=1).to_numpy()]


def derivable(df: pd.DataFrame) -> list:
    """Groups where exactly one figure is hidden and the total is shown: it could be worked out."""
    found = []
    for (kpi, period), block in df.groupby(["kpi_id", "period_label"]):
        total = block[block["breakdown_type"] == "all"]
        if total.empty or total["suppression"].iloc[0]:
            continue
        for bt, parts in block[block["breakdown_type"] != "all"].groupby("breakdown_type"):
            if len(parts) >= 2 and (parts["suppression"] != "").sum() == 1:
                found.append((kpi, period, bt))
    return found


def test_the_public_frame_shows_no_small_count_and_leaves_the_store_alone(demo_db):
    store = Store(demo_db)
    before = store.df("SELECT * FROM observations ORDER BY obs_id")
    df = public_frame(store, FW)
    after = store.df("SELECT * FROM observations ORDER BY obs_id")
    pd.testing.assert_frame_equal(before, after)
    assert len(df) and (df["suppression"] != "").sum() > 50
    assert small_counts_shown(df).empty
    assert derivable(df) == []
    assert not {"commentary", "status_note", "submitted_by", "batch_id"} & set(df.columns)
    raw = store.df("SELECT count(*) AS n FROM current_observations WHERE area_code = 'E10000034' "
                   "AND indicator_id IN (SELECT unnest(?)) AND numerator BETWEEN 1 AND 7", [FW.kpi_ids])
    assert raw.at[0, "n"] > 0                              # the store does hold small numbers, exactly
    store.close()


def test_provisional_values_and_unpublishable_narratives_are_not_public(demo_db):
    store = Store(demo_db)
    with store.transaction() as cur:
        cur.execute("UPDATE observations SET status = 'provisional' WHERE indicator_id = 'EH01' "
                    "AND period_label = '2026/27 Q2' AND valid_to IS NULL")
        cur.execute("UPDATE narratives SET publishable = false WHERE outcome_area = 'send' AND valid_to IS NULL")
    df = public_frame(store, FW)
    assert df[(df["kpi_id"] == "EH01") & (df["period_label"] == "2026/27 Q2")].empty
    narr = public_narratives(store, FW)
    assert len(narr) and "send" not in set(narr["outcome_area"])
    store.close()


def test_the_public_views_england_figures_name_their_period(demo_db):
    """England's figure for the latest period ending on or before the local one, with that period; words else."""
    from kpis.access.disclosure import england_figures, newest_periods, public_rows
    store = Store(demo_db, read_only=True)
    try:
        rows = public_rows(store, FW)
        ids = [k.id for k in FW.kpis_in_area("safeguarding")]
        totals, _ = newest_periods(rows, ids)
        picked = rows.loc[totals].rename(columns={"indicator_id": "kpi_id"})
        assert picked["kpi_id"].tolist() == [k for k in ids if k in set(picked["kpi_id"])]   # framework order
        shown = dict(zip(picked["kpi_id"], england_figures(store, FW, picked), strict=False))
        eng = store.df("SELECT period_label, period_end, value FROM current_observations WHERE indicator_id = "
                       "'dfe_ees:d3_cpps_subsequent_plan' AND area_code = 'E92000001' AND breakdown_type = 'all' "
                       "AND value IS NOT NULL ORDER BY period_end")
        end = picked.set_index("kpi_id").at["SG02", "period_end"]
        last = eng[eng["period_end"] <= pd.Timestamp(end)].iloc[-1]
        assert shown["SG02"] == f"{last['value']:.1f}% ({last['period_label']})"
        assert shown["SG01"] == "No national figure of this definition (related measure: plans over 2 years)"
    finally:
        store.close()


def test_the_public_view_is_one_function_the_page_renders(demo_db):
    """The page shows what `public_view` returns: per area its KPIs' newest public period, in framework order,
    with England's figure, and nothing small enough to identify a child."""
    from kpis.access.disclosure import public_table, public_view
    fw = load_framework()
    s = Store(demo_db, read_only=True)
    try:
        shown, any_figures, narratives = public_view(s, fw)
    finally:
        s.close()
    assert any_figures and set(shown) == {a.id for a in fw.areas}
    for area in fw.areas:
        totals, parts = shown[area.id]
        order = [k.id for k in fw.kpis_in_area(area.id)]
        assert list(totals["kpi_id"]) == [k for k in order if k in set(totals["kpi_id"])]
        table = public_table(totals.assign(first=totals["kpi_id"]), first="KPI")
        assert list(table.columns) == ["Period", "Value", "Count", "Out of", "England (period)"]
        counts = pd.concat([totals["numerator"], parts["numerator"]]).dropna()
        assert not ((counts >= 1) & (counts <= 7)).any()
        assert "None" not in table.to_string()
    assert narratives.empty or set(narratives["outcome_area"]) <= {a.id for a in fw.areas}


def test_a_huge_public_narrative_stored_before_the_limit_is_shortened(demo_db):
    """Issue 26: the public view never sends more than the narrative limit of any part, whatever is stored."""
    store = Store(demo_db)
    try:
        with store.transaction() as cur:
            cur.execute("UPDATE narratives SET progress = repeat('p', 19900000) WHERE outcome_area = 'send' "
                        "AND valid_to IS NULL AND publishable")
        narr = public_narratives(store, FW)
        progress = narr.loc[narr["outcome_area"] == "send", "progress"].tolist()
        assert progress and all(p == "p" * 10_000 + " … [shortened: 19,900,000 characters in all]" for p in progress)
    finally:
        store.close()


# -- a count not stored but worked out from what is shown (issue 26) ----------------------------------------
def test_99_percent_with_a_numerator_of_693_and_no_denominator_is_suppressed():
    """99% of a denominator that is not shown, with 693 shown: the denominator is 700, so 7 children are left."""
    out = suppress(rows("SG02", [("all", "all", 99.0, 693, None)]), framework=FW)
    assert reasons(out) == {"all": SMALL}
    assert out[["value", "numerator", "denominator", "lower_ci", "upper_ci"]].isna().all().all()
    # the same in a group, where it also takes a second figure with it
    df = rows("SG02", [("all", "all", 50.0, 800, 1600), ("age_band", "0-4", 99.0, 693, None),
                       ("age_band", "5-17", 11.2, 107, 900)])
    assert reasons(suppress(df, framework=FW)) == {"all": "", "0-4": SMALL, "5-17": SECONDARY}


def test_a_percentage_with_a_numerator_only_is_shown_when_neither_count_is_small():
    df = rows("SG02", [("all", "all", 90.0, 693, None),          # out of 770: 77 left
                       ("age_band", "0-4", 99.0, 6930, None),     # out of 7,000: 70 left
                       ("age_band", "5-10", 0.0, 0, None),        # nothing to work out from 0% of 0
                       ("age_band", "11-15", 10.0, 80, None),     # out of 800
                       ("age_band", "16-17", 99.0, 792, None)])   # out of 800: 8 left, above the threshold
    assert set(reasons(suppress(df, framework=FW)).values()) == {""}
    # the threshold is the KPI's: at 10, the 8 left from 792 of 800 are small
    assert reasons(suppress(df, framework=FW, threshold_for=lambda i: 10))["16-17"] == SMALL


def rate_framework(tmp_path: Path, unit: str):
    text = DEFAULT_FRAMEWORK.read_text(encoding="utf-8")
    start = text.index('id = "SG02"')
    end = text.index('unit = "percentage"', start)
    path = tmp_path / f"{unit}.toml"
    path.write_text(text[:end] + f'unit = "{unit}"' + text[end + len('unit = "percentage"'):], encoding="utf-8")
    fw = load_framework(path)
    assert fw.kpi("SG02").unit == unit
    return fw


@pytest.mark.parametrize("unit, scale", [("rate_per_10000", 10_000), ("rate_per_100000", 100_000)])
def test_a_rate_gives_away_its_missing_count(tmp_path, unit, scale):
    fw = rate_framework(tmp_path, unit)
    df = rows("SG02", [("all", "all", 35.0 * scale / 10_000, 70, None),        # 70 of 20,000: shown
                       ("age_band", "0-4", 2.0 * scale, 12, None),             # 12 events among 6 children
                       ("age_band", "5-10", 4.0 * scale / 10_000, None, 15_000),  # 6 events among 15,000
                       ("age_band", "11-15", 1.0 * scale / 10_000, 10, None),    # 10 of 100,000: shown
                       ("age_band", "16-17", 0.5 * scale, 4, None)])             # 4 events: small itself
    assert reasons(suppress(df, framework=fw)) == {"all": "", "0-4": SMALL, "5-10": SMALL, "11-15": "",
                                                   "16-17": SMALL}


def test_the_public_view_suppresses_a_percentage_sent_with_a_numerator_and_no_denominator(tmp_path):
    """End to end: a real return (openpyxl) sends 99% with 693 and no denominator; it is stored as sent, and the
    public frame and the public page's view show neither the value nor the count."""
    from kpis.access.disclosure import public_view
    from kpis.returns.submission import submit
    from tests.support.returns import PERIOD, TODAY, new_store, simple_return
    store = new_store(tmp_path / "public.duckdb")
    try:
        data = simple_return([["SG02", "All children and young people", PERIOD, 99, 693, None],
                              ["SG01", "All children and young people", PERIOD, 90, 693, None]])
        submit(store, FW, name="q2.xlsx", data=data, area_id="safeguarding", by="lead@example.org", today=TODAY)
        stored = store.df("SELECT indicator_id, value, numerator, denominator IS NULL AS no_denominator "
                          "FROM current_observations ORDER BY indicator_id")
        assert stored.values.tolist() == [["SG01", 90.0, 693.0, True], ["SG02", 99.0, 693.0, True]]
        df = public_frame(store, FW).set_index("kpi_id")
        assert df.at["SG02", "suppression"] == SMALL and df.at["SG02", "value_text"] == "Suppressed"
        assert pd.isna(df.at["SG02", "value"]) and pd.isna(df.at["SG02", "numerator"])
        assert df.at["SG01", "suppression"] == "" and df.at["SG01", "numerator"] == 693   # 770 - 693 = 77 left
        shown, _, _ = public_view(store, FW)
        totals = shown["safeguarding"][0].set_index("kpi_id")
        assert totals.at["SG02", "value_text"] == "Suppressed" and pd.isna(totals.at["SG02", "numerator"])
    finally:
        store.close()
