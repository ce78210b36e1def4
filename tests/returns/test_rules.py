"""Every validation rule, on real workbooks; every problem says sheet, row, column, found and expected."""
import io

import numpy as np
import pytest
from openpyxl import load_workbook

from kpis.core import intervals, stats
from kpis.core.intervals import wilson_pct
from kpis.returns.annotate import problem_table
from kpis.returns.cells import read_number
from kpis.returns.check import check_parsed
from kpis.returns.reader import read_return
from kpis.returns.submission import check_return, submit
from tests.support.returns import PERIOD, TODAY, fw, simple_return
from tools.sample_returns import filled_template

ALL = "All children and young people"


def check(fw, rows, area="safeguarding", store=None, headers=None, **kw):
    return check_return(store, fw, name="r.xlsx", data=simple_return(rows, headers), area_id=area, today=TODAY, **kw)


def only_error(checked):
    assert len(checked.errors) == 1, [str(p) for p in checked.problems]
    return checked.errors[0]


# -- numbers, percentages and markers -------------------------------------------------------
@pytest.mark.parametrize("written", ["65", "65%", "65.0 %", 65, 65.0, " 65 "])
def test_a_percentage_written_any_usual_way_is_65(fw, written):
    checked = check(fw, [["SG01", ALL, PERIOD, written]])
    assert checked.ok, [str(p) for p in checked.problems]
    assert checked.rows.iloc[0]["value"] == 65.0


@pytest.mark.parametrize("marker,status", [("<5", "suppressed"), ("< 5", "suppressed"), ("*", "suppressed"),
                                           ("c", "suppressed"), ("-", "not_available"), ("n/a", "not_available"),
                                           ("N/A", "not_available"), ("x", "not_available")])
def test_markers_are_stored_as_statuses_never_numbers(fw, marker, status):
    checked = check(fw, [["SG01", ALL, PERIOD, marker], ["SG02", ALL, PERIOD, 20]])
    assert checked.ok
    row = checked.rows.iloc[0]
    assert row["status"] == status and row["status_note"] == marker
    assert np.isnan(row["value"]) and np.isnan(row["lower_ci"])


def test_a_blank_value_is_not_available_not_zero(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, None], ["SG02", ALL, PERIOD, 20]])
    assert checked.ok
    row = checked.rows.iloc[0]
    assert row["status"] == "not_available" and np.isnan(row["value"])


def test_thousands_separators_in_counts(fw):
    checked = check(fw, [["EH05", ALL, PERIOD, "1,234"]], area="early_help")
    assert checked.ok and checked.rows.iloc[0]["value"] == 1234


def test_065_for_a_percentage_is_asked_about_not_guessed(fw):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, 0.65]]))
    assert (p.sheet, p.row, p.column, p.found) == ("Data", 2, "D (Value)", "0.65")
    assert "65" in p.expected and "0.65%" in p.expected
    assert p.message == ("0.65 is unclear: it could mean 65% or 0.65%. Write 65 for 65%, or write 0.65% if you "
                         "mean less than one per cent.")


def test_065_with_agreeing_counts_is_read_as_65_with_a_warning(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, 0.65, 13, 20]])
    assert checked.ok and checked.rows.iloc[0]["value"] == 65.0
    assert checked.warnings and "read as 65%" in checked.warnings[0].message


def test_065_percent_is_a_small_percentage(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, "0.65%"]])
    assert checked.ok and checked.rows.iloc[0]["value"] == 0.65


def test_a_percent_sign_on_a_count_is_an_error(fw):
    p = only_error(check(fw, [["EH05", ALL, PERIOD, "40%"]], area="early_help"))
    assert "not a percentage" in p.message


@pytest.mark.parametrize("written,expected_word", [("65,5", "full stop"), ("lots", "marker"), ("#DIV/0!", "error"),
                                                   (True, "TRUE")])
def test_unreadable_numbers(fw, written, expected_word):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, written]]))
    assert expected_word in p.expected and p.column == "D (Value)"


# -- KPI, period, breakdown -----------------------------------------------------------------
def test_unknown_and_missing_kpi_ids(fw):
    checked = check(fw, [["SG99", ALL, PERIOD, 5], [None, ALL, PERIOD, 5], ["SG01", ALL, PERIOD, 5]])
    first, second = checked.errors
    assert (first.row, first.found) == (2, "SG99") and "SG01, SG02, SG03" in first.message
    assert second.row == 3 and "missing" in second.message


def test_kpi_ids_are_forgiven_case_and_spacing(fw):
    checked = check(fw, [[" sg 01", ALL, PERIOD, 5]])
    assert checked.ok and checked.rows.iloc[0]["indicator_id"] == "SG01"


def test_another_sub_groups_kpi(fw):
    p = only_error(check(fw, [["EH01", ALL, PERIOD, 70], ["SG01", ALL, PERIOD, 5]]))
    assert p.message.startswith("EH01 belongs to the Early help return, not the Safeguarding return")


def test_unreadable_future_and_unfinished_periods(fw):
    checked = check(fw, [["SG01", ALL, "sometime", 5], ["SG02", ALL, "2026/27 Q1", 5], ["SG03", ALL, "2025/26 Q3", 5]],
                    period=PERIOD)
    unreadable, future, unfinished = checked.errors
    assert unreadable.column == "C (Period)" and "could not be read" in unreadable.message
    assert "is in the future" in future.message
    assert "has not finished yet" in unfinished.message


def test_a_period_outside_the_returns_quarter(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, 60], ["SG02", ALL, "2025/26 Q1", 20]])
    p = only_error(checked)
    assert p.row == 3 and p.expected == PERIOD and "outside this return's quarter (2025/26 Q2)" in p.message


def test_the_quarter_given_by_the_caller_wins(fw):
    checked = check(fw, [["SG01", ALL, "2025/26 Q1", 60]], period=PERIOD)
    assert "outside this return's quarter" in only_error(checked).message


def test_an_annual_kpi_needs_a_year(fw):
    p = only_error(check(fw, [["EH01", ALL, PERIOD, 80], ["EH02", ALL, PERIOD, 9.5]], area="early_help"))
    assert p.row == 3 and "once a year" in p.message
    assert check(fw, [["EH01", ALL, PERIOD, 80], ["EH02", ALL, "2024/25", 9.5]], area="early_help").ok


def test_breakdowns_allowed_and_district_names_or_codes(fw):
    checked = check(fw, [["SG01", "District: Bromsgrove", PERIOD, 60], ["SG01", "district: E07000236", PERIOD, 61],
                         ["SG01", "Wyre Forest", PERIOD, 62], ["SG01", "age band: 0-4", PERIOD, 63],
                         ["SG01", None, PERIOD, 64]])
    assert checked.ok, [str(p) for p in checked.problems]
    assert checked.rows[["breakdown_type", "breakdown_value"]].values.tolist() == [
        ["district", "E07000234"], ["district", "E07000236"], ["district", "E07000239"], ["age_band", "0-4"],
        ["all", "all"]]


def test_a_breakdown_the_kpi_does_not_have(fw):
    p = only_error(check(fw, [["SG01", "Children with SEND", PERIOD, 60]]))
    assert p.column == "B (Breakdown)" and p.found == "Children with SEND"
    assert "is not a breakdown of SG01" in p.message and "Age band" in p.expected


# -- counts ---------------------------------------------------------------------------------
def test_numerator_greater_than_denominator(fw):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, None, 30, 20]]))
    assert p.column == "E (Numerator)" and p.expected == "at most the denominator (20)"


def test_negative_counts(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, None, -3, 20]])
    assert "negative" in only_error(checked).message
    checked = check(fw, [["EH05", ALL, PERIOD, -1]], area="early_help")
    assert only_error(checked).column == "D (Value)"


def test_counts_must_be_whole(fw):
    assert "whole number" in only_error(check(fw, [["SG01", ALL, PERIOD, None, 12.5, 20]])).message
    assert "whole number" in only_error(check(fw, [["EH05", ALL, PERIOD, 3.5]], area="early_help")).message


def test_a_zero_denominator(fw):
    assert only_error(check(fw, [["SG01", ALL, PERIOD, None, 0, 0]])).column == "F (Denominator)"


@pytest.mark.parametrize("value", [120, -5, "101%"])
def test_a_percentage_outside_0_to_100(fw, value):
    assert "outside 0 to 100" in only_error(check(fw, [["SG01", ALL, PERIOD, value]])).message


@pytest.mark.parametrize("value,ok", [(65, True), (65.4, True), (65.38, True), (65.5, False), (60, False),
                                      (None, True)])
def test_value_must_agree_with_numerator_and_denominator(fw, value, ok):
    checked = check(fw, [["SG01", ALL, PERIOD, value, 17, 26]])  # 65.38%
    assert checked.ok is ok, [str(p) for p in checked.problems]
    if ok:
        row = checked.rows.iloc[0]
        lo, hi = intervals.wilson_interval(17, 26)
        assert row["lower_ci"] == pytest.approx(100 * lo) and row["upper_ci"] == pytest.approx(100 * hi)
        if value is None:
            assert row["value"] == pytest.approx(100 * 17 / 26)
    else:
        assert "65.38%" in checked.errors[0].expected


def test_count_kpis_get_byars_limits(fw):
    checked = check(fw, [["EH05", ALL, PERIOD, 40]], area="early_help")
    row = checked.rows.iloc[0]
    assert (row["lower_ci"], row["upper_ci"]) == pytest.approx(intervals.byars_interval(40))


# -- status ---------------------------------------------------------------------------------
def test_status_column(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, 60, None, None, "Provisional"],
                         ["SG02", ALL, PERIOD, None, None, None, "Suppressed (small number)"],
                         ["SG03", ALL, PERIOD, None, None, None, "not available"]])
    assert checked.ok
    assert checked.rows["status"].tolist() == ["provisional", "suppressed", "not_available"]


def test_status_contradicting_the_value(fw):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, 60, None, None, "Suppressed"]]))
    assert p.column == "G (Status)" and "but a value (60) is given" in p.message
    p = only_error(check(fw, [["SG01", ALL, PERIOD, 60, None, None, "maybe"]]))
    assert "is not a status" in p.message


def test_a_suppressed_numerator_suppresses_the_value(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, None, "<5", 40]])
    assert checked.ok and checked.rows.iloc[0]["status"] == "suppressed"
    p = only_error(check(fw, [["SG01", ALL, PERIOD, 10, "<5", 40]]))
    assert "must not be published either" in p.message


# -- table rules ----------------------------------------------------------------------------
def test_duplicate_rows(fw):
    checked = check(fw, [["SG01", ALL, PERIOD, 60], ["SG02", ALL, PERIOD, 20], ["sg01", "all", PERIOD, 61]])
    p = only_error(checked)
    assert p.row == 4 and "repeats row 2" in p.message


def test_commentary_that_would_be_a_formula(fw):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, 60, None, None, None, "=HYPERLINK(\"x\")"]]))
    assert p.column == "H (Commentary)" and "formula" in p.message


def test_a_template_sent_as_another_sub_group(fw):
    data = filled_template(fw, "safeguarding")
    checked = check_return(None, fw, name="t.xlsx", data=data, area_id="send", today=TODAY)
    assert checked.errors[0].sheet == "Instructions" or any(p.sheet == "Instructions" for p in checked.errors)
    area = next(p for p in checked.errors if p.sheet == "Instructions")
    assert "Safeguarding return template, but it is being sent as the SEND return" in area.message


def test_every_problem_is_reported_at_once(fw):
    rows = [["SG01", ALL, PERIOD, 0.65],                         # ambiguous percentage
            ["SG99", ALL, PERIOD, 5],                            # unknown KPI
            ["SG02", "Children with SEND", PERIOD, 20],          # breakdown not allowed
            ["SG03", ALL, "2026/27 Q1", 30],                     # future period
            ["SG01", "Age band: 0-4", PERIOD, None, 30, 20],     # numerator > denominator
            ["SG01", "Age band: 5-10", PERIOD, 150],             # over 100%
            ["SG01", "Age band: 11-15", PERIOD, 50, 13, 20],     # disagrees with counts
            ["SG01", "Age band: 11-15", PERIOD, 65, 13, 20]]     # duplicate
    problems = check_parsed(read_return("r.xlsx", simple_return(rows)), framework=fw, area_id="safeguarding",
                            today=TODAY).problems
    assert [(p.row, p.column) for p in problems] == [
        (2, "D (Value)"), (3, "A (KPI id)"), (4, "B (Breakdown)"), (5, "C (Period)"), (6, "E (Numerator)"),
        (7, "D (Value)"), (8, "D (Value)"), (9, None)]
    for p in problems:
        d = p.to_dict()
        assert set(d) == {"sheet", "row", "column", "found", "expected", "message", "severity", "where"}
        assert d["sheet"] == "Data" and d["severity"] == "error" and d["found"] and d["expected"] and d["message"]


def test_an_empty_return(fw):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, None], ["SG02", ALL, PERIOD, None]]))
    assert "Every value in the return is blank" in p.message


# -- warnings from history ------------------------------------------------------------------
def _history(fw, store, values):
    for period, value in zip(["2024/25 Q2", "2024/25 Q3", "2024/25 Q4", "2025/26 Q1"], values, strict=False):
        submit(store, fw, name=f"{period}.xlsx", data=simple_return([["SG01", ALL, period, value]]),
               area_id="safeguarding", by="lead@example.org", today=TODAY)


def test_a_value_far_from_recent_history_is_a_warning_only(fw, store):
    _history(fw, store, [60, 61, 59, 60])
    checked = check(fw, [["SG01", ALL, PERIOD, 95]], store=store)
    assert checked.ok and len(checked.warnings) == 1
    w = checked.warnings[0]
    assert w.severity == "warning" and w.row == 2 and w.column == "D (Value)"
    assert w.message.startswith("Check this: 95.0% is far from SG01's recent values")
    assert "60.0%, 61.0%, 59.0%, 60.0%" in w.message
    assert not check(fw, [["SG01", ALL, PERIOD, 62]], store=store).warnings


def test_a_blank_replacing_an_earlier_figure_is_a_warning(fw, store):
    submit(store, fw, name="a.xlsx", data=simple_return([["SG01", ALL, PERIOD, 60], ["SG02", ALL, PERIOD, 20]]),
           area_id="safeguarding", by="lead@example.org", today=TODAY)
    checked = check(fw, [["SG01", ALL, PERIOD, None], ["SG02", ALL, PERIOD, 21]], store=store)
    assert checked.ok and "in place of 60.0%" in checked.warnings[0].message


# -- units ----------------------------------------------------------------------------------
def test_vectorised_wilson_gives_the_published_limits():
    """The array Wilson limits the return check uses, against Newcombe (1998), Statistics in Medicine 17:857-872,
    table I, method 3 (score interval without continuity correction), published to 4 decimal places. (Comparing
    them with `wilson_interval` proved nothing: it calls the same array formula.)"""
    num = np.array([81, 15, 0, 1])
    den = np.array([263, 148, 20, 29])
    lo, hi = wilson_pct(num, den)
    published = [(0.2553, 0.3662), (0.0624, 0.1605), (0.0000, 0.1611), (0.0061, 0.1718)]
    assert [round(x / 100, 4) for x in lo] == [a for a, _ in published]
    assert [round(x / 100, 4) for x in hi] == [b for _, b in published]


@pytest.mark.parametrize("raw,value,status,sign", [
    ("65", 65.0, None, False), ("65%", 65.0, None, True), ("65.0 %", 65.0, None, True), ("1,234", 1234.0, None, False),
    ("1,234.5", 1234.5, None, False), ("<5", None, "suppressed", False), ("n/a", None, "not_available", False),
    ("", None, None, False), (None, None, None, False), (7, 7.0, None, False), ("\u00a012 ", 12.0, None, False),
])
def test_read_number(raw, value, status, sign):
    n = read_number(raw)
    assert (n.value, n.status, n.percent_sign, n.problem) == (value, status, sign, None)


def test_filled_template_with_changes_shows_warnings_and_errors_in_order(fw):
    wb = load_workbook(io.BytesIO(filled_template(fw, "ewmh")))
    ws = wb["Data"]
    ws["F3"] = "0.5"
    ws["F2"] = "lots"
    buf = io.BytesIO()
    wb.save(buf)
    checked = check_return(None, fw, name="t.xlsx", data=buf.getvalue(), area_id="ewmh", today=TODAY)
    assert [p.row for p in checked.errors] == sorted(p.row for p in checked.errors)
    assert {p.row for p in checked.errors} >= {2}


def test_a_csv_without_a_period_column_needs_the_quarter_given(fw):
    data = b"KPI id,Value\nSG01,60\nSG02,20\n"
    checked = check_return(None, fw, name="r.csv", data=data, area_id="safeguarding", today=TODAY)
    p = only_error(checked)
    assert p.found == "no Period column" and p.row is None
    checked = check_return(None, fw, name="r.csv", data=data, area_id="safeguarding", today=TODAY, period=PERIOD)
    assert checked.ok and set(checked.rows["period_label"]) == {PERIOD}


def test_narrative_checks(fw):
    wb = load_workbook(io.BytesIO(filled_template(fw, "send")))
    nar = wb["Narrative"]
    for row in nar.iter_rows(min_col=1, max_col=2):
        if row[0].value == "Risks and barriers":
            row[1].value = "@board please note"
        if row[0].value == "Can this narrative be published?":
            row[1].value = "Perhaps"
    buf = io.BytesIO()
    wb.save(buf)
    checked = check_return(None, fw, name="t.xlsx", data=buf.getvalue(), area_id="send", today=TODAY)
    found = {(p.sheet, p.column, p.found) for p in checked.errors}
    assert ("Narrative", "B", "@board please note") in found and ("Narrative", "B", "Perhaps") in found


def test_file_level_problems_come_first_in_the_check_and_in_the_pages_table(fw):
    data = filled_template(fw, "safeguarding")
    wb = load_workbook(io.BytesIO(data))
    wb["Data"]["F2"] = "lots"
    buf = io.BytesIO()
    wb.save(buf)
    checked = check_return(None, fw, name="t.xlsx", data=buf.getvalue(), area_id="send", today=TODAY)
    assert checked.errors[0].sheet == "Instructions"
    table = problem_table(checked.problems)   # the upload page's table of every problem
    assert list(table.columns) == ["Severity", "Sheet", "Row", "Column", "Message", "Found", "Expected"]
    assert (table.iloc[0]["Severity"], table.iloc[0]["Sheet"], table.iloc[0]["Column"]) == (
        "Error: must be fixed", "Instructions", "Sub-group id")


# -- text that could run as a formula (issue 15) --------------------------------------------------
RUNS_AS_FORMULA = ["=HYPERLINK(\"x\")", "@SUM(A1)", "+HYPERLINK(\"http://evil.example\",\"Click\")",
                   "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r@cmd", "-SUM(A1:A9)", "+Sheet2!A1"]
PLAIN_PROSE = ["- fewer referrals this quarter", "+3 on last quarter", "-5% since Q1 (see note)", "-2",
               "Referrals fell - see the narrative", "A + B = C"]


@pytest.mark.parametrize("text", RUNS_AS_FORMULA)
def test_commentary_that_could_run_as_a_formula_is_refused_whatever_it_starts_with(fw, text):
    p = only_error(check(fw, [["SG01", ALL, PERIOD, 60, None, None, None, text]]))
    assert p.column == "H (Commentary)" and "formula" in p.message


@pytest.mark.parametrize("text", PLAIN_PROSE)
def test_commentary_a_lead_really_types_is_accepted(fw, text):
    checked = check(fw, [["SG01", ALL, PERIOD, 60, None, None, None, text]])
    assert not checked.errors, [p.message for p in checked.errors]


def test_a_narrative_that_could_run_as_a_formula_is_refused(fw):
    wb = load_workbook(io.BytesIO(filled_template(fw, "send")))
    for row in wb["Narrative"].iter_rows(min_col=1, max_col=2):
        if row[0].value == "Progress":
            row[1].value = "+HYPERLINK(\"http://evil.example\",\"Click\")"
        if row[0].value == "Risks and barriers":
            row[1].value = "- fewer referrals than planned"
    buf = io.BytesIO()
    wb.save(buf)
    checked = check_return(None, fw, name="t.xlsx", data=buf.getvalue(), area_id="send", today=TODAY)
    found = [p.found for p in checked.errors if p.sheet == "Narrative"]
    assert found == ["+HYPERLINK(\"http://evil.example\",\"Click\""]      # the first 40 characters


def test_an_unreadable_period_is_explained_in_the_returns_own_quarter(fw):
    """Issue 16: a 2026/27 Q2 return was told 'Write it as 2025/26 Q2', the wrong year, without its quarter."""
    from datetime import date
    checked = check_return(None, fw, name="r.xlsx", area_id="safeguarding", today=date(2026, 10, 20),
                           data=simple_return([["SG01", ALL, "2026/27 Q2", 60], ["SG02", ALL, "Q two", 20]]))
    p = only_error(checked)
    assert p.message == ("The period 'Q two' could not be read. This return is for 2026/27 Q2: write it as "
                         "2026/27 Q2 (or Q2 2026-27, or Jul-Sep 2026).")
    assert p.expected == "a period such as 2026/27 Q2, Q2 2026-27 or Jul-Sep 2026"
    assert "2025/26" not in p.message + p.expected


def test_without_a_known_quarter_the_latest_ended_quarter_is_the_example(fw):
    from datetime import date
    checked = check_return(None, fw, name="r.xlsx", area_id="safeguarding", today=date(2027, 2, 3),
                           data=simple_return([["SG01", ALL, "sometime", 60]]))
    p = checked.errors[0]
    assert "The latest quarter that has ended is 2026/27 Q3: write it as 2026/27 Q3 (or Q3 2026-27, or " \
           "Oct-Dec 2026)" in p.message


def test_quarter_forms_and_the_expected_phrase():
    from datetime import date

    from kpis.core.periods import financial_quarter
    from kpis.returns.cells import period_expected, quarter_forms
    assert quarter_forms(financial_quarter(2026, 4)) == ("2026/27 Q4", "Q4 2026-27", "Jan-Mar 2027")
    assert quarter_forms(financial_quarter(2026, 1)) == ("2026/27 Q1", "Q1 2026-27", "Apr-Jun 2026")
    assert period_expected(None, date(2026, 7, 1)) == "a period such as 2026/27 Q1, Q1 2026-27 or Apr-Jun 2026"
