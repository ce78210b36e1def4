"""Three whole journeys in a real headless Chromium against the real app, each signed in with a local account
(issue 9): a sub-group lead sends a return and sees it on the scorecard; a board member reads the scorecard at a
past meeting, a KPI in detail and downloads the board pack; an analyst compares areas and downloads the CSV.

A sign-in lasts for the browser tab's session, so after signing in every step moves through the app itself (the
sidebar, page links, widgets): typing an address would be a new page load, signed out.
Screenshots: test-artifacts/journey-*.png.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from kpis.core.framework import load_framework
from kpis.returns.templates import default_period
from kpis.store.database import Store
from tests.support.auth import ACCOUNTS, PASSWORD, accounts_db, accounts_db_master
from tests.support.browser import accounts_app, browser_page, running_app, screenshot, wait_for_app, wait_for_drawn
from tools.sample_returns import headings, kpi_rows

LOAD = 60_000          # a page's run on a loaded machine
PDF_BUILD = 90_000     # the board pack's PDF takes about 10 s on a quiet one
MAIN = '[data-testid="stMain"]'
NAV = '[data-testid="stSidebarNav"]'
SUB_GROUP = "Worcestershire Safeguarding Children Partnership (Safeguarding)"
SG02_VALUE, SG02_OF = 29.6, (74, 250)   # the lead's SG02 for all children (74 of 250 plans): no demo figure
PACK_BUTTON = re.compile(r"Download \S*board-pack\S*\.pdf")    # Download worcestershire-cypsp-board-pack-….pdf
expect.set_options(timeout=LOAD)


# -- helpers ---------------------------------------------------------------------------------------------
def settle(page, text: str | None = None) -> None:
    """Wait for `text` (something this run draws), the end of the run, and until no element of the previous run is
    left: Streamlit marks those data-stale until the new run has drawn over them or removed them."""
    wait_for_app(page, text=text, timeout=LOAD)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stMain\"] [data-stale=\"true\"]')",
                           timeout=LOAD)
    page.mouse.move(0, 0)          # no tooltip left over the page
    wait_for_drawn(page, timeout=LOAD)   # charts and grids drawn before a screenshot


def main_text(page) -> str:
    return page.inner_text(MAIN)


def shows(page, *texts: str) -> None:
    """The main area shows every one of `texts` (waiting for the run to draw them, up to LOAD)."""
    for text in texts:
        expect(page.locator(MAIN)).to_contain_text(text)


def no_errors(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "encountered an error" not in body and "Something went wrong" not in body
    assert page.locator('[data-testid="stException"]').count() == 0


def sign_in(page, url: str, role: str) -> str:
    """Open the app (the public view), go to its sign-in page and sign in with a local account; return the email."""
    email = ACCOUNTS[role][0]
    page.goto(url)
    wait_for_app(page, text="published figures", timeout=LOAD)
    page.locator(NAV).get_by_text("Sign in", exact=True).click()
    wait_for_app(page, text="Email address", timeout=LOAD)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Signed in as").wait_for(timeout=LOAD)
    assert email in page.inner_text('[data-testid="stSidebar"]')
    return email


@contextlib.contextmanager
def signed_in(url: str, role: str, **viewport):
    """A headless Chromium signed in to the app at `url` as `role`: yields (page, email). If a step fails, the
    page as it was is saved as test-artifacts/journey-<role>-failed.png."""
    with browser_page(**viewport) as page:
        try:
            yield page, sign_in(page, url, role)
        except Exception:
            with contextlib.suppress(Exception):
                screenshot(page, f"journey-{role}-failed")
            raise


def go(page, title: str, text: str) -> None:
    """Open a page from the sidebar (opening the "View more" fold when the list is long), in the same session."""
    link = page.locator(NAV).get_by_text(title, exact=True)
    if not link.is_visible():
        more = page.locator('[data-testid="stSidebarNavViewButton"]')
        if more.count() and "more" in more.inner_text().lower():
            more.click()
    link.click()
    settle(page, text)


def choose(page, label: str, typed: str, option: str) -> None:
    """Pick an option in the select box labelled `label`, typing `typed` first to narrow the list."""
    box = page.locator(f'[data-testid="stSelectbox"] input[aria-label="{label}"]')
    box.click(timeout=LOAD)
    box.press_sequentially(typed, timeout=LOAD)     # the list is long and drawn a screenful at a time
    page.get_by_role("option", name=option).first.click(timeout=LOAD)


def download(page, button: str | re.Pattern, folder: Path, *, timeout: float = LOAD) -> Path:
    """Click a (visible) download button; save what the browser receives under the name the app gave it."""
    with page.expect_download(timeout=timeout) as info:
        page.get_by_role("button", name=button).first.click()
    out = folder / info.value.suggested_filename
    info.value.save_as(out)
    return out


def scorecard_row(page, kpi_id: str):
    return page.locator('[data-testid="stTable"] tr', has_text=kpi_id).first


# -- 1. a sub-group lead sends a return ----------------------------------------------------------------------
def fill_return(template: Path, out: Path, *, flawed: bool) -> Path:
    """Fill in the template as a lead would: each figure close to last quarter's (the grey reference column),
    '<5' where that was suppressed, and SG02 for all children set to SG02_VALUE with its numerator and
    denominator. The flawed copy also has 150 for a percentage (row 2, column F) and a KPI id 'SG99' that does
    not exist (row 4, column A)."""
    wb = load_workbook(template)
    ws = wb["Data"]
    col = headings(ws)
    for r, kpi_id, last in kpi_rows(ws, col):
        ws.cell(r, col["Value"]).value = round(last + 0.4, 1) if last is not None else "<5"
        if kpi_id == "SG02" and ws.cell(r, col["Breakdown"]).value == "All children and young people":
            ws.cell(r, col["Value"]).value = SG02_VALUE
            ws.cell(r, col["Numerator"]).value, ws.cell(r, col["Denominator"]).value = SG02_OF
    ws.cell(2, col["Commentary"]).value = "Fewer plans ended early after the new step-down review."
    if flawed:
        ws.cell(2, col["Value"]).value = 150
        ws.cell(4, col["KPI id"]).value = "SG99"
    wb.save(out)
    return out


def test_lead_sends_a_return_and_sees_it_on_the_scorecard(accounts_db, tmp_path):
    period = default_period(date.today()).label   # the quarter the upload page offers first
    store = Store(accounts_db)
    try:   # the demo's own synthetic returns are submissions too: count only what comes after them
        last_batch = store.scalar("SELECT max(batch_id) FROM batches")
        last_audit = store.scalar("SELECT max(audit_id) FROM audit_log")
    finally:
        store.close()
    with running_app(accounts_db) as url, signed_in(url, "lead", width=1400, height=2200) as (page, email):
        assert email == "safeguarding.lead@example.org"
        go(page, "Submit a return", "1. Choose your sub-group and quarter")
        no_errors(page)
        assert page.locator('input[aria-label="Sub-group"]').input_value() == SUB_GROUP
        page.locator('input[aria-label="Sub-group"]').click()        # a lead is offered their own sub-group only
        assert [o.inner_text() for o in page.get_by_role("option").all()] == [SUB_GROUP]
        page.keyboard.press("Escape")

        # 1. the template, a real download
        template = download(page, "Download the return template", tmp_path)
        assert template.name == f"return-safeguarding-{period.replace('/', '-').replace(' ', '-')}.xlsx", template
        wb = load_workbook(template)
        data = wb["Data"]
        rows = [r for r in data.iter_rows(min_row=2, values_only=True) if r[0]]
        assert {r[0] for r in rows} == {"SG01", "SG02", "SG03"}
        assert {r[3] for r in rows} == {period}        # every row is for the quarter chosen on the page

        # 2. a flawed copy: every problem listed with where it is, what was found and what was expected
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(fill_return(template, tmp_path / "safeguarding-return.xlsx", flawed=True)))
        settle(page, "must be fixed")
        shows(page, "2 problems must be fixed",
              "Sheet 'Data', row 2, column F (Value): 150 is outside 0 to 100, so it cannot be a percentage. "
              "(Found: 150. Expected: a percentage from 0 to 100.)",
              "Sheet 'Data', row 4, column A (KPI id): 'SG99' is not a KPI id in the framework.",
              "(Found: SG99. Expected: one of this sub-group's KPI ids: SG01, SG02, SG03.)",
              "Every problem in one table (2)",
              "Confirm is off until the 2 errors in step 3 are fixed")
        expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()   # the same, as one table
        confirm = page.get_by_role("button", name="Confirm and submit")
        expect(confirm).to_be_disabled()               # submission is not possible
        no_errors(page)
        screenshot(page, "journey-lead-problems")

        # 3. the fixed copy: no errors, confirm, a receipt
        fixed = fill_return(template, tmp_path / "safeguarding-return-fixed.xlsx", flawed=False)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(fixed))
        settle(page, "Checked safeguarding-return-fixed.xlsx")
        shows(page, "No problems found.", f"Read as the Safeguarding return for {period}.", f"Submitting as {email}.")
        expect(page.locator(MAIN)).not_to_contain_text("must be fixed")
        expect(confirm).to_be_enabled()
        confirm.click()
        settle(page, "Return stored as submission")
        no_errors(page)
        shows(page, "Submitted. Your receipt is below.", "safeguarding-return-fixed.xlsx", email, period,
              hashlib.sha256(fixed.read_bytes()).hexdigest())
        expect(page.get_by_role("button", name="Confirm and submit")).to_have_count(0)   # it cannot be sent twice
        page.get_by_text("6. Receipt").scroll_into_view_if_needed()
        screenshot(page, "journey-lead-receipt")

        # 4. the new figure on the board scorecard (its latest period)
        go(page, "Board scorecard", "Board scorecard")
        row = scorecard_row(page, "SG02")
        row.wait_for(timeout=LOAD)
        # the KPI is the row's header (th), so the first data cell (td) is the latest figure
        expect(row.locator("td").nth(0)).to_have_text(f"{SG02_VALUE}%, {period}")   # no longer the (demo) figure
        assert "England (24.5% in 2024/25)" in row.inner_text()    # with its interval, compared with England
        no_errors(page)
        screenshot(page, "journey-lead-scorecard")

    # after the app has stopped (DuckDB: one process at a time), the submission is in the store once
    fixed_bytes = fixed.read_bytes()
    store = Store(accounts_db)
    try:
        batches = store.df("SELECT batch_id, kind, outcome_area, period_label, submitted_by, file_name, sha256, "
                           "changed_values FROM batches WHERE batch_id > ?", [last_batch])
        assert len(batches) == 1, batches
        b = batches.iloc[0]
        assert (b.kind, b.outcome_area, b.period_label, b.submitted_by, b.file_name) == (
            "submission", "safeguarding", period, email, "safeguarding-return-fixed.xlsx")
        assert b.sha256 == hashlib.sha256(fixed_bytes).hexdigest() and b.changed_values == len(rows)
        raw = store.df("SELECT content FROM raw_files WHERE batch_id = ?", [int(b.batch_id)])
        assert len(raw) == 1 and bytes(raw["content"].iloc[0]) == fixed_bytes
        sg02 = store.df("SELECT value, numerator, denominator, batch_id FROM current_observations "
                        "WHERE indicator_id = 'SG02' AND area_code = ? AND breakdown_type = 'all' "
                        "AND period_label = ?", [load_framework().home_area, period])
        assert sg02.to_dict("records") == [{"value": SG02_VALUE, "numerator": SG02_OF[0],
                                            "denominator": SG02_OF[1], "batch_id": b.batch_id}]
        assert store.scalar("SELECT count(*) FROM observations WHERE batch_id = ?", [int(b.batch_id)]) == len(rows)
        assert store.df("SELECT action, actor FROM audit_log WHERE audit_id > ? AND action = 'submission'",
                        [last_audit]).to_dict("records") == [{"action": "submission", "actor": email}]
    finally:
        store.close()


# -- 2 and 3 only read, so they share one app, the session's (tests.support.browser.accounts_app) ---------------
@pytest.fixture
def reading_app(accounts_app):
    return accounts_app


# -- 2. a board member at a meeting --------------------------------------------------------------------------
def test_board_member_reads_the_scorecard_a_kpi_and_downloads_the_pack(reading_app, tmp_path):
    fw = load_framework()
    sg02 = fw.kpi("SG02")
    with signed_in(reading_app, "viewer", width=1600, height=1400) as (page, _):
        nav = page.inner_text(NAV)
        assert "Board pack" in nav and "Submit a return" not in nav and "Explorer" not in nav
        go(page, "Board scorecard", "Board scorecard")
        scorecard_row(page, "SG02").wait_for(timeout=LOAD)
        no_errors(page)
        before_caption = page.get_by_text("Showing the latest data").inner_text()
        before = scorecard_row(page, "SG02").inner_text()
        # signed in, a KPI id is not a link: a link opens a new tab, a new session that is signed out
        assert scorecard_row(page, "SG02").locator("a").count() == 0
        screenshot(page, "journey-board-scorecard")

        # a past meeting: what was known then
        box = page.locator('[data-testid="stSelectbox"]').first
        box.click()
        meeting = page.get_by_role("option").nth(1)
        chosen = meeting.inner_text()
        assert chosen.startswith("Board meeting, ")
        meeting.click()
        shown_date = chosen.removeprefix("Board meeting, ")
        settle(page, f"what was known at the board meeting on {shown_date}")
        expect(scorecard_row(page, "SG02")).to_contain_text("2026/27 Q1")
        after = scorecard_row(page, "SG02").inner_text()
        assert after != before and "2026/27 Q1" in after and "2026/27 Q2" not in after
        assert "Showing the latest data" not in main_text(page) and before_caption not in main_text(page)
        no_errors(page)
        screenshot(page, "journey-board-scorecard-past-meeting")

        # a KPI in detail, from the scorecard's link, then the KPI chosen on that page
        page.get_by_role("link", name="Open a KPI in detail").click()
        settle(page, "Definition, method and source")
        choose(page, "KPI", "SG02", f"SG02 {sg02.short_title}")
        settle(page, f"SG02 {sg02.short_title}")
        page.locator(MAIN).locator("h1", has_text=f"SG02 {sg02.short_title}").wait_for(timeout=LOAD)
        shows(page, sg02.title, sg02.definition, sg02.methodology.split(".")[0],
              f"what was known at the board meeting on {shown_date}")         # the meeting followed along
        expect(scorecard_row(page, "SG02")).to_contain_text("2026/27 Q1")
        no_errors(page)
        screenshot(page, "journey-board-kpi-SG02")
        page.get_by_text("Definition, method and source").scroll_into_view_if_needed()
        screenshot(page, "journey-board-kpi-SG02-definition")

        # the board pack, a real PDF download
        go(page, "Board pack", "Build the file")
        page.get_by_role("button", name="Build the file").click()
        page.get_by_role("button", name=PACK_BUTTON).wait_for(timeout=PDF_BUILD)
        settle(page, "took")
        assert "The board pack for the meeting of" in main_text(page)
        pdf = download(page, PACK_BUTTON, tmp_path)
        assert pdf.suffix == ".pdf" and pdf.name in main_text(page)
        no_errors(page)
        screenshot(page, "journey-board-pack")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert len(reader.pages) > 3 and "SG02" in text and sg02.short_title in text


# -- 3. an analyst compares areas ----------------------------------------------------------------------------
def test_analyst_compares_areas_and_downloads_the_csv(reading_app, tmp_path):
    with signed_in(reading_app, "analyst", width=1400, height=2000) as (page, _):
        go(page, "Explorer", "Compare areas")
        page.get_by_role("button", name="Download CSV").first.wait_for(timeout=LOAD)   # the page is all there
        choose(page, "Indicator", "SG02", "KPI · SG02 Repeat child protection plans")
        settle(page, "Child protection plans starting in the period")
        assert "indicator=SG02" in page.url
        shows(page, "Other areas' values come from the published comparator")
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=LOAD)
        no_errors(page)
        screenshot(page, "journey-analyst-compare")

        period = page.locator('[data-testid="stSelectbox"] input[aria-label="Period"]').first.input_value()
        assert period                                             # the latest period England and councils have
        csv = download(page, "Download CSV", tmp_path)
        assert csv.name.startswith("sg02-") and csv.name.endswith("-neighbours.csv"), csv.name
        df = pd.read_csv(csv)
        assert {"Area", "Area code", "Role", "Period", "Value", "Lower 95% CI", "Upper 95% CI"} <= set(df.columns)
        by_area = df.set_index("Area")
        home, england = by_area.loc["Worcestershire"], by_area.loc["England"]
        assert home["Role"] == "Home area" and home["Area code"] == "E10000034"
        assert england["Role"] == "England" and england["Area code"] == "E92000001"
        assert set(df["Period"]) == {period}                     # the period compared on the page
        for row in (home, england):
            assert 0 < row["Value"] < 100 and row["Lower 95% CI"] < row["Value"] < row["Upper 95% CI"]
        assert (by_area["Role"] == "Statistical neighbour").sum() >= 5
        shows(page, f"Worcestershire: {home['Value']:.1f}% in {period}.",     # the figures the page shows
              f"England {england['Value']:.1f}%")
