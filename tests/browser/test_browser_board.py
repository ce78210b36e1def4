"""The board pages in a real Chromium: change the meeting and see the scorecard change; presentation mode;
an area page and a KPI page opened by their links. Screenshots go to test-artifacts/."""
from __future__ import annotations

from tests.support.browser import browser_page, demo_app, screenshot, wait_for_app, wait_for_drawn

PROJECTOR = {"width": 1920, "height": 1080}
TALL = {"width": 1920, "height": 2600}


def open_app(page, url: str) -> None:
    """Open the home page first, as a visitor does: it registers the navigation with the server."""
    page.goto(url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Board scorecard").wait_for()


def settle(page, text: str) -> None:
    """Wait for the page's run to finish and the previous page's stale elements to fade."""
    wait_for_app(page, text=text)
    wait_for_drawn(page)


def no_errors(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "encountered an error" not in body
    assert page.locator('[data-testid="stException"]').count() == 0


def sg02_row(page):
    return page.locator('[data-testid="stTable"] tr', has_text="SG02").first


def test_scorecard_changes_with_the_meeting(demo_app):
    url = demo_app                                       # the session's app, on the demo database
    with browser_page(**PROJECTOR) as page:
        open_app(page, url)
        page.goto(f"{url}/scorecard")
        sg02_row(page).wait_for()
        settle(page, "Board scorecard")
        no_errors(page)
        before = sg02_row(page).inner_text()
        assert "2026/27 Q2" in before and "(demo)" in before and "England" in before
        assert page.locator('[data-testid="stTable"] img[alt^="Sparkline"]').count() >= 10
        assert screenshot(page, "board-scorecard").stat().st_size > 20_000

        page.locator('[data-testid="stSelectbox"]').first.click()
        options = page.get_by_role("option")
        chosen = options.nth(1).inner_text()
        assert chosen.startswith("Board meeting, ")
        options.nth(1).click()
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stTable"] tr')]
                     .some(r => r.innerText.includes('SG02') && r.innerText.includes('2026/27 Q1'))""",
            timeout=30_000)
        wait_for_app(page, text="what was known at the board meeting")
        after = sg02_row(page).inner_text()
        assert after != before and "2026/27 Q1" in after
        assert "meeting=" in page.url
        no_errors(page)
        screenshot(page, "board-scorecard-past-meeting")

        page.get_by_text("Presentation mode").first.click()
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stSelectbox\"]')"
                               " && !document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stAlert\"]')",
                               timeout=30_000)
        wait_for_app(page, text="Board scorecard")
        wait_for_drawn(page)  # no stale element of the previous run left before the screenshot
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert "2026/27 Q1" in sg02_row(page).inner_text()      # the chosen meeting stays while presenting
        no_errors(page)
        screenshot(page, "board-scorecard-presentation")


def test_area_and_kpi_pages_by_link(demo_app):
    url = demo_app
    with browser_page(**TALL) as page:
        open_app(page, url)
        page.goto(f"{url}/scorecard")
        settle(page, "Board scorecard")
        screenshot(page, "board-scorecard-full")
        page.goto(f"{url}/scorecard?presentation=true")
        settle(page, "Board scorecard")
        screenshot(page, "board-scorecard-presentation-full")

        page.goto(f"{url}/safeguarding")
        page.locator('[data-testid="stPlotlyChart"]').nth(3).wait_for(timeout=90_000)
        settle(page, "Sub-group narrative")
        no_errors(page)
        body = page.inner_text("body")
        assert "Safeguarding" in body and "Progress" in body and "Demo data" in body
        screenshot(page, "board-area-safeguarding")
        page.goto(f"{url}/safeguarding?presentation=true")
        page.locator('[data-testid="stPlotlyChart"]').nth(3).wait_for(timeout=90_000)
        settle(page, "Sub-group narrative")
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        screenshot(page, "board-area-safeguarding-presentation")

        page.goto(f"{url}/kpi?kpi=SG02")
        page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for()
        settle(page, "SG02 Repeat child protection plans")
        no_errors(page)
        assert page.get_by_text("Download every SG02 figure").count() == 1
        screenshot(page, "board-kpi-SG02")
        page.goto(f"{url}/kpi?kpi=SG02&presentation=true")
        page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for()
        settle(page, "SG02 Repeat child protection plans")
        screenshot(page, "board-kpi-SG02-presentation")

        page.goto(f"{url}/changes")
        settle(page, "Returns late or missing")
        no_errors(page)
        assert "Emotional Wellbeing & Mental Health Partnership" in page.inner_text("body")
        screenshot(page, "board-changes")
