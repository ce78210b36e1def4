"""Check a whole return: its quarter, the row rules, the table rules, and the rows ready to store.

`check_parsed` is the one entry point: it settles the return's quarter, runs
every row rule (`validation`), then the rules that look across rows, and turns
the good rows into observations with confidence intervals. Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from kpis.core import intervals
from kpis.core.dates import long_date
from kpis.core.framework import Framework, breakdown_label
from kpis.core.periods import Period, parse_period
from kpis.core.problems import ERROR, WARNING, Problem, errors, total, warnings
from kpis.core.text import NARRATIVE_MAX_CHARS, QUOTE_CHARS, quote, text_length
from kpis.core.units import VALUE_STATUSES
from kpis.returns.budget import cap_problems
from kpis.returns.cells import example_quarter, read_period, read_text, show
from kpis.returns.filesafety import formula_risk
from kpis.returns.layout import INSTRUCTIONS_SHEET, NARRATIVE_FIELDS, RETURN_AREA_LABEL, RETURN_PERIOD_LABEL, normalise
from kpis.returns.reader import ReturnFile, describe
from kpis.returns.row_context import Context, Row
from kpis.returns.rules import FORMULA_EXPECTED, check_rows
from kpis.store.database import Store
from kpis.store.observations import current_figures_of_periods, recent_values_summary

# "Far from recent history": compare with the last HISTORY_POINTS values of the same KPI and breakdown.
HISTORY_POINTS = 4
MIN_HISTORY = 2          # fewer earlier values: no warning
MAX_CHANGE = 0.5         # more than a 50% rise or fall on the latest earlier value ...
SD_LIMIT = 3             # ... or (with 3+ earlier values) more than 3 standard deviations from their mean
MIN_GAP = 5.0            # ... and at least 5 (percentage points, or children) away, so small numbers do not nag


@dataclass
class CheckedReturn:
    """A return after every check: the problems, and the rows that would be stored."""
    name: str
    area_id: str
    period: Period | None               # the return's quarter, or None if it could not be told
    rows: pd.DataFrame                  # observation columns + sheet, row, breakdown_label
    narrative: dict | None
    problems: list[Problem]
    parsed: ReturnFile
    period_source: str = ""

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"file": self.name, "area": self.area_id, "period": getattr(self.period, "label", None),
                "valid": self.ok, "errors": total(self.errors), "warnings": total(self.warnings),
                "rows": len(self.rows), "read": describe(self.parsed),
                "problems": [p.to_dict() for p in self.problems]}


def check_parsed(parsed: ReturnFile, *, framework: Framework, area_id: str, store: Store | None = None,
                 today: date | None = None, period: Period | str | None = None) -> CheckedReturn:
    """Run every check on a return that has been read. `period` (a Period or label) fixes its quarter."""
    framework.area(area_id)  # raises KeyError for an unknown area
    ctx = Context(framework=framework, area_id=area_id, today=today or date.today())
    problems = list(parsed.problems)
    problems += settle_period(parsed, ctx, period)
    rows, row_problems = check_rows(parsed, ctx)
    problems += row_problems
    unread = {(p.sheet, p.row) for p in parsed.problems if p.row and p.is_error}
    for row in rows:
        if (row.sheet, row.row) in unread:
            row.failed = True   # e.g. a formula with no saved result: the row's figures are not known
    for rule in TABLE_RULES:
        problems += rule(rows, parsed, ctx)
    narrative, narrative_problems = check_narrative(parsed, ctx)
    problems += narrative_problems
    good = [r for r in rows if not r.failed and r.kpi and r.period and r.breakdown]
    observations = to_observations(good, framework)
    if store is not None and not observations.empty:
        problems += warn_far_from_history(observations, store, framework, ctx)
        problems += warn_blank_replaces_value(observations, store, framework, ctx)
    # the file as a whole first (its instructions sheet), then the data sheet row by row, then the narrative
    order = {INSTRUCTIONS_SHEET: 0, parsed.sheet: 1}
    problems.sort(key=lambda p: (order.get(p.sheet, 2), p.sheet, p.row or 0, p.severity != ERROR))
    problems = cap_problems(problems, sheet=parsed.sheet)   # every one counted, the first ones listed
    return CheckedReturn(parsed.name, area_id, ctx.period, observations, narrative, problems, parsed,
                         ctx.period_source)


# -- the return's quarter ------------------------------------------------------------------
def settle_period(parsed: ReturnFile, ctx: Context, given: Period | str | None) -> list[Problem]:
    """Given > the latest ended quarter in the rows > the quarter the template was made for."""
    declared = read_period(parsed.declared_period)[0] if parsed.declared_period is not None else None
    if given is not None:
        ctx.period, ctx.period_source = parse_period(given), "given"
        return []
    quarters = [p for p in (read_period(v)[0] for v in parsed.rows["period"].dropna().unique())
                if p is not None and p.type == "financial_quarter"] if not parsed.rows.empty else []
    if quarters:
        ended = [p for p in quarters if p.end < ctx.today] or quarters  # a mistyped future quarter is not it
        ctx.period, ctx.period_source = max(ended, key=lambda p: p.start), "rows"
        if declared and declared != ctx.period:
            # found: the quarter the rows are for; expected: the one the template was made for
            return [Problem(INSTRUCTIONS_SHEET, None, None, ctx.period.label, declared.label,
                            f"The template was made for {declared.label} but its rows are for {ctx.period.label}; "
                            f"it is read as the {ctx.period.label} return.", WARNING)]
        return []
    if declared:
        ctx.period, ctx.period_source = declared, "template"
    return []


# -- table rules: each takes (rows, parsed, ctx) -----------------------------------------
def rule_in_return_quarter(rows: list[Row], parsed: ReturnFile, ctx: Context) -> list[Problem]:
    """Quarterly KPIs report the return's quarter; annual KPIs a year that ended by then."""
    if ctx.period is None:
        return []
    out = []
    for row in rows:
        p, kpi = row.period, row.kpi
        if p is None or kpi is None or row.failed:
            continue
        if kpi.frequency == "quarterly" and p.type == "financial_quarter" and p != ctx.period:
            out.append(row.problem(ctx, "period", ctx.period.label,
                                   f"{p.label} is outside this return's quarter ({ctx.period.label}). Send "
                                   f"{p.label} figures in the {p.label} return (a corrected return replaces "
                                   "them and keeps the old values as history)."))
        elif kpi.frequency == "monthly" and p.type == "month" and not (
                ctx.period.start <= p.start and p.end <= ctx.period.end):
            out.append(row.problem(ctx, "period", f"a month of {ctx.period.label}",
                                   f"{p.label} is outside this return's quarter ({ctx.period.label}): a monthly KPI "
                                   "sends the three months of the return's quarter."))
        elif kpi.frequency == "annual" and p.end > ctx.period.end:
            out.append(row.problem(ctx, "period", f"a year ending by {long_date(ctx.period.end)}",
                                   f"{p.label} ends after this return's quarter ({ctx.period.label})."))
    return out


def rule_no_duplicates(rows: list[Row], parsed: ReturnFile, ctx: Context) -> list[Problem]:
    """Each KPI, breakdown and period appears once."""
    seen: dict[tuple, int] = {}
    out = []
    for row in rows:
        if row.kpi is None or row.period is None or row.breakdown is None:
            continue
        key = (row.kpi.id, row.breakdown.type, row.breakdown.value, row.period.label)
        if key in seen:
            out.append(Problem(row.sheet, row.row, None, f"{row.kpi.id}, {row.breakdown.label}, {row.period.label}",
                               "each KPI, breakdown and period once",
                               f"This row repeats row {seen[key]} (same KPI, breakdown and period). Keep one of "
                               "them."))
            row.failed = True
        else:
            seen[key] = row.row
    return out


def rule_file_is_this_sub_groups(rows: list[Row], parsed: ReturnFile, ctx: Context) -> list[Problem]:
    """A template records its sub-group: it must be the one the return is sent as."""
    declared = parsed.declared_area
    if not declared or normalise(declared) == normalise(ctx.area_id):
        return []
    known = {normalise(a.id): a for a in ctx.framework.areas}
    theirs = known.get(normalise(declared))
    name = theirs.label if theirs else quote(declared)
    return [Problem(INSTRUCTIONS_SHEET, None, RETURN_AREA_LABEL, quote(declared), ctx.area_id,
                    f"This file is the {name} return template, but it is being sent as the "
                    f"{ctx.framework.area(ctx.area_id).label} return. Choose the right sub-group, or use the "
                    f"{ctx.framework.area(ctx.area_id).label} template.")]


def rule_has_data(rows: list[Row], parsed: ReturnFile, ctx: Context) -> list[Problem]:
    """A return holds at least one data row, or a narrative (a sub-group with only annual KPIs sends words alone)."""
    if rows or parsed.problems:
        return []
    if has_narrative(parsed):
        if ctx.period is not None:
            return []
        return [Problem(INSTRUCTIONS_SHEET, None, RETURN_PERIOD_LABEL, "no quarter", "a quarter such as 2025/26 Q2",
                        "The narrative has no quarter: the file says neither which quarter it is for nor has rows "
                        "with a period. Use the template for the quarter, or say the quarter when you send it.")]
    return [Problem(parsed.sheet, None, None, "no figures and no narrative",
                    "at least one row with a KPI id and a value, or a filled-in Narrative sheet",
                    "The return has no figures and no narrative, so there is nothing to store. Fill in the values "
                    "on the Data sheet, or write the progress, risks and barriers, or service user feedback on the "
                    "Narrative sheet.")]


def has_narrative(parsed: ReturnFile) -> bool:
    """Whether any of the narrative's texts is filled in."""
    return any(read_text(parsed.narrative.get(key)) for key, _ in NARRATIVE_FIELDS)


def rule_period_known(rows: list[Row], parsed: ReturnFile, ctx: Context) -> list[Problem]:
    """Without a Period column the return's quarter must be known some other way."""
    if "period" in parsed.columns or ctx.period is not None or not rows:
        return []
    return [Problem(parsed.sheet, None, None, "no Period column", "a column headed 'Period'",
                    "There is no 'Period' column, so the quarter of these figures is unknown. Add a Period column "
                    f"(for example {example_quarter(None, ctx.today).label}).")]


def rule_has_figures(rows: list[Row], parsed: ReturnFile, ctx: Context) -> list[Problem]:
    """A return with rows but not one figure, marker or status is an empty template sent by mistake."""
    if not rows or any(r.failed or not r.blank for r in rows):
        return []
    return [Problem(parsed.sheet, None, parsed.columns.get("value"), "every value blank",
                    "at least one value, or a marker such as <5 or n/a",
                    "Every value in the return is blank, so there is nothing to store. Fill in the values (write "
                    "n/a where a figure is not available).")]


TABLE_RULES = [rule_period_known, rule_in_return_quarter, rule_no_duplicates, rule_file_is_this_sub_groups,
               rule_has_data, rule_has_figures]


# -- narrative ---------------------------------------------------------------------------
def check_narrative(parsed: ReturnFile, ctx: Context) -> tuple[dict | None, list[Problem]]:
    """The narrative sheet: progress, risks and barriers, service user feedback, and whether it may be published."""
    texts = {key: read_text(parsed.narrative.get(key)) for key, _ in NARRATIVE_FIELDS}
    if not any(texts.values()):
        return None, []
    problems = []
    for key, label in NARRATIVE_FIELDS:
        text = texts[key] or ""
        sheet, row, col = parsed.narrative_cells.get(key, ("Narrative", None, None))
        why = formula_risk(text)
        if why:
            problems.append(Problem(sheet, row, col, text[:40], FORMULA_EXPECTED,
                                    f"The {label.lower()} text could run as a formula in a spreadsheet: {why}. "
                                    "Start it with a word instead."))
        length = text_length(parsed.narrative.get(key)) or len(text)    # as written, before it was cut when read
        if length > NARRATIVE_MAX_CHARS:
            problems.append(Problem(sheet, row, col, f"{length:,} characters, starting '{text[:QUOTE_CHARS]}…'",
                                    f"at most {NARRATIVE_MAX_CHARS:,} characters",
                                    f"The {label.lower()} text is {length:,} characters; at most "
                                    f"{NARRATIVE_MAX_CHARS:,} are allowed. Shorten it."))
    raw = parsed.narrative.get("publishable")
    word = normalise(raw) if raw is not None else ""
    publishable = word in ("yes", "y", "true", "1")
    if word not in ("", "yes", "y", "true", "1", "no", "n", "false", "0"):
        sheet, row, col = parsed.narrative_cells.get("publishable", ("Narrative", None, None))
        problems.append(Problem(sheet, row, col, show(raw), "Yes or No",
                                f"'{show(raw)}' should be Yes or No: may this narrative be published?"))
    if ctx.period is None:
        return None, problems
    return {**{k: v or "" for k, v in texts.items()}, "publishable": publishable,
            "period_label": ctx.period.label}, problems


# -- rows ready to store -----------------------------------------------------------------


def to_observations(rows: list[Row], framework: Framework) -> pd.DataFrame:
    """Rows as the store takes them, with 95% confidence limits: Wilson for proportions, Byar's for counts."""
    records = [{
        "indicator_id": r.kpi.id, "area_code": framework.home_area, "breakdown_type": r.breakdown.type,
        "breakdown_value": r.breakdown.value, "period_label": r.period.label, "period_type": r.period.type,
        "period_start": r.period.start, "period_end": r.period.end,
        "value": r.value if r.status in VALUE_STATUSES else None,
        "numerator": r.numerator, "denominator": r.denominator, "lower_ci": None, "upper_ci": None,
        "status": r.status, "status_note": r.status_note, "commentary": r.commentary, "is_demo": False,
        "unit": r.kpi.unit, "sheet": r.sheet, "row": r.row, "breakdown_label": r.breakdown.label, "blank": r.blank,
    } for r in rows]
    columns = ["indicator_id", "area_code", "breakdown_type", "breakdown_value", "period_label", "period_type",
               "period_start", "period_end", "value", "numerator", "denominator", "lower_ci", "upper_ci", "status",
               "status_note", "commentary", "is_demo", "unit", "sheet", "row", "breakdown_label", "blank"]
    df = pd.DataFrame.from_records(records, columns=columns)
    if df.empty:
        return df.drop(columns=["unit"])
    for col in ("value", "numerator", "denominator", "lower_ci", "upper_ci"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    has_value = df["value"].notna()
    lo, hi, _ = intervals.fill_intervals(df.loc[has_value, "value"], df.loc[has_value, "numerator"],
                                     df.loc[has_value, "denominator"], df.loc[has_value, "lower_ci"],
                                     df.loc[has_value, "upper_ci"], df.loc[has_value, "unit"])
    df.loc[has_value, "lower_ci"], df.loc[has_value, "upper_ci"] = lo, hi
    return df.drop(columns=["unit"])


def warn_far_from_history(obs: pd.DataFrame, store: Store, framework: Framework, ctx: Context) -> list[Problem]:
    """'Check this' when a value is far from the same KPI and breakdown's recent values.

    Compared with the last 4 earlier values (at least 2 needed): a warning when the
    value is more than 5 away (percentage points, or units) and either changed by
    more than 50% on the latest earlier value, or lies more than 3 standard
    deviations from their mean (with 3 or more earlier values). Warnings never block.
    """
    incoming = obs[obs["value"].notna() & obs["status"].isin(VALUE_STATUSES)]
    if incoming.empty:
        return []
    earliest = min(incoming["period_start"])
    summary = recent_values_summary(store, framework.home_area, sorted(incoming["indicator_id"].unique()), earliest,
                                    HISTORY_POINTS)
    if summary.empty:
        return []
    key = ["indicator_id", "breakdown_type", "breakdown_value"]
    merged = incoming.merge(summary, on=key, how="inner")
    merged = merged[merged["n"] >= MIN_HISTORY]
    gap_last = (merged["value"] - merged["last"]).abs()
    gap_mean = (merged["value"] - merged["mean"]).abs()
    jump = (merged["last"].abs() > 0) & (gap_last > MAX_CHANGE * merged["last"].abs())
    outlier = (merged["n"] >= 3) & (merged["sd"] > 0) & (gap_mean > SD_LIMIT * merged["sd"])
    flagged = merged[(jump | outlier) & (gap_last >= MIN_GAP)]
    out = []
    for r in flagged.itertuples(index=False):
        kpi = framework.kpi(r.indicator_id)
        recent = ", ".join(kpi.format_value(v) for v in r.values)
        column = ctx.parsed.columns.get("value") if ctx.parsed else None
        out.append(Problem(r.sheet, int(r.row), column, kpi.format_value(r.value),
                           f"a value near recent ones ({recent})",
                           f"Check this: {kpi.format_value(r.value)} is far from {kpi.id}'s recent values for "
                           f"{breakdown_label(framework, r.breakdown_type, r.breakdown_value)} ({recent}, "
                           f"{r.first_label} to {r.last_label}). If it is right, you can still submit; a line in "
                           "the commentary helps the board.", WARNING))
    return out


def warn_blank_replaces_value(obs: pd.DataFrame, store: Store, framework: Framework, ctx: Context) -> list[Problem]:
    """'Check this' when a blank cell would replace a figure stored earlier (the old one is kept as history)."""
    blank = obs[obs["blank"]]
    if blank.empty:
        return []
    key = ["indicator_id", "breakdown_type", "breakdown_value", "period_label"]
    current = current_figures_of_periods(store, framework.home_area, sorted(blank["period_label"].unique()),
                                         sorted(blank["indicator_id"].unique()))
    hit = blank.merge(current, on=key, suffixes=("", "_old"))
    column = ctx.parsed.columns.get("value") if ctx.parsed else None
    return [Problem(r.sheet, int(r.row), column, "blank", f"the value (stored earlier: "
                    f"{framework.kpi(r.indicator_id).format_value(r.value_old)})",
                    f"This value is blank, so it will be stored as 'not available' in place of "
                    f"{framework.kpi(r.indicator_id).format_value(r.value_old)} sent earlier. If that figure still "
                    "stands, copy it in.", WARNING) for r in hit.itertuples(index=False)]
