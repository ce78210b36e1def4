"""The sub-groups' narratives: progress, risks and barriers, service user feedback, per period.

Narratives are versioned like observations: a corrected narrative closes the old one, so
what the board read at a meeting can be shown again.
"""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from kpis.core.periods import PeriodError, parse_period
from kpis.core.text import NARRATIVE_MAX_CHARS
from kpis.store.database import Store
from kpis.store.shortening import shortened_from

SECTIONS = {"progress": "Progress", "risks_barriers": "Risks and barriers",
            "service_user_feedback": "Service user feedback"}


def narratives_sql(relation: str = "narratives") -> str:
    """`relation` (narratives or current_narratives) for a FROM, each part as pages and packs read it: one stored
    before there was a limit comes out shortened."""
    return shortened_from(relation, tuple(SECTIONS), NARRATIVE_MAX_CHARS)


def publishable_narratives(store: Store) -> pd.DataFrame:
    """Current narratives the sub-group marked publishable, with the end of the latest period of their batch's
    figures (`period_end`) and when each was recorded (`valid_from`), in no order."""
    return store.df(f"""
        SELECT n.outcome_area, n.period_label, n.progress, n.risks_barriers, n.service_user_feedback, n.is_demo,
               (SELECT max(o.period_end) FROM observations o WHERE o.batch_id = n.batch_id) AS period_end,
               n.valid_from
        FROM {narratives_sql("current_narratives")} n WHERE n.publishable""")


def _as_at_sql(as_at: datetime | None) -> tuple[str, list]:
    if as_at is None:
        return "n.valid_to IS NULL", []
    return "n.valid_from <= ? AND (n.valid_to IS NULL OR n.valid_to > ?)", [as_at, as_at]


def narrative_history(store: Store, area_id: str, *, as_at: datetime | None = None) -> pd.DataFrame:
    """Every narrative of one sub-group current at `as_at` (None: now), newest period first."""
    cond, params = _as_at_sql(as_at)
    df = store.df(f"""
        SELECT n.outcome_area, n.period_label, n.progress, n.risks_barriers, n.service_user_feedback,
               n.publishable, n.is_demo, n.valid_from AS recorded_at, b.submitted_by,
               (SELECT max(o.period_end) FROM observations o WHERE o.batch_id = n.batch_id) AS period_end
        FROM {narratives_sql()} n LEFT JOIN batches b ON b.batch_id = n.batch_id
        WHERE n.outcome_area = ? AND {cond}""", [area_id, *params])
    if df.empty:
        return df
    # Order by the period the narrative covers (its figures' end, else its quarter's: a narrative sent alone has no
    # figures); the time it was recorded breaks ties or fills gaps.
    df["period_end"] = pd.to_datetime(df["period_end"]).fillna(pd.to_datetime(df["period_label"].map(_quarter_end)))
    df["sort_key"] = df["period_end"].fillna(pd.to_datetime(df["recorded_at"]))
    return df.sort_values(["sort_key", "recorded_at"], ascending=False).drop(columns="sort_key").reset_index(drop=True)


def _quarter_end(label: str):
    try:
        return parse_period(label).end
    except (PeriodError, TypeError, ValueError):
        return None


def latest_narrative(store: Store, area_id: str, as_at: datetime | None = None) -> dict | None:
    """The sub-group's newest narrative as known at `as_at`, or None if it has sent none."""
    history = narrative_history(store, area_id, as_at=as_at)
    return None if history.empty else history.iloc[0].to_dict()


def write_narrative(cur: duckdb.DuckDBPyConnection, *, batch_id: int, at: datetime, outcome_area: str,
                    period_label: str, progress: str, risks_barriers: str, service_user_feedback: str,
                    publishable: bool = False, is_demo: bool = False) -> bool:
    """Store a sub-group narrative; an identical resubmission stores nothing. Returns True if stored."""
    old = cur.execute("SELECT progress, risks_barriers, service_user_feedback, publishable FROM narratives "
                      "WHERE outcome_area=? AND period_label=? AND valid_to IS NULL",
                      [outcome_area, period_label]).fetchone()
    new = (progress, risks_barriers, service_user_feedback, publishable)
    if old == new:
        return False
    if old:
        cur.execute("UPDATE narratives SET valid_to=? WHERE outcome_area=? AND period_label=? AND valid_to IS NULL",
                    [at, outcome_area, period_label])
    cur.execute("INSERT INTO narratives VALUES (?,?,?,?,?,?,?,?,?,NULL)",
                [outcome_area, period_label, *new, is_demo, batch_id, at])
    return True
