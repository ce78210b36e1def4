"""What the row rules (`kpis.returns.rules`) work on: one data row as understood so far (`Row`), and the check's
context (`Context`): the framework, the sub-group, today, and the return's quarter once known."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.periods import Period
from kpis.core.problems import ERROR, Problem
from kpis.returns.cells import BLANK, Number, show
from kpis.returns.layout import BreakdownOption, breakdown_lookup
from kpis.returns.reader import ReturnFile


@dataclass
class Context:
    framework: Framework
    area_id: str
    today: date
    period: Period | None = None            # the return's quarter, once known
    period_source: str = ""                 # "given" | "rows" | "template"
    parsed: ReturnFile | None = None
    lookups: dict = field(default_factory=dict)
    breakdowns: dict = field(default_factory=dict)     # (kpi id, text) -> BreakdownOption | None
    kpis: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kpis = {k.id: k for k in self.framework.kpis}

    def kpi_lookup(self, kpi: Kpi) -> dict[str, BreakdownOption]:
        # the table depends only on which breakdowns the KPI has, so KPIs that share them share it
        if kpi.breakdowns not in self.lookups:
            self.lookups[kpi.breakdowns] = breakdown_lookup(self.framework, kpi)
        return self.lookups[kpi.breakdowns]


@dataclass
class Row:
    """One data row and what the rules have understood of it so far."""
    sheet: str
    row: int
    raw: dict
    kpi: Kpi | None = None
    period: Period | None = None
    breakdown: BreakdownOption | None = None
    v: Number = BLANK
    n: Number = BLANK
    d: Number = BLANK
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    status: str | None = None
    status_note: str | None = None
    commentary: str | None = None
    blank: bool = False                     # no figure, marker or status at all: stored as not available
    failed: bool = False

    def problem(self, ctx: Context, key: str, expected: str, message: str, severity: str = ERROR,
                found: str | None = None) -> Problem:
        """A problem in this row's `key` cell; `found` is the cell's content (quoted short) unless given."""
        if severity == ERROR:
            self.failed = True
        column = ctx.parsed.columns.get(key) if ctx.parsed else None
        return Problem(self.sheet, self.row, column, show(self.raw.get(key)) if found is None else found, expected,
                       message, severity)
