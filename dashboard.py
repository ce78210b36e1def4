"""Entry point: page config, navigation and the shared sidebar. No logic lives here."""
import streamlit as st

from pages._common import sidebar

st.set_page_config(page_title="Children's partnership KPIs", page_icon=":material/monitoring:", layout="wide")

PAGES = {
    "Board": [
        st.Page("pages/home.py", title="Overview", icon=":material/home:", default=True),
    ],
}

navigation = st.navigation(PAGES)
sidebar()
navigation.run()
