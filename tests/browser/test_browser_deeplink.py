"""A link straight to a page, as the first request after the server starts, still gets the app's navigation."""
from tests.support.browser import browser_page, running_app, screenshot, wait_for_app


def test_first_request_to_a_deep_link_goes_through_the_navigation(demo_db):
    with running_app(demo_db) as url, browser_page() as page:
        page.goto(f"{url}/kpi?kpi=SG02")
        wait_for_app(page, text="Repeat child protection plans")
        sidebar = page.inner_text('[data-testid="stSidebar"]')
        screenshot(page, "deeplink-kpi")
        assert "Board scorecard" in sidebar and "Overview" in sidebar      # dashboard.py's navigation
        assert "Data as at" in sidebar                                       # and its shared sidebar
        assert "_common" not in sidebar and "\ncommon\n" not in f"\n{sidebar}\n"   # not the legacy file list
