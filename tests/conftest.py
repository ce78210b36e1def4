"""Shared fixtures: a real demo database built once per test session by the real CLI."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `make test-fast` leaves out: tests that drive a real browser (Chromium, also behind chart images), time the
# whole app, take every framework through the whole path, or kill and cap child processes. `make test` runs them.
SLOW_FOLDERS = {"browser": ("slow", "browser"), "tooling": ("slow",), "journeys": ("slow",)}
SLOW_FILES = {"packs/test_packs.py": ("slow", "browser"), "packs/test_tagged_pdf.py": ("slow", "browser"),
              "app/test_pages_pack.py": ("slow", "browser"),
              "store/test_faults.py": ("slow",), "store/test_store_sharing.py": ("slow",),
              "returns/test_read_budget.py": ("slow",), "access/test_page_access_server.py": ("slow",),
              "governance/test_report_files.py": ("slow", "browser")}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(ROOT / "tests")
        for mark in SLOW_FOLDERS.get(where.parts[0], ()) + SLOW_FILES.get(where.as_posix(), ()):
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(scope="session")
def demo_db_master(tmp_path_factory) -> Path:
    from kpis.cli.main import main
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    assert main(["--db", str(path), "init", "--demo"]) == 0
    return path


@pytest.fixture
def store(tmp_path):
    """An empty store (schema only), closed afterwards. Test modules with a store of their own override it."""
    from kpis.store.database import Store
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()


@pytest.fixture
def demo_db(demo_db_master, tmp_path) -> Path:
    """A private copy of the demo database, so a test may change it."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_master, path)
    return path


@pytest.fixture
def app_env(monkeypatch):
    """Point the app at a database for AppTest, and clear Streamlit's resource caches."""
    def use(db: Path):
        monkeypatch.setenv("KPIS_DB", str(db))
        monkeypatch.chdir(ROOT)
        import streamlit as st
        st.cache_resource.clear()
        st.cache_data.clear()
        return db
    yield use
    import streamlit as st
    st.cache_resource.clear()
