"""Entry point: page config, navigation for who is signed in, and the shared sidebar. No logic lives here."""
from contextlib import ExitStack

import streamlit as st

from app_pages._auth import (
    account_box,
    current_actor,
    open_demo_mode,
    remember_visitor,
    remembered_visitor,
    session_timer,
)
from app_pages._common import busy_page, busy_sidebar, one_run, page_title, sidebar, store
from app_pages._nav import SIDEBAR_WIDTH_PX, page_groups
from kpis.store.database import StoreBusy

# An emoji icon: Streamlit draws it as a data: URL. A ":material/...:" icon would make every browser fetch the
# favicon from fonts.gstatic.com, and all traffic is meant to stay on this server (tests/tooling/test_load.py checks).
# The sidebar starts wide enough for the longest page name ("Emotional wellbeing and mental health") in full.
st.set_page_config(page_title="Children's partnership KPIs", page_icon="📊", layout="wide",
                   initial_sidebar_state=SIDEBAR_WIDTH_PX)

# The database is held for this run only and let go at its end, whatever happens, so command-line tools
# (an import, a backup) can use it between runs. If another program holds it for longer than the app waits,
# the page says so and the navigation stays the one this visitor had (st.navigation runs on every run).
held = ExitStack()
held.enter_context(one_run())  # answers read once for the whole run (are there accounts? who is this?)
try:
    busy = False
    try:
        held.enter_context(store().session())
        open_mode = open_demo_mode()
        actor = None if open_mode else current_actor()
        remember_visitor(open_mode, actor)
    except StoreBusy:
        busy = True
        open_mode, actor = remembered_visitor()
    groups = page_groups(actor, open_mode=open_mode)
    # Every page listed, none folded behind "View N more": a role has at most 18 pages.
    navigation = st.navigation(groups, expanded=True)
    # Every page's browser title names the page and the partnership (WCAG 2.4.2): "Board scorecard – <partnership
    # short name>". st.set_page_config may be called again in a run; this call sets only the title.
    st.set_page_config(page_title=page_title(navigation.title))
    if busy:
        busy_sidebar()
        account_box(actor)
        busy_page()
    else:
        sidebar()
        account_box(actor)
        if actor is not None:
            session_timer()  # a warning before the sign-in times out, with a way to stay signed in (WCAG 2.2.1)
        navigation.run()
finally:
    held.close()
