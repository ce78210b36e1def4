"""Browser tests share one Chromium per test process (tests.support.browser.browser_page), yet each page starts
in a fresh context: nothing one test leaves in the browser is seen by the next."""
from tests.support.browser import _SHARED, browser_page, shared_browser


def test_pages_share_one_chromium_but_not_cookies_or_storage():
    with browser_page(width=800, height=600) as first:
        first.context.add_cookies([{"name": "seen", "value": "1", "url": "http://127.0.0.1/"}])
        first.goto("data:text/html,<title>one</title>")
        assert first.viewport_size == {"width": 800, "height": 600}
        launches, browser = _SHARED["launches"], shared_browser()
        assert first.context.cookies() != []
    with browser_page() as second:
        assert shared_browser() is browser and _SHARED["launches"] == launches   # no second launch
        assert second.context is not first.context and second.context.cookies() == []
        assert second.viewport_size == {"width": 1400, "height": 1000}
    assert browser.contexts == []                                                   # each context closed after use
