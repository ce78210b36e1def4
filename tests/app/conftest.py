"""Fixtures of the AppTest page tests."""
from __future__ import annotations

import pytest

from tests.support.apptest import scan_components_once


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once() -> None:
    """Installed packages are searched for Streamlit components once per process, not once per AppTest."""
    scan_components_once()
