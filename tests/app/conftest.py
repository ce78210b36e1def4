"""Fixtures of the AppTest page tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.apptest import Readers

# Fixtures every page test here may use, defined once for the folder: a test module that imported them itself would
# have its own, built again (the accounts' master copy hashes a password per account).
from tests.support.auth import accounts_db, accounts_db_master


@pytest.fixture(scope="session")
def readers_demo_db(demo_db_master, tmp_path_factory) -> Path:
    """One copy of the demo database per process for the tests that only read it (with `reader_env`)."""
    path = tmp_path_factory.mktemp("readers-demo") / "demo.duckdb"
    shutil.copy(demo_db_master, path)
    return path


@pytest.fixture(scope="session")
def readers_empty_db(tmp_path_factory) -> Path:
    """One empty database (the schema and the places, made by `init`) per process for the tests that only read it
    (with `reader_env`)."""
    from kpis.cli.main import main
    path = tmp_path_factory.mktemp("readers-empty") / "empty.duckdb"
    assert main(["--db", str(path), "init"]) == 0
    return path


@pytest.fixture(scope="session")
def readers_accounts_db(accounts_db_master, tmp_path_factory) -> Path:
    """One copy of the demo database with an account per role (tests.support.auth), per process, for the tests
    that only read it (with `reader_env`)."""
    path = tmp_path_factory.mktemp("readers-accounts") / "accounts.duckdb"
    shutil.copy(accounts_db_master, path)
    return path


@pytest.fixture
def reader_env(monkeypatch):
    """`app_env` for a test that only reads a shared database (`readers_demo_db`, `readers_accounts_db`): it points
    the app at it and finds Streamlit's caches as the last such test left them, if nothing has touched them since
    (tests.support.apptest.Readers); afterwards it checks the database was not written to."""
    used: list[tuple[Path, tuple]] = []

    def use(db: Path) -> Path:
        monkeypatch.setenv("KPIS_DB", str(db))
        monkeypatch.chdir(ROOT)
        used.append((db, Readers.start(db)))
        return db
    yield use
    for db, files in used:
        Readers.finish(db, files)
