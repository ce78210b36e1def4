"""Fixtures of the published-statistics tests: the default framework, and a store with the areas loaded."""
from __future__ import annotations

import pytest

from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.published.comparators import REFERENCE_DIR, load_areas_table
from kpis.store.database import Store


@pytest.fixture(scope="module")
def framework():
    return load_framework(DEFAULT_FRAMEWORK)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
    load_areas_table(s, REFERENCE_DIR)
    yield s
    s.close()
