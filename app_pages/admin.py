"""Administration: user accounts, the audit log and board meeting dates (administrators only)."""
from datetime import date

import streamlit as st

from kpis.access import accounts as auth

from kpis.board import meetings
from kpis.access.audit import ACTIONS, audit_entries
from kpis.access.permissions import ROLES, PermissionDenied, normalise_email
from app_pages._auth import require_page
from app_pages._common import framework, site_notice, store

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

users_tab, audit_tab, meetings_tab = st.tabs(["Users", "Audit log", "Meeting dates"])

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
            with right.popover("Set a password", disabled=who is None):
                with st.form("set_password", clear_on_submit=True):
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
    st.dataframe({"Board meeting": [f"{d:%A %d %B %Y}" for d in dates]}, hide_index=True, placeholder="–")
    if actor is not None:
        with st.form("add_meeting", clear_on_submit=True):
            day = st.date_input("New meeting date", value=None, key="new_meeting_date", format="DD/MM/YYYY")
            title = st.text_input("Title", value="Partnership board", key="new_meeting_title")
            if st.form_submit_button("Add meeting date") and isinstance(day, date):
                attempt(lambda: meetings.add_meeting(s, actor=actor, meeting_date=day, title=title),
                        f"Added {day:%d %B %Y}.")
        gone = st.selectbox("Remove a meeting date", dates, index=None, key="remove_meeting_date",
                            format_func=lambda d: f"{d:%d %B %Y}", placeholder="Choose a date")
        if st.button("Remove meeting date", key="remove_meeting", disabled=gone is None):
            attempt(lambda: meetings.remove_meeting(s, actor=actor, meeting_date=gone), f"Removed {gone:%d %B %Y}.")
