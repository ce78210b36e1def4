"""Entry point: page config, navigation for who is signed in, and the shared sidebar. No logic lives here."""
import streamlit as st

from pages._auth import account_box, current_actor, open_demo_mode
from pages._common import sidebar
from pages._nav import page_groups

# An emoji icon: Streamlit draws it as a data: URL. A ":material/...:" icon would make every browser fetch the
# favicon from fonts.gstatic.com, and all traffic is meant to stay on this server (tests/tooling/test_load.py checks).
st.set_page_config(page_title="Children's partnership KPIs", page_icon="📊", layout="wide")

OPEN_MODE_BANNER = ("**No accounts set up: anyone can see every page.** An administrator should add users with "
                    "`python -m kpis user add`; from then on everyone signs in.")

open_mode = open_demo_mode()
actor = None if open_mode else current_actor()
groups = page_groups(actor, open_mode=open_mode)
groups["About"] = [st.Page("pages/accessibility.py", title="Accessibility statement",  # public, for everyone
                           icon=":material/accessibility:", url_path="accessibility")]
navigation = st.navigation(groups)
sidebar()
account_box(actor)
if open_mode:  # in the sidebar, so it is on every page but never on a board page shown on a projector
    st.sidebar.warning(OPEN_MODE_BANNER, icon=":material/lock_open:")
navigation.run()
