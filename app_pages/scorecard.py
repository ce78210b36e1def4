"""Board scorecard: every KPI on one screen, grouped by outcome area or by overarching outcome."""
import streamlit as st

from app_pages._auth import open_demo_mode, require_page
from app_pages._board import describe_view, meeting_selector, presentation_mode
from app_pages._common import framework, site_notice
from app_pages._scorecard_view import scorecard_view
from kpis.board.tables import md_escape
from kpis.core.framework_governance import framing_text
from kpis.published.relation import NO_NATIONAL, NOT_LOADED, SUPPRESSED

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


# A KPI id links to its detail page in a new browser tab. A new tab is a new session, signed out, so once
# people sign in (any account exists) the ids are plain text and "Open a KPI in detail" below is the way.
view = scorecard_view(as_at, previous, by=by, presenting=presenting, link="kpi" if open_demo_mode() else None)
demo_words = (" Figures marked (demo) are synthetic; England figures are real published statistics."
              if presenting and view.any_demo else "")
st.caption(describe_view(choice, previous) + demo_words)
if not presenting:
    site_notice()
if view.no_figures:
    st.warning("There are no figures for this date. Choose a later meeting, or load data first.",
               icon=":material/database:")

n = view.counts
st.markdown(
    f"**Compared with England:** ● {n['better']} better, ◆ {n['similar']} similar, ■ {n['worse']} worse"
    f" · **Variation:** {n['improving']} improving, {n['concern']} concern"
    f" · **Since the last meeting:** {n['improved']} getting better, {n['worsened']} getting worse"
    f" · **Targets:** {n['targets_met']} of {n['targets']} met")
if not presenting:
    st.caption(f"By outcome area (signals by statistical process control): {view.areas_line}.")

st.html(view.css)
assurance = " assurance against its target," if view.targets else ""
with st.container(key="board-scorecard"):
    st.table(view.table, hide_index=False,
             alt=f"Scorecard grouped by {GROUPINGS[by].lower()}: one row per KPI with its latest value, trend line, "
                 f"variation (signal or noise),{assurance} comparison with England, change since the last meeting, "
                 "recent trend and target. Each heading row counts its KPIs' signals and targets at risk.")

framed = [a for a in fw.areas if a.framing]
if framed and by == "area":   # each priority's upstream or downstream framing, as the framework file gives it
    st.markdown("**How each priority is framed**\n\n" + "\n".join(
        f"- **{md_escape(a.name)}**: {md_escape(framing_text(a.framing, a.framing_note))}" for a in framed))

with st.expander("How to read this scorecard", expanded=False):
    st.markdown(
        "- **Variation** (statistical process control, NHS England's *Making Data Count*): is the latest figure a "
        "signal or noise? ▲ or ▼ **Improving** or **Worsening**: a special cause, a signal that something changed "
        "(a point outside the process limits, a run of 7 rising or falling, 7 on one side of the mean, or 2 of "
        "3 near a limit). △ ▽ **Higher** or **Lower (signal)** where neither direction is better. "
        "◦ **No signal**: common-cause variation, the figures move by chance. **(trial)**: the limits rest on "
        "fewer than 13 points, so they may still move. – **3 of 7 points**: too few points for a verdict; none is "
        "invented. The heading row of each area counts its KPIs improving and of concern.\n"
        "- **Assurance**, where a target is set: can the process meet it? ✓ **Passes**: the target lies beyond the "
        "process limits on the good side, so it will be met consistently. ✗ **Fails**: it will consistently be "
        "missed unless something changes. ? **Hit and miss**: the target lies within the limits, so it will be met "
        "some quarters and missed in others. – where no target is set. The heading row counts the targets hit and "
        "miss and failing.\n"
        "- **Compared with England**: ● Better, ◆ Similar, ■ Worse than England, tested: England's value lies "
        "outside our 95% confidence interval (or inside it: similar), with England's figure in brackets. "
        "○ Higher or Lower where neither direction is better. ◇ **Not tested**: the published file has no counts "
        "(so no interval); the cell gives the difference from England and whether it is better or worse for "
        "this KPI. **Related**: no national figure of the KPI's own definition exists, so our published figure on "
        "a close national measure is set against England's (better, similar or worse when tested, else better or "
        "worse than most councils); the KPI's own value is not compared with it. Where nothing can be compared, "
        f"the reason: *{NO_NATIONAL}*; *{NOT_LOADED}*; or *{SUPPRESSED}*. Each KPI's page "
        "has the whole sentence, with the figures, the period and the standing among councils.\n"
        "- **Since last meeting**: ▲ or ▼ when the figure moved by more than chance would explain (a 95% test), "
        "with whether that is better or worse and by how much; ▶ when it did not; – when there is no new figure "
        "to compare. A single quarter's move is mostly noise: the Variation column is the better guide.\n"
        "- **Recent trend**: the line shows up to the last eight figures; the words come from the Fingertips "
        "test over the last five points (99.8% level).\n"
        "- **Target**: ✓ Met or ✗ Not met for the latest figure, only where the partnership has set a target.\n"
        "- **(trial)** in the Variation cell applies to the row's Assurance too: both rest on the same limits.\n"
        "- **Presentation mode** fits every KPI on the screen. On a narrow projector the change since the last "
        "meeting, the targets and the recent-trend words make way for larger text; the line above still counts "
        "them. On a narrow desk screen only the recent-trend words make way; the line beside them stays.")

if not presenting:
    st.page_link("app_pages/changes.py", label="What changed since the last meeting", icon=":material/update:")
    st.page_link("app_pages/kpi.py", label="Open a KPI in detail", icon=":material/query_stats:")
