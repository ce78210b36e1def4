"""Reporting periods: one ``Period`` type and a forgiving parser for the labels found in returns,
DfE open data, OHID Fingertips and LAIT.

Everything is normalised to a ``Period`` with a canonical label, so a quarter typed as
``Q1 2024-25`` in one return and ``Apr-Jun 2024`` in another is the same period in the store.
Future periods are not rejected here; that is a validation rule, not a parsing one.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

PERIOD_TYPES = ("financial_quarter", "financial_year", "academic_year", "calendar_year",
                "calendar_quarter", "month", "multi_year",
                # DfE open data's other time identifiers (`kpis.core.dfe_periods.dfe_period`)
                "term", "financial_half", "tax_year", "week", "reporting_year")

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")

ACCEPTED_FORMS = """Accepted period forms:
- financial quarter: '2024/25 Q1', 'Q1 2024-25', '2024/2025 Q1', 'FY2024/25 Q1', 'Q1 24/25',
  or its months: 'Apr-Jun 2024' (Q1), 'Jul-Sep 2024' (Q2), 'Oct-Dec 2024' (Q3), 'Jan-Mar 2025' (Q4)
- financial year (April to March): '2024/25', '2024-25', '2024/2025', 'FY 2024/25', or DfE '202425'
- academic year (September to August): 'AY 2024/25', or '2024/25' / '202425' marked 'Academic year'
- calendar year: '2023'; DfE '2025' marked 'Reporting year' is the financial year 2024/25
- calendar quarter: 'Jan-Mar 2024' marked 'Calendar year' or 'Calendar quarter'
- month: 'Apr 2024'
- rolling multi-year period: '2015-17' or '2015 - 17'
- a date: '2024-04-01' or '01/04/2024' (the financial quarter containing it)"""

MIN_YEAR, MAX_YEAR = 1900, 2099
MAX_MULTI_YEAR_SPAN = 10


class PeriodError(ValueError):
    """A value that cannot be read as a reporting period; the message is meant for end users."""

    reason: str = ""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    type: str
    label: str

    def __post_init__(self) -> None:
        if self.type not in PERIOD_TYPES:
            raise ValueError(f"unknown period type {self.type!r}")
        if self.end < self.start:
            raise ValueError(f"period {self.label!r} ends before it starts")

    @property
    def days(self) -> int:
        """Number of days in the period, counting both ends."""
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.label


# ---------------------------------------------------------------- constructors

def _fail(value: object, reason: str = "") -> PeriodError:
    found = "an empty value" if value is None or str(value).strip() == "" else repr(value)
    detail = f" ({reason})" if reason else ""
    error = PeriodError(f"Could not read {found} as a period{detail}.\n{ACCEPTED_FORMS}")
    error.reason = reason
    return error


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(year, f"years must be between {MIN_YEAR} and {MAX_YEAR}")


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def _split_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_quarter(start_year: int, quarter: int) -> Period:
    """Quarter 1-4 of the financial year starting 1 April ``start_year`` (Q4 is Jan-Mar next year)."""
    _check_year(start_year)
    if quarter not in (1, 2, 3, 4):
        raise _fail(f"Q{quarter}", "the quarter must be Q1, Q2, Q3 or Q4")
    month = 4 + 3 * (quarter - 1)
    year = start_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return Period(date(year, month, 1), _month_end(year, month + 2),
                  "financial_quarter", f"{_split_label(start_year)} Q{quarter}")


def financial_year(start_year: int) -> Period:
    _check_year(start_year)
    return Period(date(start_year, 4, 1), date(start_year + 1, 3, 31), "financial_year",
                  _split_label(start_year))


def academic_year(start_year: int) -> Period:
    _check_year(start_year)
    return Period(date(start_year, 9, 1), date(start_year + 1, 8, 31), "academic_year",
                  f"AY {_split_label(start_year)}")


def calendar_year(year: int) -> Period:
    _check_year(year)
    return Period(date(year, 1, 1), date(year, 12, 31), "calendar_year", str(year))


def calendar_quarter(year: int, quarter: int) -> Period:
    """Quarter 1-4 of a calendar year (Q1 is Jan-Mar), labelled like 'Jan-Mar 2024'."""
    _check_year(year)
    if quarter not in (1, 2, 3, 4):
        raise _fail(f"Q{quarter}", "the quarter must be Q1, Q2, Q3 or Q4")
    first = 3 * quarter - 2
    label = f"{MONTHS[first - 1][:3].title()}-{MONTHS[first + 1][:3].title()} {year}"
    return Period(date(year, first, 1), _month_end(year, first + 2), "calendar_quarter", label)


def calendar_month(year: int, month: int) -> Period:
    _check_year(year)
    return Period(date(year, month, 1), _month_end(year, month), "month",
                  f"{MONTHS[month - 1][:3].title()} {year}")


def multi_year(first_year: int, last_year: int) -> Period:
    """A rolling period of whole calendar years, e.g. Fingertips' '2015 - 17'.

    Spans of two years ('2015-16') are not allowed: that label means a financial year.
    """
    _check_year(first_year)
    _check_year(last_year)
    if not 2 <= last_year - first_year <= MAX_MULTI_YEAR_SPAN:
        raise _fail(f"{first_year}-{last_year}", "a rolling period covers 3 or more whole years")
    return Period(date(first_year, 1, 1), date(last_year, 12, 31), "multi_year",
                  f"{first_year}-{last_year % 100:02d}")


# ---------------------------------------------------------------- quarter arithmetic

def financial_quarter_of(d: date) -> Period:
    """The financial quarter containing ``d`` (a datetime or pandas Timestamp is fine)."""
    if isinstance(d, datetime):
        d = d.date()
    start_year = d.year if d.month >= 4 else d.year - 1
    return financial_quarter(start_year, (d.month - 4) % 12 // 3 + 1)


def months_of(p: Period) -> list[Period]:
    """The calendar months a period covers, oldest first (a financial quarter's three months; a month itself)."""
    out, d = [], p.start
    while d <= p.end:
        out.append(calendar_month(d.year, d.month))
        d = out[-1].end + timedelta(days=1)
    return out


def _require_quarter(p: Period) -> None:
    if p.type != "financial_quarter":
        raise PeriodError(f"{p.label!r} is a {p.type.replace('_', ' ')}, not a financial quarter.")


def previous_quarter(p: Period) -> Period:
    _require_quarter(p)
    return financial_quarter_of(p.start - timedelta(days=1))


def quarters_between(first: Period, last: Period) -> list[Period]:
    """Financial quarters from ``first`` to ``last`` inclusive; empty if ``last`` is before ``first``."""
    _require_quarter(first)
    _require_quarter(last)
    out, q = [], first
    while q.start <= last.start:
        out.append(q)
        q = financial_quarter_of(q.end + timedelta(days=1))
    return out


def current_quarter(today: date | None = None) -> Period:
    return financial_quarter_of(today or date.today())


def latest_ending_on_or_before(periods: Iterable[Period], end: date) -> Period | None:
    """The latest period ending on or before ``end``, e.g. the England figure to set beside a local
    quarter. Of periods ending the same day the shortest (latest start) wins, as the closer match."""
    eligible = [p for p in periods if p.end <= end]
    return max(eligible, key=lambda p: (p.end, p.start), default=None)


# ---------------------------------------------------------------- parsing

_YEARS = r"(\d{4}|\d{2})[/-](\d{4}|\d{2})"
_QUARTER_FIRST = re.compile(rf"^q(\d) ?(?:fy ?)?{_YEARS}$")
_QUARTER_LAST = re.compile(rf"^(?:fy ?)?{_YEARS} ?q(\d)$")
_PREFIXED_YEAR = re.compile(r"^(fy|ay|financial year|academic year) ?(\d{4})[/-](\d{4}|\d{2})$")
_SPLIT_YEAR = re.compile(r"^(\d{4})([/-])(\d{4}|\d{2})$")
_DFE_YEAR = re.compile(r"^(\d{4})(\d{2})$")
_SINGLE_YEAR = re.compile(r"^(\d{4})$")
_MONTH_RANGE = re.compile(r"^([a-z]+)-([a-z]+) (\d{4})$")
_MONTH = re.compile(r"^([a-z]+) (\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ][\d:.]+)?$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: [\d:.]+)?$")


def _normalise(text: str) -> str:
    """Lower case, dashes as '-', no spaces around '-' or '/', single spaces elsewhere."""
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text.strip().lower())
    text = re.sub(r"\s*([/-])\s*", r"\1", text)
    return re.sub(r"\s+", " ", text)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (float, datetime)) and pd.isna(value):  # NaN, pandas NaT
        return True
    return isinstance(value, str) and not value.strip()


def _hint(time_identifier: object, year_type: object) -> tuple[str | None, int | None]:
    """Read the kind of year ('academic', 'financial', 'reporting', 'calendar', or 'unknown' for a
    hint we do not understand) and any quarter (DfE's 'Financial year Q2') from the hints."""
    words = " ".join(_normalise(str(h)) for h in (time_identifier, year_type) if not _is_missing(h))
    if not words:
        return None, None
    quarter = re.search(r"\bq([1-4])\b", words)
    kind = next((k for k in ("academic", "financial", "reporting", "calendar") if k in words), None)
    if kind is None and "tax" in words:
        kind = "financial"
    if kind is None and quarter is None:
        kind = "unknown"
    return kind, int(quarter.group(1)) if quarter else None


def _second_year(first: int, text: str) -> int:
    """Expand the second half of '2024/25' or '1999/00' to a four-digit year."""
    if len(text) == 4:
        return int(text)
    year = first - first % 100 + int(text)
    return year + 100 if year < first else year


def _start_of_split_year(value: object, first: str, second: str) -> int:
    """The first year of a split year such as '2024/25', checking the second year follows it."""
    start = int(first) if len(first) == 4 else 2000 + int(first)
    if _second_year(start, second) != start + 1:
        raise _fail(value, f"the second year must follow the first, as in {_split_label(start)}")
    return start


def _year_of_kind(value: object, start_year: int, kind: str | None, quarter: int | None) -> Period:
    """A split year ('2024/25', '202425') read according to the time identifier / year type."""
    if kind == "academic" and quarter is None:
        return academic_year(start_year)
    if kind in (None, "financial", "reporting"):
        return financial_quarter(start_year, quarter) if quarter else financial_year(start_year)
    raise _fail(value, "this split year does not fit the time identifier / year type given")


def _single_year(value: object, year: int, kind: str | None, quarter: int | None) -> Period:
    if kind in (None, "calendar"):
        return calendar_quarter(year, quarter) if quarter else calendar_year(year)
    if kind == "reporting" and quarter is None:
        return financial_year(year - 1)  # DfE: the reporting year 2025 ends 31 March 2025
    raise _fail(value, "a single year does not fit the time identifier / year type given")


def _month_number(word: str) -> int | None:
    for number, name in enumerate(MONTHS, start=1):
        if word in (name, name[:3]) or (number == 9 and word == "sept"):
            return number
    return None


def _month_range(value: object, m: re.Match, kind: str | None) -> Period:
    first, last, year = _month_number(m.group(1)), _month_number(m.group(2)), int(m.group(3))
    if first is None or last is None:
        raise _fail(value, "month names not recognised")
    if first % 3 != 1 or last != first + 2:
        raise _fail(value, "quarters run Apr-Jun, Jul-Sep, Oct-Dec and Jan-Mar")
    if kind == "calendar":
        return calendar_quarter(year, (first + 2) // 3)
    return financial_quarter_of(date(year, first, 1))


def _from_date(value: object, year: str, month: str, day: str) -> Period:
    try:
        return financial_quarter_of(date(int(year), int(month), int(day)))
    except ValueError:
        raise _fail(value, "not a real date") from None


def _parse_text(value: object, s: str, kind: str | None, quarter: int | None) -> Period:
    if m := (_QUARTER_FIRST.match(s) or _QUARTER_LAST.match(s)):
        q, first, second = (m.groups() if s.startswith("q") else (m.group(3), m.group(1), m.group(2)))
        if q not in "1234":
            raise _fail(value, "the quarter must be Q1, Q2, Q3 or Q4")
        return financial_quarter(_start_of_split_year(value, first, second), int(q))
    if m := _PREFIXED_YEAR.match(s):
        start = _start_of_split_year(value, m.group(2), m.group(3))
        return academic_year(start) if m.group(1).startswith("a") else financial_year(start)
    if m := _SPLIT_YEAR.match(s):
        first, sep, second = int(m.group(1)), m.group(2), m.group(3)
        span = _second_year(first, second) - first
        if sep == "-" and 2 <= span <= MAX_MULTI_YEAR_SPAN:
            return multi_year(first, first + span)
        return _year_of_kind(value, _start_of_split_year(value, m.group(1), second), kind, quarter)
    if m := _DFE_YEAR.match(s):
        return _year_of_kind(value, _start_of_split_year(value, m.group(1), m.group(2)), kind, quarter)
    if m := _SINGLE_YEAR.match(s):
        return _single_year(value, int(m.group(1)), kind, quarter)
    if m := _MONTH_RANGE.match(s):
        return _month_range(value, m, kind)
    if (m := _MONTH.match(s)) and (number := _month_number(m.group(1))):
        return calendar_month(int(m.group(2)), number)
    if m := _ISO_DATE.match(s):
        return _from_date(value, *m.groups())
    if m := _UK_DATE.match(s):
        return _from_date(value, m.group(3), m.group(2), m.group(1))
    raise _fail(value)


def parse_period(value: object, *, time_identifier: str | None = None, year_type: str | None = None,
                 today: date | None = None) -> Period:
    """Read ``value`` as a ``Period``, or raise ``PeriodError`` listing the accepted forms.

    ``time_identifier`` (DfE open data) and ``year_type`` (LAIT) say how to read ambiguous years
    such as '2024/25' or '202425'. Dates give the financial quarter containing them. ``today`` is
    accepted for callers' convenience and not used: future periods are for validation to judge.
    """
    del today
    if isinstance(value, Period):
        return value
    if _is_missing(value) or isinstance(value, bool):
        raise _fail(None if _is_missing(value) else value)
    if isinstance(value, date):
        return financial_quarter_of(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # DfE year columns read by pandas alongside blanks
    kind, quarter = _hint(time_identifier, year_type)
    try:
        return _parse_text(value, _normalise(str(value)), kind, quarter)
    except PeriodError as exc:  # re-raised so the message names the value as given
        raise _fail(value, exc.reason) from None
    except ValueError as exc:  # e.g. an impossible calendar date deeper down
        raise _fail(value, str(exc)) from None
