"""Streamlit glue shared by the pages: the one store per process, the framework, the sidebar.

Pages arrange what `kpis` returns; nothing here decides anything about the data.
"""
from __future__ import annotations

import streamlit as st

from kpis.core.framework import Framework, load_framework
from kpis.access.permissions import users_exist
from kpis.store.series import data_as_at, is_demo_database
from kpis.store.database import Store, db_path

def _leave_legacy_pages_mode() -> None:
    """Make a deep link work on a freshly started server.

    Streamlit treats a `pages/` folder beside the main script as the old multipage layout until the
    first call of `st.navigation`. So if the very first request after start-up is `/kpi?kpi=SG02`, it
    would run `pages/kpi.py` on its own, without `dashboard.py`'s navigation and sidebar. Any page
    imports this module first; if Streamlit is still in the old mode, switch it off and rerun, so the
    request goes through `dashboard.py` like every other. (The flag is Streamlit's own, process-wide;
    `tests/browser/test_browser_deeplink.py` checks this still works with the pinned version.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()

# One short notice at the top of every page (never two or three stacked): what is demo data, and, while no
# account exists, that every page is open. A plain keyed container, not an alert, so presentation mode can hide it.
DEMO_WORDS = "**Demo data**: figures marked *demo* are synthetic; England and council figures are real published statistics."
OPEN_WORDS = ("**No accounts set up: anyone can see every page.** An administrator adds users with "
              "`python -m kpis user add`; from then on everyone signs in.")
# A page name longer than the sidebar is wide (a narrow window, a sidebar dragged narrower) wraps onto a second
# line instead of ending in "…": names are never cut.
NAV_CSS = """
<style>
[data-testid="stSidebarNavLink"] span, [data-testid="stSidebarNavLink"] div,
[data-testid="stSidebarNavLink"] p { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
[data-testid="stSidebarNavLink"] { height: auto !important; min-height: 2rem; }
</style>
"""
NOTICE_CSS = """
<style>
.st-key-site-notice { border-left: 4px solid #12436D; background: #F3F2F1; padding: 0.3rem 0.75rem; }
.st-key-site-notice p { font-size: 0.9rem; margin: 0; }
.st-key-site-notice [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
</style>
"""


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """One DuckDB connection for the whole server process (DuckDB allows one writer process)."""
    return _store(str(db_path()))


def data_version() -> int:
    """The newest batch: it changes whenever figures arrive (a submission, an import, a correction), so a cached
    view keyed on it is worked out again exactly when the data behind it change."""
    return int(store().scalar("SELECT coalesce(max(batch_id), 0) FROM batches"))


@st.cache_resource(show_spinner=False)
def framework() -> Framework:
    return load_framework()


def site_notice() -> None:
    """The one notice at the top of a page: demo data and open mode (no account yet) together, in a line or two.

    Each page calls it (not dashboard.py), so AppTest, which runs a page on its own after `switch_page`, sees it."""
    parts = ([DEMO_WORDS] if is_demo_database(store()) else []) + ([OPEN_WORDS] if not users_exist(store()) else [])
    if parts:
        st.html(NOTICE_CSS)
        with st.container(key="site-notice"):
            st.markdown(" ".join(parts))


def sidebar() -> None:
    fw = framework()
    s = store()
    with st.sidebar:
        st.html(NAV_CSS)
        st.markdown(f"**{fw.short_name}**")
        as_at = data_as_at(s)
        st.caption(f"Data as at {as_at:%d %B %Y}" if as_at else "No data loaded yet")
