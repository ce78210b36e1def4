"""Fixtures of the quarterly-return tests."""
from __future__ import annotations

import shutil

import pytest

from kpis.store.database import Store
from tests.support.returns import new_store


def schema_and_framework(path) -> None:
    new_store(path).close()


@pytest.fixture
def store(built_once, tmp_path):
    """A private store with the schema and the default framework (tests.support.returns.new_store), copied from
    one made once per session rather than made afresh for each test."""
    path = tmp_path / "t.duckdb"
    shutil.copy(built_once("returns-store", schema_and_framework), path)
    s = Store(path)
    yield s
    s.close()
