"""Read one cell of a return the way a person meant it: numbers, markers, KPI ids and periods.

Pure functions, no I/O. Each returns what it understood, or an `expected`
phrase saying what would have been understood, for the checks to report.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from kpis.core import periods
from kpis.core.periods import MONTHS, Period
from kpis.core.text import CELL_MAX_CHARS, quote, text_length
from kpis.returns.layout import marker_status

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")


@dataclass(frozen=True)
class Number:
    """What a value, numerator or denominator cell holds."""
    value: float | None = None          # the number, as written (before any percentage scaling)
    status: str | None = None           # a marker's status: suppressed, not_available, ...
    marker: str | None = None           # the marker as written, e.g. '<5'
    percent_sign: bool = False          # written with a % sign ('65%', '65.0 %')
    percent_format: bool = False        # an Excel number formatted as a percentage (stored as 0.65)
    problem: str | None = None          # what is wrong, if the cell could not be read

    @property
    def blank(self) -> bool:
        return self.value is None and self.status is None and self.problem is None


BLANK = Number()


def show(raw: object) -> str:
    """A cell's content for a message: 'blank', the text (its start and length when long), or a tidy number."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and math.isnan(raw)):
        return "blank"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.strftime("%d/%m/%Y") if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.strftime("%d/%m/%Y")
    text = str(raw).strip()
    if isinstance(raw, str):        # the real length, when the text was cut when read, less the spaces trimmed
        return quote(text, length=text_length(raw) - (len(raw) - len(text)))
    return quote(text)


def read_number(raw: object, *, percent_format: bool = False) -> Number:
    """'65', '65%', '65.0 %', '1,234', 65, '<5', '*', 'c', '-', 'n/a', blank -> Number."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return BLANK
    if isinstance(raw, bool):
        return Number(problem="a number, not TRUE or FALSE")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return Number(problem="a number")
        return Number(value=float(raw), percent_format=percent_format)
    if isinstance(raw, (datetime, date)):
        return Number(problem="a number, not a date (the cell may be formatted as a date)")
    text = str(raw).strip()
    if not text:
        return BLANK
    if len(text) > CELL_MAX_CHARS:
        return Number(problem="a number, or a marker such as <5, *, c, - or n/a")
    if text.upper() in _EXCEL_ERRORS:
        return Number(problem=f"a number; Excel shows the error {text.upper()} here, so fix the formula or type "
                              "the number")
    status = marker_status(text)
    if status:
        return Number(status=status, marker=text)
    percent = text.endswith("%")
    body = _SPACES.sub("", text.rstrip("%"))
    if _THOUSANDS.match(body):
        body = body.replace(",", "")
    if not _PLAIN.match(body):
        if re.match(r"^\d+,\d{1,2}$", body):
            return Number(problem="a number with a full stop for decimals, such as 65.5 (not 65,5)")
        return Number(problem="a number, or a marker such as <5, *, c, - or n/a")
    return Number(value=float(body), percent_sign=percent)


def read_kpi_id(raw: object) -> str:
    """' sg01', 'SG 01', 'SG-01' -> 'SG01'. Anything else comes back tidied, for the checks to judge."""
    text = str(raw or "").strip()
    if len(text) > CELL_MAX_CHARS:
        return text     # far too long to be an id: left for the checks to refuse
    squeezed = re.sub(r"[\s\-_.]+", "", text).upper()
    return squeezed if re.fullmatch(r"[A-Z]{1,4}\d{2,3}", squeezed) else text


def looks_like_kpi_id(raw: object) -> bool:
    return bool(re.fullmatch(r"[A-Z]{1,4}\d{2,3}", read_kpi_id(raw)))


def read_text(raw: object) -> str | None:
    if raw is None:
        return None
    text = show(raw) if not isinstance(raw, str) else raw.strip()
    return text or None


# -- periods -----------------------------------------------------------------------
def quarter_forms(quarter: Period) -> tuple[str, str, str]:
    """A financial quarter written the three ways a lead may type it: ('2026/27 Q2', 'Q2 2026-27', 'Jul-Sep 2026')."""
    start = quarter.start
    fy = start.year if start.month >= 4 else start.year - 1
    q = (start.month - 4) % 12 // 3 + 1
    months = f"{MONTHS[start.month - 1][:3].title()}-{MONTHS[start.month + 1][:3].title()} {start.year}"
    return quarter.label, f"Q{q} {fy}-{str(fy + 1)[-2:]}", months


def example_quarter(return_quarter: Period | None = None, today: date | None = None) -> Period:
    """The quarter to show in a message: the return's own, else the latest that has ended by `today`."""
    if return_quarter is not None and getattr(return_quarter, "type", "") == "financial_quarter":
        return return_quarter
    return periods.previous_quarter(periods.financial_quarter_of(today or date.today()))


def period_expected(return_quarter: Period | None = None, today: date | None = None) -> str:
    """'a period such as 2026/27 Q2, Q2 2026-27 or Jul-Sep 2026', in the return's own quarter."""
    label, other, months = quarter_forms(example_quarter(return_quarter, today))
    return f"a period such as {label}, {other} or {months}"


def read_period(raw: object, *, return_quarter: Period | None = None,
                today: date | None = None) -> tuple[Period | None, str | None]:
    """A period cell -> (Period, None) or (None, what was expected).

    Text goes to `periods.parse_period` ('2025/26 Q2', 'Q2 2025-26', 'Jul-Sep 2025', '01/07/2025', ...);
    an Excel date means the financial quarter holding it. What was expected is written in the return's own
    quarter (`return_quarter`), or the latest ended quarter when that is not known yet.
    """
    if isinstance(raw, datetime):
        return periods.financial_quarter_of(raw.date()), None
    if isinstance(raw, date):
        return periods.financial_quarter_of(raw), None
    if raw is None or (isinstance(raw, str) and (not raw.strip() or len(raw) > CELL_MAX_CHARS)):
        return None, period_expected(return_quarter, today)
    found = _read_period_text(show(raw) if not isinstance(raw, str) else raw.strip())
    return found if found is not None else (None, period_expected(return_quarter, today))


@lru_cache(maxsize=4096)
def _read_period_text(text: str):
    try:
        return periods.parse_period(text), None
    except periods.PeriodError:
        return None
