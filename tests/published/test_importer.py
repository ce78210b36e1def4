"""Importing published benchmark files: real extracts in data/reference and small fixtures cut from them."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from kpis.core.intervals import wilson_interval
from kpis.published import importer
from kpis.published.common import BenchmarkFormatError
from kpis.published.importer import (
    REFERENCE_DIR,
    detect_format,
    import_benchmarks,
    load_areas_table,
    load_reference_data,
)
from kpis.store.database import Store
from tests.support.published import one, totals

FIXTURES = Path(__file__).parent.parent / "fixtures" / "benchmarks"
ENGLAND, WORCS = "E92000001", "E10000034"
D3 = REFERENCE_DIR / "dfe" / "d3_cpps_subsequent_plan_2013_to_2025.csv"
LAIT_PARQUET = REFERENCE_DIR / "lait" / "bds_long_extract.parquet"
LAIT_CSV = REFERENCE_DIR / "lait" / "bds_long_extract.csv"




def check_counts(report):
    assert report.rows_read == report.rows_imported + report.rows_skipped
    assert sum(report.skipped_reasons.values()) == report.rows_skipped


# -- areas -----------------------------------------------------------------------------------
def test_load_areas_table_fills_once(store):
    n = int(store.scalar("SELECT count(*) FROM areas"))
    assert n > 150
    assert store.scalar("SELECT name FROM areas WHERE area_code = ?", [WORCS]) == "Worcestershire"
    assert store.scalar("SELECT count(*) FROM statistical_neighbours WHERE dfe_code = '885'") == 10
    assert load_areas_table(store, REFERENCE_DIR) == n  # a second call adds nothing
    assert store.scalar("SELECT count(*) FROM statistical_neighbours WHERE dfe_code = '885'") == 10


# -- recognising formats -------------------------------------------------------------------------
@pytest.mark.parametrize("name,fmt", [
    ("fingertips_27col.csv", "fingertips"), ("fingertips_26col.csv", "fingertips"),
    ("dfe_d3_markers.csv", "dfe_ees"), ("dfe_d3_reordered.csv", "dfe_ees"),
    ("lait_sample.csv", "lait"), ("tidy_obese_reception.csv", "tidy"),
])
def test_detect_format_from_the_header(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


def test_detect_format_ignores_the_file_name(tmp_path):
    disguised = tmp_path / "fingertips_download.csv"
    shutil.copy(FIXTURES / "dfe_d3_markers.csv", disguised)
    assert detect_format(disguised) == "dfe_ees"
    assert detect_format(LAIT_PARQUET) == "lait"


def test_unrecognised_header_is_a_plain_english_error(tmp_path, store, framework):
    bad = tmp_path / "budget.csv"
    bad.write_text("Service,Budget,Spend\nEarly help,100,95\n", encoding="utf-8")
    before = totals(store)
    with pytest.raises(BenchmarkFormatError) as err:
        import_benchmarks(store, bad, framework=framework)
    message = str(err.value)
    assert "budget.csv" in message and "Service, Budget, Spend" in message
    for words in ("Fingertips", "Explore education statistics", "LAIT", "tidy"):
        assert words in message
    assert totals(store) == before


# -- DfE open data -----------------------------------------------------------------------------
def test_dfe_sg02_england_2024_25(store, framework):
    report = import_benchmarks(store, D3, framework=framework)
    check_counts(report)
    assert report.format == "dfe_ees" and report.rows_read == 2132 and report.rows_skipped == 0
    assert report.indicators == ["dfe_ees:d3_cpps_subsequent_plan"]
    row = one(store, "dfe_ees:d3_cpps_subsequent_plan", ENGLAND, "2024/25")
    assert (row["value"], row["numerator"], row["denominator"]) == (24.5, 15130, 61840)
    assert row["period_type"] == "financial_year"
    assert row["period_start"].date() == date(2024, 4, 1) and row["period_end"].date() == date(2025, 3, 31)
    lo, hi = wilson_interval(15130, 61840)
    assert row["lower_ci"] == pytest.approx(100 * lo) and row["upper_ci"] == pytest.approx(100 * hi)
    assert one(store, "dfe_ees:d3_cpps_subsequent_plan", WORCS, "2024/25")["value"] == 31.4
    assert one(store, "dfe_ees:d3_cpps_subsequent_plan", "E12000005", "2024/25")["value"] == 26.7
    ind = store.df("SELECT * FROM indicators WHERE indicator_id = 'dfe_ees:d3_cpps_subsequent_plan'").iloc[0]
    assert (ind["kpi_id"], ind["unit"], ind["polarity"]) == ("SG02", "percentage", "lower_is_better")
    assert ind["licence"] == "Open Government Licence v3.0"


def test_dfe_suppression_markers_become_statuses(store, framework):
    report = import_benchmarks(store, FIXTURES / "dfe_d3_markers.csv", framework=framework)
    check_counts(report)
    assert report.rows_imported == report.rows_read == 14
    iid = "dfe_ees:d3_cpps_subsequent_plan"
    expected = {("E09000001", "2023/24"): ("suppressed", "c"), ("E09000012", "2021/22"): ("not_available", "x"),
                ("E06000053", "2023/24"): ("not_applicable", "z"), ("E10000014", "2023/24"): ("low_reliability", "u")}
    for (area, period), (status, note) in expected.items():
        row = one(store, iid, area, period)
        assert row["value"] != row["value"]  # NULL comes back as NaN
        assert (row["status"], row["status_note"]) == (status, note)
        assert row["lower_ci"] != row["lower_ci"]
    rutland = one(store, iid, "E06000017", "2022/23")  # start 39, subsequent and percent suppressed
    assert rutland["denominator"] == 39 and rutland["numerator"] != rutland["numerator"]
    assert rutland["status"] == "suppressed"


def test_dfe_reordered_columns_give_the_same_values(store, framework):
    first = import_benchmarks(store, FIXTURES / "dfe_d3_markers.csv", framework=framework)
    again = import_benchmarks(store, FIXTURES / "dfe_d3_reordered.csv", framework=framework)
    assert first.new == 14
    assert (again.new, again.changed, again.unchanged) == (0, 0, 14)


def test_dfe_file_without_a_comparator_keeps_its_columns_as_source_indicators(tmp_path, store):
    path = tmp_path / "d3_cpps_subsequent_plan_2013_to_2025.csv"
    shutil.copy(FIXTURES / "dfe_d3_markers.csv", path)
    report = import_benchmarks(store, path, framework=None)
    check_counts(report)
    assert report.indicators == ["dfe_ees:d3_cpps_subsequent_plan:CPP_start",
                                 "dfe_ees:d3_cpps_subsequent_plan:CPP_subsequent",
                                 "dfe_ees:d3_cpps_subsequent_plan:CPP_subsequent_percent"]
    assert one(store, "dfe_ees:d3_cpps_subsequent_plan:CPP_start", ENGLAND, "2024/25")["value"] == 61840


# -- re-import, counting, all or nothing -------------------------------------------------------------
def test_reimport_stores_nothing_new(store, framework):
    first = import_benchmarks(store, D3, framework=framework)
    n_obs = store.scalar("SELECT count(*) FROM observations")
    again = import_benchmarks(store, D3, framework=framework)
    assert (again.new, again.changed, again.unchanged) == (0, 0, first.new)
    assert store.scalar("SELECT count(*) FROM observations") == n_obs
    assert again.batch_id != first.batch_id
    d = again.to_dict()
    for key in ("rows_read", "rows_imported", "rows_skipped", "skipped_reasons", "format", "batch_id", "indicators",
                "new", "changed", "unchanged"):
        assert key in d
    batch = store.df("SELECT * FROM batches WHERE batch_id = ?", [again.batch_id]).iloc[0]
    assert (batch["kind"], batch["rows_read"], batch["unchanged_values"]) == ("import", 2132, first.new)
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'import'") == 2


def test_a_changed_value_is_versioned(tmp_path, store, framework):
    import_benchmarks(store, FIXTURES / "dfe_d3_markers.csv", framework=framework)
    revised = tmp_path / "d3_revised.csv"
    text = (FIXTURES / "dfe_d3_markers.csv").read_text(encoding="utf-8")
    revised.write_text(text.replace("711,223,31.4", "711,224,31.5"), encoding="utf-8")
    report = import_benchmarks(store, revised, framework=framework)
    assert (report.new, report.changed, report.unchanged) == (0, 1, 13)
    history = store.df("SELECT value, version, valid_to FROM observations WHERE area_code = ? AND period_label = "
                       "'2024/25' ORDER BY version", [WORCS])
    assert list(history["value"]) == [31.4, 31.5] and history["valid_to"].notna().tolist() == [True, False]


def test_a_failure_mid_import_leaves_the_database_unchanged(store, framework, monkeypatch):
    import_benchmarks(store, FIXTURES / "dfe_d3_markers.csv", framework=framework)
    before = totals(store)

    def broken(cur, **kwargs):
        cur.execute("UPDATE observations SET value = -1")  # a partial write, then a failure
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "write_observations_from", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        import_benchmarks(store, LAIT_PARQUET, framework=framework)
    assert totals(store) == before
    assert store.scalar("SELECT min(value) FROM observations") >= 0


# -- LAIT -----------------------------------------------------------------------------------------
def test_lait_parquet_gld_for_worcestershire(store, framework):
    report = import_benchmarks(store, LAIT_PARQUET, framework=framework)
    check_counts(report)
    assert report.format == "lait" and report.rows_read == 18870
    latest = store.df("SELECT * FROM current_observations WHERE indicator_id = 'lait:FSP_NEW_GOODDEV' "
                      "AND area_code = ? AND value IS NOT NULL ORDER BY period_end DESC", [WORCS]).iloc[0]
    assert (latest["period_label"], latest["value"], latest["period_type"]) == ("AY 2024/25", 68.0, "academic_year")
    assert latest["period_start"].date() == date(2024, 9, 1)
    assert one(store, "lait:FSP_NEW_GOODDEV", ENGLAND, "AY 2024/25")["value"] == 68.3
    covid = one(store, "lait:FSP_NEW_GOODDEV", WORCS, "AY 2019/20")  # no EYFS profile in 2020
    assert covid["value"] != covid["value"] and (covid["status"], covid["status_note"]) == ("not_available", "-")
    ind = store.df("SELECT * FROM indicators WHERE indicator_id = 'lait:FSP_NEW_GOODDEV'").iloc[0]
    assert (ind["kpi_id"], ind["polarity"], ind["source_code"]) == ("EH04", "higher_is_better", "FSP_NEW_GOODDEV")
    neet = store.df("SELECT * FROM indicators WHERE indicator_id = 'lait:16-17_not known_NEET'").iloc[0]
    assert neet["kpi_id"] is None and neet["polarity"] == "lower_is_better"  # from the LAIT data dictionary
    assert one(store, "lait:16-17 NEET", WORCS, "2024/25")["period_type"] == "financial_year"  # SD04: year_type


def test_lait_csv_and_parquet_hold_the_same_values(store, framework):
    first = import_benchmarks(store, LAIT_PARQUET, framework=framework)
    again = import_benchmarks(store, LAIT_CSV, framework=framework)
    check_counts(again)
    assert (again.new, again.changed) == (0, 0) and again.unchanged == first.new


def test_lait_csv_sample_and_london_subregions(store, framework):
    report = import_benchmarks(store, FIXTURES / "lait_sample.csv", framework=framework)
    check_counts(report)
    assert report.rows_read == 44 and report.rows_skipped == 0
    assert one(store, "lait:FSP_NEW_GOODDEV", "E12000005", "AY 2024/25")["value"] == pytest.approx(66.9)
    assert one(store, "lait:FSP_NEW_GOODDEV", "E13000001", "AY 2024/25")["value"] == 70.3  # in areas.csv
    assert one(store, "lait:16-17 NEET", WORCS, "2024/25")["value"] == 3.9


def test_lait_areas_missing_from_the_table_are_skipped_with_a_reason(store, framework):
    with store.transaction() as cur:
        cur.execute("DELETE FROM areas WHERE area_code IN ('E13000001', 'E13000002')")
    report = import_benchmarks(store, FIXTURES / "lait_sample.csv", framework=framework)
    check_counts(report)
    assert report.skipped_reasons == {"London (Inner)/(Outer) is not in the areas table": 10}


# -- Fingertips ----------------------------------------------------------------------------------
def test_fingertips_27_columns(store, framework):
    report = import_benchmarks(store, FIXTURES / "fingertips_27col.csv", framework=framework)
    check_counts(report)
    assert report.rows_read == 16
    assert report.skipped_reasons == {"duplicate of an earlier row": 3}  # England is repeated in the export
    iid = "fingertips:90284"
    w = one(store, iid, WORCS, "2023/24")
    assert (w["value"], w["numerator"], w["denominator"]) == (60.56226, 595, 98246)
    assert (w["lower_ci"], w["upper_ci"], w["status"]) == (55.79308, 65.63009, "published")
    assert one(store, iid, WORCS, "2023/24", ("sex", "Female"))["value"] == 50.17352
    assert one(store, iid, ENGLAND, "2023/24")["value"] == 72.71223
    rows = store.df("SELECT * FROM current_observations WHERE breakdown_type LIKE 'county_ua_deprivation%'")
    assert len(rows) == 4
    assert rows["breakdown_type"].iloc[0] == "county_ua_deprivation_deciles_in_england_imd2019_4_19_and_4_20_geog"
    empty = rows[rows["value"].isna()]
    assert len(empty) == 2 and set(empty["status"]) == {"not_available"}
    assert empty["status_note"].str.startswith("Should be treated with caution").all()
    assert store.scalar("SELECT name FROM indicators WHERE indicator_id = ?", [iid]).startswith("Hospital admissions")


def test_fingertips_26_columns_with_ages_and_an_abolished_council(store, framework):
    report = import_benchmarks(store, FIXTURES / "fingertips_26col.csv", framework=framework)
    check_counts(report)
    assert report.rows_read == 6 and report.rows_skipped == 0
    iid = "fingertips:93356"
    assert one(store, iid, WORCS, "2016")["period_type"] == "calendar_year"
    assert one(store, iid, ENGLAND, "2016", ("age", "0-9 yrs"))["numerator"] == 15739
    assert one(store, iid, "E06000028", "2016")["value"] > 0  # Bournemouth, abolished in 2019: real history
    ind = store.df("SELECT * FROM indicators WHERE indicator_id = ?", [iid]).iloc[0]
    assert ind["name"] == "Campylobacter incidence rate/100,000" and ind["unit"] == "rate_per_100000"


def test_fingertips_unknown_area_code_is_skipped(tmp_path, store, framework):
    path = tmp_path / "export.csv"
    text = (FIXTURES / "fingertips_26col.csv").read_bytes().replace(b"E06000028", b"E06999999")
    path.write_bytes(text)
    report = import_benchmarks(store, path, framework=framework)
    check_counts(report)
    assert report.skipped_reasons == {
        "area code E06999999 is not a council, region or England in the areas table (nor a former code of one)": 2}


# -- tidy (Trafford Data Lab) ----------------------------------------------------------------------
def test_tidy_obesity_feeds_the_eh02_comparator(store, framework):
    report = import_benchmarks(store, FIXTURES / "tidy_obese_reception.csv", framework=framework)
    check_counts(report)
    assert report.indicators == ["fingertips:90319"]  # the 5-year rows have a period we cannot place
    assert one(store, "fingertips:90319", ENGLAND, "AY 2014/15")["value"] == 9.1  # NCMP years are academic years
    assert report.skipped_reasons == {"period not understood: '2020/21 - 24/25'": 5}
    assert store.scalar("SELECT kpi_id FROM indicators WHERE indicator_id = 'fingertips:90319'") == "EH02"
    na = store.df("SELECT * FROM current_observations WHERE status_note = 'NA'")
    assert len(na) == 1 and na["value"].isna().all() and na["status"].iloc[0] == "not_available"


# -- everything shipped ----------------------------------------------------------------------------
def test_load_reference_data_imports_every_extract(tmp_path, framework):
    store = Store(tmp_path / "ref.duckdb")
    reports = load_reference_data(store, framework=framework)
    assert {r.file_name for r in reports} == {
        "d3_cpps_subsequent_plan_2013_to_2025.csv", "bds_long_extract.parquet", "la_hospital_admissions_extract.csv",
        "region_hospital_admissions_extract.csv", "indicators-CountyUA_extract.csv", "obese_reception.csv",
        "bds_long_more_extract.parquet"}
    for r in reports:
        check_counts(r)
        assert r.rows_imported > 0
    assert one(store, "dfe_ees:d3_cpps_subsequent_plan", ENGLAND, "2024/25")["value"] == 24.5
    eh04 = store.df("SELECT value, period_label FROM current_observations WHERE indicator_id = 'lait:FSP_NEW_GOODDEV' "
                    "AND area_code = ? AND value IS NOT NULL ORDER BY period_end", [WORCS])
    assert len(eh04) >= 7 and eh04.iloc[-1].tolist() == [68.0, "AY 2024/25"]
    kpis = dict(store.df("SELECT indicator_id, kpi_id FROM indicators WHERE kpi_id IS NOT NULL")
                .itertuples(index=False, name=None))
    assert kpis == {"dfe_ees:d3_cpps_subsequent_plan": "SG02", "lait:FSP_NEW_GOODDEV": "EH04",
                    "lait:SEN_State-Plans_sch": "SD02", "lait:16-17 NEET": "SD04", "fingertips:90319": "EH02"}
    again = load_reference_data(store, framework=framework)
    assert all(r.new == 0 and r.changed == 0 for r in again)
    store.close()


# -- every reference file imports, and its totals add up --------------------------------------------
def readme_files() -> list[str]:
    """The files data/reference/README.md describes (its '### `path`' headings)."""
    import re
    return re.findall(r"^### `([^`]+)`", (REFERENCE_DIR / "README.md").read_text(encoding="utf-8"), re.M)


NOT_BENCHMARKS = {"areas.csv", "statistical_neighbours.csv", "lait/lait_data_dictionary_extract.csv",
                  "dfe/la_codes_with_history.csv"}


def test_the_readme_lists_every_reference_file():
    on_disk = {p.relative_to(REFERENCE_DIR).as_posix() for p in REFERENCE_DIR.rglob("*")
               if p.is_file() and p.name != "README.md"}
    assert set(readme_files()) == on_disk


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("reference") / "ref.duckdb")
    load_areas_table(s, REFERENCE_DIR)
    yield s
    s.close()


@pytest.mark.parametrize("rel", readme_files())
def test_every_reference_file_imports_and_its_totals_add_up(rel, reference_store, framework):
    path = REFERENCE_DIR / rel
    if rel in NOT_BENCHMARKS:  # lookup tables and a data dictionary: not benchmark files, and said so plainly
        with pytest.raises(BenchmarkFormatError, match="not in a format this tool recognises"):
            detect_format(path)
        return
    report = import_benchmarks(reference_store, path, framework=framework)
    check_counts(report)
    assert report.rows_read > 0 and report.rows_imported > 0
    batch = reference_store.df("SELECT rows_read, rows_imported, rows_skipped FROM batches WHERE batch_id = ?",
                               [report.batch_id]).iloc[0]
    assert batch.tolist() == [report.rows_read, report.rows_imported, report.rows_skipped]


# -- the published "Compared to England" labels of Fingertips 90284, reproduced ---------------------
# tests/fixtures/benchmarks/fingertips_90284_all_counties.csv: every county/UA row and every England row
# of the real export la_hospital_admissions_2324.csv (27 columns), cut to the columns used here.
ALL_COUNTIES = FIXTURES / "fingertips_90284_all_counties.csv"
PUBLISHED = "Compared to England value or percentiles"


@pytest.fixture(scope="module")
def fingertips_90284():
    import pandas as pd
    df = pd.read_csv(ALL_COUNTIES, dtype=str, keep_default_na=False, encoding="utf-8")
    for c in ("Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator"):
        df[c] = pd.to_numeric(df[c].replace("", None))
    return df


def _number(x):
    return None if x != x else float(x)  # NaN -> None


def _reproduce(rows, england):
    from kpis.core.stats import compare_with_benchmark
    keyed = rows.merge(england, on=["Time period", "Sex", "Age"], how="left", suffixes=("", " England"),
                       validate="many_to_one")
    mine = [compare_with_benchmark(_number(v), _number(lo), _number(hi), _number(b), "lower_is_better")
            for v, lo, hi, b in zip(keyed["Value"], keyed["Lower CI 95.0 limit"], keyed["Upper CI 95.0 limit"],
                                    keyed["Value England"], strict=False)]
    keyed["mine"] = [m.capitalize() for m in mine]  # 'better' -> 'Better', 'not compared' -> 'Not compared'
    return keyed


def test_fingertips_compared_to_england_reproduced_for_every_council(fingertips_90284):
    df = fingertips_90284
    assert ALL_COUNTIES.stat().st_size < 1_000_000
    is_england = df["Area Code"] == ENGLAND
    england = df[is_england & (df["Category"] == "")].drop_duplicates(["Time period", "Sex", "Age"])
    assert len(england) == 38  # 2010/11-2011/12 persons only, then persons, male, female to 2023/24
    england = england[["Time period", "Sex", "Age", "Value"]]
    councils = df[~is_england]
    assert len(councils) == 5802 and councils["Area Code"].str.match(r"E0[689]|E10").all()
    keyed = _reproduce(councils, england)
    assert keyed["Value England"].notna().all()  # every council row has its England value
    wrong = keyed[keyed["mine"] != keyed[PUBLISHED]]
    assert wrong.empty, wrong[["Area Name", "Sex", "Time period", PUBLISHED, "mine"]].head(20).to_string()
    counts = keyed[PUBLISHED].value_counts().to_dict()
    assert counts == {"Better": 2088, "Worse": 1901, "Similar": 1712, "Not compared": 101}
    # 'Not compared' rows are exactly the ones with no value: the Isles of Scilly and the City of London in
    # every year (published combined with Cornwall and with Hackney), and a few councils in years whose
    # hospital records could not be placed
    not_compared = keyed[keyed[PUBLISHED] == "Not compared"]
    assert not_compared["Value"].isna().all() and keyed.loc[keyed["Value"].isna(), PUBLISHED].eq("Not compared").all()
    assert (not_compared["Area Name"].value_counts()[["Isles of Scilly", "City of London"]] == 38).all()


def test_fingertips_compared_to_england_for_englands_own_rows(fingertips_90284):
    df = fingertips_90284
    england_rows = df[df["Area Code"] == ENGLAND]
    headline = england_rows[england_rows["Category"] == ""]
    benchmark = headline.drop_duplicates(["Time period", "Sex", "Age"])[["Time period", "Sex", "Age", "Value"]]
    # deprivation deciles of England, compared with England as a whole
    deciles = _reproduce(england_rows[england_rows["Category"] != ""], benchmark)
    assert len(deciles) == 1330 and (deciles["mine"] == deciles[PUBLISHED]).all()
    # England's headline rows appear twice: as the top of the tree (no parent: 'Not compared') and as a
    # child of England, where it is similar to itself
    as_child = _reproduce(headline[headline["Parent Code"] == ENGLAND], benchmark)
    assert len(as_child) == 38 and (as_child["mine"] == "Similar").all() and (as_child[PUBLISHED] == "Similar").all()
    assert (headline.loc[headline["Parent Code"] == "", PUBLISHED] == "Not compared").all()


def test_fingertips_england_rates_and_limits_reproduced_from_count_and_denominator(fingertips_90284):
    from kpis.core.intervals import rate_ci
    df = fingertips_90284
    england = df[(df["Area Code"] == ENGLAND) & (df["Category"] == "")]
    assert len(england) == 76
    for r in england.itertuples(index=False):
        count, denominator, value, lo95, hi95 = r[10], r[11], r[7], r[8], r[9]
        # the value is a crude rate per 10,000: Count / Denominator * 10,000
        assert count / denominator * 10_000 == pytest.approx(value, abs=1e-5)
        lo, hi = rate_ci(count, denominator, per=10_000)  # Byar's method
        assert (round(lo, 2), round(hi, 2)) == (round(lo95, 2), round(hi95, 2))
        assert lo == pytest.approx(lo95, abs=1e-5) and hi == pytest.approx(hi95, abs=1e-5)
    # From 2012/13 the councils' published counts are rounded to the nearest 5 (their limits use the true
    # count), so only England's limits can be reproduced from the file; the 2010/11 and 2011/12 council
    # counts are not rounded, and their limits reproduce too.
    councils = df[(df["Area Code"] != ENGLAND) & df["Value"].notna()]
    early = councils["Time period"].isin(["2010/11", "2011/12"])
    assert (councils.loc[~early, "Count"] % 5 == 0).all()
    for r in councils[early].itertuples(index=False):
        lo, hi = rate_ci(r[10], r[11], per=10_000)
        assert (round(lo, 2), round(hi, 2)) == (round(r[8], 2), round(r[9], 2)), r


def test_lait_parquet_update_versions_known_measures_and_adds_new_ones(tmp_path, store, framework):
    """A second LAIT file: one measure already held (a value revised), one new, a repeated row and a clash."""
    import pandas as pd
    sample = pd.read_csv(FIXTURES / "lait_sample.csv", dtype=str, keep_default_na=False)
    gld = sample[sample["Short Desc"] == "FSP_NEW_GOODDEV"]
    first = tmp_path / "first.parquet"
    gld.to_parquet(first, index=False)
    one_report = import_benchmarks(store, first, framework=framework)
    assert one_report.new == 40 and one_report.rows_skipped == 0
    update = sample.copy()
    revised = (update["Short Desc"] == "FSP_NEW_GOODDEV") & (update["LA and Regions"] == "Worcestershire") \
        & (update["Years"] == "2016")
    update.loc[revised, "Values"] = "69.5"
    neet = update[update["Short Desc"] == "16-17 NEET"]
    clash = neet.iloc[[0]].assign(Values="99.9")
    update = pd.concat([update, neet.iloc[[1]], clash], ignore_index=True)  # a repeat, then a clash
    second = tmp_path / "second.parquet"
    update.to_parquet(second, index=False)
    report = import_benchmarks(store, second, framework=framework)
    check_counts(report)
    assert (report.rows_read, report.rows_imported) == (46, 44)
    assert report.skipped_reasons == {"duplicate of an earlier row": 1,
                                      "another row has a different value for the same area, period and breakdown": 1}
    assert (report.new, report.changed, report.unchanged) == (4, 1, 39)
    assert one(store, "lait:FSP_NEW_GOODDEV", WORCS, "AY 2015/16")["value"] == 69.5
    history = store.df("SELECT value, version FROM observations WHERE indicator_id = 'lait:FSP_NEW_GOODDEV' AND "
                       "area_code = ? AND period_label = 'AY 2015/16' ORDER BY version", [WORCS])
    assert history.values.tolist() == [[69.0, 1], [69.5, 2]]
    assert one(store, "lait:16-17 NEET", WORCS, "2024/25")["value"] == 3.9  # the first of the clashing rows
    ids = store.df("SELECT obs_id FROM observations")["obs_id"]
    assert ids.is_unique and len(ids) == 40 + 5
