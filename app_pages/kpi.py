"""KPI detail, linkable as `?kpi=SG02`: definition, trend, every number, revisions, download."""
import streamlit as st

from app_pages._auth import page_may, require_page
from app_pages._board import (
    breakdown_block,
    comparison_picker,
    describe_view,
    kpi_detail,
    kpi_figures,
    meeting_selector,
    presentation_mode,
    trend_block,
    url_select,
    views_for,
)
from app_pages._common import framework, reading_table, site_notice
from kpis.board.tables import md_escape
from kpis.core import exports
from kpis.core.dates import month_year

actor = require_page("view_board")  # first, before anything is read: this page checks its own permission

fw = framework()
ids = fw.kpi_ids
asked = st.query_params.get("kpi")
if asked and asked not in ids:
    st.warning(f"There is no KPI '{md_escape(asked)}' in this framework; showing {ids[0]} instead.",
               icon=":material/help:")

head, toggle = st.columns([3, 1], vertical_alignment="center")
with toggle:
    presenting = presentation_mode()
if presenting:
    kpi_id = url_select("KPI", ids, key="kpi", format_func=None, show=False, clean_default=False)
    choice, as_at, previous = meeting_selector(show=False)
    against = comparison_picker(show=False)
else:
    kpi_id = url_select("KPI", ids, key="kpi", format_func=lambda k: f"{k} {fw.kpi(k).short_title}",
                        clean_default=False)
    left, right = st.columns(2)
    with left:
        choice, as_at, previous = meeting_selector()
    with right:
        against = comparison_picker()
kpi = fw.kpi(kpi_id)
with head:
    st.title(f"{kpi.id} {kpi.short_title}")
st.markdown(f"**{md_escape(kpi.title)}**. {md_escape(fw.area(kpi.area).name)}; reported by the "
            f"{md_escape(fw.area(kpi.area).sub_group)}.")
st.caption(describe_view(choice, previous))

detail = kpi_detail(kpi, as_at, previous)   # worked out once per data version, meeting and set of rebases
site_notice()
st.table(detail.summary, hide_index=False,
         alt=f"Summary of {kpi.id}: latest value, change since the last meeting, England comparison, trend, target.")

st.header("Trend")
views = views_for([kpi], as_at=as_at, against=against, presenting=presenting, height=460)[kpi.id]
trend_block(kpi, views, key=kpi.id)

st.header("Signal or noise")
signal = detail.row.variation      # worked out with the scorecard row above, on the same series
st.markdown(f"**{signal.shape} {md_escape(signal.short)}.** {md_escape(signal.words)}.  \n"
            f"**Target: {signal.assurance_shape} {md_escape(signal.assurance_short)}.** "
            f"{md_escape(signal.assurance_words)}.")
if detail.spc_figure is not None:
    st.plotly_chart(detail.spc_figure, key=f"spc-{kpi.id}", config={"displaylogo": False}, theme=None)
    for r in signal.rebases:
        where = "declared in the KPI framework" if r.source == "framework" else "recorded by an administrator"
        st.markdown(f"**The limits restart at {month_year(r.date)}:** {md_escape(r.reason)} ({where}).")
    st.caption("A statistical process control chart, as NHS England's Making Data Count sets out: a single "
               "quarter's movement is mostly noise; a point outside the process limits, a run of 7 on one side of "
               "the mean, 7 rising or falling, or 2 of 3 near a limit is a signal that something has changed.")
    with st.expander("The numbers in this chart"):
        reading_table(detail.spc_table, cells=True,
                      alt=f"Each point of {kpi.id}'s SPC chart: value, mean, process limits and what the rules found")

if len(kpi.breakdowns) > 1:
    st.header("Groups at risk of health inequalities")
    breakdown_block(kpi, views, key=kpi.id)

st.header("Definition, method and source")
st.table(detail.definition, hide_index=False)

st.header("Revision history")
history, data = kpi_figures(kpi, as_at=as_at)
if history.num_rows == 0:
    st.caption("No figure for this KPI has been revised: every value is its first version.")
else:
    st.caption("Each row is one version of a figure that was later corrected; the newest version is current.")
    reading_table(history, cells=True, alt=f"Every version of each corrected figure of {kpi.id}, newest last")

st.header("Download")
if page_may(actor, "download"):
    # Read once per data version (`kpi_figures`, above); written on click, not on every visit.
    st.download_button(f"Download every {kpi.id} figure (CSV, {len(data):,} rows)",
                       lambda: exports.to_csv_bytes(data), file_name=f"{kpi.id}-figures.csv", mime=exports.CSV_MIME,
                       icon=":material/download:", key="download")
    st.caption("The file holds every current figure for this KPI: local and comparator areas, every group and "
               "period, with confidence limits, status, source and when each value was recorded.")
else:
    st.caption("Downloads of the data are for analysts and administrators. Every figure on this page is in the "
               "tables above.")
