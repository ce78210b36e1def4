"""DfE open data periods: a `Period` from a time_period and one of DfE's time identifiers (`dfe_period`).

Every identifier of DfE's list is read: years, terms, financial quarters and halves, tax years, calendar and
reporting years, months and weeks. The free-text reader for returns and other sources is
`kpis.core.periods.parse_period`.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from kpis.core.periods import (
    MONTHS,
    Period,
    PeriodError,
    _check_year,
    _is_missing,
    _month_end,
    _normalise,
    _split_label,
    academic_year,
    calendar_month,
    calendar_quarter,
    calendar_year,
    financial_quarter,
    financial_year,
)

# DfE's time identifiers (the screener's list, eesyscreener data-raw/acceptable_values.R; EES TimeIdentifier.cs),
# lower case, with the number of digits of their time_period.
DFE_TERMS = {"autumn term": ((9, 1), (12, 31), 0), "spring term": ((1, 1), (3, 31), 1),
             "summer term": ((4, 1), (8, 31), 1), "autumn and spring term": ((9, 1), (3, 31), None)}
DFE_HALVES = {"part 1 (april to september)": (1, "Part 1 (Apr to Sep)"),
              "part 2 (october to march)": (2, "Part 2 (Oct to Mar)")}
DFE_SIX_DIGITS = ({"academic year", "financial year", "tax year"} | set(DFE_TERMS) | set(DFE_HALVES)
                  | {f"financial year q{q}" for q in range(1, 5)} | {f"tax year q{q}" for q in range(1, 5)})
DFE_FOUR_DIGITS = ({"calendar year", "reporting year"} | {f"calendar year q{q}" for q in range(1, 5)}
                   | set(MONTHS) | {f"week {n}" for n in range(1, 54)})
DFE_IDENTIFIERS = DFE_SIX_DIGITS | DFE_FOUR_DIGITS
# When a Reporting year's snapshot is taken, if not at 31 March (the children in need and looked-after census).
CENSUS_MONTHS = {name: number for number, name in enumerate(MONTHS, start=1)}


def is_dfe_identifier(time_identifier: object) -> bool:
    """Whether a time identifier is one of DfE's (`Autumn and spring term`, `Week 12`, `Tax year`, ...)."""
    return not _is_missing(time_identifier) and _normalise(str(time_identifier)) in DFE_IDENTIFIERS


def _dfe_fail(time_period: object, time_identifier: str, why: str) -> PeriodError:
    error = PeriodError(f"time_period '{time_period}' with time_identifier '{time_identifier}' could not be read: "
                        f"{why}.")
    error.reason = f"time_identifier '{time_identifier}': {why}"
    return error


def reporting_year(year: int, census_month: int = 3) -> Period:
    """DfE's Reporting year: a snapshot (census) in ``year``. Taken at 31 March (children in need, children looked
    after) it is the financial year ``year-1``/``year``, as before; taken in another month (the social work workforce
    census on 30 September, the school census in January) it is the 12 months to the end of that month, labelled
    with the year and the census month."""
    _check_year(year)
    if census_month == 3:
        return financial_year(year - 1)
    end = _month_end(year, census_month)
    start = date(year - 1, census_month % 12 + 1, 1) if census_month != 12 else date(year, 1, 1)
    return Period(start, end, "reporting_year", f"{year} ({MONTHS[census_month - 1].title()} census)")


def dfe_period(time_period: object, time_identifier: str, *, census_month: int = 3) -> Period:
    """A DfE open data period from its time_period and time_identifier (every identifier of DfE's list).

    Six-digit identifiers (years, terms, financial quarters and halves, tax years) need consecutive years
    (``201314``); four-digit ones (calendar and reporting years, months, weeks) a year. A refusal names the time
    identifier and says what was expected. ``census_month`` is the month of a Reporting year's snapshot.
    """
    ident = _normalise(str(time_identifier))
    text = "" if _is_missing(time_period) else str(time_period).strip()
    if isinstance(time_period, float) and time_period.is_integer():
        text = str(int(time_period))
    if ident not in DFE_IDENTIFIERS:
        raise _dfe_fail(text, time_identifier, "not one of DfE's time identifiers")
    if ident in DFE_SIX_DIGITS:
        m = re.fullmatch(r"(\d{4})(\d{2})", text)
        if not m:
            raise _dfe_fail(text, time_identifier, "this identifier needs a six-digit time_period such as 201819")
        start = int(m.group(1))
        if (start + 1) % 100 != int(m.group(2)):
            raise _dfe_fail(text, time_identifier, f"the two years must follow each other, as in {start}"
                                                   f"{(start + 1) % 100:02d}")
        _check_year(start)
        if ident == "academic year":
            return academic_year(start)
        if ident == "financial year":
            return financial_year(start)
        if ident.startswith("financial year q"):
            return financial_quarter(start, int(ident[-1]))
        if ident == "tax year":
            return Period(date(start, 4, 6), date(start + 1, 4, 5), "tax_year", f"{_split_label(start)} tax year")
        if ident.startswith("tax year q"):
            q = int(ident[-1])
            first = date(start, 4, 6) if q == 1 else date(start + (q == 4), (4 + 3 * (q - 1) - 1) % 12 + 1, 6)
            last = date(start + (q >= 3), (4 + 3 * q - 1) % 12 + 1, 5)
            return Period(first, last, "tax_year", f"{_split_label(start)} tax year Q{q}")
        if ident in DFE_HALVES:
            half, words = DFE_HALVES[ident]
            first, last = ((date(start, 4, 1), date(start, 9, 30)) if half == 1
                           else (date(start, 10, 1), date(start + 1, 3, 31)))
            return Period(first, last, "financial_half", f"{_split_label(start)} {words}")
        (m1, d1), (m2, d2), offset = DFE_TERMS[ident]
        y1 = start + (offset or 0)
        y2 = start + (offset if offset is not None else 1)
        return Period(date(y1, m1, d1), date(y2, m2, d2), "term", f"{_split_label(start)} {ident.capitalize()}")
    if not re.fullmatch(r"\d{4}", text):
        raise _dfe_fail(text, time_identifier, "this identifier needs a four-digit year such as 2018")
    year = int(text)
    _check_year(year)
    if ident == "calendar year":
        return calendar_year(year)
    if ident.startswith("calendar year q"):
        return calendar_quarter(year, int(ident[-1]))
    if ident == "reporting year":
        return reporting_year(year, census_month)
    if ident in CENSUS_MONTHS:
        return calendar_month(year, CENSUS_MONTHS[ident])
    week = int(ident.split()[1])
    try:
        first = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise _dfe_fail(text, time_identifier, f"{year} has no ISO week {week}") from None
    return Period(first, first + timedelta(days=6), "week", f"{year} Week {week}")
