"""What changed since the last meeting: new data, significant movements, comparison changes,
revisions, and returns that are late or missing."""
import streamlit as st

from app_pages._auth import require_page
from app_pages._board import describe_view, meeting_selector, presentation_mode
from app_pages._common import framework, site_notice, store
from kpis.board.changes import changes_since
from kpis.board.tables import md_escape
from kpis.core.dates import RETURN_DUE_WORDS
from kpis.store.database import now

require_page("view_board")  # first, before anything is read: this page checks its own permission

SECTIONS = [
    ("new_signals", "New signals",
     "KPIs whose latest figure is now a signal by the statistical process control rules (NHS Making Data Count), "
     "not chance: concerns first."),
    ("significant_movements", "Significant movements",
     "KPIs whose latest figure moved by more than chance would explain since the last meeting."),
    ("comparison_changes", "Comparison with England changed",
     "KPIs that moved between better, similar and worse than England (or higher and lower)."),
    ("missing_returns", "Returns late or missing",
     f"Quarterly returns are due {RETURN_DUE_WORDS} after the quarter ends."),
    ("revisions", "Revisions to earlier figures", "Figures replaced by a corrected version."),
    ("new_data", "New data", "Figures recorded since the last meeting, for us and for England: one row per KPI "
                             "and area."),
]
EMPTY = {"new_signals": "No new signal: every KPI's variation is as it was, or common-cause variation.",
         "significant_movements": "No KPI moved significantly.",
         "comparison_changes": "No KPI changed its comparison with England.",
         "missing_returns": "Every return due has arrived on time.",
         "revisions": "No earlier figure was revised.",
         "new_data": "No new figures were recorded."}

fw = framework()
head, toggle = st.columns([3, 1], vertical_alignment="center")
with toggle:
    presenting = presentation_mode()
with head:
    st.title("What changed since the last meeting")
choice, as_at, previous = meeting_selector(show=not presenting)
st.caption(describe_view(choice, previous))
if not presenting:
    site_notice()

if previous is None:
    st.info("There is no earlier board meeting to compare with. Choose a later meeting.", icon=":material/info:")
else:
    until = as_at or now()
    found = changes_since(store(), fw, since=previous, until=until)
    st.markdown(" · ".join(f"**{title}**: {len(found[key])}" for key, title, _ in SECTIONS))
    for key, title, about in SECTIONS:
        table = found[key].drop(columns=[c for c in ("kpi_id", "area") if c in found[key].columns])
        st.header(f"{title} ({len(table)})")
        st.caption(about)
        if table.empty:
            st.markdown(EMPTY[key])
        else:
            st.table(table.map(md_escape), hide_index=True)
