"""Check a return and report every problem at once, each with sheet, row, column, found and expected.

Each check is one small rule. Row rules run on every data row in order; each
may read what earlier rules understood (the KPI, the period, the numbers) and
add to it. Table rules then look across rows (the return's quarter,
duplicates, recent history). Errors block the return; warnings do not.

The rules, in order:
  KPI: known id; belongs to this sub-group.            Period: readable; not in the future;
  fits the KPI's frequency; inside the return's quarter.  Breakdown: allowed for the KPI.
  Numbers: readable; a percentage's meaning is clear (0.65 is asked about, never guessed);
  status agrees with the value; counts are not negative and are whole; numerator at most
  the denominator; a percentage within 0-100; the value agrees with numerator/denominator.
  Text: commentary is not a spreadsheet formula, nor longer than COMMENTARY_MAX_CHARS; a KPI id or
  breakdown is refused when far too long to be one (CELL_MAX_CHARS), and quoted short.
  Table: no duplicate rows; the file is this sub-group's; it has data; a value far from its recent history
  gets a warning.
"""
from __future__ import annotations

from kpis.core.dates import long_date
from kpis.core.problems import WARNING, Problem
from kpis.core.text import CELL_MAX_CHARS, COMMENTARY_MAX_CHARS, QUOTE_CHARS, quote, text_length
from kpis.core.units import GAP_STATUSES, SCALE, STATUS_LABELS, VALUE_STATUSES
from kpis.returns.cells import (
    BLANK,
    example_quarter,
    quarter_forms,
    read_kpi_id,
    read_number,
    read_period,
    read_text,
    show,
)
from kpis.returns.filesafety import formula_risk
from kpis.returns.layout import free_breakdown, normalise, parse_status
from kpis.returns.reader import ReturnFile
from kpis.returns.row_context import Context, Row

YEAR_TYPES = ("financial_year", "academic_year", "calendar_year")
FORMULA_EXPECTED = "text, not something a spreadsheet would run as a formula"


def _too_long(row: Row, ctx: Context, key: str, what: str, text: str, limit: int, advice: str) -> Problem:
    """'<What> is 19,900,000 characters; at most 2,000 are allowed. <advice>' (the length as written in the file,
    though the reader keeps only the start of a long text)."""
    length = max(text_length(row.raw.get(key)), len(text))
    return row.problem(ctx, key, f"at most {limit:,} characters",
                       f"{what} is {length:,} characters; at most {limit:,} are allowed. {advice}",
                       found=f"{length:,} characters, starting '{text[:QUOTE_CHARS]}…'")


# -- row rules: each takes (row, ctx) and returns a list of problems ----------------------
def rule_kpi_known(row: Row, ctx: Context) -> list[Problem]:
    """The KPI id is one of the framework's."""
    kid = read_kpi_id(row.raw.get("kpi_id"))
    row.kpi = ctx.kpis.get(kid)
    if row.kpi is not None:
        return []
    ours = ", ".join(k.id for k in ctx.framework.kpis_in_area(ctx.area_id))
    if len(kid) > CELL_MAX_CHARS:
        return [_too_long(row, ctx, "kpi_id", "The KPI id", kid, CELL_MAX_CHARS,
                          f"A KPI id is a few letters and digits; this sub-group's KPIs are {ours}.")]
    if not kid:
        return [row.problem(ctx, "kpi_id", f"a KPI id such as {ours.split(',')[0]}",
                            "The KPI id is missing, so this row's figures cannot be stored. Fill in the KPI id.")]
    else:
        return [row.problem(ctx, "kpi_id", f"one of this sub-group's KPI ids: {ours}",
                            f"'{quote(kid)}' is not a KPI id in the framework. This sub-group's KPIs are {ours}.")]


def rule_kpi_in_area(row: Row, ctx: Context) -> list[Problem]:
    """The KPI belongs to the sub-group whose return this is."""
    if row.kpi and row.kpi.area != ctx.area_id:
        theirs, ours = ctx.framework.area(row.kpi.area).label, ctx.framework.area(ctx.area_id).label
        kid, row.kpi = row.kpi.id, None  # no further checks against another sub-group's KPI
        return [row.problem(ctx, "kpi_id", f"a KPI of the {ours} sub-group",
                            f"{kid} belongs to the {theirs} return, not the {ours} return. Remove this "
                            f"row, or send it in the {theirs} return.")]
    return []


def rule_period_readable(row: Row, ctx: Context) -> list[Problem]:
    """The period can be read; a blank period means the return's own quarter when that is known."""
    raw = row.raw.get("period")
    if (raw is None or str(raw).strip() == "") and ctx.period is not None:
        row.period = ctx.period
        return []
    if ctx.parsed is not None and "period" not in ctx.parsed.columns:
        return []  # no Period column at all: reported once for the file, not on every row
    row.period, expected = read_period(raw, return_quarter=ctx.period, today=ctx.today)
    if row.period is None:
        quarter = example_quarter(ctx.period, ctx.today)
        label, other, months = quarter_forms(quarter)
        whose = ("This return is for" if ctx.period is not None and ctx.period.type == "financial_quarter"
                 else "The latest quarter that has ended is")
        return [row.problem(ctx, "period", expected, f"The period '{show(raw)}' could not be read. {whose} "
                                                     f"{label}: write it as {label} (or {other}, or {months}).")]
    return []


def rule_period_not_future(row: Row, ctx: Context) -> list[Problem]:
    """The period has started and finished: a return reports on the past."""
    p = row.period
    if p is None:
        return []
    if p.start > ctx.today:
        return [row.problem(ctx, "period", "a period that has already ended",
                            f"{p.label} is in the future (it starts on {long_date(p.start)}).")]
    if p.end >= ctx.today:
        return [row.problem(ctx, "period", "a period that has already ended",
                            f"{p.label} has not finished yet (it ends on {long_date(p.end)}); send its figures "
                            "after it ends.")]
    return []


def rule_period_fits_kpi(row: Row, ctx: Context) -> list[Problem]:
    """Quarterly KPIs take a financial quarter; annual KPIs take a year."""
    if row.kpi is None or row.period is None:
        return []
    if row.kpi.frequency == "quarterly" and row.period.type != "financial_quarter":
        quarter = example_quarter(ctx.period, ctx.today).label
        return [row.problem(ctx, "period", f"a financial quarter such as {quarter}",
                            f"{row.kpi.id} is reported every quarter, but '{row.period.label}' is not a quarter.")]
    if row.kpi.frequency == "monthly" and row.period.type != "month":
        return [row.problem(ctx, "period", "a month such as Apr 2025",
                            f"{row.kpi.id} is reported every month, but '{row.period.label}' is not a month.")]
    if row.kpi.frequency == "annual" and row.period.type not in YEAR_TYPES:
        return [row.problem(ctx, "period", "a year such as 2024/25 or AY 2024/25",
                            f"{row.kpi.id} is reported once a year, but '{row.period.label}' is not a year.")]
    return []


def rule_breakdown_allowed(row: Row, ctx: Context) -> list[Problem]:
    """The breakdown is one the KPI is broken down by (a blank breakdown means all children)."""
    if row.kpi is None:
        return []
    raw = row.raw.get("breakdown")
    text = "" if raw is None else str(raw).strip()
    if len(text) > CELL_MAX_CHARS:
        return [_too_long(row, ctx, "breakdown", "The breakdown", text, CELL_MAX_CHARS,
                          "Pick one from the Breakdown list.")]
    key = (row.kpi.id, text)
    if key not in ctx.breakdowns:
        ctx.breakdowns[key] = (ctx.kpi_lookup(row.kpi).get(normalise(text))
                               or free_breakdown(ctx.framework, row.kpi, text))
    row.breakdown = ctx.breakdowns[key]
    if row.breakdown is None:
        names = [ctx.framework.breakdowns.get(b, b) for b in row.kpi.breakdowns]
        return [row.problem(ctx, "breakdown", f"one of the breakdowns of {row.kpi.id}: {', '.join(names)}",
                            f"'{quote(text)}' is not a breakdown of {row.kpi.id}. Pick one from the Breakdown list; "
                            f"{row.kpi.id} is broken down by: {', '.join(names)}.")]
    return []


def rule_numbers_readable(row: Row, ctx: Context) -> list[Problem]:
    """Value, numerator and denominator are numbers, markers (<5, *, c, -, n/a) or blank."""
    out = []
    for key, attr in (("value", "v"), ("numerator", "n"), ("denominator", "d")):
        parsed = read_number(row.raw.get(key), percent_format=bool(row.raw.get(f"{key}_percent_format")))
        if parsed.problem:
            out.append(row.problem(ctx, key, parsed.problem, f"'{show(row.raw.get(key))}' could not be read as a "
                                                             f"{key}. Expected {parsed.problem}."))
            parsed = BLANK
        setattr(row, attr, parsed)
    for key, attr in (("numerator", "n"), ("denominator", "d")):
        if getattr(row, attr).percent_sign:
            out.append(row.problem(ctx, key, "a count of children, without a % sign",
                                   f"The {key} is a count of children, so it cannot be a percentage."))
    row.numerator, row.denominator = row.n.value, row.d.value
    return out


def rule_percentage_meaning(row: Row, ctx: Context) -> list[Problem]:
    """Percentages are on a 0-100 scale. 65, 65% and an Excel 65% cell all mean 65%; 0.65 is asked about."""
    v = row.v
    if row.kpi is None or v.value is None:
        return []
    if row.kpi.unit != "percentage":
        if v.percent_sign or v.percent_format:
            return [row.problem(ctx, "value", f"a {row.kpi.unit_label} without a % sign",
                                f"{row.kpi.id} is a {row.kpi.unit_label}, not a percentage. Write the number "
                                "without % (and check the cell is not formatted as a percentage).")]
        row.value = v.value
        return []
    if v.percent_format:
        row.value = round(v.value * 100, 10)
        return []
    row.value = v.value
    if v.percent_sign or not 0 < v.value < 1:
        return []
    n, d = row.n.value, row.d.value
    if n is not None and d and abs(v.value - n / d) <= 0.0051:
        row.value = round(v.value * 100, 10)
        return [row.problem(ctx, "value", "a percentage from 0 to 100, such as 65",
                            f"{show(v.value)} was read as {row.value:g}% because the numerator and denominator "
                            f"({show(n)} / {show(d)}) say so. Next time write {row.value:g}.", WARNING)]
    row.value = None
    pct = f"{v.value * 100:g}"
    return [row.problem(ctx, "value", f"a percentage from 0 to 100: {pct} for {pct}%, or {show(v.value)}% if you "
                                      f"mean less than one per cent",
                        f"{show(v.value)} is unclear: it could mean {pct}% or {show(v.value)}%. Write {pct} for "
                        f"{pct}%, or write {show(v.value)}% if you mean less than one per cent.")]


def rule_status(row: Row, ctx: Context) -> list[Problem]:
    """A marker in the value becomes the status; the Status column must not contradict the value."""
    raw_status = row.raw.get("status")
    given = None
    if raw_status is not None and str(raw_status).strip():
        given = parse_status(raw_status)
        if given is None:
            choices = ", ".join(STATUS_LABELS.values())
            return [row.problem(ctx, "status", f"one of: {choices} (or blank)",
                                f"'{show(raw_status)}' is not a status. Pick one from the list: {choices}, or "
                                "leave it blank when a value is given.")]
    count_marker = row.n if row.n.status else row.d if row.d.status else None
    if row.v.status:
        row.status, row.status_note = row.v.status, row.v.marker
    elif row.value is not None or row.v.value is not None:
        if count_marker is not None:
            return [row.problem(ctx, "value", f"{count_marker.marker} in the value too",
                                f"The numerator or denominator is marked '{count_marker.marker}', so a value worked "
                                f"out from it must not be published either. Write {count_marker.marker} as the "
                                "value.")]
        if given in GAP_STATUSES:
            return [row.problem(ctx, "status", "a blank status, or no value",
                                f"The status says '{STATUS_LABELS[given]}' but a value ({show(row.v.value)}) is "
                                "given. Clear the value (write <5 for a small number) or clear the status.")]
        row.status = given or "published"
    elif count_marker is not None:
        row.status, row.status_note = count_marker.status, count_marker.marker
    elif row.numerator is not None and (row.denominator is not None or (row.kpi and row.kpi.unit == "count")):
        row.status = given if given in VALUE_STATUSES else "published"
    else:
        if given in VALUE_STATUSES and given != "published":
            return [row.problem(ctx, "value", "a value", f"The status says '{STATUS_LABELS[given]}' but there is "
                                                         "no value. Fill in the value or change the status.")]
        row.status = given if given in GAP_STATUSES else "not_available"
        row.blank = given is None
    return []


def rule_counts_not_negative(row: Row, ctx: Context) -> list[Problem]:
    """Numerators, denominators and counts are never negative."""
    out = []
    checks = [("numerator", row.numerator), ("denominator", row.denominator)]
    if row.kpi and row.kpi.unit != "percentage":
        checks.append(("value", row.value))
    for key, number in checks:
        if number is not None and number < 0:
            out.append(row.problem(ctx, key, "0 or more", f"The {key} is negative ({show(number)}); counts "
                                                          "cannot be below 0."))
    return out


def rule_counts_whole(row: Row, ctx: Context) -> list[Problem]:
    """Numerators, denominators and count KPIs are whole numbers."""
    out = []
    checks = [("numerator", row.numerator), ("denominator", row.denominator)]
    if row.kpi and row.kpi.unit == "count":
        checks.append(("value", row.value))
    for key, number in checks:
        if number is not None and number >= 0 and not float(number).is_integer():
            out.append(row.problem(ctx, key, "a whole number", f"The {key} ({show(number)}) should be a whole "
                                                               "number of children."))
    return out


def rule_numerator_within_denominator(row: Row, ctx: Context) -> list[Problem]:
    """The numerator is not more than the denominator, and the denominator is not 0."""
    n, d = row.numerator, row.denominator
    if n is None or d is None or n < 0 or d < 0:
        return []
    if d == 0:
        return [row.problem(ctx, "denominator", "more than 0", "The denominator is 0, so no percentage or rate "
                                                               "can be worked out. Leave both blank if there were "
                                                               "no children to count.")]
    if n > d and row.kpi and row.kpi.unit == "percentage":
        return [row.problem(ctx, "numerator", f"at most the denominator ({show(d)})",
                            f"The numerator ({show(n)}) is more than the denominator ({show(d)}). Check they are "
                            "not the wrong way round.")]
    return []


def rule_percentage_in_range(row: Row, ctx: Context) -> list[Problem]:
    """A percentage lies between 0 and 100."""
    if row.kpi and row.kpi.unit == "percentage" and row.value is not None and not 0 <= row.value <= 100:
        return [row.problem(ctx, "value", "a percentage from 0 to 100",
                            f"{show(row.v.value)} is outside 0 to 100, so it cannot be a percentage.")]
    return []


def rule_value_matches_counts(row: Row, ctx: Context) -> list[Problem]:
    """A value given with a numerator and denominator agrees with them (allowing for rounding).

    With no value, the value is worked out from them.
    """
    kpi, n, d = row.kpi, row.numerator, row.denominator
    if kpi is None or row.failed or n is None or row.status in GAP_STATUSES:
        return []
    if kpi.unit == "count":
        expected = n
    elif d:
        expected = n / d * SCALE.get(kpi.unit, 1)
    else:
        return []
    if row.value is None:
        row.value = expected
        return []
    tolerance = 0.5 * 10 ** -_decimals(row.value) + 1e-9
    if abs(row.value - expected) > tolerance:
        unit = "%" if kpi.unit == "percentage" else ""
        return [row.problem(ctx, "value", f"{expected:.2f}{unit} ({show(n)} / {show(d)})" if d else show(n),
                            f"The value {show(row.v.value)} does not agree with the numerator and denominator, "
                            f"which give {expected:.2f}{unit}. Correct whichever is wrong.")]
    return []


def _decimals(x: float) -> int:
    text = repr(round(float(x), 10))
    return len(text.split(".")[1].rstrip("0")) if "." in text and "e" not in text else 0


def rule_commentary_not_too_long(row: Row, ctx: Context) -> list[Problem]:
    """Commentary is a few sentences for the board: at most COMMENTARY_MAX_CHARS characters."""
    text = read_text(row.raw.get("commentary"))
    row.commentary = text
    if text is not None and len(text) > COMMENTARY_MAX_CHARS:
        row.commentary = None   # never stored: the row has failed
        return [_too_long(row, ctx, "commentary", "Commentary", text, COMMENTARY_MAX_CHARS, "Shorten it.")]
    return []


def rule_commentary_not_formula(row: Row, ctx: Context) -> list[Problem]:
    """Commentary is text: one that could run as a spreadsheet formula is refused (filesafety.formula_risk)."""
    text = read_text(row.raw.get("commentary"))
    if text is not None and len(text) > COMMENTARY_MAX_CHARS:
        return []   # refused already for its length
    row.commentary = text
    why = formula_risk(text)
    if why:
        return [row.problem(ctx, "commentary", FORMULA_EXPECTED,
                            f"The commentary could run as a formula in a spreadsheet: {why}. Start it with a "
                            "word instead.")]
    return []


ROW_RULES = [rule_kpi_known, rule_kpi_in_area, rule_period_readable, rule_period_not_future, rule_period_fits_kpi,
             rule_breakdown_allowed, rule_numbers_readable, rule_percentage_meaning, rule_status,
             rule_counts_not_negative, rule_counts_whole, rule_numerator_within_denominator,
             rule_percentage_in_range, rule_value_matches_counts, rule_commentary_not_too_long,
             rule_commentary_not_formula]


def check_rows(parsed: ReturnFile, ctx: Context) -> tuple[list[Row], list[Problem]]:
    """Run every row rule on every row; return the rows as understood and all problems found."""
    ctx.parsed = parsed
    problems: list[Problem] = []
    rows = []
    raw_rows = parsed.rows.to_dict("records")
    for raw in raw_rows:
        row = Row(raw["sheet"], int(raw["row"]), raw)
        for rule in ROW_RULES:
            problems.extend(rule(row, ctx))
        rows.append(row)
    return rows, problems
