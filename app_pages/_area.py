"""One page per outcome area, made from the framework so another partnership gets its own areas.

`area_pages()` returns the `st.Page`s for `dashboard.py`; each runs `render_area(area_id)`.
"""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from app_pages._auth import require_page
from app_pages._board import (
    board_scorecard,
    breakdown_block,
    comparison_picker,
    describe_view,
    meeting_selector,
    presentation_mode,
    trend_block,
    views_for,
)
from app_pages._common import data_version, framework, rebases_version, site_notice, store
from kpis.board.tables import area_summary, md_escape
from kpis.core.framework_governance import framing_text
from kpis.packs.words import assurance_sentence, england_sentence, variation_sentence
from kpis.store.narratives import SECTIONS, narrative_history

KPIS_PER_VIEW = 8  # an area with more KPIs shows them in batches


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
        against = comparison_picker(show=False)
    else:
        left, right = st.columns(2)
        with left:
            choice, as_at, previous = meeting_selector()
        with right:
            against = comparison_picker()
    st.caption(f"Reported by the {area.sub_group}. " + describe_view(choice, previous))
    if area.framing:   # the priority's upstream or downstream framing, as the framework file gives it
        kind, _, why = framing_text(area.framing, area.framing_note).partition(": ")
        st.markdown(f"**{md_escape(kind)}**: {md_escape(why)}" if why else f"**{md_escape(kind)}**")
    if not presenting:
        site_notice()
    verdicts, summary, history = area_view(str(store().path), data_version(), rebases_version(), area.id, as_at,
                                           previous)
    st.markdown(f"**In short:** {md_escape(summary)}")

    with st.container(border=True):
        if not history:
            st.header("Sub-group narrative")
            st.caption("The sub-group has not sent a narrative yet.")
        else:
            latest = history[0]
            demo = " (demo)" if latest["is_demo"] else ""
            st.header(f"Sub-group narrative, {latest['period_label']}{demo}")
            _narrative(latest)
            if len(history) > 1:
                with st.expander(f"Earlier narratives ({len(history) - 1})"):
                    for old in history[1:]:
                        st.markdown(f"### {md_escape(old['period_label'])}"
                                    + (" (demo)" if old["is_demo"] else ""))
                        _narrative(old)

    kpi_charts(area.id, verdicts, as_at=as_at, against=against, presenting=presenting)


@st.cache_resource(show_spinner=False, max_entries=32)
def area_view(db: str, version: int, rebases: str, area_id: str, as_at: datetime | None, previous: datetime | None
              ) -> tuple[dict[str, dict], str, list[dict]]:
    """An area's scorecard rows by KPI, its summary in words and its narratives (newest first, one dict each), once
    per data version, set of SPC rebases and meeting for every reader (narratives arrive in batches too, so the
    version covers them). Read only."""
    card = board_scorecard(as_at, previous)
    card = card[card["kpi_id"].isin([k.id for k in framework().kpis_in_area(area_id)])]
    verdicts = {r["kpi_id"]: r for r in card.to_dict("records")}
    return verdicts, area_summary(card), narrative_history(store(), area_id, as_at=as_at).to_dict("records")


@st.fragment
def kpi_charts(area_id: str, verdicts: dict, *, as_at, against: tuple[str, ...], presenting: bool) -> None:
    """Each KPI's verdicts and charts. A fragment: choosing another batch of KPIs runs only this part again."""
    kpis = shown_kpis(framework().kpis_in_area(area_id), area_id=area_id)
    views = views_for(kpis, as_at=as_at, against=against, presenting=presenting)
    for kpi in kpis:
        st.divider()
        st.header(f"{kpi.id} {kpi.short_title}")
        st.caption(kpi.title)
        row = verdicts[kpi.id]
        lines = [f"**Variation:** {md_escape(variation_sentence(row))}"]
        if kpi.target is not None:
            lines.append(f"**Assurance:** {md_escape(assurance_sentence(row))}")
        lines.append(f"**Compared with England:** {md_escape(row['comparison_symbol'])} "
                     f"{md_escape(england_sentence(row))}")
        st.markdown("\n".join(f"- {line}" for line in lines))
        left, right = st.columns(2) if not presenting else (st.container(), st.container())
        with left:
            trend_block(kpi, views[kpi.id], key=kpi.id)
        with right:
            if len(kpi.breakdowns) > 1:
                breakdown_block(kpi, views[kpi.id], key=kpi.id)
            else:
                st.caption("This KPI is not broken down by group.")
        st.page_link("app_pages/kpi.py", label=f"{kpi.id} in detail: definition, every number, revisions, download",
                     query_params={"kpi": kpi.id}, icon=":material/query_stats:")


def shown_kpis(kpis: list, *, area_id: str) -> list:
    """The KPIs this view draws: all of them, or a batch of `KPIS_PER_VIEW` with a choice of batch when an area
    has more (a national framework may; each KPI draws two charts, and a page of dozens reads badly and
    renders slowly)."""
    if len(kpis) <= KPIS_PER_VIEW:
        return kpis
    batches = [kpis[i:i + KPIS_PER_VIEW] for i in range(0, len(kpis), KPIS_PER_VIEW)]
    labels = [f"{b[0].id} to {b[-1].id}" for b in batches]
    st.divider()
    picked = st.segmented_control(f"This area has {len(kpis)} KPIs, shown {KPIS_PER_VIEW} at a time", labels,
                                  default=labels[0], key=f"batch-{area_id}", persist_state="session")
    batch = batches[labels.index(picked)] if picked in labels else batches[0]
    st.caption(f"Showing {len(batch)} of {len(kpis)} KPIs: {labels[batches.index(batch)]}.")
    return batch
