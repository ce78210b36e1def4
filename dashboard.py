"""Entry point: page config, navigation for who is signed in, and the shared sidebar. No logic lives here."""
import streamlit as st

from pages._auth import account_box, current_actor, open_demo_mode
from pages._common import sidebar
from pages._nav import SIDEBAR_WIDTH_PX, page_groups

# An emoji icon: Streamlit draws it as a data: URL. A ":material/...:" icon would make every browser fetch the
# favicon from fonts.gstatic.com, and all traffic is meant to stay on this server (tests/tooling/test_load.py checks).
# The sidebar starts wide enough for the longest page name ("Emotional wellbeing and mental health") in full.
st.set_page_config(page_title="Children's partnership KPIs", page_icon="📊", layout="wide",
                   initial_sidebar_state=SIDEBAR_WIDTH_PX)

open_mode = open_demo_mode()
actor = None if open_mode else current_actor()
groups = page_groups(actor, open_mode=open_mode)
# Every page listed, none folded behind "View N more": a role has at most 18 pages.
navigation = st.navigation(groups, expanded=True)
sidebar()
account_box(actor)
navigation.run()
