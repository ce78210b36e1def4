"""Fixtures of the command-line tests."""
from __future__ import annotations

import pytest

from tests.support.returns import new_store


@pytest.fixture
def db(tmp_path):
    """An empty database with the schema and the framework, made as `init` makes it."""
    path = tmp_path / "cli.duckdb"
    new_store(path).close()
    return path
