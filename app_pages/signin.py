"""Sign in: with the organisation's single sign-on where it is set up, or a local account."""
import streamlit as st

from app_pages._auth import NOTICE_KEY, sign_in, sso_configured
from app_pages._common import framework
from kpis.access.accounts import MAX_FAILURES, SignInFailed

st.title("Sign in")
st.markdown(f"Board members, sub-group leads, analysts and administrators of the {framework().short_name} sign in "
            "here. Anyone can read the published figures on the public view without signing in.")
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.info(notice, icon=":material/info:")

if sso_configured():
    if st.user.get("is_logged_in"):
        st.button("Sign out of single sign-on", key="sso_logout", on_click=st.logout)
    else:
        st.button("Sign in with your organisation's account", key="sso_login", type="primary",
                  icon=":material/badge:", on_click=st.login)
    st.caption("Or sign in with a local account:")

ERROR_KEY = "sign_in_error"


def submit() -> None:
    """Check the form before the page runs again. Only the password is cleared (never kept in the session); the
    email address stays, so after a mistake only the password is typed again (WCAG 3.3.7 Redundant entry)."""
    email = st.session_state.get("sign_in_email") or ""
    password = st.session_state.get("sign_in_password") or ""
    st.session_state["sign_in_password"] = ""
    if not email.strip() or not password:
        st.session_state[ERROR_KEY] = "Enter your email address and your password."
        return
    try:
        sign_in(email, password)
    except SignInFailed as exc:
        st.session_state[ERROR_KEY] = str(exc)


with st.form("sign_in_form", clear_on_submit=False):
    st.text_input("Email address", key="sign_in_email", autocomplete="email")
    st.text_input("Password", key="sign_in_password", type="password", autocomplete="current-password")
    st.form_submit_button("Sign in", type="primary", on_click=submit)

error = st.session_state.pop(ERROR_KEY, None)
if error:
    st.error(error, icon=":material/error:")
st.caption(f"After {MAX_FAILURES} wrong passwords in a row an account is locked for a while. Forgotten your "
           "password? Ask an administrator to set a new one.")
