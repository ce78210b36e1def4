"""Who is signed in: local accounts (argon2 passwords) or single sign-on through `st.login`.

Contract for pages: `current_user()` returns None (nobody signed in) or a dict with
`email`, `role` ('viewer' | 'lead' | 'analyst' | 'admin') and `areas` (outcome area ids
a lead may submit for).

A local sign-in lives in this browser session only (reloading the page signs out) and ends
after `IDLE_TIMEOUT` without use or `MAX_SESSION` in all. The role is read from the database
on every run, so a removed account or a changed role takes effect at once. With an `[auth]`
section in `.streamlit/secrets.toml`, people can also sign in through the organisation's
identity provider (OIDC); their role is looked up by the email the provider confirms.
The checks that matter are in `kpis/` (permissions.require); this module only says who is asking.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from app_pages._common import any_accounts, per_run, store
from kpis.access import accounts as auth
from kpis.access.permissions import Actor, actor_for, may, normalise_email
from kpis.board.tables import md_email, md_escape
from kpis.store.database import StoreBusy, now

SESSION_KEY = "auth_session"
NOTICE_KEY = "auth_notice"
VISITOR_KEY = "auth_last_visitor"
_last_open_mode = {"known": False}  # this server's last answer to "are there no accounts yet?"
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION = timedelta(hours=12)
# WCAG 2.2.1 Timing adjustable: a warning before either limit, checked every TIMER_EVERY_S by a fragment (its runs
# are not use of the dashboard, so they do not reset the idle time). The idle limit can be extended with one button,
# as often as wanted. The 12-hour limit cannot (a security limit, shorter than WCAG's 20-hour exception): it is
# announced END_WARNING ahead and named in the accessibility statement.
IDLE_WARNING = timedelta(minutes=25)
END_WARNING = timedelta(minutes=10)
TIMER_EVERY_S = 30
UK = ZoneInfo("Europe/London")


def sso_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an [auth] section (single sign-on through st.login)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def open_demo_mode() -> bool:
    """No account exists yet (a fresh demo install): nobody signs in and every page is open."""
    return not any_accounts()


def remember_visitor(open_mode: bool, actor: Actor | None) -> None:
    """Keep who this visitor was on this run, for a run when the database is busy (`remembered_visitor`)."""
    st.session_state[VISITOR_KEY] = (open_mode, actor)
    _last_open_mode["known"] = open_mode


def remembered_visitor() -> tuple[bool, Actor | None]:
    """(open mode, actor) as on this visitor's last run; a new visitor gets what the server last saw, signed out.

    Used only to list the same pages while the database is busy; no page is run and no figure is shown then.
    """
    return st.session_state.get(VISITOR_KEY) or (_last_open_mode["known"], None)


def _sso_email() -> str | None:
    if not sso_configured() or not st.user.get("is_logged_in"):
        return None
    return st.user.get("email") or None


def current_actor(*, at: datetime | None = None) -> Actor | None:
    """The signed-in user as a `kpis.access.permissions.Actor`, or None."""
    at = at or now()
    session = st.session_state.get(SESSION_KEY)
    sso_email = _sso_email()
    if sso_email and (session is None or session.get("email") != normalise_email(sso_email)):
        actor = auth.single_sign_on(store(), sso_email, at=at)  # logged once per browser session
        if actor is None:
            st.session_state[NOTICE_KEY] = (f"{sso_email} signed in with single sign-on but has no account here. "
                                            "Ask an administrator to add you.")
            st.session_state[SESSION_KEY] = {"email": normalise_email(sso_email), "method": "sso", "unknown": True,
                                             "started": at, "last_seen": at}
            return None
        st.session_state[SESSION_KEY] = {"email": actor.email, "method": "sso", "started": at, "last_seen": at}
        return actor
    if session is None or session.get("unknown"):
        return None
    if session["method"] == "sso" and not sso_email:  # signed out at the identity provider's end
        st.session_state.pop(SESSION_KEY, None)
        return None
    if at - session["last_seen"] > IDLE_TIMEOUT or at - session["started"] > MAX_SESSION:
        _end(session, reason="session timed out", at=at)
        st.session_state[NOTICE_KEY] = "Your session timed out, so you were signed out. Please sign in again."
        if session["method"] == "sso":
            st.logout()
        return None
    actor = per_run(("actor", session["email"]), lambda: actor_for(store(), session["email"]))
    if actor is None:  # the account was removed while signed in
        st.session_state.pop(SESSION_KEY, None)
        return None
    session["last_seen"] = at
    return actor


def session_warning(session: dict | None, at: datetime) -> str | None:
    """What the timer should say about a sign-in at `at`: None, "idle" (the idle limit is near), "limit" (the
    12-hour limit is near) or "ended" (a limit has passed: the next full run signs out)."""
    if not session or session.get("unknown"):
        return None
    idle_end, hard_end = session["last_seen"] + IDLE_TIMEOUT, session["started"] + MAX_SESSION
    if at >= min(idle_end, hard_end):
        return "ended"
    if hard_end - at <= END_WARNING and hard_end <= idle_end:
        return "limit"
    return "idle" if at - session["last_seen"] >= IDLE_WARNING else None


def stay_signed_in() -> None:
    """The warning's button: counts as use, so the idle limit starts again."""
    session = st.session_state.get(SESSION_KEY)
    if session:
        session["last_seen"] = now()


def _clock(moment: datetime) -> str:
    return f"{moment.replace(tzinfo=UTC).astimezone(UK):%H:%M}"


@st.fragment(run_every=TIMER_EVERY_S)
def session_timer() -> None:
    """A warning before the sign-in ends, with a button to stay signed in (WCAG 2.2.1). Call it for a signed-in
    visitor on every full run; it runs again on its own every TIMER_EVERY_S."""
    at = now()
    session = st.session_state.get(SESSION_KEY)
    state = session_warning(session, at)
    if state == "ended":
        st.rerun(scope="app")  # the full run signs out and says why
    if state == "idle":
        end = session["last_seen"] + IDLE_TIMEOUT
        minutes = max(1, round((end - at).total_seconds() / 60))
        with st.container(key="session-timeout"):
            st.warning(f"**You will be signed out soon.** You have not used the dashboard for a while, so for "
                       f"security you will be signed out at {_clock(end)} (in about {minutes} minute"
                       f"{'' if minutes == 1 else 's'}). Choose *Stay signed in* to carry on.",
                       icon=":material/timer:")
            st.button("Stay signed in", key="stay_signed_in", type="primary", on_click=stay_signed_in)
    elif state == "limit":
        end = session["started"] + MAX_SESSION
        with st.container(key="session-timeout"):
            hours = int(MAX_SESSION.total_seconds() // 3600)
            st.warning(f"**Your sign-in ends at {_clock(end)}**, {hours} hours after you "
                       "signed in. For security it cannot be extended: download anything you need, then sign in "
                       "again.", icon=":material/timer:")


def may_open(action: str, actor: Actor | None, *, open_mode: bool) -> bool:
    """Whether someone may open a page that needs `action`: the one rule for the navigation and the pages.

    Everyone may in open demo mode (no account exists). "submit" pages are for an administrator, or a lead with
    at least one outcome area; the domain checks each area again when a return is stored.
    """
    if action == "submit":
        return may(actor, lambda who: who.role == "admin" or (who.role == "lead" and bool(who.areas)),
                   open_mode=open_mode)
    return may(actor, action, open_mode=open_mode)


def page_may(actor: Actor | None, action: str | Callable[[Actor], bool], *, area: str | None = None) -> bool:
    """`kpis.access.permissions.may` for this visitor (the actor `require_page` returned): whether they may do
    `action` here, everyone in open demo mode."""
    return may(actor, action, open_mode=open_demo_mode(), area=area)


def require_page(action: str) -> Actor | None:
    """The first line of every restricted page: stop here unless this visitor may open it.

    The navigation already lists only the pages a visitor may open; this check does not rely on it, so a page
    run in any other way (a deep link, a rerun, a change in how Streamlit finds pages) is refused all the same.
    Returns the signed-in actor, or None in open demo mode.
    """
    open_mode = open_demo_mode()
    actor = None if open_mode else current_actor()
    if not may_open(action, actor, open_mode=open_mode):
        if actor is None:
            st.error("Please sign in to see this page.", icon=":material/lock:")
        else:
            role = actor.role_name.lower()
            st.error(f"You are signed in as {'an' if role[0] in 'aeiou' else 'a'} {role}, and this page is not open "
                     "to that role. Ask an administrator if you need it.", icon=":material/block:")
        st.stop()
    return actor


def current_user() -> dict | None:
    actor = current_actor()
    return actor.as_dict() if actor else None


def sign_in(email: str, password: str) -> Actor:
    """Check a local password; on success start a session. Raises kpis.access.accounts.SignInFailed."""
    at = now()
    actor = auth.authenticate(store(), email, password, at=at)
    st.session_state[SESSION_KEY] = {"email": actor.email, "method": "password", "started": at, "last_seen": at}
    return actor


def sign_out() -> None:
    session = st.session_state.get(SESSION_KEY)
    notice = "You have signed out."
    if session and not session.get("unknown"):
        try:
            _end(session, reason="signed out", at=now())
        except StoreBusy:  # sign out all the same; only the audit line is missing
            notice += " (The sign-out could not be written to the audit log: the database was busy.)"
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(VISITOR_KEY, None)
    st.session_state[NOTICE_KEY] = notice
    if session and session.get("method") == "sso":
        st.logout()


def _end(session: dict, *, reason: str, at: datetime) -> None:
    st.session_state.pop(SESSION_KEY, None)
    auth.record_sign_out(store(), session["email"], reason=reason, at=at)


def account_box(actor: Actor | None) -> None:
    """The sidebar's account panel: who is signed in, and a sign-out button."""
    if actor is None:
        return
    with st.sidebar:
        st.divider()
        areas = f" ({', '.join(actor.areas)})" if actor.areas else ""
        st.caption(f"Signed in as **{md_email(actor.email)}**, {actor.role_name.lower()}{md_escape(areas)}")
        st.button("Sign out", key="sign_out", icon=":material/logout:", on_click=sign_out)
