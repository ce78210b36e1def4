"""Revising an earlier quarter in a real Chromium against a served app: a lead uploads a return with last quarter
typed in every row; the page lists each figure that would change (old and new); Confirm stays disabled until the
separate revision tick; nothing is stored before it, the revised figures after it. Screenshot:
test-artifacts/upload-revision.png."""
from __future__ import annotations

from kpis.store.database import Store
from tests.returns.test_upload_narrative_and_revision import EARLIER, last_quarter_in_every_row
from tests.support.browser import browser_page, running_app, screenshot, wait_for_app, wait_for_drawn

EMAIL = "safeguarding.lead@worcestershire.gov.uk"
SUB_GROUP = "Worcestershire Safeguarding Children Partnership (Safeguarding)"
CONFIRM_ENABLED = ("() => [...document.querySelectorAll('button')].some(b => "
                   "b.innerText.includes('Confirm and submit') && !b.disabled)")


def figures(db) -> list[tuple]:
    store = Store(db, read_only=True)
    try:
        return store.con.execute("SELECT indicator_id, breakdown_type, breakdown_value, value, batch_id FROM "
                                 "current_observations WHERE period_label = ? AND indicator_id LIKE 'SG%' "
                                 "ORDER BY ALL", [EARLIER]).fetchall()
    finally:
        store.close()


def test_revising_last_quarter_needs_the_separate_tick(demo_db, tmp_path):
    before = figures(demo_db)
    ret = tmp_path / "sg-last-quarter.xlsx"
    ret.write_bytes(last_quarter_in_every_row())
    with running_app(demo_db) as url, browser_page(width=1366, height=2400) as page:
        page.goto(f"{url}/upload")
        wait_for_app(page, text="1. Choose your sub-group and quarter")
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name=SUB_GROUP).click()
        page.wait_for_function("() => (document.querySelector('input[aria-label=\"KPI\"]') || {}).value"
                               "?.startsWith('SG01')", timeout=30_000)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(ret))
        wait_for_app(page, text="Figures that would be revised")
        main = page.locator('[data-testid="stMain"]')
        body = main.inner_text()
        assert f"already stored for {EARLIER}, an earlier period the board has read" in body
        assert "Traceback" not in body
        email = page.get_by_role("textbox", name="Your email address")
        email.fill(EMAIL)
        email.press("Enter")
        tick = page.get_by_role("checkbox", name=f"I am revising these {len(before)} figures for {EARLIER}")
        tick.wait_for(state="attached", timeout=30_000)
        wait_for_app(page, text="nothing is stored without it")
        confirm = page.get_by_role("button", name="Confirm and submit")
        assert confirm.is_disabled()
        page.mouse.move(0, 0)
        wait_for_drawn(page)          # no element of the previous run left before the screenshot
        assert screenshot(page, "upload-revision").stat().st_size > 20_000
        assert figures(demo_db) == before            # nothing stored before the tick

        page.get_by_text(f"I am revising these {len(before)} figures").click()   # the label ticks the box
        page.wait_for_function(CONFIRM_ENABLED, timeout=30_000)
        confirm.click()
        wait_for_app(page, text="Return stored as submission")
    after = figures(demo_db)
    assert len(after) == len(before)
    assert [r[:3] for r in after] == [r[:3] for r in before] and [r[3] for r in after] != [r[3] for r in before]
    assert len({r[4] for r in after}) == 1 and {r[4] for r in after} != {r[4] for r in before}
