"""Sign in: with the organisation's single sign-on where it is set up, or a local account."""
import streamlit as st

from kpis.access.accounts import MAX_FAILURES, SignInFailed
from app_pages._auth import NOTICE_KEY, sign_in, sso_configured
from app_pages._common import framework

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

with st.form("sign_in_form", clear_on_submit=True):  # cleared, so the password is not kept in the session
    email = st.text_input("Email address", key="sign_in_email", autocomplete="email")
    password = st.text_input("Password", key="sign_in_password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    if not email.strip() or not password:
        st.error("Enter your email address and your password.", icon=":material/error:")
    else:
        try:
            sign_in(email, password)
        except SignInFailed as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            st.rerun()
st.caption(f"After {MAX_FAILURES} wrong passwords in a row an account is locked for a while. Forgotten your "
           "password? Ask an administrator to set a new one.")
