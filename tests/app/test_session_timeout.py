"""WCAG 2.2.1 Timing adjustable: a sign-in warns before it times out and can be extended with one button.

The warning is a fragment that runs again on its own (st.fragment(run_every=...)); its runs are not use of the
dashboard. Here AppTest runs it with an injected session, as the fragment finds it after minutes of no use.
"""
from __future__ import annotations

from datetime import timedelta

from streamlit.testing.v1 import AppTest

from app_pages._auth import (
    END_WARNING,
    IDLE_TIMEOUT,
    IDLE_WARNING,
    MAX_SESSION,
    SESSION_KEY,
    TIMER_EVERY_S,
    session_warning,
)
from kpis.store.database import now


def timer_app() -> None:
    from app_pages._auth import session_timer
    session_timer()


def run_timer(*, idle: timedelta, signed_in_for: timedelta = timedelta(hours=1)) -> AppTest:
    at = AppTest.from_function(timer_app, default_timeout=30)
    t = now()
    at.session_state[SESSION_KEY] = {"email": "analyst@example.org", "method": "password",
                                     "started": t - signed_in_for, "last_seen": t - idle}
    return at.run()


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_a_warning_comes_before_the_idle_timeout_and_one_button_extends_the_session():
    assert timedelta(seconds=20) + timedelta(seconds=TIMER_EVERY_S) <= IDLE_TIMEOUT - IDLE_WARNING
    at = run_timer(idle=timedelta(minutes=26))
    assert not at.exception, at.exception
    assert "You will be signed out soon" in warnings(at) and "in about 4 minutes" in warnings(at)
    stay = at.button(key="stay_signed_in")
    assert stay.label == "Stay signed in"
    before = at.session_state[SESSION_KEY]["last_seen"]
    stay.click().run()
    assert at.session_state[SESSION_KEY]["last_seen"] - before > timedelta(minutes=25)
    assert not at.warning, "the warning goes once the session is extended"
    for _ in range(10):  # as often as wanted (WCAG asks for at least ten times)
        at.session_state[SESSION_KEY]["last_seen"] = now() - timedelta(minutes=27)
        at.run()
        at.button(key="stay_signed_in").click().run()
        assert not at.warning


def test_no_warning_while_in_use():
    at = run_timer(idle=timedelta(minutes=10))
    assert not at.exception and not at.warning and not at.button


def test_the_twelve_hour_limit_is_announced_but_cannot_be_extended():
    at = run_timer(idle=timedelta(minutes=1), signed_in_for=MAX_SESSION - timedelta(minutes=8))
    assert "Your sign-in ends at" in warnings(at) and "cannot be extended" in warnings(at)
    assert not at.button


def test_which_warning_when():
    t = now()
    session = {"started": t - timedelta(hours=1), "last_seen": t}
    assert session_warning(None, t) is None and session_warning({"unknown": True}, t) is None
    assert session_warning(session, t + IDLE_WARNING - timedelta(seconds=1)) is None
    assert session_warning(session, t + IDLE_WARNING) == "idle"
    assert session_warning(session, t + IDLE_TIMEOUT) == "ended"
    late = {"started": t - MAX_SESSION + END_WARNING, "last_seen": t}
    assert session_warning(late, t) == "limit"
    assert session_warning(late, t + END_WARNING) == "ended"
