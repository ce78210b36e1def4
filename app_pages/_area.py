"""One page per outcome area, made from the framework so another partnership gets its own areas.

`area_pages()` returns the `st.Page`s for `dashboard.py`; each runs `render_area(area_id)`.
"""
from __future__ import annotations

import streamlit as st

from kpis.board.tables import md_escape
from kpis.board.detail import page_series
from kpis.core.framework_governance import framing_text
from kpis.store.narratives import SECTIONS, narrative_history
from app_pages._board import (breakdown_block, comparator_picker, describe_view, meeting_selector, presentation_mode,
                          trend_block)
from app_pages._auth import require_page
from app_pages._common import site_notice, framework, store

def url_path(area_id: str) -> str:
    return area_id.replace("_", "-")


def area_pages() -> list[st.Page]:
    """One page per outcome area of the loaded framework."""
    pages = []
    for area in framework().areas:
        def run(area_id: str = area.id) -> None:
            render_area(area_id)
        run.__name__ = f"area_{area.id}"
        pages.append(st.Page(run, title=area.name,
                             icon=area.icon, url_path=url_path(area.id)))
    return pages


def _narrative(row: dict) -> None:
    for column, heading in SECTIONS.items():
        text = row.get(column)
        st.markdown(f"**{heading}**")
        st.markdown(md_escape(text) if text else "_Not provided._")


def render_area(area_id: str) -> None:
    require_page("view_board")  # first, before anything is read: this page checks its own permission
    fw = framework()
    area = fw.area(area_id)
    head, toggle = st.columns([3, 1], vertical_alignment="center")
    with toggle:
        presenting = presentation_mode()
    with head:
        st.title(area.name)
    if presenting:
        choice, as_at, previous = meeting_selector(show=False)
        comparators = comparator_picker(show=False)
    else:
        left, right = st.columns(2)
        with left:
            choice, as_at, previous = meeting_selector()
        with right:
            comparators = comparator_picker()
    st.caption(f"Reported by the {area.sub_group}. " + describe_view(choice, previous))
    if area.framing:   # the priority's upstream or downstream framing, as the framework file gives it
        kind, _, why = framing_text(area.framing, area.framing_note).partition(": ")
        st.markdown(f"**{md_escape(kind)}**: {md_escape(why)}" if why else f"**{md_escape(kind)}**")
    if not presenting:
        site_notice()

    history = narrative_history(store(), area.id, as_at=as_at)
    with st.container(border=True):
        if history.empty:
            st.header("Sub-group narrative")
            st.caption("The sub-group has not sent a narrative yet.")
        else:
            latest = history.iloc[0].to_dict()
            demo = " (demo)" if latest["is_demo"] else ""
            st.header(f"Sub-group narrative, {latest['period_label']}{demo}")
            _narrative(latest)
            if len(history) > 1:
                with st.expander(f"Earlier narratives ({len(history) - 1})"):
                    for _, old in history.iloc[1:].iterrows():
                        st.markdown(f"### {md_escape(old['period_label'])}"
                                    + (" (demo)" if old["is_demo"] else ""))
                        _narrative(old.to_dict())

    kpis = fw.kpis_in_area(area.id)
    series = page_series(store(), fw, kpis, comparators=comparators, as_at=as_at)  # one query for the whole page
    for kpi in kpis:
        st.divider()
        st.header(f"{kpi.id} {kpi.short_title}")
        st.caption(kpi.title)
        left, right = st.columns(2) if not presenting else (st.container(), st.container())
        with left:
            trend_block(kpi, as_at=as_at, comparators=comparators, presenting=presenting, key=kpi.id,
                        series=series)
        with right:
            if len(kpi.breakdowns) > 1:
                breakdown_block(kpi, as_at=as_at, presenting=presenting, key=kpi.id, series=series)
            else:
                st.caption("This KPI is not broken down by group.")
        st.page_link("app_pages/kpi.py", label=f"{kpi.id} in detail: definition, every number, revisions, download",
                     query_params={"kpi": kpi.id}, icon=":material/query_stats:")
