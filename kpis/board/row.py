"""One line of the board scorecard (`kpis.board.scorecard.scorecard_rows`): a KPI's latest value, change since
the last meeting, England comparison, recent trend, target and variation, each with the words the board reads.

The tables, the packs and the pages take the rows as a DataFrame (`rows_frame`): one column per field, named as
the field, in this order.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import pandas as pd

from kpis.board.variation import Verdict


@dataclass(frozen=True)
class ScorecardRow:
    """A KPI's row of the scorecard, as known at a moment in time. None: no figure (or nothing to say) yet."""
    # the KPI and where it sits in the framework
    kpi_id: str
    area: str
    area_name: str
    outcome: str
    outcome_name: str
    area_order: int             # the framework's order of areas and outcomes (99: not in the framework's list)
    outcome_order: int
    title: str                  # the KPI's short title
    full_title: str
    unit: str
    polarity: str
    # the latest value
    latest_period: str | None
    period_end: date | None
    value: float | None
    value_text: str             # "23.5%", or "No data yet"
    lower_ci: float | None
    upper_ci: float | None
    is_demo: bool
    source: str
    # the change since the last meeting (`kpis.board.movement.describe_change`)
    previous_period: str | None
    previous_value: float | None
    previous_text: str          # "21.0% (2025/26 Q1)", or "–"
    change_symbol: str          # ▲ ▼ ▶ –
    change_text: str
    change_short: str
    change_direction: str       # up | down | steady | none
    change_significant: bool | None
    change_assessment: str | None
    # England, and the relation's words (`kpis.published.relation`): the sentence, one clause, the table's cell
    england_period: str | None
    england_value: float | None
    england_value_text: str | None
    england_text: str | None
    comparison: str             # better | similar | worse | higher | lower | not compared
    comparison_symbol: str
    comparison_text: str | None
    comparison_short: str | None
    comparison_tone: str | None
    relation_basis: str | None
    england_relation: str | None
    # the recent trend
    trend: str
    trend_words: str
    trend_direction: str
    trend_assessment: str | None
    sparkline: list[float]      # the last few values, oldest first
    # the target
    target: float | None
    target_status: str          # Met | Not met | No target | No data
    target_text: str
    # variation and assurance (`kpis.board.variation`), in words, and the whole verdict with its chart
    variation_icon: str | None
    variation_shape: str
    variation_short: str
    variation_text: str
    variation_points: int
    variation_trial: bool
    assurance_icon: str | None
    assurance_shape: str
    assurance_short: str
    assurance_text: str
    variation: Verdict

    def record(self) -> dict:
        """The row's fields by name, values as they are (the verdict stays a `Verdict`, not a dict)."""
        return {name: getattr(self, name) for name in COLUMNS}


COLUMNS = [f.name for f in fields(ScorecardRow)]


def rows_frame(rows: list[ScorecardRow]) -> pd.DataFrame:
    """The rows as a table: one column per field, in the fields' order."""
    return pd.DataFrame([row.record() for row in rows], columns=COLUMNS)
