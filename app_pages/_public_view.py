"""The public view's tables and words, worked out once per data version (`published_view`) or set of meeting records
(`published_decisions`) for every reader.

They live here, not in the page, so that their caches are made once, when the module is first imported: a cached
function defined in a page's script is made again on every run of the page, and Streamlit reads its source each
time to name its cache.
"""
from __future__ import annotations

from datetime import date

import pyarrow as pa
import streamlit as st

from app_pages._board import board_scorecard
from app_pages._common import arrow_once, data_version, framework, rebases_version, store
from kpis.access.disclosure import public_table, public_view
from kpis.board.meetings import public_decisions_and_actions
from kpis.board.tables import public_verdicts
from kpis.store.database import now
from kpis.store.governance import meeting_records_version

# Per outcome area: its figures with the board's verdicts, its groups (both as shown, `arrow_once`; None: none
# published) and its latest narrative (None: none).
AreaView = tuple[pa.Table | None, pa.Table | None, dict | None]


@st.cache_resource(show_spinner=False, max_entries=4)
def _published(db: str, version: int, rebases: str) -> tuple[dict[str, AreaView], bool]:
    fw = framework()
    shown, any_figures, narratives = public_view(store(), fw)
    card = board_scorecard()  # the Overview's rows: the scorecard as it stands now
    tables = {}
    for area in fw.areas:
        totals, parts = shown[area.id]
        latest = totals.assign(first=totals["kpi_id"] + " " + totals["kpi"])
        table = groups = None
        if not latest.empty:
            table = public_table(latest, first="KPI")
            for column, cells in public_verdicts(card, latest).items():
                table[column] = list(cells)
            if not parts.empty:
                groups = public_table(parts.assign(first=parts["kpi_id"] + ": " + parts["breakdown"]),
                                      first="KPI and group")
        story = narratives[narratives["outcome_area"] == area.id] if not narratives.empty else narratives
        tables[area.id] = (None if table is None else arrow_once(table), None if groups is None else arrow_once(groups),
                           None if story.empty else story.iloc[0].to_dict())
    return tables, any_figures


def published_view() -> tuple[dict[str, AreaView], bool]:
    """`public_view` as the page's tables and words, by outcome area, and whether any figure is published, worked
    out again only when new figures or narratives arrive (each is written in a batch) or an SPC rebase is recorded:
    every reader shares them, read only. The verdicts are the board scorecard's rows: signal or noise, assurance,
    England in words."""
    return _published(str(store().path), data_version(), rebases_version())


@st.cache_resource(show_spinner=False, max_entries=4)
def _decisions(db: str, version: str, today: date) -> pa.Table:
    return arrow_once(public_decisions_and_actions(store(), today=today))


def published_decisions() -> pa.Table:
    """The board's published decisions and actions (as shown, `arrow_once`), worked out again only when a meeting
    record changes or the day does (an action falls overdue): every reader shares them, read only."""
    return _decisions(str(store().path), meeting_records_version(store()), now().date())
