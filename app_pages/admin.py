"""Administration: user accounts, the audit log, board meeting dates and SPC rebases (administrators only)."""
from datetime import date

import streamlit as st

from app_pages._auth import require_page
from app_pages._common import framework, site_notice, store
from kpis.access import accounts as auth
from kpis.access.audit import ACTIONS, audit_entries
from kpis.access.permissions import ROLES, PermissionDenied, normalise_email
from kpis.board import meetings
from kpis.board.rebases import MAX_REASON_CHARS, add_rebase, all_rebases, remove_rebase
from kpis.core.dates import long_date, weekday_date
from kpis.store.rebases import rebase_history

actor = require_page("admin")  # first, before anything is read: this page checks its own permission

fw = framework()
s = store()
st.title("Users and audit")
site_notice()
open_mode = actor is None  # require_page lets nobody in signed out unless no account exists yet
if open_mode:
    st.info("There are no accounts yet, so nothing here can be changed from the app. Create the first "
            "administrator on the server with `python -m kpis user add EMAIL --role admin --password`, then sign in.",
            icon=":material/person_add:")


def attempt(change, success: str) -> None:
    """Run a change through `kpis` (which checks permission again) and report in plain words."""
    try:
        change()
    except (auth.AuthError, PermissionDenied, ValueError) as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        st.session_state["admin_done"] = success
        st.rerun()  # so every table below shows the change


done = st.session_state.pop("admin_done", None)
if done:
    st.success(done, icon=":material/check_circle:")

users_tab, audit_tab, meetings_tab, rebase_tab = st.tabs(["Users", "Audit log", "Meeting dates", "SPC rebases"])

with users_tab:
    users = auth.list_users(s)
    st.dataframe(users.rename(columns={"email": "Email", "role_name": "Role", "areas": "Areas",
                                       "local_password": "Local password", "locked": "Locked",
                                       "created_at": "Added", "created_by": "Added by",
                                       "last_sign_in": "Last sign-in"}).drop(columns=["role"]),
                 hide_index=True, width="stretch", placeholder="–")
    if actor is not None:
        with st.form("add_user", clear_on_submit=True):
            st.subheader("Add a user")
            email = st.text_input("Email address", key="new_user_email")
            role = st.selectbox("Role", list(ROLES), format_func=ROLES.get, key="new_user_role")
            areas = st.multiselect("Areas (sub-group leads only)", [a.id for a in fw.areas],
                                   format_func=lambda a: fw.area(a).name, key="new_user_areas")
            password = st.text_input("Password (leave blank for single sign-on only)", type="password",
                                     key="new_user_password")
            if st.form_submit_button("Add user"):
                attempt(lambda: auth.add_user(s, actor=actor, email=email, role=role, areas=areas,
                                              password=password or None, known_areas=[a.id for a in fw.areas]),
                        f"Added {normalise_email(email)}.")
        others = [e for e in users["email"] if e != actor.email]
        if others:
            st.subheader("Change an account")
            who = st.selectbox("Account", others, key="manage_user", index=None, placeholder="Choose an account")
            left, middle, right = st.columns(3)
            if left.button("Unlock", key="unlock_user", disabled=who is None):
                attempt(lambda: auth.unlock(s, actor=actor, email=who), f"Unlocked {who}.")
            if middle.button("Remove", key="remove_user", disabled=who is None):
                attempt(lambda: auth.remove_user(s, actor=actor, email=who), f"Removed {who}.")
            with right.popover("Set a password", disabled=who is None), \
                    st.form("set_password", clear_on_submit=True):
                new = st.text_input("New password", type="password", key="set_password_value")
                if st.form_submit_button("Set password"):
                    attempt(lambda: auth.set_password(s, actor=actor, email=who, password=new),
                            f"Set a new password for {who}.")

with audit_tab:
    chosen = st.multiselect("Show", list(ACTIONS), format_func=ACTIONS.get, key="audit_actions",
                            placeholder="Every kind of entry")
    who = st.text_input("Who (part of an email address)", key="audit_actor")
    log = audit_entries(s, actions=chosen or None, actor=who or None)
    st.caption(f"{len(log)} entr{'y' if len(log) == 1 else 'ies'}, newest first (at most 1,000). Times are UTC.")
    st.dataframe(log.drop(columns=["audit_id", "action"]).rename(
        columns={"logged_at": "When", "actor": "Who", "what": "What", "detail": "Details"}),
        hide_index=True, width="stretch", placeholder="–")

with meetings_tab:
    dates = meetings.meetings(s)
    st.dataframe({"Board meeting": [weekday_date(d) for d in dates]}, hide_index=True, placeholder="–")
    if actor is not None:
        with st.form("add_meeting", clear_on_submit=True):
            day = st.date_input("New meeting date", value=None, key="new_meeting_date", format="DD/MM/YYYY")
            title = st.text_input("Title", value="Partnership board", key="new_meeting_title")
            if st.form_submit_button("Add meeting date") and isinstance(day, date):
                attempt(lambda: meetings.add_meeting(s, actor=actor, meeting_date=day, title=title),
                        f"Added {long_date(day)}.")
        gone = st.selectbox("Remove a meeting date", dates, index=None, key="remove_meeting_date",
                            format_func=lambda d: long_date(d), placeholder="Choose a date")
        if st.button("Remove meeting date", key="remove_meeting", disabled=gone is None):
            attempt(lambda: meetings.remove_meeting(s, actor=actor, meeting_date=gone), f"Removed {long_date(gone)}.")

with rebase_tab:
    st.markdown("A **rebase** records a change of definition or of service on a date. A KPI's statistical process "
                "control limits restart with the first period ending on or after it, on every page and in the "
                "board pack. Each one is kept with who recorded it and why; removing one keeps it in the history.")
    in_force = all_rebases(s, fw)
    rows = [{"KPI": f"{k} {fw.kpi(k).short_title}", "Date": long_date(r.date), "Reason": r.reason,
             "Recorded": "In the framework file" if r.source == "framework" else f"By {r.recorded_by}"}
            for k, rs in in_force.items() for r in rs]
    st.subheader("Rebases in force")
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", placeholder="–",
                     column_config={"Reason": st.column_config.TextColumn(width="large")})
    else:
        st.caption("No KPI has a rebase: every chart's limits are worked out from all its points.")
    if actor is not None:
        with st.form("add_rebase", clear_on_submit=True):
            st.subheader("Record a rebase")
            kpi_id = st.selectbox("KPI", fw.kpi_ids, format_func=lambda k: f"{k} {fw.kpi(k).short_title}",
                                  key="rebase_kpi")
            day = st.date_input("Date the change took effect", value=None, key="rebase_date", format="DD/MM/YYYY")
            why = st.text_area("What changed (shown with the chart)", key="rebase_reason", max_chars=MAX_REASON_CHARS,
                               placeholder="For example: counted by the new national definition from April")
            if st.form_submit_button("Record rebase"):
                if not isinstance(day, date):
                    st.error("Choose the date the change took effect.", icon=":material/error:")
                else:
                    attempt(lambda: add_rebase(s, fw, actor=actor, kpi_id=kpi_id, on=day, reason=why),
                            f"Recorded a rebase of {kpi_id} on {long_date(day)}.")
        removable = [r for rs in in_force.values() for r in rs if r.source == "admin"]
        if removable:
            with st.form("remove_rebase", clear_on_submit=True):
                st.subheader("Remove a rebase")
                gone = st.selectbox("Rebase", removable, index=None, key="remove_rebase_choice",
                                    format_func=lambda r: f"{long_date(r.date)}: {r.reason}"[:90],
                                    placeholder="Choose a rebase")
                because = st.text_input("Why it is removed", key="remove_rebase_reason")
                if st.form_submit_button("Remove rebase") and gone is not None:
                    attempt(lambda: remove_rebase(s, actor=actor, rebase_id=gone.rebase_id, reason=because),
                            f"Removed the rebase of {long_date(gone.date)}; it stays in the history.")
        st.caption("A rebase declared in the framework file is changed by editing that file.")
    history = rebase_history(s)
    if not history.empty:
        st.subheader("Every rebase recorded here")
        st.dataframe(history.drop(columns="rebase_id").rename(columns={
            "kpi_id": "KPI", "rebase_date": "Date", "reason": "Reason", "recorded_by": "Recorded by",
            "valid_from": "Recorded at", "valid_to": "Removed at", "removed_by": "Removed by",
            "removal_reason": "Why removed"}), hide_index=True, width="stretch", placeholder="–")
