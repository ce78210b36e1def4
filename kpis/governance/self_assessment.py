"""The annual self-assessment: each year the partnership rates each of its statements Red, Amber or Green.

The statements are the framework file's `[[self_assessment.statements]]`; the year is financial (the default)
or academic, as `[self_assessment] year` says. A rating carries its evidence (KPI ids, action ids, narrative
references, as text) and the improvement actions agreed. Every change is stored as a new version with who
recorded it and when, and audited; earlier ratings and earlier years stay readable.

`year_assessment(store, framework, year)` is what the annual report calls: an object with `.rows`, one per
statement with a rating recorded for that year (statement, rating, evidence, actions), or no rows when the
year has none.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from kpis.access.permissions import Actor, PermissionDenied
from kpis.core.framework import Framework
from kpis.core.framework_governance import Statement
from kpis.core.kpi import KPI_ID
from kpis.core.periods import PeriodError, academic_year, financial_year, parse_period
from kpis.store.audit import audit
from kpis.store.database import Store, now
from kpis.store.self_assessment import read_ratings, write_rating, years_recorded

RATINGS = ("Red", "Amber", "Green")
# Never colour alone: each rating is said in words, with a shape for a glance.
RATING_WORDS = {"Red": "■ Red: not met", "Amber": "◆ Amber: partly met", "Green": "● Green: met"}
EDITOR_ROLES = ("admin", "analyst")     # administrators, and the analysts who serve as the board's secretariat
MAX_ITEM_CHARS, MAX_ITEMS = 500, 50


class AssessmentError(ValueError):
    """A rating that cannot be stored, said in plain words; nothing was stored."""


@dataclass
class AssessmentRow:
    statement: Statement
    rating: str | None
    evidence: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    version: int | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    @property
    def rating_words(self) -> str:
        return RATING_WORDS.get(self.rating or "", "Not rated")


@dataclass
class YearAssessment:
    year: str
    rows: list[AssessmentRow]


def year_label(framework: Framework, year: object) -> str:
    """The year as the framework counts it: '2025/26' (financial) or 'AY 2025/26' (academic), from a label or
    from the year it starts in (2025)."""
    academic = framework.self_assessment.year_type == "academic"
    if isinstance(year, int) or (isinstance(year, str) and re.fullmatch(r"\d{4}", year.strip())):
        start = int(year)
    else:
        try:
            p = parse_period(str(year).replace("AY ", ""))
        except PeriodError:
            raise AssessmentError(f"'{year}' is not a year: write it as 2025/26.") from None
        if p.type not in ("financial_year", "academic_year"):
            raise AssessmentError(f"'{year}' is not a year: write it as 2025/26.")
        start = p.start.year
    return (academic_year(start) if academic else financial_year(start)).label


def current_year(framework: Framework, today: date | None = None) -> str:
    """The year (as the framework counts it) that `today` falls in."""
    today = today or date.today()
    if framework.self_assessment.year_type == "academic":
        return year_label(framework, today.year if today.month >= 9 else today.year - 1)
    return year_label(framework, today.year if today.month >= 4 else today.year - 1)


def may_edit(actor: Actor | str | None) -> bool:
    """Administrators and analysts record ratings; a string is a trusted caller (the command line, the demo)."""
    return isinstance(actor, str) or (actor is not None and actor.role in EDITOR_ROLES)


def _items(values: list[str] | None, what: str, framework: Framework) -> list[str]:
    items = [" ".join(str(v).split()) for v in (values or []) if str(v).strip()]
    if len(items) > MAX_ITEMS:
        raise AssessmentError(f"At most {MAX_ITEMS} {what} items; there are {len(items)}.")
    for item in items:
        if len(item) > MAX_ITEM_CHARS:
            raise AssessmentError(f"The {what} item starting '{item[:40]}…' is {len(item):,} characters; at most "
                                  f"{MAX_ITEM_CHARS} are allowed.")
        if item[:1] in "=+-@":
            raise AssessmentError(f"The {what} item '{item[:40]}' could run as a formula in a spreadsheet; start it "
                                  "with a word.")
    if what == "evidence":
        unknown = [i for i in items if KPI_ID.match(i) and i not in framework.kpi_ids]
        if unknown:
            raise AssessmentError(f"{', '.join(unknown)} {'is not a KPI' if len(unknown) == 1 else 'are not KPIs'} "
                                  f"of this framework. KPIs: {', '.join(framework.kpi_ids)}.")
    return items


def record(store: Store, framework: Framework, *, year: object, statement_id: str, rating: str | None,
           evidence: list[str] | None = None, actions: list[str] | None = None,
           actor: Actor | str | None) -> int | None:
    """Store a statement's rating for a year, audited; the earlier rating is kept as history. Returns the version
    stored, or None when it is the same as the current one (nothing stored). Raises AssessmentError or
    PermissionDenied."""
    if not may_edit(actor):
        raise PermissionDenied("Only administrators and analysts may record the self-assessment. Nothing was "
                               "stored.")
    by = actor if isinstance(actor, str) else actor.email
    label = year_label(framework, year)
    statements = {s.id: s for s in framework.self_assessment.statements}
    if statement_id not in statements:
        known = ", ".join(statements) or "none: the framework file declares no [[self_assessment.statements]]"
        raise AssessmentError(f"'{statement_id}' is not a statement of this framework's self-assessment. "
                              f"Statements: {known}.")
    if rating is not None and rating.title() not in RATINGS:
        raise AssessmentError(f"'{rating}' is not a rating: use Red, Amber or Green (or none, not yet rated).")
    rating = rating.title() if rating else None
    evidence, actions = _items(evidence, "evidence", framework), _items(actions, "actions", framework)
    at = now()
    with store.transaction() as cur:
        version = write_rating(cur, year_label=label, statement_id=statement_id, rating=rating, evidence=evidence,
                               actions=actions, by=by, at=at)
        if version is not None:
            audit(cur, actor=by, action="self_assessment", at=at,
                  detail={"year": label, "statement": statement_id, "version": version, "rating": rating,
                          "evidence": len(evidence), "actions": len(actions)})
    return version


def year_assessment(store: Store, framework: Framework, year: object) -> YearAssessment:
    """The year's current ratings, one row per statement rated (in the framework's order); no rows when none."""
    label = year_label(framework, year)
    df = read_ratings(store, label)
    if df.empty:
        return YearAssessment(label, [])
    by_id = {r.statement_id: r for r in df.itertuples(index=False)}
    rows = [AssessmentRow(s, r.rating if isinstance(r.rating, str) else None, list(r.evidence), list(r.actions),
                          int(r.version), r.recorded_by, r.recorded_at)
            for s in framework.self_assessment.statements if (r := by_id.get(s.id)) is not None]
    return YearAssessment(label, rows)


def history(store: Store, framework: Framework, year: object) -> pd.DataFrame:
    """Every version of every rating of a year, oldest first, for reading (statement text, rating in words)."""
    df = read_ratings(store, year_label(framework, year), current_only=False)
    texts = {s.id: s.text for s in framework.self_assessment.statements}
    return pd.DataFrame({
        "Statement": [texts.get(i, i) for i in df["statement_id"]], "Version": df["version"],
        "Rating": [RATING_WORDS.get(r, "Not rated") if isinstance(r, str) else "Not rated" for r in df["rating"]],
        "Evidence": ["; ".join(e) for e in df["evidence"]], "Actions": ["; ".join(a) for a in df["actions"]],
        "Recorded by": df["recorded_by"], "Recorded at (UTC)": df["recorded_at"],
        "Current": df["valid_to"].isna()})


def years(store: Store) -> list[str]:
    """Every year with a rating recorded, newest first."""
    return years_recorded(store)
