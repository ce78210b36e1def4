"""Conformance suite (issue 22): real published files the project had not seen, each cut to a few hundred whole
lines by tools/make_conformance_fixtures.py (sources, commits and licences: tests/fixtures/imports/README.md).

For each file: the rows read, imported and skipped with their reasons; stored values against the file at named
cells; the totals found by rule; the published labels kept. Then one test per finding of the issue.
"""
from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest

from kpis.analysis import across_areas, explore, timeseries
from kpis.core import dfe_periods, periods
from kpis.published.common import BenchmarkError
from kpis.published.importer import import_benchmarks
from tests.conftest import ROOT
from tests.support.published import one

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
ENGLAND, YORKS = "E92000001", "E12000003"
BARNSLEY, SHEFFIELD, OLD_BARNSLEY, OLD_SHEFFIELD = "E08000038", "E08000039", "E08000016", "E08000019"
DISTRICT = "district code E07000026: districts are not imported (councils, regions and England are)"

# file -> (rows read, rows imported, skipped reasons)
CONFORMANCE = {
    "dfe_csww_indicators_extract.csv": (81, 81, {}),
    "dfe_ks2_cin_version_extract.csv": (201, 201, {}),
    "dfe_ks4_cin_version_extract.csv": (201, 201, {}),
    "dfe_absence_cin_extract.csv": (420, 420, {}),
    "dfe_care_leavers_activity_extract.csv": (480, 480, {}),
    "dfe_cla_health_outcomes_extract.csv": (360, 360, {}),
    "dfe_cla_placement_stability_extract.csv": (330, 330, {}),
    "dfe_attendance_weekly_extract.csv": (437, 437, {}),
    "dfe_attendance_autumn_term_extract.csv": (33, 33, {}),
    "dfe_attendance_spring_term_extract.csv": (33, 33, {}),
    "tidy_active_children_extract.csv": (45, 40, {DISTRICT: 5}),
    "tidy_children_offending_extract.csv": (66, 66, {}),
    "tidy_dental_decay_extract.csv": (29, 25, {DISTRICT: 4}),
}


def day(value) -> date:
    return pd.Timestamp(value).date()


def rows(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def cell(name: str, column: str, **where) -> str:
    """The one published cell of `column` in the row matching `where` (the test fails unless exactly one)."""
    hits = [r[column] for r in rows(name) if all(r[k] == v for k, v in where.items())]
    assert len(hits) == 1, (name, column, where, len(hits))
    return hits[0]


@pytest.mark.parametrize("name", sorted(CONFORMANCE))
def test_every_row_is_imported_or_skipped_with_its_reason(name, store):
    read, imported, reasons = CONFORMANCE[name]
    report = import_benchmarks(store, FIXTURES / name, framework=None)
    assert report.rows_read == len(rows(name)) == read
    assert (report.rows_imported, report.skipped_reasons) == (imported, reasons)
    assert report.rows_imported + report.rows_skipped == report.rows_read
    assert "area code not in the areas table" not in " ".join(report.skipped_reasons)  # always a specific reason


# -- 1. council codes: Barnsley and Sheffield from 1 May 2025, one series across the recode ----------------------
def test_barnsley_and_sheffield_2025_rows_are_kept_and_each_council_is_one_series(store):
    name = "dfe_csww_indicators_extract.csv"
    report = import_benchmarks(store, FIXTURES / name, framework=None)
    iid = "dfe_ees:dfe_csww_indicators_extract:inpost_fte"
    published = cell(name, "inpost_fte", time_period="2025", new_la_code=BARNSLEY)
    assert published == "208.2"
    assert one(store, iid, BARNSLEY, "2025 (September census)")["value"] == 208.2
    assert one(store, iid, SHEFFIELD, "2025 (September census)")["value"] == \
        float(cell(name, "inpost_fte", time_period="2025", new_la_code=SHEFFIELD)) == 446.9
    # 2024 was published under the former code: the same council, so the same series
    assert one(store, iid, BARNSLEY, "2024 (September census)")["value"] == \
        float(cell(name, "inpost_fte", time_period="2024", new_la_code=OLD_BARNSLEY)) == 185.0
    series = store.df("SELECT DISTINCT area_code, period_label FROM current_observations WHERE indicator_id = ? AND "
                      "area_code IN (?, ?, ?, ?)", [iid, BARNSLEY, SHEFFIELD, OLD_BARNSLEY, OLD_SHEFFIELD])
    assert sorted(series["area_code"].unique()) == [BARNSLEY, SHEFFIELD]
    assert series.groupby("area_code").size().to_dict() == {BARNSLEY: 9, SHEFFIELD: 9}       # 2017 to 2025
    said = " ".join(report.notes)
    assert "8 row(s) with the former code E08000016 (Barnsley) stored under E08000038" in said
    # North Yorkshire (815) and Somerset (933) kept their numbers in 2023: one series each too
    assert "former code E10000023 (North Yorkshire) stored under E06000065" in said


def test_a_split_council_and_a_combined_row_are_never_merged(store):
    """Northamptonshire (928) ended in 2021; DfE's workforce file then publishes the combined row
    'E06000061 / E06000062' (940 / 941): its own place, never merged into the county's series or split."""
    name = "dfe_csww_indicators_extract.csv"
    import_benchmarks(store, FIXTURES / name, framework=None)
    iid = "dfe_ees:dfe_csww_indicators_extract:inpost_fte"
    got = store.df("SELECT area_code, min(period_label) AS first, max(period_label) AS last, count(*) AS n "
                   "FROM current_observations WHERE indicator_id = ? AND area_code LIKE '%0000%' AND area_code IN "
                   "('E10000021', 'E06000061', 'E06000062', 'E06000061 / E06000062') GROUP BY 1 ORDER BY 1", [iid])
    assert got.values.tolist() == [["E06000061 / E06000062", "2021 (September census)", "2025 (September census)", 5],
                                   ["E10000021", "2017 (September census)", "2020 (September census)", 4]]
    combined = one(store, iid, "E06000061 / E06000062", "2025 (September census)")["value"]
    assert combined == float(cell(name, "inpost_fte", time_period="2025", old_la_code="940 / 941"))
    assert store.scalar("SELECT area_type FROM areas WHERE area_code = 'E06000061 / E06000062'") == "combined"


def test_dfe_number_alone_places_a_row_whose_code_the_table_lacks(tmp_path, store):
    """A row is never lost for a code the areas table lacks when its DfE number is known."""
    text = (FIXTURES / "dfe_csww_indicators_extract.csv").read_text(encoding="utf-8")
    path = tmp_path / "csww_unknown_code.csv"
    path.write_text(text.replace(",370,E08000038,Barnsley,", ",370,E08999999,Barnsley,"), encoding="utf-8")
    report = import_benchmarks(store, path, framework=None)
    assert report.rows_imported == report.rows_read == 81
    assert one(store, "dfe_ees:csww_unknown_code:inpost_fte", BARNSLEY, "2025 (September census)")["value"] == 208.2


# -- 2. every DfE time identifier, with its own period end --------------------------------------------------------
def test_weeks_and_terms_are_read_by_their_identifiers(store):
    weekly = "dfe_attendance_weekly_extract.csv"
    import_benchmarks(store, FIXTURES / weekly, framework=None)
    iid = "dfe_ees:dfe_attendance_weekly_extract:enrolments"
    got = one(store, iid, SHEFFIELD, "2023 Week 37", ("school_type", "Primary"))
    assert got["value"] == float(cell(weekly, "enrolments", time_identifier="Week 37", new_la_code=OLD_SHEFFIELD,
                                      school_type="Primary")) == 36463.2
    assert (got["period_type"], day(got["period_start"]), day(got["period_end"])) == ("week", date(2023, 9, 11),
                                                                                      date(2023, 9, 17))
    autumn = "dfe_attendance_autumn_term_extract.csv"
    import_benchmarks(store, FIXTURES / autumn, framework=None)
    got = one(store, "dfe_ees:dfe_attendance_autumn_term_extract:enrolments", ENGLAND, "2022/23 Autumn term")
    assert got["value"] == float(cell(autumn, "enrolments", geographic_level="National", school_type="Total"))
    assert (day(got["period_start"]), day(got["period_end"])) == (date(2022, 9, 1), date(2022, 12, 31))
    spring = "dfe_attendance_spring_term_extract.csv"
    import_benchmarks(store, FIXTURES / spring, framework=None)
    got = one(store, "dfe_ees:dfe_attendance_spring_term_extract:enrolments", ENGLAND, "2023/24 Spring term")
    assert day(got["period_end"]) == date(2024, 3, 31)


def test_every_dfe_time_identifier_has_its_period():
    cases = {("201314", "Autumn and spring term"): ("2013/14 Autumn and spring term", date(2013, 9, 1),
                                                    date(2014, 3, 31)),
             ("201819", "Part 1 (April to September)"): ("2018/19 Part 1 (Apr to Sep)", date(2018, 4, 1),
                                                         date(2018, 9, 30)),
             ("201819", "Part 2 (October to March)"): ("2018/19 Part 2 (Oct to Mar)", date(2018, 10, 1),
                                                       date(2019, 3, 31)),
             ("201819", "Tax year"): ("2018/19 tax year", date(2018, 4, 6), date(2019, 4, 5)),
             ("201819", "Financial year Q3"): ("2018/19 Q3", date(2018, 10, 1), date(2018, 12, 31)),
             ("2018", "March"): ("Mar 2018", date(2018, 3, 1), date(2018, 3, 31)),
             ("2018", "Week 1"): ("2018 Week 1", date(2018, 1, 1), date(2018, 1, 7)),
             ("2025", "Reporting year"): ("2024/25", date(2024, 4, 1), date(2025, 3, 31)),
             ("2018", "Calendar year Q2"): ("Apr-Jun 2018", date(2018, 4, 1), date(2018, 6, 30))}
    for (tp, ti), (label, start, end) in cases.items():
        p = dfe_periods.dfe_period(tp, ti)
        assert (p.label, p.start, p.end) == (label, start, end), (tp, ti)
    assert dfe_periods.dfe_period("2025", "Reporting year", census_month=9).end == date(2025, 9, 30)
    assert dfe_periods.dfe_period("2025", "Reporting year", census_month=1).end == date(2025, 1, 31)


def test_a_refused_period_names_the_identifier_not_the_year(tmp_path, store):
    text = (FIXTURES / "dfe_attendance_autumn_term_extract.csv").read_text(encoding="utf-8")
    path = tmp_path / "terms.csv"
    path.write_text(text.replace('"Autumn term"', '"Winter term"'), encoding="utf-8")
    with pytest.raises(BenchmarkError) as err:
        import_benchmarks(store, path, framework=None)
    assert "time_identifier 'Winter term' (not one of DfE's time identifiers): time_period '202223'" in str(err.value)
    with pytest.raises(periods.PeriodError, match=r"time_identifier 'Autumn and spring term'.*six-digit"):
        dfe_periods.dfe_period("2013", "Autumn and spring term")


def test_a_reporting_year_ends_at_its_census(store):
    csww = import_benchmarks(store, FIXTURES / "dfe_csww_indicators_extract.csv", framework=None)
    assert day(one(store, "dfe_ees:dfe_csww_indicators_extract:inpost_fte", ENGLAND,
                   "2025 (September census)")["period_end"]) == date(2025, 9, 30)
    assert any("30 September" in n for n in csww.notes)
    cla = import_benchmarks(store, FIXTURES / "dfe_cla_placement_stability_extract.csv", framework=None)
    assert store.scalar("SELECT max(period_end) FROM current_observations WHERE indicator_id LIKE "
                        "'dfe_ees:dfe_cla_placement_stability_extract:%'") == date(2025, 3, 31)  # CLA: 31 March
    assert any("31 March" in n for n in cla.notes)


# -- 3. version is a property of the value; several measures in one column are separate indicators -----------------
def test_version_is_kept_on_the_value_never_a_breakdown(store):
    name = "dfe_ks2_cin_version_extract.csv"
    report = import_benchmarks(store, FIXTURES / name, framework=None)
    assert "version" not in " ".join(store.df("SELECT DISTINCT breakdown_type FROM current_observations")
                                     ["breakdown_type"])
    iid = "dfe_ees:dfe_ks2_cin_version_extract:pt_read_met_expected_standard"
    group = ("social_care_group", "CINO at 31 March")
    revised = one(store, iid, ENGLAND, "AY 2024/25", group)
    assert revised["value"] == float(cell(name, "pt_read_met_expected_standard", time_period="202425",
                                          geographic_level="National", social_care_group="CINO at 31 March")) == 44
    assert (revised["status"], revised["status_note"]) == ("published", "version: Revised")
    final = one(store, iid, ENGLAND, "AY 2023/24", group)
    assert final["status_note"] == "version: Final"
    assert any("column version (Final (171 rows), Revised (30 rows))" in n for n in report.notes)


def test_a_provisional_figure_is_stored_as_provisional_and_the_final_one_wins(tmp_path, store):
    """The same file with a second, Provisional copy of 2024/25 (the published rows, the version word changed)."""
    text = (FIXTURES / "dfe_ks2_cin_version_extract.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines(keepends=True)
    extra = [ln.replace(",Revised,", ",Provisional,") for ln in lines[1:] if ln.startswith("202425,")]
    path = tmp_path / "ks2_two_versions.csv"
    path.write_text("".join(lines + extra), encoding="utf-8")
    report = import_benchmarks(store, path, framework=None)
    reason = ("a Provisional figure: the same file gives the Revised figure, which is kept (version is a property "
              "of the value, not a breakdown)")
    assert report.skipped_reasons == {reason: len(extra)}
    iid = "dfe_ees:ks2_two_versions:pt_read_met_expected_standard"
    assert one(store, iid, ENGLAND, "AY 2024/25", ("social_care_group", "CINO at 31 March"))["status"] == "published"
    only = tmp_path / "ks2_provisional.csv"
    only.write_text(lines[0] + "".join(extra), encoding="utf-8")
    import_benchmarks(store, only, framework=None)
    got = one(store, "dfe_ees:ks2_provisional:pt_read_met_expected_standard", ENGLAND, "AY 2024/25",
              ("social_care_group", "CINO at 31 March"))
    assert (got["value"], got["status"]) == (44, "provisional")


def test_a_measure_column_makes_one_indicator_per_measure_with_its_unit(store):
    name = "tidy_children_offending_extract.csv"
    report = import_benchmarks(store, FIXTURES / name, framework=None)
    units = dict(store.df("SELECT name, unit FROM indicators WHERE indicator_id LIKE 'tidy:%'").values.tolist())
    assert units == {"Children cautioned or sentenced (Count)": "count",
                     "Children cautioned or sentenced (Per 10,000 aged 10-17)": "rate_per_10000"}
    count = one(store, "tidy:tidy_children_offending_extract:children_cautioned_or_sentenced_count", "E08000007",
                "2014/15")
    assert count["value"] == float(cell(name, "value", area_code="E08000007", period="2014/15", measure="Count"))
    assert any("holds 2 measures in column measure (Count, Per 10,000 aged 10-17)" in n for n in report.notes)


# -- 4. totals by rule -----------------------------------------------------------------------------------------------
def test_a_total_named_otherwise_is_the_headline_and_subtotals_stay_breakdowns(store):
    name = "dfe_cla_health_outcomes_extract.csv"
    import_benchmarks(store, FIXTURES / name, framework=None)
    iid = "dfe_ees:dfe_cla_health_outcomes_extract:children_count"
    dev = "Development assessments: Children looked after ages 0 to 4 years"
    total = one(store, iid, BARNSLEY, "2024/25", ("characteristic", dev))          # 'Total ages 0 to 4 years'
    assert total["value"] == float(cell(name, "children_count", time_period="2025", new_la_code=OLD_BARNSLEY,
                                        characteristic=dev, breakdown="Total ages 0 to 4 years"))
    leavers = "dfe_care_leavers_activity_extract.csv"
    import_benchmarks(store, FIXTURES / leavers, framework=None)
    iid = "dfe_ees:dfe_care_leavers_activity_extract:care_leaver_count"
    breakdowns = set(store.df("SELECT DISTINCT breakdown_value FROM current_observations WHERE indicator_id = ?",
                              [iid])["breakdown_value"])
    assert "19 to 21 years|Total in education, employment or training" in breakdowns  # a subtotal, not the total
    assert one(store, iid, ENGLAND, "2024/25", ("care_leaver_age", "19 to 21 years"))["value"] == float(
        cell(leavers, "care_leaver_count", time_period="2025", geographic_level="National",
             care_leaver_age="19 to 21 years", breakdown="Total"))


def test_the_explorer_compares_one_group_across_councils(store, framework):
    import_benchmarks(store, FIXTURES / "dfe_ks2_cin_version_extract.csv", framework=None)
    iid = "dfe_ees:dfe_ks2_cin_version_extract:pt_read_met_expected_standard"
    ind = explore.indicator(store, framework, iid)
    groups = explore.groups(store, iid)
    assert ("social_care_group", "CINO at 31 March") in set(zip(groups["breakdown_type"],
                                                                groups["breakdown_value"], strict=False))
    assert "all" not in set(groups["breakdown_type"])   # no headline row in this file: every row is a group
    got = across_areas.compare_group(store, ind, home=BARNSLEY, breakdown_type="social_care_group",
                                breakdown_value="CINO at 31 March")
    assert set(got["period_label"]) == {"AY 2024/25"}
    assert {ENGLAND, BARNSLEY, SHEFFIELD} <= set(got["area_code"])
    barnsley = got.set_index("area_code").loc[BARNSLEY]
    assert barnsley["england_value"] == 44 and barnsley["significance_text"]


# -- 5. counts are never compared with England's total; intervals from a row's own counts --------------------------
def test_counts_are_never_compared_with_englands_total(store, framework):
    import_benchmarks(store, FIXTURES / "dfe_csww_indicators_extract.csv", framework=None)
    iid = "dfe_ees:dfe_csww_indicators_extract:inpost_headcount"
    assert store.scalar("SELECT unit FROM indicators WHERE indicator_id = ?", [iid]) == "count"
    ind = explore.indicator(store, framework, iid)
    got = across_areas.compare_areas(store, ind, home=BARNSLEY, period_label="2025 (September census)")
    councils = got[got["area_code"] != ENGLAND]
    assert len(councils) >= 5 and (councils["significance_text"] == explore.COUNT_NOT_COMPARED).all()
    # nor over time (the Explorer's "Over time" view)
    over_time = timeseries.trends(store, ind, [BARNSLEY, SHEFFIELD], home=BARNSLEY)
    mine = over_time[over_time["area_code"].isin([BARNSLEY, SHEFFIELD]) & over_time["value"].notna()]
    assert len(mine) >= 10 and (mine["significance_text"] == explore.COUNT_NOT_COMPARED).all()


def test_a_percentage_with_its_counts_in_the_row_gets_wilson_limits(store):
    name = "dfe_ks2_cin_version_extract.csv"
    import_benchmarks(store, FIXTURES / name, framework=None)
    got = one(store, "dfe_ees:dfe_ks2_cin_version_extract:pt_read_met_expected_standard", ENGLAND, "AY 2024/25",
              ("social_care_group", "CINO at 31 March"))
    assert (got["numerator"], got["denominator"]) == (4700, 10580)       # t_read_met..., t_read_eligible_pupils
    from kpis.core.intervals import wilson_pct
    lo, hi = wilson_pct([4700], [10580])
    assert got["lower_ci"] == pytest.approx(lo[0]) and got["upper_ci"] == pytest.approx(hi[0])
    assert got["lower_ci"] < got["value"] < got["upper_ci"]


# -- 6. labels from any column, for England and the region; markers -----------------------------------------------
def test_labels_are_kept_from_a_column_called_significance(tmp_path, store):
    """Trafford's active children file, its label column named `significance` (the only change)."""
    text = (FIXTURES / "tidy_active_children_extract.csv").read_text(encoding="utf-8")
    path = tmp_path / "active_significance.csv"
    path.write_text(text.replace(",compared_to_England,", ",significance,", 1), encoding="utf-8")
    report = import_benchmarks(store, path, framework=None)
    published = [r for r in rows("tidy_active_children_extract.csv")
                 if r["compared_to_England"] not in ("", "NA") and not r["area_code"].startswith("E07")]
    kept = store.df("SELECT area_code, period_label, label FROM current_published_comparisons WHERE versus = "
                    "'England'")
    assert len(kept) == len(published) == 40
    assert any("kept from column significance (45 labels)" in n for n in report.notes)
    sheffield = kept[(kept["area_code"] == SHEFFIELD) & (kept["period_label"] == "2017/18")]["label"].tolist()
    assert sheffield == [cell("tidy_active_children_extract.csv", "compared_to_England", area_code=OLD_SHEFFIELD,
                              period="2017/18")] == ["Worse"]


def test_fingertips_region_labels_are_kept_and_offered(store, framework):
    report = import_benchmarks(store, FIXTURES / "fingertips_93356_2015.csv", framework=None)
    assert any("against the region kept from column 'Compared to Region value or percentiles' (23 labels)" in n
               for n in report.notes)
    ind = explore.indicator(store, framework, "fingertips:93356")
    got = across_areas.compare_with_regions(store, ind, period_label="2015")
    worcs = got.set_index("area_code").loc["E10000034"]
    assert worcs["published_region"] in ("Better", "Similar", "Worse")
    assert worcs["region_value"] == store.scalar(
        "SELECT value FROM current_observations WHERE indicator_id = 'fingertips:93356' AND area_code = 'E12000005' "
        "AND period_label = '2015' AND breakdown_type = 'all'")


def test_low_and_k_round_to_zero_and_u_is_low_reliability(tmp_path, store):
    from kpis.published.common import MARKERS
    assert (MARKERS["low"], MARKERS["k"], MARKERS["u"]) == ("rounds_to_zero", "rounds_to_zero", "low_reliability")


# -- 7. exit codes ----------------------------------------------------------------------------------------------------
def test_exit_codes_tell_skipped_rows_from_an_unreadable_file(tmp_path, capsys):
    from kpis.cli.main import main
    db = tmp_path / "cli.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "import-benchmarks", str(FIXTURES / "dfe_csww_indicators_extract.csv")]) == 0
    assert main(["--db", str(db), "import-benchmarks", str(FIXTURES / "tidy_dental_decay_extract.csv")]) == 3
    assert DISTRICT in capsys.readouterr().out
    nothing = tmp_path / "districts_only.csv"
    text = (FIXTURES / "tidy_dental_decay_extract.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    nothing.write_text(text[0] + "".join(ln for ln in text[1:] if ln.startswith("E07")), encoding="utf-8")
    assert main(["--db", str(db), "import-benchmarks", str(nothing)]) == 1
    unreadable = tmp_path / "budget.csv"
    unreadable.write_text("Service,Budget\nEarly help,100\n", encoding="utf-8")
    assert main(["--db", str(db), "import-benchmarks", str(unreadable)]) == 2


def test_a_fingertips_export_is_never_called_re_saved(tmp_path, store):
    """Column names that differ from Fingertips' own only in case or spacing (the API's CSV is not a re-save), and
    the same cut as R writes it: each said as it is."""
    original = (FIXTURES / "fingertips_90284_by_sex.csv").read_text(encoding="utf-8")
    header, rest = original.split("\n", 1)
    path = tmp_path / "export.csv"
    path.write_text(header.replace("Lower CI 95.0 limit", "Lower CI 95.0 Limit") + "\n" + rest, encoding="utf-8")
    report = import_benchmarks(store, path, framework=None)
    said = [n for n in report.notes if "column names" in n]
    assert said == ["column names read as Fingertips' own, differing from Fingertips' own only in case or spacing: "
                    "'Lower CI 95.0 Limit' as 'Lower CI 95.0 limit'"]
    r = import_benchmarks(store, FIXTURES / "fingertips_90284_r_resaved.csv", framework=None)
    assert any("as R's read.csv/write.csv write them (a file re-saved by R)" in n for n in r.notes)


def test_a_dfe_data_type_column_makes_one_indicator_per_measure(tmp_path, store):
    """The workforce file in the long form some DfE tables use: each row's inpost_headcount and turnover_rate_headcount
    cells (as published) under one `value` column, with `data_type` saying which (the only change is the shape)."""
    source = rows("dfe_csww_indicators_extract.csv")
    keep = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
            "region_name", "old_la_code", "new_la_code", "la_name"]
    path = tmp_path / "csww_long.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*keep, "data_type", "value"])
        for r in source:
            w.writerow([r[k] for k in keep] + ["Number", r["inpost_headcount"]])
            w.writerow([r[k] for k in keep] + ["Percent", r["turnover_rate_headcount"]])
    report = import_benchmarks(store, path, framework=None)
    assert report.rows_read == report.rows_imported == 2 * len(source)
    units = dict(store.df("SELECT indicator_id, unit FROM indicators").values.tolist())
    assert units == {"dfe_ees:csww_long:value:number": "count", "dfe_ees:csww_long:value:percent": "percentage"}
    period = "2025 (September census)"
    assert one(store, "dfe_ees:csww_long:value:number", BARNSLEY, period)["value"] == 221
    assert one(store, "dfe_ees:csww_long:value:percent", BARNSLEY, period)["value"] == 8.1
    assert any("column data_type holds 2 measures (Number, Percent)" in n for n in report.notes)


def test_a_declared_filter_default_is_the_headline(tmp_path, store):
    """The KS2 file with a DfE metadata file beside it (`.meta.csv`, the columns DfE's screener requires) naming
    'CINO at 31 March' as social_care_group's filter_default: those rows become the headline figure."""
    data = tmp_path / "ks2.csv"
    data.write_bytes((FIXTURES / "dfe_ks2_cin_version_extract.csv").read_bytes())
    (tmp_path / "ks2.meta.csv").write_text(
        "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,"
        "filter_default\nsocial_care_group,Filter,Social care group,,,,,,CINO at 31 March\n"
        "pt_read_met_expected_standard,Indicator,Reading,,%,0,,,\n", encoding="utf-8")
    import_benchmarks(store, data, framework=None)
    iid = "dfe_ees:ks2:pt_read_met_expected_standard"
    assert one(store, iid, ENGLAND, "AY 2024/25")["value"] == 44          # CINO at 31 March, now the headline
    assert one(store, iid, ENGLAND, "AY 2024/25", ("social_care_group", "CPPO at 31 March"))["value"] == float(
        cell("dfe_ks2_cin_version_extract.csv", "pt_read_met_expected_standard", time_period="202425",
             geographic_level="National", social_care_group="CPPO at 31 March"))


def test_a_single_level_filter_is_not_a_breakdown(store):
    import_benchmarks(store, FIXTURES / "dfe_absence_cin_extract.csv", framework=None)
    types = set(store.df("SELECT DISTINCT breakdown_type FROM current_observations")["breakdown_type"])
    assert types == {"social_care_group", "social_care_group|phase_type_grouping"}   # absence_terms: one value
