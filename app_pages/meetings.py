"""Board meetings: who attended, the decisions and actions (overdue ones said in words), the escalations, the
scorecard as at the meeting, and the annual report. The board's secretary and administrators record them here."""
from contextlib import ExitStack
from datetime import date

import streamlit as st

from app_pages._auth import open_demo_mode, require_page
from app_pages._board import url_select
from app_pages._common import framework, reading_table, site_notice, store
from kpis.access.permissions import PermissionDenied
from kpis.board.meetings import ACTION_STATUSES, ATTENDANCE_STATUSES, attendance_table, escalations_table, items_table
from kpis.board.scorecard import meetings, past_meetings
from kpis.core.chromium import ChromiumNotFound
from kpis.core.dates import long_date
from kpis.governance import actions, escalations
from kpis.governance.annual_report import ReportError, report_year, report_years
from kpis.governance.meetings import history, record_attendance
from kpis.governance.report_file import FORMATS, build_annual_report
from kpis.packs.images import ChartRendererUnavailable
from kpis.store.database import now

actor = require_page("view_board")  # first, before anything is read: this page checks its own permission

fw = framework()
st.title("Board meetings")
site_notice()
held = meetings(store())
if not held:
    st.warning("The database holds no board meetings yet. Load the KPI framework first.", icon=":material/event:")
    st.stop()
today = now().date()
default = (past_meetings(store()) or held)[0]
options = [default.isoformat()] + [m.isoformat() for m in reversed(held) if m != default]
chosen = date.fromisoformat(url_select(
    "Meeting", options, key="held_on", help="The partnership's board meetings, newest first.",
    format_func=lambda v: long_date(date.fromisoformat(v)) + (" (to come)" if date.fromisoformat(v) > today
                                                                   else "")))
may_record = actor is not None and actor.can("record_meetings")

for field in st.session_state.pop("meeting_clear", ()):  # the form just recorded: empty it, before it is drawn
    st.session_state.pop(field, None)
done = st.session_state.pop("meeting_done", None)
if done:
    st.success(done, icon=":material/check_circle:")

if chosen in past_meetings(store()):
    st.page_link("app_pages/scorecard.py", label=f"The scorecard as at this meeting ({long_date(chosen)})",
                 icon=":material/table_chart:", query_params={"meeting": chosen.isoformat()})
else:
    st.caption("This meeting is still to come: its scorecard is the latest data until the day.")

people = attendance_table(store(), chosen)
decided = items_table(store(), meeting_date=chosen, kind="decision")
todo = items_table(store(), meeting_date=chosen, today=today)
raised = escalations_table(store(), meeting_date=chosen)
came = int(people["Attendance"].str.startswith(("Present", "Substitute")).sum())
overdue = int((todo["Overdue"] != "").sum())
st.markdown(f"**At this meeting:** {came} of {len(people)} members present or sent a substitute · {len(decided)} "
            f"decision{'s' * (len(decided) != 1)} · {len(todo)} action{'s' * (len(todo) != 1)}, {overdue} overdue · "
            f"{len(raised)} escalation{'s' * (len(raised) != 1)}")

# -- attendance ---------------------------------------------------------------------------------------------
st.header("Attendance")
if people.empty:
    st.caption("No attendance has been recorded for this meeting.")
else:
    counts = people["Attendance"].str.split(" ").str[0].value_counts()
    st.markdown("**" + ", ".join(f"{word}: {int(counts.get(word, 0))}" for word in ATTENDANCE_STATUSES.values())
                + "**")
    reading_table(people.drop(columns="record_id"), alt=f"Who attended the meeting of {long_date(chosen)}")

# -- decisions and actions ----------------------------------------------------------------------------------
st.header("Decisions")
if decided.empty:
    st.caption("No decisions have been recorded for this meeting.")
else:
    reading_table(decided.drop(columns=["Meeting", "record_id"]),
                  alt=f"Decisions of the meeting of {long_date(chosen)}")

st.header("Actions")
if todo.empty:
    st.caption("No actions have been recorded for this meeting.")
else:
    late = todo[todo["Overdue"] != ""]
    if not late.empty:
        st.warning(f"{len(late)} of this meeting's {len(todo)} actions {'are' if len(late) != 1 else 'is'} overdue "
                   f"(owners: {', '.join(sorted(set(late['Owner'])))}); the Overdue column says since when.",
                   icon=":material/schedule:")
    reading_table(todo.drop(columns=["Meeting", "record_id"]).replace({"Overdue": {"": "No"}}),
                  alt=f"Actions of the meeting of {long_date(chosen)}, with owner, due date, status and whether "
                      "overdue")

st.header("Escalations")
if raised.empty:
    st.caption("Nothing was escalated from this meeting.")
else:
    reading_table(raised.drop(columns="record_id"), alt=f"Escalations from the meeting of {long_date(chosen)}")

KINDS = {"attendance": ("Attendance", people, "Member"), "decision": ("Decisions", decided, "Decision"),
         "action": ("Actions", todo, "Action"), "escalation": ("Escalations", raised, "Reason")}
with st.expander("Earlier versions of a record"):
    entries = [(k, int(r), str(t)) for k, (_, frame, col) in KINDS.items() if not frame.empty
               for r, t in zip(frame["record_id"], frame[col], strict=False)]
    if entries:
        pick = st.selectbox("Record", entries, format_func=lambda e: f"{KINDS[e[0]][0]}: {e[2]}", key="history_of")
        versions = history(store(), "item" if pick[0] in ("decision", "action") else pick[0], pick[1])
        versions = versions.drop(columns=["record_id", "valid_to", "is_demo", "meeting_date"]).rename(
            columns={"version": "Version", "recorded_by": "Recorded by", "valid_from": "Recorded at",
                     "removed": "Removed"})
        reading_table(versions, alt="Every version of the record, oldest first, with who recorded it and when")
    else:
        st.caption("Nothing recorded yet.")


# -- recording ------------------------------------------------------------------------------------------------
def attempt(change, success: str, fields: tuple[str, ...]) -> None:
    """Run a change through `kpis` (which checks permission again) and report in plain words. A refused entry
    keeps what was typed, to correct it; a recorded one empties its form on the next run."""
    try:
        change()
    except (PermissionDenied, ValueError) as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        st.session_state["meeting_done"] = success
        st.session_state["meeting_clear"] = fields
        st.rerun()


st.header("Record this meeting")
if not may_record:
    st.caption("The board's secretary and administrators record attendance, decisions, actions and escalations "
               "here." + (" No accounts exist yet, so nothing can be recorded from the app: once an administrator "
                          "has set them up (`python -m kpis user add`), the secretary signs in." if open_demo_mode()
                          else ""))
else:
    t_att, t_dec, t_act, t_upd, t_esc = st.tabs(["Attendance", "Decision", "Action", "Update an action",
                                                 "Escalation"])
    with t_att, st.form("record_attendance"):
        member = st.text_input("Member's name", key="att_member")
        role = st.text_input("Organisation or role", key="att_role")
        status = st.selectbox("Attendance", list(ATTENDANCE_STATUSES), format_func=ATTENDANCE_STATUSES.get,
                              key="att_status")
        stood_for = st.text_input("A substitute: for whom", key="att_for")
        if st.form_submit_button("Record attendance"):
            attempt(lambda: record_attendance(store(), actor=actor, meeting_date=chosen, member=member,
                                              organisation=role, status=status, substitute_for=stood_for),
                    f"Recorded {member.strip()}'s attendance.", ("att_member", "att_role", "att_status", "att_for"))
    with t_dec, st.form("record_decision"):
        text = st.text_area("Decision", key="dec_text")
        public = st.checkbox("Publish it in the public view", key="dec_public")
        if st.form_submit_button("Record the decision"):
            attempt(lambda: actions.record_decision(store(), actor=actor, meeting_date=chosen, text=text,
                                                    published=public), "Recorded the decision.",
                    ("dec_text", "dec_public"))
    with t_act, st.form("record_action"):
        text = st.text_area("Action", key="act_text")
        owner = st.text_input("Owner", key="act_owner")
        due = st.date_input("Due by", value=None, key="act_due", format="DD/MM/YYYY")
        public = st.checkbox("Publish it in the public view", key="act_public")
        if st.form_submit_button("Record the action"):
            attempt(lambda: actions.record_action(store(), actor=actor, meeting_date=chosen, text=text, owner=owner,
                                                  due_date=due, published=public), "Recorded the action.",
                    ("act_text", "act_owner", "act_due", "act_public"))
    with t_upd:
        if todo.empty:
            st.caption("This meeting has no actions to update.")
        else:
            with st.form("update_action"):
                which = st.selectbox("Action to update", list(todo["record_id"]), key="upd_which",
                                     format_func=dict(zip(todo["record_id"], todo["Action"], strict=False)).get)
                new_status = st.selectbox("New status", list(ACTION_STATUSES), format_func=ACTION_STATUSES.get,
                                          key="upd_status")
                new_due = st.date_input("New due date (leave empty to keep it)", value=None, key="upd_due",
                                        format="DD/MM/YYYY")
                publish = st.radio("Public view", ["keep", "yes", "no"], horizontal=True, key="upd_public",
                                   format_func={"keep": "Leave as it is", "yes": "Publish", "no": "Do not publish"}.get)
                if st.form_submit_button("Update the action"):
                    attempt(lambda: actions.update_action(store(), actor=actor, record_id=int(which), status=new_status,
                                                          due_date=new_due,
                                                          published=None if publish == "keep" else publish == "yes"),
                            "Updated the action; its earlier version is kept.", ("upd_due", "upd_public"))
    with t_esc, st.form("record_escalation"):
        body = st.text_input("Escalated to", value=fw.reports_to or "Health and Wellbeing Board", key="esc_body")
        on = st.date_input("Escalated on", value=chosen, key="esc_on", format="DD/MM/YYYY")
        reason = st.text_area("Reason", key="esc_reason")
        outcome = st.text_area("Outcome (if known)", key="esc_outcome")
        if st.form_submit_button("Record the escalation"):
            attempt(lambda: escalations.record_escalation(store(), actor=actor, meeting_date=chosen, escalated_on=on,
                                                          body=body, reason=reason, outcome=outcome or None,
                                                          outcome_on=today if outcome else None),
                    "Recorded the escalation.", ("esc_body", "esc_on", "esc_reason", "esc_outcome"))

# -- the annual report ------------------------------------------------------------------------------------------
st.header("Annual report")
kind = "financial" if fw.annual_report_year == "financial" else "academic"
years = report_years(fw, [m for m in held if m <= today])
st.caption(f"The partnership's annual report for a {kind} year: each outcome area's KPIs against England with "
           "their signals, what changed, the sub-groups' narratives, the attendance record, actions and "
           "escalations. Word to edit; PDF to publish.")
if not years:
    st.caption("No meeting has been held yet, so there is no year to report on.")
else:
    left, right = st.columns(2)
    with left:
        complete = [y for y in years if report_year(fw, y).end < today]
        year = st.selectbox("Year", years, key="report_year", index=years.index(complete[0]) if complete else 0,
                            help="The years of the meetings held; a year not yet over shows what is known today.")
    with right:
        fmt = st.radio("Format", list(FORMATS), format_func=FORMATS.get, key="report_format")
    if st.button("Make the annual report", key="report_build", type="primary", icon=":material/description:"):
        released = ExitStack()
        try:
            with released, st.spinner("Making the annual report: reading the year, drawing the charts"):
                made = build_annual_report(store(), fw, year, fmt,
                                           read_done=lambda: released.enter_context(store().released()))
        except (ReportError, ChartRendererUnavailable, ChromiumNotFound) as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            st.session_state["report_file"] = made
    made = st.session_state.get("report_file")
    if made is not None:
        st.success(f"The annual report for {made.year.words} ({FORMATS[made.fmt]}, {len(made.data) / 1024:,.0f} KB) "
                   f"took {made.seconds:.1f} seconds." + (" It is built from demo data and says so." if made.is_demo
                                                          else ""), icon=":material/check_circle:")
        st.download_button(f"Download {made.file_name}", data=made.data, file_name=made.file_name, mime=made.mime,
                           key="report_download", icon=":material/download:", on_click="ignore")
