"""The upload page in a real Chromium, as a sub-group lead uses it: download the template, fill it in, upload a
flawed version and see the problems, download the marked copy, upload the fixed version, confirm, get a receipt.
Screenshots: test-artifacts/upload-problems.png and test-artifacts/upload-receipt.png."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from kpis.store.database import Store
from tests.support.browser import browser_page, running_app, screenshot, wait_for_app, wait_for_drawn

EMAIL = "safeguarding.lead@worcestershire.gov.uk"
SUB_GROUP = "Worcestershire Safeguarding Children Partnership (Safeguarding)"


def fill(template: Path, out: Path, *, flawed: bool) -> Path:
    """Fill in the downloaded template as a lead would: this quarter's figure close to last quarter's (the grey
    reference column), <5 where last quarter's was suppressed. The flawed copy has 150 for a percentage (F2)
    and a KPI id 'SG99' that does not exist (A4)."""
    wb = load_workbook(template)
    ws = wb["Data"]
    col = {str(ws.cell(1, c).value).split(" (")[0]: c for c in range(1, ws.max_column + 1)}
    for r in range(2, ws.max_row + 1):
        if not ws.cell(r, col["KPI id"]).value:
            continue
        last = str(ws.cell(r, col["Last quarter: value"]).value or "").rstrip("%")
        try:
            ws.cell(r, col["Value"]).value = round(float(last) + 0.4, 1)
        except ValueError:
            ws.cell(r, col["Value"]).value = "<5"
    ws.cell(2, col["Commentary"]).value = "Improved after the new triage process."
    if flawed:
        ws.cell(2, col["Value"]).value = 150
        ws.cell(4, col["KPI id"]).value = "SG99"
    wb.save(out)
    return out


def settle(page, text: str) -> None:
    wait_for_app(page, text=text)
    page.mouse.move(0, 0)         # no tooltip left over the page
    wait_for_drawn(page)          # no element of the previous run left before reading or screenshotting


def no_errors(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "encountered an error" not in body
    assert page.locator('[data-testid="stException"]').count() == 0


def upload(page, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))


def test_lead_uploads_a_flawed_then_a_fixed_return(demo_db, tmp_path):
    with running_app(demo_db) as url, browser_page(width=1400, height=2400) as page:
        page.goto(url)
        wait_for_app(page)
        page.goto(f"{url}/upload")
        settle(page, "1. Choose your sub-group and quarter")
        no_errors(page)

        # 1. choose the sub-group and download its template
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name=SUB_GROUP).click()
        # the page has rerun for the new sub-group once the revision history offers its KPIs first
        page.wait_for_function("() => (document.querySelector('input[aria-label=\"KPI\"]') || {}).value"
                               "?.startsWith('SG01')", timeout=30_000)
        settle(page, "Download the return template")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the return template").click()
        assert download.value.suggested_filename.startswith("return-safeguarding-")
        template = tmp_path / download.value.suggested_filename
        download.value.save_as(template)
        assert load_workbook(template)["Data"]["A2"].value == "SG01"

        # 2-3. upload a flawed copy: the problems, each with sheet, row, column, found and expected
        upload(page, fill(template, tmp_path / "safeguarding-return.xlsx", flawed=True))
        settle(page, "must be fixed")
        body = page.inner_text('[data-testid="stMain"]')
        assert "2 problems must be fixed" in body
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.wait_for()
        assert page.get_by_role("button", name="Confirm and submit").is_disabled()
        no_errors(page)
        assert screenshot(page, "upload-problems").stat().st_size > 20_000

        with page.expect_download() as marked:
            page.get_by_role("button", name="Download your file with the problems marked").click()
        assert marked.value.suggested_filename == "safeguarding-return-problems.xlsx"
        wb = load_workbook(io.BytesIO(Path(marked.value.path()).read_bytes()))
        assert "150 is outside 0 to 100" in wb["Data"]["F2"].comment.text
        assert "'SG99' is not a KPI id" in wb["Data"]["A4"].comment.text
        assert wb.active.title == "Problems"

        # 4-6. upload the fixed copy, see what will change, confirm, get the receipt
        upload(page, fill(template, tmp_path / "safeguarding-return-fixed.xlsx", flawed=False))
        settle(page, "Checked safeguarding-return-fixed.xlsx")
        body = page.inner_text('[data-testid="stMain"]')
        assert "Changed figures" in body and "Read as the Safeguarding return" in body
        email = page.get_by_role("textbox", name="Your email address")
        email.fill(EMAIL)
        email.press("Enter")
        confirm = page.get_by_role("button", name="Confirm and submit")
        page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => "
                               "b.innerText.includes('Confirm and submit') && !b.disabled)", timeout=30_000)
        confirm.click()
        settle(page, "Return stored as submission")
        # the receipt table is drawn just after the message; on a loaded machine give it time
        page.wait_for_function("() => document.querySelector('[data-testid=\"stMain\"]').innerText"
                               ".includes('SHA-256 of the file')", timeout=60_000)
        no_errors(page)
        receipt = page.inner_text('[data-testid="stMain"]')
        assert "safeguarding-return-fixed.xlsx" in receipt and EMAIL in receipt and "SHA-256 of the file" in receipt
        page.get_by_text("6. Receipt").scroll_into_view_if_needed()
        assert screenshot(page, "upload-receipt").stat().st_size > 20_000

    store = Store(demo_db)
    try:
        stored = store.con.execute("SELECT file_name, submitted_by FROM batches WHERE kind = 'submission' "
                                   "ORDER BY batch_id DESC LIMIT 1").fetchone()
    finally:
        store.close()
    assert stored == ("safeguarding-return-fixed.xlsx", EMAIL)
