"""AppTest for each role: which pages they get, what those pages let them do, and signing in and out."""
from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages._auth import SESSION_KEY
from app_pages._common import store as app_store
from kpis.access.accounts import MAX_FAILURES
from kpis.access.audit import audit_entries
from kpis.store.database import now
from tests.conftest import ROOT
from tests.support.apptest import texts
from tests.support.auth import ACCOUNTS, PASSWORD

warnings.filterwarnings("ignore", category=DeprecationWarning)

BOARD = {"Overview", "Board scorecard", "What changed", "Early help", "Emotional wellbeing and mental health", "SEND",
         "Safeguarding", "KPI detail", "Board pack", "Board meetings"}
ANALYSIS = {"Explorer", "Definitions", "Data quality", "SQL console"}
PUBLIC = {"Public view", "Accessibility statement"}
RETURNS = {"Submit a return"}
ADMIN = {"Users and audit", "Import published figures"}
SEES = {
    None: PUBLIC | {"Sign in"},
    "viewer": BOARD | PUBLIC,
    "lead": BOARD | RETURNS | PUBLIC,
    "analyst": BOARD | ANALYSIS | PUBLIC,
    "admin": BOARD | RETURNS | ANALYSIS | ADMIN | PUBLIC,
}


def session(role: str, *, idle: timedelta = timedelta(0)) -> dict:
    at = now() - idle
    return {"email": ACCOUNTS[role][0], "method": "password", "started": at, "last_seen": at}


def app(db: Path, app_env, role: str | None = None, **kw) -> AppTest:
    """dashboard.py run for `role` on `db`; `app_env` is `app_env`, or `reader_env` for a test that only reads (one
    shared copy of the database, and what the app cached for it: tests/app/conftest.py)."""
    app_env(db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if role:
        at.session_state[SESSION_KEY] = session(role, **kw)
    return at.run()


def pages(at: AppTest) -> set[str]:
    """The pages this session's navigation offers (Streamlit serves no other)."""
    return {info["page_name"] for info in at._registered_pages.values()}




def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    return button(at, "Sign in").click().run()


@pytest.mark.parametrize("role", [None, "viewer", "lead", "analyst", "admin"])
def test_each_role_sees_exactly_its_pages(readers_accounts_db, reader_env, role):
    at = app(readers_accounts_db, reader_env, role)
    assert not at.exception, at.exception
    assert pages(at) == SEES[role]
    for hidden in {"app_pages/scorecard.py", "app_pages/sql.py", "app_pages/explorer.py", "app_pages/admin.py"}:
        name = {"app_pages/scorecard.py": "Board scorecard", "app_pages/sql.py": "SQL console",
                "app_pages/explorer.py": "Explorer", "app_pages/admin.py": "Users and audit"}[hidden]
        if name not in SEES[role]:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(hidden)
    body = texts(at)
    if role is None:
        assert "published figures" in body and "Signed in as" not in body      # the public view is the default
    else:
        assert f"Signed in as **{ACCOUNTS[role][0]}**" in body.replace("\\", "").replace("\u2060", "")
        assert "No accounts set up" not in body


@pytest.mark.parametrize("role,page", [("viewer", "app_pages/scorecard.py"), ("lead", "app_pages/kpi.py"),
                                       ("analyst", "app_pages/sql.py"), ("analyst", "app_pages/explorer.py"),
                                       ("admin", "app_pages/admin.py")])
def test_each_role_can_open_its_pages(readers_accounts_db, reader_env, role, page):
    at = app(readers_accounts_db, reader_env, role)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


# Each restricted page and the roles it is open to (None: signed out).
RESTRICTED = {"home": {"viewer", "lead", "analyst", "admin"}, "scorecard": {"viewer", "lead", "analyst", "admin"},
              "changes": {"viewer", "lead", "analyst", "admin"}, "kpi": {"viewer", "lead", "analyst", "admin"},
              "board_pack": {"viewer", "lead", "analyst", "admin"}, "meetings": {"viewer", "lead", "analyst", "admin"},
              "upload": {"lead", "admin"},
              "explorer": {"analyst", "admin"}, "definitions": {"analyst", "admin"},
              "data_quality": {"analyst", "admin"}, "sql": {"analyst", "admin"}, "admin": {"admin"},
              "imports": {"admin"}}


@pytest.mark.parametrize("page", sorted(RESTRICTED))
def test_every_restricted_page_refuses_whoever_may_not_open_it_even_if_run_without_the_navigation(
        readers_accounts_db, reader_env, page):
    """Run the page file on its own, as Streamlit's old pages-folder mode would: the page's own check stops it."""
    reader_env(readers_accounts_db)
    for role in (None, "viewer", "lead", "analyst", "admin"):
        at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=60)
        if role:
            at.session_state[SESSION_KEY] = session(role)
        at.run()
        errors = [e.value for e in at.error]
        if role in RESTRICTED[page]:   # let in (a page with links to others then needs the navigation to go on)
            assert not any("not open to that role" in e or "Please sign in" in e for e in errors), (page, role)
            continue
        assert not at.exception, (page, role, at.exception)
        expected = ("Please sign in to see this page." if role is None else
                    "this page is not open to that role. Ask an administrator if you need it.")
        assert len(errors) == 1 and expected in errors[0], (page, role, errors)
        # nothing but the refusal: no title, text, table, field or download
        assert not (at.title or at.markdown or at.caption or at.dataframe or at.table or at.text_input
                    or at.get("download_button")), (page, role)


def add_user_form(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="new_user_email").input(email)
    at.selectbox(key="new_user_role").select("lead")
    at.multiselect(key="new_user_areas").select("send")
    at.text_input(key="new_user_password").input(password)
    return button(at, "Add user").click().run()


def test_admin_manages_users_and_reads_the_audit_log(accounts_db, app_env):
    at = app(accounts_db, app_env, "admin")
    at.switch_page("app_pages/admin.py").run()
    users = at.dataframe[0].value
    assert set(users["Email"]) == {email for email, _ in ACCOUNTS.values()}
    assert "password_hash" not in users.columns
    add_user_form(at, "new.lead@example.org", "a long enough password")
    assert not at.exception and "Added new.lead@example.org." in [s.value for s in at.success]
    assert "new.lead@example.org" in set(at.dataframe[0].value["Email"])
    add_user_form(at, "other.lead@example.org", "short")
    assert "at least 12 characters" in at.error[0].value                   # refused by kpis, said plainly
    log = at.dataframe[1].value
    assert {"When", "Who", "What", "Details"} <= set(log.columns)
    assert "User added" in set(log["What"]) and "Return submitted" in set(log["What"])
    at.selectbox(key="manage_user").select("new.lead@example.org").run()
    button(at, "Remove").click().run()
    assert "Removed new.lead@example.org." in [s.value for s in at.success]
    assert "new.lead@example.org" not in set(at.dataframe[0].value["Email"])


def test_sign_in_and_out_through_the_form(accounts_db, app_env):
    at = app(accounts_db, app_env)
    at.switch_page("app_pages/signin.py").run()
    assert at.text_input(key="sign_in_password").proto.type == at.text_input(key="sign_in_password").proto.PASSWORD
    sign_in(at, "board.member@example.org", PASSWORD)
    assert not at.exception, at.exception
    assert pages(at) == SEES["viewer"]
    assert "Signed in as" in texts(at)
    assert PASSWORD not in repr(at.session_state)                  # the form was cleared
    button(at, "Sign out").click().run()
    assert pages(at) == SEES[None]
    assert "You have signed out." in texts(at) or "published figures" in texts(at)
    log = audit_entries(app_store())           # the app's own connection: one per process
    assert list(log["action"][:2]) == ["sign_out", "sign_in"]


def test_wrong_passwords_say_so_and_lock_the_account(accounts_db, app_env):
    at = app(accounts_db, app_env)
    at.switch_page("app_pages/signin.py").run()
    sign_in(at, "analyst@example.org", "")
    assert at.error[0].value == "Enter your email address and your password."
    for i in range(MAX_FAILURES - 1):
        sign_in(at, "analyst@example.org", f"not my password {i}")
        assert at.error[0].value == "The email address or password was not recognised."
    sign_in(at, "analyst@example.org", "not my password again")
    assert "locked for 15 more minute(s)" in at.error[0].value
    sign_in(at, "analyst@example.org", PASSWORD)                  # even the right password, while locked
    assert "locked" in at.error[0].value and pages(at) == SEES[None]


def test_a_failed_sign_in_keeps_the_email_and_clears_only_the_password(accounts_db, app_env):
    at = app(accounts_db, app_env)
    at.switch_page("app_pages/signin.py").run()
    sign_in(at, "analyst@example.org", "not my password")
    assert at.error[0].value == "The email address or password was not recognised."
    assert at.text_input(key="sign_in_email").value == "analyst@example.org"      # WCAG 3.3.7: not typed again
    assert at.text_input(key="sign_in_password").value == ""
    assert "not my password" not in repr(at.session_state)
    at.text_input(key="sign_in_password").input(PASSWORD)
    button(at, "Sign in").click().run()
    assert pages(at) == SEES["analyst"]


def test_an_idle_session_times_out(accounts_db, app_env):
    at = app(accounts_db, app_env, "analyst", idle=timedelta(minutes=31))
    assert pages(at) == SEES[None]
    at.switch_page("app_pages/signin.py").run()
    assert "timed out" in texts(at)
    assert "session timed out" in audit_entries(app_store(), actions=["sign_out"]).iloc[0]["detail"]
    at = app(accounts_db, app_env, "analyst", idle=timedelta(minutes=29))
    assert pages(at) == SEES["analyst"]


def test_a_removed_account_loses_access_at_once(accounts_db, app_env):
    at = app(accounts_db, app_env, "viewer")
    assert pages(at) == SEES["viewer"]
    with app_store().transaction() as cur:
        cur.execute("DELETE FROM users WHERE email = ?", [ACCOUNTS["viewer"][0]])
    # The same browser session's next run (a fresh AppTest with its session state: AppTest re-runs a page
    # file without dashboard.py when a pages/ folder exists; the app has none, as on the real server).
    again = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    again.session_state[SESSION_KEY] = at.session_state[SESSION_KEY]
    assert pages(again.run()) == SEES[None]


SSO = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "kpis", "client_secret": "test", "server_metadata_url":
                    "http://127.0.0.1:9/.well-known/openid-configuration"}}


def test_single_sign_on_users_get_the_role_of_their_email(accounts_db, app_env):
    app_env(accounts_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets = SSO
    at.user = {"is_logged_in": True, "email": "Analyst@example.org", "name": "An Analyst"}
    at.run()
    assert not at.exception, at.exception
    assert pages(at) == SEES["analyst"]
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets = SSO
    at.user = {"is_logged_in": True, "email": "stranger@council.gov.uk"}
    at.run()
    assert pages(at) == SEES[None]
    at.switch_page("app_pages/signin.py").run()
    assert "has no account here" in texts(at)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets = SSO
    at.user = {"is_logged_in": False}
    at.run().switch_page("app_pages/signin.py").run()
    assert "Sign in with your organisation's account" in [b.label for b in at.button]


def test_open_demo_mode_shows_every_page_with_a_banner(readers_demo_db, reader_env):
    at = app(readers_demo_db, reader_env)
    assert pages(at) == SEES["admin"]
    assert "No accounts set up: anyone can see every page" in texts(at)
    at.switch_page("app_pages/admin.py").run()
    assert not at.exception and "user add EMAIL --role admin" in texts(at)
    assert [t.key for t in at.text_input] == ["audit_actor"]      # a filter; no account can be changed here


def count_cells(table: pd.DataFrame) -> list[str]:
    cells = list(table["Count"]) + list(table["Out of"])
    return [c for c in cells if c and c != "–" and 1 <= float(str(c).replace(",", "")) <= 7]


def test_the_public_view_shows_no_count_from_1_to_7(readers_accounts_db, reader_env):
    at = app(readers_accounts_db, reader_env)
    assert not at.exception, at.exception
    tables = [t.value for t in at.table if "Value" in t.value.columns]  # the figures (not the board's decisions)
    assert len(tables) >= 8                                       # a latest table and a groups table per area
    count_kpis = ("EH05", "MH01")
    for table in tables:
        assert count_cells(table) == []
        for label, value in zip(table.index, table["Value"], strict=False):
            if str(label).startswith(count_kpis) and value[0].isdigit():
                assert not 1 <= float(value.split()[0].replace(",", "")) <= 7, (label, value)
    shown = " ".join(" ".join(t["Value"]) for t in tables)
    assert "Suppressed" in shown
    assert "What the sub-group says" in " ".join(e.label for e in at.expander)


def test_a_lead_cannot_submit_for_another_area_on_the_upload_page(accounts_db, app_env, monkeypatch):
    from datetime import date

    import app_pages._auth
    from kpis.access.permissions import Actor
    from kpis.returns.templates import default_period
    from tests.support.returns import framework
    from tools.sample_returns import filled_template
    period = default_period(date.today()).label
    at = app(accounts_db, app_env, "lead")                       # lead for safeguarding only
    at.switch_page("app_pages/upload.py").run()
    assert at.selectbox(key="upload_area").options == ["Worcestershire Safeguarding Children Partnership "
                                                       "(Safeguarding)"]
    # Suppose the page were fooled into offering SEND too (a bug, a forged session): kpis still refuses.
    lead = ACCOUNTS["lead"][0]
    monkeypatch.setattr(app_pages._auth, "current_actor",
                        lambda *, at=None: Actor(lead, "lead", ("safeguarding", "send")))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state[SESSION_KEY] = session("lead")
    at.run().switch_page("app_pages/upload.py").run()
    at.selectbox(key="upload_area").select("send").run()
    at.file_uploader(key="upload_file").set_value(
        ("send.xlsx", filled_template(framework(), "send", period), "application/octet-stream")).run()
    assert not at.exception and not at.button(key="upload_confirm").disabled
    before = app_store().scalar("SELECT count(*) FROM batches WHERE kind = 'submission'")
    at.button(key="upload_confirm").click().run()
    assert "sub-group lead for safeguarding, not for send" in " ".join(e.value for e in at.error)
    assert app_store().scalar("SELECT count(*) FROM batches WHERE kind = 'submission'") == before


@pytest.mark.parametrize("role,offered", [("viewer", False), ("lead", False), ("analyst", True), ("admin", True)])
def test_only_analysts_and_administrators_get_the_kpi_download(readers_accounts_db, reader_env, role, offered):
    at = app(readers_accounts_db, reader_env, role)
    at.switch_page("app_pages/kpi.py").run()
    assert not at.exception, at.exception
    assert bool(at.get("download_button")) is offered
    if not offered:
        assert "Downloads of the data are for analysts and administrators" in texts(at)


def test_the_public_view_has_england_and_the_frameworks_order(readers_accounts_db, reader_env):
    """Issue 16: no England column, and KPIs in the order of their periods rather than the framework's."""
    at = app(readers_accounts_db, reader_env)
    assert not at.exception, at.exception
    from kpis.core.framework import load_framework
    fw = load_framework()
    latest = [t.value for t in at.table if t.value.index.name == "KPI"]
    assert len(latest) == len(fw.areas)
    for table, area in zip(latest, fw.areas, strict=False):
        ids = [str(label).split()[0] for label in table.index]
        order = [k.id for k in fw.kpis_in_area(area.id)]
        assert ids == [k for k in order if k in ids]                     # framework order
        assert "England (period)" in table.columns
        assert "None" not in table.to_string() and "nan" not in table.to_string()
    every = pd.concat(latest)
    england = dict(zip([str(i).split()[0] for i in every.index], every["England (period)"], strict=False))
    assert england["SG02"].endswith("(2024/25)") and england["SG02"][0].isdigit()
    assert england["MH01"] == "No national figure of this definition"
    assert england["SG01"] == "No national figure of this definition (related measure: plans over 2 years)"
