"""How a date is written, and when a quarterly return falls due: one home for each.

Dates are written the GOV.UK way, the day without a leading zero: '9 December 2026'; in a table, where space is
short, the month is shortened: '9 Dec 2026'. Every page, pack, message and command writes dates through these.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpis.core.periods import Period

RETURN_DUE = timedelta(weeks=6)   # a quarterly return is due this long after its quarter ends
RETURN_DUE_WORDS = "six weeks"    # RETURN_DUE, as the pages and packs say it (tests/core/test_one_home.py)


def return_due(quarter: Period) -> date:
    """The day a quarter's return falls due: its last day plus `RETURN_DUE`."""
    return quarter.end + RETURN_DUE


def long_date(day: date | datetime) -> str:
    """'9 December 2026'."""
    return f"{day.day} {day:%B %Y}"


def short_date(day: date | datetime) -> str:
    """'9 Dec 2026', for a table."""
    return f"{day.day} {day:%b %Y}"


def short_date_time(moment: datetime) -> str:
    """'9 Dec 2026 14:05', for a table."""
    return f"{short_date(moment)} {moment:%H:%M}"


def weekday_date(day: date | datetime) -> str:
    """'Wednesday 9 December 2026'."""
    return f"{day:%A} {long_date(day)}"


def month_year(day: date | datetime) -> str:
    """'December 2026'."""
    return f"{day:%B %Y}"


def short_month_year(day: date | datetime) -> str:
    """'Dec 2026', for a chart or a table."""
    return f"{day:%b %Y}"
