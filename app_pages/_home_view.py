"""The Overview's words and tables, one pair per outcome area, worked out once per data version and set of SPC
rebases for every reader (`overview`), not on every visit: the Overview is where every signed-in reader lands."""
from __future__ import annotations

import pyarrow as pa
import streamlit as st

from app_pages._board import board_scorecard
from app_pages._common import arrow_once, data_version, framework, rebases_version, store
from kpis.board.tables import area_summary, md_escape
from kpis.packs.words import england_cell, variation_cell


@st.cache_resource(show_spinner=False, max_entries=4)
def _overview(db: str, version: int, rebases: str) -> tuple[bool, dict[str, tuple[str, pa.Table]]]:
    card = board_scorecard()   # the board scorecard as it stands now (the scorecard page's rows)
    areas = {}
    for area in framework().areas:
        rows = card[card["area"] == area.id]
        records = rows.to_dict("records")
        table = rows.assign(
            KPI=rows["kpi_id"] + " " + rows["title"].map(md_escape),
            **{"Latest period": rows["latest_period"].fillna("–").map(md_escape),
               "Latest value": rows["value_text"].map(md_escape) + rows["is_demo"].map({True: " (demo)", False: ""}),
               "Variation": [md_escape(variation_cell(r)) for r in records],
               "Compared with England": [md_escape(england_cell(r)) for r in records]},
        )[["KPI", "Latest period", "Latest value", "Variation", "Compared with England"]]
        areas[area.id] = (md_escape(area_summary(rows)), arrow_once(table.set_index("KPI")))
    return bool(card["latest_period"].isna().all()), areas


def overview() -> tuple[bool, dict[str, tuple[str, pa.Table]]]:
    """Whether there are no figures at all, and by outcome area its summary in words (escaped) and its table of KPIs
    (`arrow_once`, the KPI first as each row's heading), from the scorecard as it stands now. Read only."""
    return _overview(str(store().path), data_version(), rebases_version())
