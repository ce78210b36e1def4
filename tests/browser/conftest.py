"""Browser tests share one Chromium per test process (tests.support.browser.shared_browser); it is closed after each
module so that a later file on the same worker may start Playwright for itself."""
from __future__ import annotations

import pytest

from tests.support.browser import close_shared_browser


@pytest.fixture(scope="module", autouse=True)
def _close_shared_browser_after_module():
    yield
    close_shared_browser()
