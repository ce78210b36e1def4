"""The home page in a real browser: it renders, names the areas, labels demo data, and has no error."""
from tests.support.browser import browser_page, demo_app, screenshot, wait_for_app


def test_home_page_in_chromium(demo_app):
    url = demo_app                                       # the session's app, on the demo database
    with browser_page() as page:
        page.goto(url)
        wait_for_app(page, text="Safeguarding")
        page.locator('[data-testid="stTable"]').nth(3).wait_for(timeout=30_000)
        shot = screenshot(page, "home")
        body = page.inner_text("body")
        assert "Worcestershire Children and Young People's Strategic Partnership" in body
        for area in ("Early help", "SEND", "Safeguarding", "Emotional wellbeing and mental health"):
            assert area in body
        assert "Demo data" in body and "Data as at" in body
        assert "Traceback" not in body and page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stTable"]').count() == 4
        assert shot.stat().st_size > 10_000
        # the links to the pages for each area go where they say
        page.get_by_role("link", name="Trends, breakdowns and narrative: Safeguarding").click()
        page.wait_for_url("**/safeguarding", timeout=90_000)
        wait_for_app(page, text="Child protection plans", timeout=90_000)
        assert page.locator("h1").first.inner_text().strip().startswith("Safeguarding")
