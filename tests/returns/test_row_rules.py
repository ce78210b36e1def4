"""Each row rule of `kpis.returns.rules` on its own: a row it passes and a row it refuses, with the problem's
sheet, row, column, found, expected and message exactly as the rule words them.

A row is read from a real one-row return (so its cells and columns are what a lead's file gives), and the rules
before the one under test run on it first, as `check_rows` runs them: a rule reads what earlier rules understood
(the KPI, the period, the numbers).
"""
from __future__ import annotations

import dataclasses

import pytest

from kpis.core.periods import parse_period
from kpis.core.text import QUOTE_CHARS
from kpis.returns.reader import read_return
from kpis.returns.row_context import Context, Row
from kpis.returns.rules import (
    ROW_RULES,
    rule_breakdown_allowed,
    rule_commentary_not_formula,
    rule_commentary_not_too_long,
    rule_counts_not_negative,
    rule_counts_whole,
    rule_kpi_in_area,
    rule_kpi_known,
    rule_numbers_readable,
    rule_numerator_within_denominator,
    rule_percentage_in_range,
    rule_percentage_meaning,
    rule_period_fits_kpi,
    rule_period_not_future,
    rule_period_readable,
    rule_status,
    rule_value_matches_counts,
)
from tests.support.returns import PERIOD, TODAY, framework, simple_return

FW = framework()
ALL = "All children and young people"
CELLS = ("kpi_id", "breakdown", "period", "value", "numerator", "denominator", "status", "commentary")
GOOD = {"kpi_id": "SG01", "breakdown": ALL, "period": PERIOD, "value": 60, "numerator": 30, "denominator": 50,
        "status": None, "commentary": "Fewer plans ended early this quarter."}


def understood(rule, *, area: str = "safeguarding", quarter: str | None = None, **cells) -> tuple[Row, Context]:
    """The good row with `cells` changed, read from a one-row return, every rule before `rule` run on it."""
    values = {**GOOD, **cells}
    parsed = read_return("r.xlsx", simple_return([[values[c] for c in CELLS]]))
    ctx = Context(framework=FW, area_id=area, today=TODAY, period=parse_period(quarter) if quarter else None)
    ctx.parsed = parsed
    raw = parsed.rows.to_dict("records")[0]
    row = Row(raw["sheet"], int(raw["row"]), raw)
    for earlier in ROW_RULES[:ROW_RULES.index(rule)]:
        earlier(row, ctx)
    return row, ctx


def only(problems) -> tuple:
    """The one problem found, as (sheet, row, column, found, expected, message, severity)."""
    assert len(problems) == 1, problems
    p = problems[0]
    return p.sheet, p.row, p.column, p.found, p.expected, p.message, p.severity


def test_every_row_rule_has_a_test_here():
    tested = {name for name in globals() if name.startswith("test_rule_")}
    assert {f"test_{rule.__name__}" for rule in ROW_RULES} <= tested


@pytest.mark.parametrize("rule", ROW_RULES, ids=lambda r: r.__name__)
def test_a_good_row_passes_every_rule(rule):
    row, ctx = understood(rule)
    assert rule(row, ctx) == []
    assert not row.failed


def test_rule_kpi_known():
    row, ctx = understood(rule_kpi_known)
    assert rule_kpi_known(row, ctx) == [] and row.kpi is FW.kpi("SG01")

    row, ctx = understood(rule_kpi_known, kpi_id="ZZ99")
    assert only(rule_kpi_known(row, ctx)) == (
        "Data", 2, "A (KPI id)", "ZZ99", "one of this sub-group's KPI ids: SG01, SG02, SG03",
        "'ZZ99' is not a KPI id in the framework. This sub-group's KPIs are SG01, SG02, SG03.", "error")
    assert row.kpi is None and row.failed

    row, ctx = understood(rule_kpi_known, kpi_id=None)
    assert only(rule_kpi_known(row, ctx)) == (
        "Data", 2, "A (KPI id)", "blank", "a KPI id such as SG01",
        "The KPI id is missing, so this row's figures cannot be stored. Fill in the KPI id.", "error")


def test_rule_kpi_in_area():
    row, ctx = understood(rule_kpi_in_area)
    assert rule_kpi_in_area(row, ctx) == [] and row.kpi.id == "SG01"

    row, ctx = understood(rule_kpi_in_area, kpi_id="EH01")
    assert only(rule_kpi_in_area(row, ctx)) == (
        "Data", 2, "A (KPI id)", "EH01", "a KPI of the Safeguarding sub-group",
        "EH01 belongs to the Early help return, not the Safeguarding return. Remove this row, or send it in the "
        "Early help return.", "error")
    assert row.kpi is None          # no further checks against another sub-group's KPI


def test_rule_period_readable():
    row, ctx = understood(rule_period_readable)
    assert rule_period_readable(row, ctx) == [] and row.period.label == "2025/26 Q2"
    row, ctx = understood(rule_period_readable, period=None, quarter="2025/26 Q1")
    assert rule_period_readable(row, ctx) == [] and row.period.label == "2025/26 Q1"   # blank: the return's own

    row, ctx = understood(rule_period_readable, period="sometime")
    assert only(rule_period_readable(row, ctx)) == (
        "Data", 2, "C (Period)", "sometime", "a period such as 2025/26 Q2, Q2 2025-26 or Jul-Sep 2025",
        "The period 'sometime' could not be read. The latest quarter that has ended is 2025/26 Q2: write it as "
        "2025/26 Q2 (or Q2 2025-26, or Jul-Sep 2025).", "error")
    assert row.period is None

    row, ctx = understood(rule_period_readable, period="sometime", quarter="2025/26 Q2")
    assert only(rule_period_readable(row, ctx))[5] == (
        "The period 'sometime' could not be read. This return is for 2025/26 Q2: write it as 2025/26 Q2 (or "
        "Q2 2025-26, or Jul-Sep 2025).")


def test_rule_period_not_future():
    row, ctx = understood(rule_period_not_future)
    assert rule_period_not_future(row, ctx) == []

    row, ctx = understood(rule_period_not_future, period="2026/27 Q1")
    assert only(rule_period_not_future(row, ctx)) == (
        "Data", 2, "C (Period)", "2026/27 Q1", "a period that has already ended",
        "2026/27 Q1 is in the future (it starts on 1 April 2026).", "error")

    row, ctx = understood(rule_period_not_future, period="2025/26 Q3")     # today is 20 November 2025
    assert only(rule_period_not_future(row, ctx)) == (
        "Data", 2, "C (Period)", "2025/26 Q3", "a period that has already ended",
        "2025/26 Q3 has not finished yet (it ends on 31 December 2025); send its figures after it ends.", "error")


def test_rule_period_fits_kpi():
    row, ctx = understood(rule_period_fits_kpi)
    assert rule_period_fits_kpi(row, ctx) == []
    row, ctx = understood(rule_period_fits_kpi, area="early_help", kpi_id="EH02", period="2024/25")
    assert rule_period_fits_kpi(row, ctx) == []                             # an annual KPI, a year

    row, ctx = understood(rule_period_fits_kpi, period="2024/25")
    assert only(rule_period_fits_kpi(row, ctx)) == (
        "Data", 2, "C (Period)", "2024/25", "a financial quarter such as 2025/26 Q2",
        "SG01 is reported every quarter, but '2024/25' is not a quarter.", "error")

    row, ctx = understood(rule_period_fits_kpi, area="early_help", kpi_id="EH02")
    assert only(rule_period_fits_kpi(row, ctx)) == (
        "Data", 2, "C (Period)", "2025/26 Q2", "a year such as 2024/25 or AY 2024/25",
        "EH02 is reported once a year, but '2025/26 Q2' is not a year.", "error")

    row, ctx = understood(rule_period_fits_kpi)
    row.kpi = dataclasses.replace(row.kpi, frequency="monthly")
    assert only(rule_period_fits_kpi(row, ctx)) == (
        "Data", 2, "C (Period)", "2025/26 Q2", "a month such as Apr 2025",
        "SG01 is reported every month, but '2025/26 Q2' is not a month.", "error")
    row, ctx = understood(rule_period_fits_kpi, period="Sep 2025")
    row.kpi = dataclasses.replace(row.kpi, frequency="monthly")
    assert rule_period_fits_kpi(row, ctx) == []


def test_rule_breakdown_allowed():
    row, ctx = understood(rule_breakdown_allowed, breakdown=None)             # blank: all children
    assert rule_breakdown_allowed(row, ctx) == [] and row.breakdown.type == "all"

    row, ctx = understood(rule_breakdown_allowed, breakdown="Eligible for free school meals")
    assert only(rule_breakdown_allowed(row, ctx)) == (
        "Data", 2, "B (Breakdown)", "Eligible for free school meals",
        "one of the breakdowns of SG01: All children and young people, Age band, District",
        "'Eligible for free school meals' is not a breakdown of SG01. Pick one from the Breakdown list; SG01 is "
        "broken down by: All children and young people, Age band, District.", "error")
    assert row.breakdown is None


def test_rule_numbers_readable():
    row, ctx = understood(rule_numbers_readable)
    assert rule_numbers_readable(row, ctx) == [] and (row.v.value, row.numerator, row.denominator) == (60, 30, 50)

    row, ctx = understood(rule_numbers_readable, value="lots")
    assert only(rule_numbers_readable(row, ctx)) == (
        "Data", 2, "D (Value)", "lots", "a number, or a marker such as <5, *, c, - or n/a",
        "'lots' could not be read as a value. Expected a number, or a marker such as <5, *, c, - or n/a.", "error")

    row, ctx = understood(rule_numbers_readable, numerator="30%")
    assert only(rule_numbers_readable(row, ctx)) == (
        "Data", 2, "E (Numerator)", "30%", "a count of children, without a % sign",
        "The numerator is a count of children, so it cannot be a percentage.", "error")


def test_rule_percentage_meaning():
    row, ctx = understood(rule_percentage_meaning, value="65%", numerator=None, denominator=None)
    assert rule_percentage_meaning(row, ctx) == [] and row.value == 65

    row, ctx = understood(rule_percentage_meaning, value=0.65, numerator=None, denominator=None)
    assert only(rule_percentage_meaning(row, ctx)) == (
        "Data", 2, "D (Value)", "0.65",
        "a percentage from 0 to 100: 65 for 65%, or 0.65% if you mean less than one per cent",
        "0.65 is unclear: it could mean 65% or 0.65%. Write 65 for 65%, or write 0.65% if you mean less than one "
        "per cent.", "error")
    assert row.value is None                                                # never guessed

    row, ctx = understood(rule_percentage_meaning, value=0.6)               # 30 / 50 say it is 60%
    assert only(rule_percentage_meaning(row, ctx)) == (
        "Data", 2, "D (Value)", "0.6", "a percentage from 0 to 100, such as 65",
        "0.6 was read as 60% because the numerator and denominator (30 / 50) say so. Next time write 60.",
        "warning")
    assert row.value == 60 and not row.failed

    row, ctx = understood(rule_percentage_meaning, area="early_help", kpi_id="EH05", value="12%", numerator=None,
                          denominator=None)
    assert only(rule_percentage_meaning(row, ctx)) == (
        "Data", 2, "D (Value)", "12%", "a count without a % sign",
        "EH05 is a count, not a percentage. Write the number without % (and check the cell is not formatted as a "
        "percentage).", "error")


def test_rule_status():
    row, ctx = understood(rule_status)
    assert rule_status(row, ctx) == [] and row.status == "published"
    row, ctx = understood(rule_status, value="<5", numerator=None, denominator=None)
    assert rule_status(row, ctx) == [] and (row.status, row.status_note) == ("suppressed", "<5")

    row, ctx = understood(rule_status, status="maybe")
    choices = ("Published, Provisional, Suppressed (small number), Not available, Not applicable, Low reliability, "
               "Rounds to 0 (not 0)")
    assert only(rule_status(row, ctx)) == (
        "Data", 2, "G (Status)", "maybe", f"one of: {choices} (or blank)",
        f"'maybe' is not a status. Pick one from the list: {choices}, or leave it blank when a value is given.",
        "error")

    row, ctx = understood(rule_status, numerator="<5")
    assert only(rule_status(row, ctx)) == (
        "Data", 2, "D (Value)", "60", "<5 in the value too",
        "The numerator or denominator is marked '<5', so a value worked out from it must not be published either. "
        "Write <5 as the value.", "error")

    row, ctx = understood(rule_status, status="Not available")
    assert only(rule_status(row, ctx)) == (
        "Data", 2, "G (Status)", "Not available", "a blank status, or no value",
        "The status says 'Not available' but a value (60) is given. Clear the value (write <5 for a small number) "
        "or clear the status.", "error")

    row, ctx = understood(rule_status, value=None, numerator=None, denominator=None, status="Provisional")
    assert only(rule_status(row, ctx)) == (
        "Data", 2, "D (Value)", "blank", "a value",
        "The status says 'Provisional' but there is no value. Fill in the value or change the status.", "error")


def test_rule_counts_not_negative():
    row, ctx = understood(rule_counts_not_negative, numerator=0)
    assert rule_counts_not_negative(row, ctx) == []

    row, ctx = understood(rule_counts_not_negative, numerator=-3)
    assert only(rule_counts_not_negative(row, ctx)) == (
        "Data", 2, "E (Numerator)", "-3", "0 or more", "The numerator is negative (-3); counts cannot be below 0.",
        "error")


def test_rule_counts_whole():
    row, ctx = understood(rule_counts_whole, numerator=30.0)
    assert rule_counts_whole(row, ctx) == []

    row, ctx = understood(rule_counts_whole, numerator=30.5)
    assert only(rule_counts_whole(row, ctx)) == (
        "Data", 2, "E (Numerator)", "30.5", "a whole number",
        "The numerator (30.5) should be a whole number of children.", "error")


def test_rule_numerator_within_denominator():
    row, ctx = understood(rule_numerator_within_denominator, value=100, numerator=50)    # equal is fine
    assert rule_numerator_within_denominator(row, ctx) == []

    row, ctx = understood(rule_numerator_within_denominator, denominator=0)
    assert only(rule_numerator_within_denominator(row, ctx)) == (
        "Data", 2, "F (Denominator)", "0", "more than 0",
        "The denominator is 0, so no percentage or rate can be worked out. Leave both blank if there were no "
        "children to count.", "error")

    row, ctx = understood(rule_numerator_within_denominator, numerator=60)
    assert only(rule_numerator_within_denominator(row, ctx)) == (
        "Data", 2, "E (Numerator)", "60", "at most the denominator (50)",
        "The numerator (60) is more than the denominator (50). Check they are not the wrong way round.", "error")


def test_rule_percentage_in_range():
    row, ctx = understood(rule_percentage_in_range, value=100, numerator=None, denominator=None)
    assert rule_percentage_in_range(row, ctx) == []

    row, ctx = understood(rule_percentage_in_range, value=120, numerator=None, denominator=None)
    assert only(rule_percentage_in_range(row, ctx)) == (
        "Data", 2, "D (Value)", "120", "a percentage from 0 to 100",
        "120 is outside 0 to 100, so it cannot be a percentage.", "error")


def test_rule_value_matches_counts():
    row, ctx = understood(rule_value_matches_counts, value=None)               # worked out from the counts
    assert rule_value_matches_counts(row, ctx) == [] and row.value == 60

    row, ctx = understood(rule_value_matches_counts, value=70)
    assert only(rule_value_matches_counts(row, ctx)) == (
        "Data", 2, "D (Value)", "70", "60.00% (30 / 50)",
        "The value 70 does not agree with the numerator and denominator, which give 60.00%. Correct whichever is "
        "wrong.", "error")


def test_rule_commentary_not_too_long():
    row, ctx = understood(rule_commentary_not_too_long, commentary="x" * 2000)
    assert rule_commentary_not_too_long(row, ctx) == [] and row.commentary == "x" * 2000

    row, ctx = understood(rule_commentary_not_too_long, commentary="x" * 2001)
    assert only(rule_commentary_not_too_long(row, ctx)) == (
        "Data", 2, "H (Commentary)", f"2,001 characters, starting '{'x' * QUOTE_CHARS}…'", "at most 2,000 characters",
        "Commentary is 2,001 characters; at most 2,000 are allowed. Shorten it.", "error")
    assert row.commentary is None


def test_rule_commentary_not_formula():
    row, ctx = understood(rule_commentary_not_formula, commentary="+3 on last quarter")
    assert rule_commentary_not_formula(row, ctx) == [] and row.commentary == "+3 on last quarter"

    row, ctx = understood(rule_commentary_not_formula, commentary="@SUM(A1)")
    assert only(rule_commentary_not_formula(row, ctx)) == (
        "Data", 2, "H (Commentary)", "@SUM(A1)", "text, not something a spreadsheet would run as a formula",
        "The commentary could run as a formula in a spreadsheet: it starts with '@'. Start it with a word instead.",
        "error")

    row, ctx = understood(rule_commentary_not_formula, commentary='+HYPERLINK("x")')
    assert only(rule_commentary_not_formula(row, ctx))[5] == (
        "The commentary could run as a formula in a spreadsheet: it starts with '+' and holds a function call, a "
        "'|' or a '!'. Start it with a word instead.")
