"""The shared caches of the reading page tests (tests.support.apptest.Readers, `reader_env`): warm only when
nothing has touched them since the last reading test, and a reading test that writes is caught."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kpis.store.database import Store
from tests.conftest import ROOT
from tests.support.apptest import Readers, cached_resources


@pytest.fixture
def readers(monkeypatch, demo_db):
    monkeypatch.setattr(Readers, "left", None)
    monkeypatch.setenv("KPIS_DB", str(demo_db))
    monkeypatch.chdir(ROOT)
    yield demo_db
    st.cache_resource.clear()


def visit() -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception


def test_a_reading_test_finds_what_the_last_one_cached(readers):
    files = Readers.start(readers)
    assert cached_resources() == frozenset()          # nothing left by a reading test yet: cleared
    visit()
    Readers.finish(readers, files)
    held = cached_resources()
    assert held
    Readers.start(readers)
    assert cached_resources() == held                 # kept: the same entries, the very same objects


def test_anything_in_between_or_another_framework_clears_them(readers, tmp_path, monkeypatch):
    files = Readers.start(readers)
    visit()
    Readers.finish(readers, files)
    other = tmp_path / "other.duckdb"
    monkeypatch.setenv("KPIS_DB", str(other))         # another test's database, caches not cleared
    visit()
    monkeypatch.setenv("KPIS_DB", str(readers))
    Readers.start(readers)
    assert cached_resources() == frozenset()
    visit()
    Readers.finish(readers, files)
    monkeypatch.setenv("KPIS_FRAMEWORK", str(ROOT / "data" / "frameworks" / "worcestershire.toml"))
    Readers.start(readers)
    assert cached_resources() == frozenset()


def test_a_reading_test_that_writes_is_caught(readers):
    files = Readers.start(readers)
    visit()
    st.cache_resource.clear()                          # let go of the file
    store = Store(readers, hold=False)
    with store.transaction() as cur:
        cur.execute("INSERT INTO meetings VALUES (DATE '2020-01-01', 'Board')")
    store.close()
    with pytest.raises(AssertionError, match="give it its own copy"):
        Readers.finish(readers, files)
    assert Readers.left is None                        # and nothing is kept for the next reading test
