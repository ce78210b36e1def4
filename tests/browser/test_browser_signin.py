"""Signing in and out in a real Chromium, one screenshot per role (test-artifacts/role-*.png), and single
sign-on through `st.login` against oidc-provider-mock (a real OpenID Connect provider) on loopback."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.auth import ACCOUNTS, PASSWORD, accounts_db, accounts_db_master
from tests.support.browser import browser_page, free_port, running_app, screenshot, wait_for_app, wait_for_drawn

NAV = '[data-testid="stSidebarNav"]'
ROLE_PAGES = {  # role: (page to show, text on it, pages the sidebar must list, pages it must not)
    "viewer": ("", "Worcestershire Children", {"Board scorecard", "Board pack"},
               {"Submit a return", "SQL console", "Users and audit"}),
    "lead": ("upload", "Submit a quarterly return", {"Board scorecard", "Submit a return"},
             {"SQL console", "Users and audit"}),
    "analyst": ("sql", "SQL console", {"Explorer", "SQL console"}, {"Submit a return", "Users and audit"}),
    "admin": ("admin", "Users and audit", {"Submit a return", "SQL console", "Users and audit"}, set()),
}


def nav_text(page) -> str:
    """Every page the sidebar lists (opening the "View more" fold when the list is long)."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.inner_text().lower():
        more.click()
        page.wait_for_timeout(300)
    return page.locator(NAV).inner_text()


def no_errors(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and page.locator('[data-testid="stException"]').count() == 0


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/sign-in")
    wait_for_app(page, text="Email address")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.locator(NAV).get_by_text("Sign in").wait_for()


def test_sign_in_and_out_as_each_role_with_screenshots(accounts_db):
    with running_app(accounts_db) as url, browser_page(width=1400, height=1000) as page:
        page.goto(url)
        wait_for_app(page, text="published figures")
        assert set(nav_text(page).split("\n")) >= {"Public view", "Sign in"}
        assert "Board scorecard" not in nav_text(page)
        page.get_by_text("MH01 Missing education").first.wait_for()
        page.get_by_text("Groups of children, latest period").nth(1).click()   # EWMH: small counts hidden
        page.get_by_text("Suppressed").first.wait_for()
        page.locator('[data-testid="stExpanderDetails"]:visible').last.scroll_into_view_if_needed()
        wait_for_drawn(page)
        screenshot(page, "role-public")                   # the EWMH groups, small counts suppressed
        page.goto(f"{url}/scorecard")                       # a board page's address, signed out
        wait_for_app(page, text="published figures")
        assert "Board scorecard" not in page.inner_text('[data-testid="stMain"]')

        sign_in(page, url, ACCOUNTS["viewer"][0], "not the right password")
        page.get_by_text("was not recognised").wait_for()
        assert "Board scorecard" not in nav_text(page)

        for role, (path, text, shown, hidden) in ROLE_PAGES.items():
            email = ACCOUNTS[role][0]
            sign_in(page, url, email, PASSWORD)
            page.get_by_text("Signed in as").wait_for(timeout=30_000)
            if path:  # by the sidebar: typing an address is a new page load, a new session, signed out
                nav_text(page)
                page.locator(NAV).get_by_text(
                    {"upload": "Submit a return", "sql": "SQL console", "admin": "Users and audit"}[path]).click()
            wait_for_app(page, text=text)
            wait_for_drawn(page)                              # tables and widgets drawn
            listed = nav_text(page)
            assert all(p in listed for p in shown), (role, listed)
            assert not any(p in listed for p in hidden), (role, listed)
            assert email in page.inner_text('[data-testid="stSidebar"]')
            no_errors(page)
            screenshot(page, f"role-{role}")
            sign_out(page)
            wait_for_app(page, text="published figures")
            assert "Board scorecard" not in nav_text(page)


# -- single sign-on -----------------------------------------------------------------------------------
@contextlib.contextmanager
def oidc_provider():
    """oidc-provider-mock on 127.0.0.1 (a free port); yields its base URL."""
    port = free_port()
    exe = Path(sys.executable).with_name("oidc-provider-mock")
    proc = subprocess.Popen([str(exe), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("oidc-provider-mock did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_single_sign_on_with_an_oidc_provider(accounts_db, tmp_path):
    pytest.importorskip("authlib")
    with oidc_provider() as issuer:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-only-cookie-secret-of-some-length"\n'
            'client_id = "kpis-dashboard"\n'
            'client_secret = "test-only-client-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n', encoding="utf-8")
        env = {"STREAMLIT_SECRETS_FILES": str(secrets)}
        with running_app(accounts_db, env=env) as url, browser_page() as page:
            page.goto(url)                            # the first visit registers the navigation with the server
            wait_for_app(page, text="published figures")
            page.goto(f"{url}/sign-in")
            wait_for_app(page, text="Email address")
            page.get_by_role("button", name="Sign in with your organisation's account").click()
            page.locator('input[name="sub"]').wait_for(timeout=30_000)     # the provider's own page
            page.locator('input[name="sub"]').fill(ACCOUNTS["analyst"][0])
            page.get_by_role("button", name="Authorize").click()
            page.get_by_text("Signed in as").wait_for(timeout=30_000)
            wait_for_app(page)
            listed = nav_text(page)
            assert "SQL console" in listed and "Users and audit" not in listed
            screenshot(page, "role-analyst-sso")
            page.reload()                                   # the sign-on cookie outlives a reload
            page.get_by_text("Signed in as").wait_for(timeout=30_000)
            page.get_by_role("button", name="Sign out").click()
            page.get_by_role("button", name="End session").click(timeout=30_000)   # the provider's own page
            page.wait_for_url(f"{url}/**", timeout=30_000)
            page.goto(url)
            wait_for_app(page, text="published figures")
            assert "SQL console" not in nav_text(page) and "Signed in as" not in page.inner_text("body")

            # someone the provider knows but the partnership has not given an account
            page.goto(f"{url}/sign-in")
            wait_for_app(page, text="Email address")
            page.get_by_role("button", name="Sign in with your organisation's account").click()
            page.locator('input[name="sub"]').fill("stranger@council.gov.uk")
            page.get_by_role("button", name="Authorize").click()
            wait_for_app(page, text="published figures")
            page.goto(f"{url}/sign-in")
            page.get_by_text("has no account here").wait_for(timeout=30_000)
            assert "SQL console" not in nav_text(page)
