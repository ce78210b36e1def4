"""Helpers shared by the AppTest page tests: no exception raised, and the text a page shows."""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest


def ok(at: AppTest) -> AppTest:
    """The run raised nothing; returns the AppTest for chaining."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Markdown, captions, the title, headers, subheaders and every alert a run drew, as one string: the one helper
    every AppTest reads a page's words with."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [s.value for s in at.header] + [s.value for s in at.subheader]
    parts += [x.value for x in at.info] + [x.value for x in at.warning] + [x.value for x in at.error]
    parts += [x.value for x in at.success]
    return "\n".join(str(p) for p in parts)


def scan_components_once() -> None:
    """Streamlit looks through every installed package for custom components (`scan_component_manifests`) once when
    a server starts, but AppTest does it again for each new AppTest: 0.08 s of CPU each, some 200 times in tests/app.
    The packages installed cannot change during a test session, so the answer is found once per process and each
    AppTest registers the same components from it (a copy, so no AppTest can change another's list)."""
    scan = manifest_scanner.scan_component_manifests
    if getattr(scan, "found_once", False):
        return
    found = cache(scan)

    def scan_once(max_workers: int | None = None) -> list:
        return list(found(max_workers))

    scan_once.found_once = True  # type: ignore[attr-defined]
    scan_once.fresh = scan  # type: ignore[attr-defined]  # a search made afresh, for the test of this
    manifest_scanner.scan_component_manifests = scan_once


def cached_resources() -> frozenset:
    """What Streamlit's shared caches (`st.cache_resource`) hold now, each entry by its key and the identity of its
    value: equal only if nothing was added, dropped or replaced in between. Streamlit keeps no public list of its
    entries; should its private one change, every call gives a new answer, so callers just clear the caches."""
    try:
        from streamlit.runtime.caching.cache_resource_api import _resource_caches
        return frozenset((session, name, key, id(result))
                         for session, caches in _resource_caches._function_caches.items()
                         for name, cached in caches.items() for key, result in list(cached._mem_cache.items()))
    except Exception:
        return frozenset({object()})


def database_files(db: Path) -> tuple:
    """The size and time of change of a database file and its write-ahead log: a write changes one of them."""
    def stat(path: Path) -> tuple | None:
        return (path.stat().st_size, path.stat().st_mtime_ns) if path.exists() else None
    return stat(Path(db)), stat(Path(f"{db}.wal"))


class Readers:
    """The caches a read-only page test may find warm (`reader_env` in tests/app/conftest.py).

    Page tests that only read share one copy of a database per process and keep what the app cached for it from
    one test to the next, as the server keeps it from one visitor to the next: a page's views are worked out by the
    first such test to open it and reused by the others. Before each such test the caches are cleared, as
    `app_env` always clears them, unless they are exactly as the last reading test left them with the same
    database and framework (any other test in between, or a clearing, changes them). After it, the database must
    be as it was: a test that writes needs its own copy and `app_env`."""
    left: tuple | None = None

    @classmethod
    def start(cls, db: Path) -> tuple:
        import streamlit as st
        setting = (str(db), os.environ.get("KPIS_FRAMEWORK"))
        if cls.left != (setting, cached_resources()):
            st.cache_resource.clear()
            st.cache_data.clear()
        cls.left = None
        return database_files(db)

    @classmethod
    def finish(cls, db: Path, files: tuple) -> None:
        assert database_files(db) == files, f"a reading test changed {db}: give it its own copy (app_env)"
        cls.left = ((str(db), os.environ.get("KPIS_FRAMEWORK")), cached_resources())
