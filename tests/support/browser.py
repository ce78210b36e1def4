"""Run the real app and a real headless Chromium (Debian's), for browser tests and screenshots.

Under CI (CI=true) a missing Chromium is a failure, never a skip.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpis.core.chromium import ChromiumNotFound, find_chromium
from tools.bench.serve import free_port, serve_app

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    """The one Chromium the product uses (`kpis.core.chromium`); under CI=true a missing one fails."""
    try:
        return find_chromium()
    except ChromiumNotFound as exc:
        message = str(exc)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def running_app(db: Path, *, env: dict | None = None, timeout: float = 60):
    """Start `streamlit run dashboard.py` on 127.0.0.1 and yield its base URL; stop it afterwards.

    The same server starter as the load test (`tools.bench.serve.serve_app`); its log sits beside the database."""
    with serve_app(db, env=env, timeout=timeout, log=Path(db).parent / f"streamlit-{free_port()}.log") as app:
        yield app.url


@pytest.fixture(scope="session")
def demo_app(demo_db_master, tmp_path_factory) -> Iterator[str]:
    """The base URL of one app served for the whole session (one per xdist worker) on a copy of the demo database,
    no accounts (open demo mode), for browser tests that only read. A test that changes the database, or needs a
    server of its own (its first request, its own environment), starts one with running_app instead."""
    db = tmp_path_factory.mktemp("demo-app") / "demo.duckdb"
    shutil.copy(demo_db_master, db)
    with running_app(db) as url:
        yield url


@pytest.fixture(scope="session")
def accounts_app(accounts_db_master, tmp_path_factory) -> Iterator[str]:
    """The base URL of one app served for the whole session (one per xdist worker) on a copy of the demo database
    with one account per role (tests.support.auth), for browser tests that sign in and only read."""
    db = tmp_path_factory.mktemp("accounts-app") / "accounts.duckdb"
    shutil.copy(accounts_db_master, db)
    with running_app(db) as url:
        yield url


# One Playwright driver and one Chromium per test process, started on first use: launching them costs more CPU than
# most browser tests spend on their page. Each use gets a fresh browser context (its own cookies, storage and cache,
# like a new incognito window), so tests stay as isolated as with a browser each. They are closed at the end of each
# browser test module (tests/browser/conftest.py) and at exit, because Playwright's sync API refuses to start a second
# driver while one runs, and other test files (tests/packs) start their own.
_SHARED: dict = {"playwright": None, "browser": None, "launches": 0}


def shared_browser():
    """This process's Chromium, launched on first use, or again if it has gone (crashed or closed)."""
    browser = _SHARED["browser"]
    if browser is not None and browser.is_connected():
        return browser
    exe = chromium_path()
    if _SHARED["playwright"] is None:
        from playwright.sync_api import sync_playwright
        _SHARED["playwright"] = sync_playwright().start()
    _SHARED["browser"] = _SHARED["playwright"].chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
    _SHARED["launches"] += 1
    return _SHARED["browser"]


def close_shared_browser() -> None:
    """Close this process's Chromium and stop its Playwright driver, if started."""
    browser, playwright = _SHARED["browser"], _SHARED["playwright"]
    _SHARED["browser"] = _SHARED["playwright"] = None
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    finally:
        if playwright is not None:
            playwright.stop()


atexit.register(close_shared_browser)


@contextlib.contextmanager
def browser_page(*, width: int = 1400, height: int = 1000):
    """A new page in a fresh browser context of the shared Chromium, at width × height; the context is closed after."""
    context = shared_browser().new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def wait_for_app(page, *, text: str | None = None, timeout: float = 30_000) -> None:
    """Wait until the main area shows `text` (or any heading) and Streamlit has stopped running."""
    main = page.locator('[data-testid="stMain"]')
    if text:
        main.get_by_text(text, exact=False).first.wait_for(timeout=timeout)
    else:
        main.locator("h1, h2, h3").first.wait_for(timeout=timeout)
    # The status widget says "Running..." while the script runs; wait until it has gone quiet.
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 || !document.querySelector('[data-testid="stStatusWidget"]').innerText.includes('Running')""",
        timeout=timeout)


# Drawn: no lazily loaded element still shows its placeholder (Streamlit draws a skeleton until the code for a chart
# or table has loaded), no element of an earlier run is left (marked data-stale until the new run draws over it or
# removes it), every data grid on show has drawn its canvas (one in a closed expander or tab draws none), every
# plotly chart has drawn its text, and the web fonts have loaded.
DRAWN = """() => !document.querySelector('[data-testid="stSkeleton"]')
    && !document.querySelector('[data-testid="stMain"] [data-stale="true"]')
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .every(g => !g.checkVisibility() || g.querySelector('[data-testid="data-grid-canvas"]'))
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(c => c.querySelector('svg.main-svg text'))
    && document.fonts.status === 'loaded'"""


def wait_for_drawn(page, *, timeout: float = 30_000) -> None:
    """Wait until the page has drawn everything its last run sent (DRAWN), in place of a fixed pause."""
    page.wait_for_function(DRAWN, timeout=timeout)


def screenshot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/; transitions (a fade of the previous run's elements) are shown
    finished, so no pause is needed before it."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
