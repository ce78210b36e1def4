"""Fixtures of the published-statistics tests: the default framework, and a store with the areas loaded."""
from __future__ import annotations

import shutil

import pytest

from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.published.importer import REFERENCE_DIR, load_areas_table
from kpis.store.database import Store


@pytest.fixture(scope="module")
def framework():
    return load_framework(DEFAULT_FRAMEWORK)


def with_areas(path) -> None:
    with Store(path) as s:
        load_areas_table(s, REFERENCE_DIR)


@pytest.fixture
def store(built_once, tmp_path):
    """A private store with the areas table loaded: a copy of one loaded once."""
    path = tmp_path / "t.duckdb"
    shutil.copy(built_once("areas-loaded", with_areas), path)
    s = Store(path)
    yield s
    s.close()
