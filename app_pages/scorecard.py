"""Board scorecard: every KPI on one screen, grouped by outcome area or by overarching outcome."""
import streamlit as st

from kpis.board.tables import grouped_board_table, one_line_ems, style_board_table, summary_counts
from kpis.board.scorecard import scorecard
from kpis.board.tables import md_escape
from kpis.core.framework_governance import framing_text
from app_pages._auth import open_demo_mode, require_page
from app_pages._board import describe_view, meeting_selector, presentation_mode, scorecard_css
from app_pages._common import data_version, framework, site_notice, store

require_page("view_board")  # first, before anything is read: this page checks its own permission

fw = framework()
head, toggle = st.columns([3, 1], vertical_alignment="center")
with toggle:
    presenting = presentation_mode()
with head:
    st.title("Board scorecard")

GROUPINGS = {"area": "Outcome area", "outcome": "Overarching outcome"}
if presenting:
    choice, as_at, previous = meeting_selector(show=False)
    by = st.session_state.get("group_by") or "area"
else:
    left, right = st.columns([2, 2])
    with left:
        choice, as_at, previous = meeting_selector()
    with right:
        by = st.segmented_control("Group by", list(GROUPINGS), format_func=GROUPINGS.get, key="group_by",
                                  default="area", required=True, persist_state="session") or "area"


@st.cache_data(show_spinner=False, max_entries=32)
def board_scorecard(db: str, version: int, as_at, previous):
    """Every reader at a meeting sees the same scorecard: work it out once per data version, not per session."""
    return scorecard(store(), fw, as_at=as_at, previous_meeting=previous)


card = board_scorecard(str(store().path), data_version(), as_at, previous)
demo_words = (" Figures marked (demo) are synthetic; England figures are real published statistics."
              if presenting and card["is_demo"].any() else "")
st.caption(describe_view(choice, previous) + demo_words)
if not presenting:
    site_notice()
if card["latest_period"].isna().all():
    st.warning("There are no figures for this date. Choose a later meeting, or load data first.",
               icon=":material/database:")

n = summary_counts(card)
st.markdown(
    f"**Compared with England:** ● {n['better']} better, ◆ {n['similar']} similar, ■ {n['worse']} worse"
    f" · **Since the last meeting:** {n['improved']} getting better, {n['worsened']} getting worse"
    f" · **Targets:** {n['targets_met']} of {n['targets']} met")

# A KPI id links to its detail page in a new browser tab. A new tab is a new session, signed out, so once
# people sign in (any account exists) the ids are plain text and "Open a KPI in detail" below is the way.
table, comparisons, sections = grouped_board_table(card, by, link="kpi" if open_demo_mode() else None, compact=True)
OPTIONAL = ["Recent trend", "Target"]  # the last columns: on a narrow projector they make way for larger text
st.html(scorecard_css(rows=len(table) + 1, width_ems=one_line_ems(table), presenting=presenting,
                      narrow_ems=one_line_ems(table.drop(columns=OPTIONAL)),
                      first_hidden=list(table.columns).index(OPTIONAL[0]) + 1))
with st.container(key="board-scorecard"):
    st.table(style_board_table(table, comparisons, sections), hide_index=False,
             alt=f"Scorecard grouped by {GROUPINGS[by].lower()}: one row per KPI with its latest value, change "
                 f"since the last meeting, comparison with England, recent trend and target.")

framed = [a for a in fw.areas if a.framing]
if framed and by == "area":   # each priority's upstream or downstream framing, as the framework file gives it
    st.markdown("**How each priority is framed**\n\n" + "\n".join(
        f"- **{md_escape(a.name)}**: {md_escape(framing_text(a.framing, a.framing_note))}" for a in framed))

with st.expander("How to read this scorecard", expanded=False):
    st.markdown(
        "- **Since last meeting**: ▲ or ▼ when the figure moved by more than chance would explain (a 95% test), "
        "with whether that is better or worse and by how much; ▶ when it did not; – when there is no new figure "
        "to compare. The earlier figure is on each KPI's page and under What changed.\n"
        "- **Compared with England**: ● Better, ◆ Similar, ■ Worse than England, judged by whether England's "
        "value lies outside our 95% confidence interval; ○ Higher or Lower where neither direction is better. "
        "The England figure is for the latest period ending on or before ours, and that period is named. "
        "– **Not tested** where the published file has no counts (so no interval): the difference from England "
        "and the quartile among all councils (A = best quarter) are given instead. – **Related measure** where no "
        "national figure of the KPI's own definition exists: our published figure on a close national measure "
        "(named) "
        "against England's: better, similar or worse when it can be tested, else its quartile among councils "
        "(A = best); the KPI's own value is not compared with it.\n"
        "- **Recent trend**: the line shows up to the last eight figures; the words come from the Fingertips "
        "test over the last five points (99.8% level).\n"
        "- **Target**: ✓ Met or ✗ Not met, only where the partnership has set a target; – where none is set.\n"
        "- **Presentation mode** fits every KPI on the screen. On a narrow projector the recent-trend words and "
        "the targets make way for larger text; the line above still counts the targets met.")

if not presenting:
    st.page_link("app_pages/changes.py", label="What changed since the last meeting", icon=":material/update:")
    st.page_link("app_pages/kpi.py", label="Open a KPI in detail", icon=":material/query_stats:")
