"""The public view: published figures only, with small numbers suppressed; no sign-in needed."""
import streamlit as st

from app_pages._common import framework, site_notice
from app_pages._public_view import published_decisions, published_view
from kpis.access.disclosure import PUBLIC_NOTE
from kpis.board.tables import md_escape
from kpis.store.narratives import SECTIONS

fw = framework()
st.title(f"{fw.short_name}: published figures")
st.markdown(f"The key performance indicators of the {fw.name}, as published. Figures still being checked are "
            f"not shown. {PUBLIC_NOTE}")
site_notice()

tables, any_figures = published_view()

if not any_figures:
    st.warning("No figures have been published yet.", icon=":material/database:")
else:
    st.caption("**Variation**: ▲ ▼ improving or worsening, a signal by NHS England's statistical process control "
               "rules, not chance; ◦ no signal; (trial): limits from fewer than 13 points. **Assurance**, where a "
               "target is set: ✓ passes, ✗ fails, ? hit and miss. **Compared with England**: ● better, ◆ similar, "
               "■ worse, tested; ◇ not tested (no counts published), with whether the difference is better or "
               "worse; Related: a close national measure, where none of this definition exists.")

for area in fw.areas:
    with st.container(border=True):
        st.header(area.name)
        st.caption(f"Reported by the {area.sub_group}")
        table, groups, latest_story = tables[area.id]
        if table is None:
            st.caption("No published figures yet.")
        else:
            st.table(table, hide_index=False)   # the KPI (or KPI and group) first, as each row's heading
            if groups is not None:
                with st.expander("Groups of children, latest period"):
                    st.table(groups, hide_index=False)
        if latest_story is not None:
            demo = " (demo)" if latest_story["is_demo"] else ""
            with st.expander(f"What the sub-group says, {md_escape(latest_story['period_label'])}{demo}"):
                for column, heading in SECTIONS.items():
                    st.markdown(f"**{heading}**")
                    st.markdown(md_escape(latest_story[column]) if latest_story[column] else "_Not provided._")

# The board's published decisions and actions (minutes are public: seed 004); unpublished ones are never shown.
with st.container(border=True):
    st.header("Decisions and actions of the board")
    decided = published_decisions()
    if decided.num_rows == 0:
        st.caption("No decisions or actions have been published yet.")
    else:
        st.caption("What the board decided and agreed at its latest meetings, as published. Entries marked (demo) "
                   "are demo data.")
        st.table(decided, hide_index=True, alt="The board's published decisions and actions, newest meeting first, "
                                               "with each action's due date and status")
