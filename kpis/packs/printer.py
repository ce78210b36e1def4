"""One headless Chromium per process that prints HTML to PDF, kept between documents.

Starting Playwright's driver and a browser for every PDF costs a few seconds each time; the board pack, the HWBB
report and the annual report are all printed by the one browser this module keeps. Playwright's synchronous API
may only be used on the thread that started it, so the browser lives on a thread of its own and documents are
handed to it one at a time (from the command line, the tests or any Streamlit session's thread). Each document
gets a fresh browser context, so nothing one document left (storage, scripts) reaches the next. A browser that
has died is started afresh on the next document; the browser is closed when the process exits.
"""
from __future__ import annotations

import atexit
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from kpis.core.chromium import find_chromium

_jobs: queue.Queue = queue.Queue()
_lock = threading.Lock()
_thread: dict[str, threading.Thread] = {}
_held: dict[str, Any] = {}   # "playwright" and "browser": touched only on the printing thread


def _browser():
    browser = _held.get("browser")
    if browser is not None and browser.is_connected():
        return browser
    executable = find_chromium()   # ChromiumNotFound says what to install
    if "playwright" not in _held:
        from playwright.sync_api import sync_playwright
        _held["playwright"] = sync_playwright().start()
    _held["browser"] = _held["playwright"].chromium.launch(executable_path=executable, args=["--no-sandbox"])
    return _held["browser"]


def _close() -> None:
    for name, method in (("browser", "close"), ("playwright", "stop")):
        thing = _held.pop(name, None)
        if thing is not None:
            with contextlib.suppress(Exception):   # already gone with the process's end: nothing to close
                getattr(thing, method)()


def _serve() -> None:
    while True:
        job, done = _jobs.get()
        if job is None:
            _close()
            done.set_result(None)
            return
        try:
            done.set_result(job())
        except BaseException as exc:
            if "browser" in _held and not _held["browser"].is_connected():
                _held.pop("browser")
            done.set_exception(exc)


def in_browser(work: Callable[[Any], Any]) -> Any:
    """`work(page)` on a new page of the kept browser, in a fresh context closed afterwards; its result."""
    def job():
        context = _browser().new_context()
        try:
            return work(context.new_page())
        finally:
            context.close()
    done: Future = Future()
    with _lock:
        if "thread" not in _thread or not _thread["thread"].is_alive():
            _thread["thread"] = threading.Thread(target=_serve, name="pdf-printer", daemon=True)
            _thread["thread"].start()
        _jobs.put((job, done))
    return done.result()


def stop() -> None:
    """Close the kept browser (the next document starts another)."""
    with _lock:
        thread = _thread.pop("thread", None)
        if thread is None or not thread.is_alive():
            return
        done: Future = Future()
        _jobs.put((None, done))
    done.result(timeout=30)


atexit.register(stop)
