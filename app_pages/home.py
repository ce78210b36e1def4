"""Home: the framework's outcome areas, their KPIs, the latest figure of each, its variation and how it stands
against England, in the scorecard's words."""
import streamlit as st

from app_pages._area import area_pages, url_path
from app_pages._auth import require_page
from app_pages._common import framework, site_notice
from app_pages._home_view import overview
from kpis.core.exports import LICENCE

require_page("view_board")  # first, before anything is read: this page checks its own permission

fw = framework()
AREA_PAGES = {page.url_path: page for page in area_pages()}
st.title(fw.name)
AREA_COUNT = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
st.markdown(
    f"Key performance indicators for the partnership's {AREA_COUNT.get(len(fw.areas), len(fw.areas))} outcome "
    f"area{'s' if len(fw.areas) != 1 else ''}, reported to each board meeting and "
    f"twice a year to the {fw.reports_to or 'Health and Wellbeing Board'}. England comparisons use real published "
    f"statistics ({LICENCE}).")
site_notice()

with st.container(horizontal=True):
    st.page_link("app_pages/scorecard.py", label="Board scorecard", icon=":material/table_chart:")
    st.page_link("app_pages/changes.py", label="What changed since the last meeting", icon=":material/update:")

no_figures, areas = overview()   # worked out once per data version, for every reader
if no_figures:
    st.warning("There are no figures in the database yet. An administrator can load the demo with "
               "`python -m kpis init --demo`, or sub-group leads can submit their quarterly returns.",
               icon=":material/database:")

for area in fw.areas:
    summary, table = areas[area.id]
    with st.container(border=True):
        st.header(area.name)
        st.caption(f"Reported by the {area.sub_group}")
        st.markdown(summary)
        st.table(table, hide_index=False)   # the KPI first, as each row's heading
        st.page_link(AREA_PAGES[url_path(area.id)], label=f"Trends, breakdowns and narrative: {area.name}",
                     icon=":material/arrow_forward:")
