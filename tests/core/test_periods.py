"""Reporting periods: every accepted input form, canonical labels, and quarter arithmetic."""
from __future__ import annotations

import itertools
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from kpis.core.periods import (
    ACCEPTED_FORMS,
    Period,
    PeriodError,
    academic_year,
    calendar_month,
    calendar_quarter,
    calendar_year,
    current_quarter,
    financial_quarter,
    financial_quarter_of,
    financial_year,
    latest_ending_on_or_before,
    multi_year,
    parse_period,
    previous_quarter,
    quarters_between,
)

D = date
FQ1 = (D(2024, 4, 1), D(2024, 6, 30), "financial_quarter", "2024/25 Q1")
FY = (D(2024, 4, 1), D(2025, 3, 31), "financial_year", "2024/25")
AY = (D(2024, 9, 1), D(2025, 8, 31), "academic_year", "AY 2024/25")


def as_tuple(p: Period) -> tuple:
    return p.start, p.end, p.type, p.label


@pytest.mark.parametrize("text", [
    "2024/25 Q1", "2024-25 Q1", "Q1 2024/25", "Q1 2024-25", "2024/2025 Q1", "FY2024/25 Q1",
    "Q1 24/25", "  q1   2024/25 ", "2024 / 25 q1", "Q1 2024\u201325", "2024\u201425 Q1", "fy 2024/25 Q1",
    "Apr-Jun 2024", "April - June 2024", "apr\u2013jun 2024", "APRIL-JUNE 2024",
])
def test_financial_quarter_forms(text):
    assert as_tuple(parse_period(text)) == FQ1


@pytest.mark.parametrize("text, expected", [
    ("Jul-Sep 2024", (D(2024, 7, 1), D(2024, 9, 30), "financial_quarter", "2024/25 Q2")),
    ("Oct-Dec 2024", (D(2024, 10, 1), D(2024, 12, 31), "financial_quarter", "2024/25 Q3")),
    ("Jan-Mar 2025", (D(2025, 1, 1), D(2025, 3, 31), "financial_quarter", "2024/25 Q4")),
    ("July - September 2024", (D(2024, 7, 1), D(2024, 9, 30), "financial_quarter", "2024/25 Q2")),
    ("Jan - March 2025", (D(2025, 1, 1), D(2025, 3, 31), "financial_quarter", "2024/25 Q4")),
    ("2022/23 Q4", (D(2023, 1, 1), D(2023, 3, 31), "financial_quarter", "2022/23 Q4")),
    ("Q3 1999/00", (D(1999, 10, 1), D(1999, 12, 31), "financial_quarter", "1999/00 Q3")),
])
def test_other_financial_quarters(text, expected):
    assert as_tuple(parse_period(text)) == expected


@pytest.mark.parametrize("text", ["2024/25", "2024-25", "2024/2025", "FY 2024/25", "fy2024-25",
                                  "Financial year 2024/25", "2024 - 25", "2024\u201325"])
def test_financial_year_forms(text):
    assert as_tuple(parse_period(text)) == FY


@pytest.mark.parametrize("text, kwargs", [
    ("2024/25", {"year_type": "Academic Year"}),
    ("2024-25", {"time_identifier": "Academic year"}),
    ("2024/2025", {"year_type": "academic year"}),
    ("AY 2024/25", {}),
    ("ay2024-25", {}),
    ("AY 2024/25", {"year_type": "Financial Year"}),  # an explicit prefix wins over the hint
    ("202425", {"time_identifier": "Academic year"}),
])
def test_academic_year_forms(text, kwargs):
    assert as_tuple(parse_period(text, **kwargs)) == AY


@pytest.mark.parametrize("value, kwargs, expected", [
    ("202425", {"time_identifier": "Financial year"}, FY),
    ("202425", {}, FY),
    (202425, {"time_identifier": "Financial year"}, FY),
    (202425.0, {}, FY),
    (np.int64(202425), {}, FY),
    ("2025", {"time_identifier": "Reporting year"}, FY),
    (2025, {"time_identifier": "Reporting year"}, FY),
    ("202425", {"time_identifier": "Financial year Q1"}, FQ1),
    ("2024", {"time_identifier": "Calendar year"}, (D(2024, 1, 1), D(2024, 12, 31), "calendar_year", "2024")),
    ("2024", {"time_identifier": "Calendar year Q2"},
     (D(2024, 4, 1), D(2024, 6, 30), "calendar_quarter", "Apr-Jun 2024")),
    ("202425", {"time_identifier": float("nan")}, FY),  # a blank hint cell read by pandas
    ("202425", {"time_identifier": "  "}, FY),
])
def test_dfe_open_data(value, kwargs, expected):
    assert as_tuple(parse_period(value, **kwargs)) == expected


@pytest.mark.parametrize("value, kwargs, expected", [
    ("2023", {}, (D(2023, 1, 1), D(2023, 12, 31), "calendar_year", "2023")),
    ("2010/11", {}, (D(2010, 4, 1), D(2011, 3, 31), "financial_year", "2010/11")),
    ("2023/24", {}, (D(2023, 4, 1), D(2024, 3, 31), "financial_year", "2023/24")),
    ("2015 - 17", {}, (D(2015, 1, 1), D(2017, 12, 31), "multi_year", "2015-17")),
    ("2015-17", {}, (D(2015, 1, 1), D(2017, 12, 31), "multi_year", "2015-17")),
    ("2015 \u2013 2017", {}, (D(2015, 1, 1), D(2017, 12, 31), "multi_year", "2015-17")),
    ("2018 - 22", {}, (D(2018, 1, 1), D(2022, 12, 31), "multi_year", "2018-22")),
    ("2016-17", {"year_type": "Academic Year"}, (D(2016, 9, 1), D(2017, 8, 31), "academic_year", "AY 2016/17")),
    ("2016-17", {"year_type": "Financial Year"}, (D(2016, 4, 1), D(2017, 3, 31), "financial_year", "2016/17")),
    ("2014-16", {"year_type": "Academic Year"}, (D(2014, 1, 1), D(2016, 12, 31), "multi_year", "2014-16")),
    ("2014-16", {"year_type": "Something new"}, (D(2014, 1, 1), D(2016, 12, 31), "multi_year", "2014-16")),
    ("Apr 2024", {}, (D(2024, 4, 1), D(2024, 4, 30), "month", "Apr 2024")),
    ("February 2024", {}, (D(2024, 2, 1), D(2024, 2, 29), "month", "Feb 2024")),
    ("sept 2024", {}, (D(2024, 9, 1), D(2024, 9, 30), "month", "Sep 2024")),
    ("Jan-Mar 2024", {"time_identifier": "Calendar quarter"},
     (D(2024, 1, 1), D(2024, 3, 31), "calendar_quarter", "Jan-Mar 2024")),
])
def test_fingertips_lait_and_other_labels(value, kwargs, expected):
    assert as_tuple(parse_period(value, **kwargs)) == expected


@pytest.mark.parametrize("value, label", [
    (date(2024, 4, 1), "2024/25 Q1"),
    (date(2024, 6, 30), "2024/25 Q1"),
    (date(2024, 12, 31), "2024/25 Q3"),
    (date(2025, 1, 1), "2024/25 Q4"),
    (date(2025, 3, 31), "2024/25 Q4"),
    (datetime(2024, 9, 30, 23, 59), "2024/25 Q2"),  # openpyxl reads Excel dates as datetimes
    (pd.Timestamp("2024-11-15"), "2024/25 Q3"),
    (np.datetime64("2024-05-01"), "2024/25 Q1"),
    ("2024-04-01", "2024/25 Q1"),
    ("2025-03-31", "2024/25 Q4"),
    ("2024-04-01 00:00:00", "2024/25 Q1"),
    ("2024-04-01T10:30:00", "2024/25 Q1"),
    ("01/04/2024", "2024/25 Q1"),
    ("31/03/2024", "2023/24 Q4"),
    ("1/7/2024", "2024/25 Q2"),
])
def test_dates_give_the_financial_quarter(value, label):
    p = parse_period(value)
    assert p.type == "financial_quarter" and p.label == label


def test_excel_dates_read_by_openpyxl(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active["A1"] = date(2024, 8, 15)
    wb.active["A2"] = datetime(2025, 2, 1)
    wb.save(tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert [parse_period(ws[c].value).label for c in ("A1", "A2")] == ["2024/25 Q2", "2024/25 Q4"]


def test_period_is_returned_as_is():
    p = financial_year(2020)
    assert parse_period(p) is p
    assert parse_period(p, year_type="Academic Year") is p


ONE_OF_EACH = [financial_quarter(2024, 4), financial_year(2024), academic_year(2024), calendar_year(2023),
               calendar_quarter(2024, 1), calendar_month(2024, 4), multi_year(2015, 2017),
               financial_quarter(1999, 4), multi_year(1999, 2001)]


@pytest.mark.parametrize("p", ONE_OF_EACH, ids=str)
def test_round_trip(p):
    # A calendar quarter's months are the same as a financial quarter's, so it needs its hint.
    hint = {"time_identifier": "Calendar quarter"} if p.type == "calendar_quarter" else {}
    assert parse_period(p.label, **hint) == p
    assert parse_period(str(p), **hint) == p


@pytest.mark.parametrize("value, kwargs", [
    ("", {}), ("   ", {}), (None, {}), (float("nan"), {}), (pd.NaT, {}), (True, {}),
    ("Q5 2024/25", {}), ("Q0 2024/25", {}), ("banana", {}), ("2024/26", {}), ("13/2024", {}),
    ("2024/25 Q1 extra", {}), ("2024/23", {}), ("Q1 2024/26", {}), ("Feb-Apr 2024", {}),
    ("Apr-Jul 2024", {}), ("Foo-Bar 2024", {}), ("Smarch 2024", {}), ("31/02/2024", {}),
    ("2024-13-01", {}), ("202426", {}), ("2024/25", {"time_identifier": "Calendar year"}),
    ("202425", {"time_identifier": "Spring term"}), ("2025", {"time_identifier": "Financial year"}),
    ("2025", {"year_type": "Academic Year"}), ("2024/25", {"time_identifier": "Academic year Q1"}),
    ("1850", {}), ("2025.5", {}), (2025.5, {}), ("2015-27", {}), ("AY 2024/26", {}),
])
def test_nonsense_is_rejected_with_the_accepted_forms(value, kwargs):
    with pytest.raises(PeriodError) as err:
        parse_period(value, **kwargs)
    message = str(err.value)
    assert ACCEPTED_FORMS in message
    assert message.startswith("Could not read ")
    if isinstance(value, str) and value.strip():
        assert repr(value) in message


def test_error_messages_say_why():
    with pytest.raises(PeriodError, match="second year must follow the first, as in 2024/25"):
        parse_period("2024/26")
    with pytest.raises(PeriodError, match="Q1, Q2, Q3 or Q4"):
        parse_period("Q5 2024/25")
    with pytest.raises(PeriodError, match="Apr-Jun, Jul-Sep, Oct-Dec and Jan-Mar"):
        parse_period("Feb-Apr 2024")
    with pytest.raises(PeriodError, match="an empty value"):
        parse_period(None)
    assert issubclass(PeriodError, ValueError)


def test_today_is_accepted_and_future_periods_are_not_rejected():
    assert parse_period("2030/31 Q2", today=date(2024, 1, 1)).label == "2030/31 Q2"


def test_period_basics():
    q = financial_quarter(2024, 1)
    assert str(q) == "2024/25 Q1" and q.days == 91
    assert financial_year(2023).days == 366 and calendar_year(2023).days == 365
    assert financial_quarter(2023, 4) < q < financial_quarter(2024, 2)
    with pytest.raises(AttributeError):
        q.label = "x"  # type: ignore[misc]
    with pytest.raises(PeriodError):
        financial_quarter(2024, 5)
    with pytest.raises(PeriodError):
        multi_year(2015, 2016)  # '2015-16' would read as a financial year


@pytest.mark.parametrize("p, expected", [
    (financial_quarter(2024, 1), financial_quarter(2023, 4)),
    (financial_quarter(2024, 2), financial_quarter(2024, 1)),
    (financial_quarter(2024, 4), financial_quarter(2024, 3)),
    (financial_quarter(2025, 1), financial_quarter(2024, 4)),
])
def test_previous_quarter(p, expected):
    assert previous_quarter(p) == expected


def test_previous_quarter_needs_a_quarter():
    with pytest.raises(PeriodError, match="not a financial quarter"):
        previous_quarter(financial_year(2024))


def test_financial_quarter_of_and_current_quarter():
    assert financial_quarter_of(date(2024, 3, 31)) == financial_quarter(2023, 4)
    assert financial_quarter_of(date(2024, 4, 1)) == financial_quarter(2024, 1)
    assert current_quarter(date(2025, 2, 14)) == financial_quarter(2024, 4)
    assert current_quarter().start <= date.today() <= current_quarter().end


def test_quarters_between():
    got = quarters_between(financial_quarter(2023, 3), financial_quarter(2024, 2))
    assert [q.label for q in got] == ["2023/24 Q3", "2023/24 Q4", "2024/25 Q1", "2024/25 Q2"]
    assert all((b.start - a.end).days == 1 for a, b in itertools.pairwise(got))  # no gaps, no overlaps
    assert quarters_between(financial_quarter(2024, 1), financial_quarter(2024, 1)) == [financial_quarter(2024, 1)]
    assert quarters_between(financial_quarter(2024, 2), financial_quarter(2024, 1)) == []
    assert len(quarters_between(financial_quarter(2020, 1), financial_quarter(2024, 4))) == 20
    with pytest.raises(PeriodError):
        quarters_between(financial_year(2023), financial_quarter(2024, 1))


def test_latest_ending_on_or_before():
    england = [parse_period(y) for y in ("2022/23", "2023/24", "2024/25")]
    local = parse_period("2024/25 Q2")
    assert local.end == date(2024, 9, 30)
    assert latest_ending_on_or_before(england, local.end) == financial_year(2023)
    assert latest_ending_on_or_before(england, date(2025, 3, 31)) == financial_year(2024)
    assert latest_ending_on_or_before(england, date(2023, 3, 30)) is None
    assert latest_ending_on_or_before([], date(2025, 1, 1)) is None
    assert latest_ending_on_or_before(iter(england), local.end) == financial_year(2023)  # any iterable
    # Of periods ending the same day, the closer (shorter) match wins.
    mixed = [financial_year(2023), financial_quarter(2023, 4), financial_quarter(2023, 3)]
    assert latest_ending_on_or_before(mixed, date(2024, 6, 30)) == financial_quarter(2023, 4)


# -- issue 22: DfE's own time identifiers ----------------------------------------------------------------------------
def test_dfe_identifiers_read_as_their_own_kind_and_agree_with_parse_period_where_both_read():
    from kpis.core.dfe_periods import dfe_period, is_dfe_identifier
    from kpis.core.periods import parse_period
    for tp, ti in [("202425", "Academic year"), ("202425", "Financial year"), ("2024", "Calendar year"),
                   ("202425", "Financial year Q2"), ("2025", "Reporting year")]:
        assert dfe_period(tp, ti) == parse_period(tp, time_identifier=ti), (tp, ti)
    assert dfe_period("202425", "Spring term").type == "term"
    assert dfe_period("2020", "Week 53").end.isoformat() == "2021-01-03"   # ISO weeks: 2020 has 53
    with pytest.raises(PeriodError, match="2024 has no ISO week 53"):
        dfe_period("2024", "Week 53")
    assert is_dfe_identifier(" autumn and spring term ") and not is_dfe_identifier("Winter term")
