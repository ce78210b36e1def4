"""Revising an earlier period is deliberate.

A return may correct figures already stored for a period before the latest quarter that has ended (a lead
typing last quarter in every row, or a correction sent on purpose). The board has read those figures, so
`submit` stores such a return only when the person sending it says, separately, that they mean to revise
them: `revised` lists each figure that would change (KPI, breakdown, period, old value, new value) and
`revision_statement` is the sentence they confirm. Without it nothing is stored.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from kpis.core.framework import Framework
from kpis.core.periods import Period, current_quarter, previous_quarter

REVISED_COLUMNS = ["indicator_id", "kpi_name", "breakdown_label", "period_label", "old", "new"]
REVISED_HEADINGS = {"indicator_id": "KPI", "kpi_name": "KPI name", "breakdown_label": "Breakdown",
                    "period_label": "Period", "old": "Old value (stored now)", "new": "New value (in this file)"}
NAMES_IN_STATEMENT = 6


class RevisionNotConfirmed(ValueError):
    """The return would change figures stored for an earlier period and that was not confirmed; nothing stored."""

    def __init__(self, revised: pd.DataFrame):
        self.revised = revised
        super().__init__(f"This return would change {len(revised)} {figures(len(revised))} already stored for "
                         f"{periods_text(revised)}. Nothing was stored. To revise them, confirm the revision "
                         "separately; otherwise correct the Period column to this return's quarter.")


def latest_ended_quarter(today: date | None = None) -> Period:
    """The latest quarter that has ended: figures for periods that ended before it starts are earlier ones."""
    return previous_quarter(current_quarter(today or date.today()))


def revised(framework: Framework, changed: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """The changed figures (a preview's `changed`, with `period_end`) of periods that ended before the latest
    ended quarter began, as a lead reads them."""
    if changed.empty:
        return pd.DataFrame(columns=REVISED_COLUMNS)
    start = pd.Timestamp(latest_ended_quarter(today).start)
    earlier = changed[pd.to_datetime(changed["period_end"]) < start]
    out = earlier.assign(kpi_name=[framework.kpi(k).short_title for k in earlier["indicator_id"]])
    return out[REVISED_COLUMNS].reset_index(drop=True)


def figures(n: int) -> str:
    return "figure" if n == 1 else "figures"


def periods_text(rev: pd.DataFrame) -> str:
    labels = sorted(dict.fromkeys(rev["period_label"]))
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def revision_statement(rev: pd.DataFrame) -> str:
    """The sentence a lead ticks to revise: how many figures, for which period, and of which KPIs."""
    names = list(dict.fromkeys(rev["kpi_name"]))
    shown = ", ".join(names[:NAMES_IN_STATEMENT]) + (f" and {len(names) - NAMES_IN_STATEMENT} more KPIs"
                                                     if len(names) > NAMES_IN_STATEMENT else "")
    return (f"I am revising these {len(rev)} {figures(len(rev))} for {periods_text(rev)}: {shown}. The old "
            "values are kept as history.")


def revision_lines(rev: pd.DataFrame) -> list[str]:
    """One line per figure that would change, for the command line."""
    return [f"{r.indicator_id} ({r.kpi_name}), {r.breakdown_label}, {r.period_label}: {r.old} -> {r.new}"
            for r in rev.itertuples(index=False)]
