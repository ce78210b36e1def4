"""Faithful imports (issue 14): real-derived files whose symbols, totals, labels and re-saves must survive import.

Fixtures: tests/fixtures/imports (README there: sources, OGL v3.0, and each stated transformation).
"""
from __future__ import annotations

import pytest

from kpis.analysis import across_areas, explore
from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.published.common import BenchmarkError, BenchmarkFormatError
from kpis.published.importer import detect_format, import_benchmarks
from tests.conftest import ROOT
from tests.support.published import one, totals

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
ENGLAND, WORCS = "E92000001", "E10000034"




# -- DfE: symbols are statuses, Total is the headline ------------------------------------------------
def test_dfe_k_means_rounds_to_zero_not_unavailable(store):
    """Issue 22: DfE's `k` is `low` where the word reads badly: a figure that rounds to 0 but is not 0."""
    report = import_benchmarks(store, FIXTURES / "dfe_c1_referrals_k.csv", framework=None)
    assert report.rows_read == report.rows_imported == 23
    pct = "dfe_ees:dfe_c1_referrals_k:rereferral_percent"
    k = one(store, pct, WORCS, "2024/25")
    assert k["value"] != k["value"] and (k["status"], k["status_note"]) == ("rounds_to_zero", "k")
    assert not [n for n in report.notes if "unexpected symbol" in n]  # a published marker, not a surprise


def test_an_unexpected_symbol_is_a_status_on_its_cell_and_is_reported(tmp_path, store):
    path = tmp_path / "c1_star.csv"
    text = (FIXTURES / "dfe_c1_referrals_k.csv").read_text(encoding="utf-8")
    path.write_text(text.replace(",k,", ",*,"), encoding="utf-8")
    report = import_benchmarks(store, path, framework=None)
    assert report.rows_read == report.rows_imported == 23
    pct = "dfe_ees:c1_star:rereferral_percent"
    assert pct in report.indicators  # still a measure, not a breakdown label
    assert store.scalar("SELECT unit FROM indicators WHERE indicator_id = ?", [pct]) == "percentage"
    assert store.df("SELECT DISTINCT breakdown_type FROM current_observations")["breakdown_type"].tolist() == ["all"]
    k = one(store, pct, WORCS, "2024/25")
    assert k["value"] != k["value"] and (k["status"], k["status_note"]) == ("not_available", "*")
    assert one(store, pct, ENGLAND, "2024/25")["value"] == 22.6
    said = [n for n in report.notes if "rereferral_percent" in n]
    assert said == ["column rereferral_percent: unexpected symbol(s) '*' (1 cell), not a number and not a published "
                    "marker; stored as 'not available' with the symbol as the status note"]
    # the publisher's own markers are not 'unexpected'
    assert not [n for n in report.notes if "'c'" in n or "'x'" in n or "'u'" in n]
    assert one(store, "dfe_ees:c1_star:no_further_action_percent", "E06000053", "2024/25")["status"] \
        in ("suppressed", "not_available", "low_reliability")


def test_a_dfe_file_re_saved_by_excel_in_windows_1252_reads_as_the_original(tmp_path, store):
    """Excel's "CSV (Comma delimited)" writes Windows-1252: the same values, the text as written, and a note."""
    text = (FIXTURES / "dfe_c1_referrals_k.csv").read_text(encoding="utf-8")
    assert text.count("Referrals and Re-referrals") == 23
    resaved = tmp_path / "c1_excel.csv"
    excel = text.replace("Referrals and Re-referrals", "Referrals and Re-referrals – café")
    resaved.write_bytes(excel.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        resaved.read_text(encoding="utf-8")                      # not UTF-8: the case being tested
    report = import_benchmarks(store, resaved, framework=None)
    assert report.rows_read == report.rows_imported == 23
    assert "read as Windows-1252 (not UTF-8), as Excel saves CSV" in report.notes
    pct = "dfe_ees:c1_excel:rereferral_percent"
    assert one(store, pct, ENGLAND, "2024/25")["value"] == 22.6
    assert one(store, pct, WORCS, "2024/25")["status_note"] == "k"
    assert store.scalar("SELECT count(*) FROM current_observations WHERE indicator_id = ?", [pct]) == 23


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused_in_words(tmp_path, store):
    text = (FIXTURES / "dfe_c1_referrals_k.csv").read_bytes()
    bad = tmp_path / "c1_garbled.csv"
    bad.write_bytes(text.replace(b"Referrals and Re-referrals", b"Referrals \x81\x8d", 1))  # undefined in 1252
    before = totals(store)
    with pytest.raises(BenchmarkFormatError) as err:
        import_benchmarks(store, bad, framework=None)
    assert str(err.value).startswith("c1_garbled.csv is not text that can be read: byte 0x81 at position ")
    assert "save it as 'CSV UTF-8'" in str(err.value) and "codec" not in str(err.value)
    assert totals(store) == before


def test_dfe_total_rows_are_the_headline_and_the_rest_a_breakdown(store):
    report = import_benchmarks(store, FIXTURES / "dfe_d5_duration_long.csv", framework=None)
    assert report.rows_read == report.rows_imported == 60
    number = "dfe_ees:dfe_d5_duration_long:number_of_plans"
    assert one(store, number, ENGLAND, "2024/25")["value"] == 49420  # the Total row
    assert one(store, number, ENGLAND, "2024/25", ("duration", "3 months or less"))["value"] == 15580
    assert one(store, number, WORCS, "2024/25")["value"] > 0
    types = store.df("SELECT DISTINCT breakdown_type, breakdown_value FROM current_observations "
                     "WHERE indicator_id = ?", [number])
    assert set(types["breakdown_type"]) == {"all", "duration"} and "Total" not in set(types["breakdown_value"])
    assert len(types) == 6
    total_pct = one(store, "dfe_ees:dfe_d5_duration_long:percent_of_plans", ENGLAND, "2024/25")
    assert (total_pct["status"], total_pct["status_note"]) == ("not_applicable", "z")
    # the explorer shows the headline: England and the councils have an 'all children' value
    assert explore.area_names(store, number).keys() >= {ENGLAND, WORCS}


# -- Fingertips: headline sex, plain-text notes, re-saved files ------------------------------------------
def test_not_applicable_sex_is_the_headline_and_html_is_stripped_from_notes(store, framework):
    report = import_benchmarks(store, FIXTURES / "fingertips_90284_not_applicable_html.csv", framework=framework)
    assert report.rows_imported + report.rows_skipped == report.rows_read == 22
    w = one(store, "fingertips:90284", WORCS, "2023/24")
    assert w["value"] == 60.56226
    assert not store.scalar("SELECT count(*) FROM current_observations WHERE breakdown_type LIKE '%sex%'")
    notes = store.df("SELECT DISTINCT status_note FROM current_observations WHERE status_note IS NOT NULL")
    assert len(notes) == 2
    for text in notes["status_note"]:
        assert "<" not in text and ">" not in text and "&amp;" not in text
        assert text.startswith("Should be treated with caution, as it contains areas") and \
            text.endswith("See Fingertips & its notes.")


def test_a_fingertips_export_re_saved_by_r_reads_as_the_original(store, framework):
    assert detect_format(FIXTURES / "fingertips_90284_r_resaved.csv") == "fingertips"
    first = import_benchmarks(store, FIXTURES / "fingertips_90284_by_sex.csv", framework=framework)
    again = import_benchmarks(store, FIXTURES / "fingertips_90284_r_resaved.csv", framework=framework)
    assert again.rows_read == first.rows_read == 42
    assert (again.new, again.changed, again.unchanged) == (0, 0, first.new)
    assert again.skipped_reasons == first.skipped_reasons
    assert any("row-number column" in n for n in again.notes) and any("'NA'" in n for n in again.notes)
    assert one(store, "fingertips:90284", WORCS, "2023/24", ("sex", "Female"))["value"] == 50.17352


def test_a_fingertips_export_re_saved_by_excel_in_windows_1252_reads(tmp_path, store, framework):
    text = (FIXTURES / "fingertips_90284_by_sex.csv").read_text(encoding="utf-8")
    resaved = tmp_path / "excel.csv"
    resaved.write_bytes(text.replace("(aged 0 to 14 years)", "(aged 0 to 14 years: £ and ½)").encode("cp1252"))
    report = import_benchmarks(store, resaved, framework=framework)
    assert report.rows_read == 42 and report.skipped_reasons == {"duplicate of an earlier row": 6}  # England twice
    assert any("Windows-1252" in n for n in report.notes)
    assert store.scalar("SELECT name FROM indicators WHERE indicator_id = 'fingertips:90284'").endswith("£ and ½)")


def test_a_row_with_more_fields_than_the_header_is_refused_plainly(tmp_path, store, framework):
    text = (FIXTURES / "fingertips_90284_by_sex.csv").read_text(encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text(text.replace("(aged 0 to 14 years)", "(aged 0, to 14 years)"), encoding="utf-8")
    with pytest.raises(BenchmarkFormatError, match="more fields than its header"):
        import_benchmarks(store, broken, framework=framework)


# -- Fingertips: unit and polarity ------------------------------------------------------------------------
def test_unit_and_polarity_come_from_the_files_own_labels(store):
    report = import_benchmarks(store, FIXTURES / "fingertips_90284_by_sex.csv", framework=None)
    ind = store.df("SELECT * FROM indicators WHERE indicator_id = 'fingertips:90284'").iloc[0]
    assert (ind["unit"], ind["polarity"]) == ("rate_per_10000", "lower_is_better")
    assert "Count / Denominator x 10,000" in ind["methodology"] and "marks Better or Worse" in ind["methodology"]
    assert any(n.startswith("fingertips:90284: Unit: rate_per_10000") for n in report.notes)


def test_higher_and_lower_labels_mean_no_polarity_and_no_labels_mean_unknown(tmp_path, store):
    text = (FIXTURES / "fingertips_90284_by_sex.csv").read_text(encoding="utf-8")
    higher = tmp_path / "higher.csv"
    higher.write_text(text.replace(",Worse,", ",Higher,").replace(",Better,", ",Lower,"), encoding="utf-8")
    import_benchmarks(store, higher, framework=None)
    assert store.scalar("SELECT polarity FROM indicators") == "no_polarity"
    none = tmp_path / "none.csv"
    none.write_text(text.replace(",Worse,", ",Similar,").replace(",Better,", ",Similar,")
                    .replace("90284,", "90285,"), encoding="utf-8")
    report = import_benchmarks(store, none, framework=None)
    ind = store.df("SELECT * FROM indicators WHERE indicator_id = 'fingertips:90285'").iloc[0]
    assert ind["polarity"] is None and "Polarity: not known" in ind["methodology"]
    assert any("fingertips:90285" in n and "Polarity: not known" in n for n in report.notes)
    # unknown polarity is compared the only honest way: higher or lower, never better or worse
    assert explore.indicator(store, load_framework(DEFAULT_FRAMEWORK), "fingertips:90285").polarity == "no_polarity"


def test_the_framework_polarity_and_unit_win(tmp_path, store, framework):
    text = (FIXTURES / "fingertips_90284_by_sex.csv").read_bytes().replace(b"90284,", b"90323,")
    path = tmp_path / "as_eh03.csv"
    path.write_bytes(text)  # the file alone would say: a rate per 10,000; the framework (EH03) is asked first
    import_benchmarks(store, path, framework=framework)
    ind = store.df("SELECT * FROM indicators WHERE indicator_id = 'fingertips:90323'").iloc[0]
    assert (ind["kpi_id"], ind["unit"], ind["polarity"]) == ("EH03", "percentage", "lower_is_better")
    assert ind["methodology"] == ("Unit: percentage (from the framework). Polarity: lower_is_better "
                                  "(from the framework).")


# -- Fingertips: the published comparison, reproduced, and 'Not compared' respected --------------------------
def test_published_labels_are_reproduced_and_not_compared_is_respected(store, framework):
    report = import_benchmarks(store, FIXTURES / "fingertips_93356_2015.csv", framework=framework)
    assert report.rows_read == report.rows_imported == 23
    ind = explore.indicator(store, framework, "fingertips:93356")
    assert (ind.unit, ind.polarity) == ("rate_per_100000", "lower_is_better")
    df = across_areas.compare_areas(store, ind, home=WORCS, period_label="2015")
    assert len(df) == 23
    published = dict(store.df("SELECT area_code, label FROM current_published_comparisons WHERE versus = 'England'")
                     .itertuples(index=False, name=None))
    councils = df[df["area_type"] == "county_ua"]
    assert len(councils) == 13
    mine = councils["significance"].str.capitalize()
    assert (mine == councils["area_code"].map(published)).all(), councils[["area_name", "significance"]]
    assert set(mine) >= {"Better", "Similar", "Worse", "Not compared"}
    # the regions: a value, a count and a denominator, so an interval can be calculated (Byar's) and a
    # comparison made; Fingertips did not compare them, and neither do we
    regions = df[df["area_type"] == "region"]
    assert len(regions) == 9 and regions["value"].notna().all()
    assert (regions["ci_method"] == explore.CI_BYAR).all()
    assert (regions["significance"] == "not compared").all()
    assert (regions["significance_text"] == explore.NOT_COMPARED_BY_PUBLISHER).all()
    assert set(regions["area_code"].map(published)) == {"Not compared"}


def test_the_board_does_not_compare_a_home_figure_its_publisher_did_not_compare(tmp_path, store):
    """The scorecard and the benchmark view, where the home council's figure is the published one: as Fingertips
    compared it; not compared once Fingertips marks it "Not compared"; compared again when a later file gives it
    no label. A meeting between still sees what was published by then."""
    from kpis.analysis.comparisons import kpi_benchmarks
    from kpis.board.scorecard import scorecard
    from kpis.published.relation import PUBLISHER_DID_NOT_COMPARE
    from kpis.store.database import now
    text = DEFAULT_FRAMEWORK.read_text(encoding="utf-8").replace(
        'code = "90319", name = "Reception prevalence of obesity (including severe obesity)", '
        'year_type = "Academic Year"', 'code = "93356", name = "Campylobacter incidence"')
    (tmp_path / "fw.toml").write_text(text, encoding="utf-8")
    fw = load_framework(tmp_path / "fw.toml")
    assert fw.kpi("EH02").comparator.indicator_id == "fingertips:93356"

    def board(as_at=None):
        return (scorecard(store, fw, kpi_ids=["EH02"], as_at=as_at).iloc[0],
                {r["kpi_id"]: r for r in kpi_benchmarks(store, fw, as_at=as_at)}["EH02"])

    source = (FIXTURES / "fingertips_93356_2015.csv").read_bytes()
    home_row = b",898,578593,,,Worse,Worse,20150000"          # Worcestershire: 155.2 (145.2 to 165.7), Worse
    assert source.count(home_row) == 1
    import_benchmarks(store, FIXTURES / "fingertips_93356_2015.csv", framework=fw)
    first, bench = board()
    assert (first["latest_period"], round(first["value"], 1), first["comparison"]) == ("2015", 155.2, "worse")
    assert first["relation_basis"] == "significance test" and bench["comparison"] == "worse"
    # 10 of the 150-odd councils publish a value in this file: too few to rank among, in either view
    assert (bench["quartile"], bench["rank"]) == (None, None) and "rank" not in first["england_relation"]

    compared = now()
    marked = tmp_path / "marked.csv"
    marked.write_bytes(source.replace(home_row, b",898,578593,,,Not compared,Worse,20150000"))
    import_benchmarks(store, marked, framework=fw)
    row, bench = board()
    assert (row["comparison"], row["comparison_symbol"]) == ("not compared", "◇")
    assert row["relation_basis"] == "difference, quartile and rank"
    # (EH02's unit, a percentage, formats the rate: the framework was bent to this file, not the words)
    assert row["england_relation"] == ("Higher than England: worse; not tested, its publisher did not compare it "
                                       "with England: 60.5 points above England (155.2% vs England 94.7%, 2015)")
    assert row["comparison_text"] == ("Higher than England: worse; not tested, its publisher did not compare it with "
                                      "England")
    assert bench["comparison"] == "not compared" and bench["england_relation"] == row["england_relation"]

    declined = now()
    unlabelled = tmp_path / "unlabelled.csv"
    unlabelled.write_bytes(source.replace(home_row, b",898,578593,,,,Worse,20150000"))
    import_benchmarks(store, unlabelled, framework=fw)
    assert board()[0]["comparison"] == board()[1]["comparison"] == "worse"   # the publisher no longer says so
    # the board as it stood at each moment saw what was published by then
    assert [board(at)[0]["comparison"] for at in (compared, declined)] == ["worse", "not compared"]
    assert [board(at)[1]["comparison"] for at in (compared, declined)] == ["worse", "not compared"]


def test_a_reimport_keeps_one_published_label_per_value(tmp_path, store, framework):
    import_benchmarks(store, FIXTURES / "fingertips_93356_2015.csv", framework=framework)
    n = store.scalar("SELECT count(*) FROM published_comparisons")
    # 23 labels against England, and (issue 22) the 23 of the file's "Compared to Region" column
    assert store.df("SELECT versus, count(*) AS n FROM published_comparisons GROUP BY 1 ORDER BY 1").values.tolist() \
        == [["England", 23], ["Region", 23]]
    import_benchmarks(store, FIXTURES / "fingertips_93356_2015.csv", framework=framework)
    assert store.scalar("SELECT count(*) FROM published_comparisons") == n
    # a revised label is added and the old one kept, no longer current
    revised = tmp_path / "revised.csv"
    revised.write_bytes((FIXTURES / "fingertips_93356_2015.csv").read_bytes().replace(b",Better,", b",Similar,", 1))
    report = import_benchmarks(store, revised, framework=framework)
    history = store.df("SELECT label, is_current, batch_id FROM published_comparisons WHERE versus = 'England' AND "
                       "(area_code, period_label) IN (SELECT (area_code, period_label) FROM published_comparisons "
                       "WHERE versus = 'England' GROUP BY ALL HAVING count(*) > 1) ORDER BY batch_id")
    assert history.values.tolist() == [["Better", False, history["batch_id"].iloc[0]],
                                       ["Similar", True, report.batch_id]]
    assert store.scalar("SELECT count(*) FROM current_published_comparisons") == n


# -- files that cannot be understood ------------------------------------------------------------------------------
def test_a_file_with_nothing_importable_is_refused_naming_the_column_and_value(tmp_path, store, framework):
    text = (FIXTURES / "fingertips_93356_2015.csv").read_bytes().replace(b"\n93356,", b"\nabc,")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(text)
    before = totals(store)
    with pytest.raises(BenchmarkError) as err:
        import_benchmarks(store, bad, framework=framework)
    assert "nothing was stored" in str(err.value)
    assert "column Indicator ID: 'abc' is not a Fingertips indicator number" in str(err.value)
    assert totals(store) == before


def test_a_workbook_is_refused_with_what_to_do(tmp_path, store, framework):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["Indicator ID", "Area Code"])
    path = tmp_path / "fingertips.xlsx"
    wb.save(path)
    with pytest.raises(BenchmarkFormatError, match=r"spreadsheet workbook .* save the sheet with the data as CSV"):
        import_benchmarks(store, path, framework=framework)


def test_the_command_line_prints_what_the_import_noticed(tmp_path, capsys):
    from kpis.cli.main import main
    db = tmp_path / "cli.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    capsys.readouterr()
    star = tmp_path / "c1_star.csv"
    star.write_text((FIXTURES / "dfe_c1_referrals_k.csv").read_text(encoding="utf-8").replace(",k,", ",*,"),
                    encoding="utf-8")
    assert main(["--db", str(db), "import-benchmarks", str(star)]) == 0
    out = capsys.readouterr().out
    assert "  note: column rereferral_percent: unexpected symbol(s) '*' (1 cell)" in out


def test_a_tidy_file_keeps_its_published_comparisons(store, framework):
    import_benchmarks(store, ROOT / "tests" / "fixtures" / "benchmarks" / "tidy_obese_reception.csv",
                      framework=framework)
    kept = store.df("SELECT label, count(*) AS n FROM current_published_comparisons GROUP BY label")
    stored = store.scalar("SELECT count(*) FROM current_observations")
    assert stored == 7 and int(kept["n"].sum()) == stored  # every value kept has the label its row was published with
    assert set(kept["label"]) <= {"Better", "Similar", "Worse", "Not compared"}


def test_a_tidy_file_re_saved_in_windows_1252_keeps_its_values_and_labels(tmp_path, store, framework):
    original = ROOT / "tests" / "fixtures" / "benchmarks" / "tidy_obese_reception.csv"
    resaved = tmp_path / "tidy_excel.csv"
    text = original.read_text(encoding="utf-8")
    assert text.count(",England,Country,") > 0
    resaved.write_bytes(text.replace(",England,Country,", ",England – café,Country,").encode("cp1252"))
    report = import_benchmarks(store, resaved, framework=framework)
    assert "read as Windows-1252 (not UTF-8), as Excel saves CSV" in report.notes
    assert store.scalar("SELECT count(*) FROM current_observations") == 7
    assert store.scalar("SELECT count(*) FROM current_published_comparisons") == 7


def test_a_few_words_in_a_number_column_are_statuses_but_a_total_row_makes_a_breakdown(tmp_path, store):
    text = (FIXTURES / "dfe_c1_referrals_k.csv").read_text(encoding="utf-8")
    noted = tmp_path / "noted.csv"
    noted.write_text(text.replace(",k,", ",not published,"), encoding="utf-8")
    report = import_benchmarks(store, noted, framework=None)
    pct = "dfe_ees:noted:rereferral_percent"
    assert pct in report.indicators
    assert (one(store, pct, WORCS, "2024/25")["status_note"]) == "not published"
    assert any("'not published' (1 cell)" in n for n in report.notes)
    ages = tmp_path / "ages.csv"  # a filter of numbers with its Total row: a breakdown, not a measure
    lines = text.splitlines()
    ages.write_text("\n".join([lines[0].replace(",category,", ",age,")]
                              + [ln.replace(",Referrals and Re-referrals,", f",{a},")
                                 for ln in lines[1:4] for a in ("Total", "10", "11")]) + "\n", encoding="utf-8")
    report = import_benchmarks(store, ages, framework=None)
    assert "dfe_ees:ages:age" not in report.indicators
    assert one(store, "dfe_ees:ages:referral_count", ENGLAND, "2024/25")["value"] == 632830
    assert one(store, "dfe_ees:ages:referral_count", ENGLAND, "2024/25", ("age", "10"))["value"] == 632830
