"""Accounts for the sign-in and role tests: one per role, in a copy of the demo database."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpis.access.accounts import add_user
from kpis.access.permissions import command_line_actor
from kpis.store.database import Store

PASSWORD = "correct horse battery staple"
ACCOUNTS = {  # role: (email, areas)
    "admin": ("admin@example.org", ()),
    "viewer": ("board.member@example.org", ()),
    "lead": ("safeguarding.lead@example.org", ("safeguarding",)),
    "analyst": ("analyst@example.org", ()),
}


def add_accounts(path: Path) -> None:
    store = Store(path)
    try:
        for role, (email, areas) in ACCOUNTS.items():  # admin first: the first account must be an admin
            add_user(store, actor=command_line_actor(), email=email, role=role, areas=areas, password=PASSWORD)
    finally:
        store.close()


@pytest.fixture(scope="session")
def accounts_db_master(demo_db_master, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "accounts.duckdb"
    shutil.copy(demo_db_master, path)
    add_accounts(path)
    return path


@pytest.fixture
def accounts_db(accounts_db_master, tmp_path) -> Path:
    """A private copy of the demo database with one account per role."""
    path = tmp_path / "accounts.duckdb"
    shutil.copy(accounts_db_master, path)
    return path
