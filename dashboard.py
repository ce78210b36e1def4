"""Entry point: page config, navigation and the shared sidebar. No logic lives here."""
import streamlit as st

from pages._area import area_pages
from pages._common import sidebar

st.set_page_config(page_title="Children's partnership KPIs", page_icon=":material/monitoring:", layout="wide")

PAGES = {
    "Board": [
        st.Page("pages/home.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/scorecard.py", title="Board scorecard", icon=":material/table_chart:", url_path="scorecard"),
        st.Page("pages/changes.py", title="What changed", icon=":material/update:", url_path="changes"),
        *area_pages(),
        st.Page("pages/kpi.py", title="KPI detail", icon=":material/query_stats:", url_path="kpi"),
        st.Page("pages/board_pack.py", title="Board pack", icon=":material/picture_as_pdf:", url_path="board-pack"),
    ],
    "Analysis": [
        st.Page("pages/explorer.py", title="Explorer", icon=":material/travel_explore:", url_path="explorer"),
        st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:", url_path="definitions"),
        st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:", url_path="data-quality"),
        st.Page("pages/sql.py", title="SQL console", icon=":material/terminal:", url_path="sql"),
    ],
}

navigation = st.navigation(PAGES)
sidebar()
navigation.run()
