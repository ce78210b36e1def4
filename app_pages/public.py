"""The public view: published figures only, with small numbers suppressed; no sign-in needed."""
from datetime import date

import pyarrow as pa
import streamlit as st

from app_pages._board import board_scorecard
from app_pages._common import arrow_once, data_version, framework, rebases_version, site_notice, store
from kpis.access.disclosure import PUBLIC_NOTE, public_table, public_view
from kpis.board.meetings import public_decisions_and_actions
from kpis.board.tables import md_escape, public_verdicts
from kpis.store.database import now
from kpis.store.governance import meeting_records_version
from kpis.store.narratives import SECTIONS

fw = framework()
st.title(f"{fw.short_name}: published figures")
st.markdown(f"The key performance indicators of the {fw.name}, as published. Figures still being checked are "
            f"not shown. {PUBLIC_NOTE}")
site_notice()


@st.cache_resource(show_spinner=False, max_entries=4)
def published(db: str, version: int, rebases: str
              ) -> tuple[dict[str, tuple[pa.Table | None, pa.Table | None, dict | None]], bool]:
    """`public_view` as this page's tables and words, per outcome area: figures with the board's verdicts, groups
    (both as shown, `arrow_once`) and the latest narrative, worked out again only when new figures or narratives
    arrive (each is written in a batch) or an SPC rebase is recorded: every reader shares them, read only. The
    verdicts are the board scorecard's rows: signal or noise, assurance, England in words."""
    shown, any_figures, narratives = public_view(store(), fw)
    card = board_scorecard()  # the Overview's rows: the scorecard as it stands now
    tables = {}
    for area in fw.areas:
        totals, parts = shown[area.id]
        latest = totals.assign(first=totals["kpi_id"] + " " + totals["kpi"])
        table = groups = None
        if not latest.empty:
            table = public_table(latest, first="KPI")
            for column, cells in public_verdicts(card, latest).items():
                table[column] = list(cells)
            if not parts.empty:
                groups = public_table(parts.assign(first=parts["kpi_id"] + ": " + parts["breakdown"]),
                                      first="KPI and group")
        story = narratives[narratives["outcome_area"] == area.id] if not narratives.empty else narratives
        tables[area.id] = (None if table is None else arrow_once(table), None if groups is None else arrow_once(groups),
                           None if story.empty else story.iloc[0].to_dict())
    return tables, any_figures


tables, any_figures = published(str(store().path), data_version(), rebases_version())

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



@st.cache_resource(show_spinner=False, max_entries=4)
def decisions(db: str, version: str, today: date) -> pa.Table:
    """The board's published decisions and actions (as shown, `arrow_once`), worked out again only when a meeting
    record changes (`version`) or the day does (an action falls overdue): every reader shares them, read only."""
    return arrow_once(public_decisions_and_actions(store(), today=today))


# The board's published decisions and actions (minutes are public: seed 004); unpublished ones are never shown.
with st.container(border=True):
    st.header("Decisions and actions of the board")
    decided = decisions(str(store().path), meeting_records_version(store()), now().date())
    if decided.num_rows == 0:
        st.caption("No decisions or actions have been published yet.")
    else:
        st.caption("What the board decided and agreed at its latest meetings, as published. Entries marked (demo) "
                   "are demo data.")
        st.table(decided, hide_index=True, alt="The board's published decisions and actions, newest meeting first, "
                                               "with each action's due date and status")
