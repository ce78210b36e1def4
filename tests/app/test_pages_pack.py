"""AppTest of the board pack page: choose a meeting, a report and a format, build, download."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from kpis.core.exports import OGL_ATTRIBUTION
from tests.conftest import ROOT
from tests.support.browser import chromium_path


def open_page(app_env, db) -> AppTest:
    app_env(db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    at.switch_page("app_pages/board_pack.py").run()
    assert not at.exception, at.exception
    return at


def downloaded(at) -> bytes:
    """The file behind the download button: the page keeps the built pack in the session."""
    button = at.download_button(key="pack_download")
    pack = at.session_state["pack_file"]
    assert pack.file_name in button.label
    return pack.data


def test_page_offers_the_meetings_reports_and_formats(demo_db, app_env):
    at = open_page(app_env, demo_db)
    assert at.title[0].value == "Board pack"
    meeting = at.selectbox(key="pack_meeting")
    assert str(meeting.value) == "2026-12-09"            # the next meeting by default
    assert len(meeting.options) == 8
    assert at.radio(key="pack_report").options == ["Board pack", "Report to the Health and Wellbeing Board"]
    assert len(at.radio(key="pack_format").options) == 3
    assert not at.download_button


def test_page_builds_an_excel_pack(demo_db, app_env):
    at = open_page(app_env, demo_db)
    at.radio(key="pack_format").set_value("xlsx").run()
    at.button(key="pack_build").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "took" in at.success[0].value
    button = at.download_button(key="pack_download")
    assert "worcestershire-cypsp-board-pack-2026-12-09.xlsx" in button.label
    wb = load_workbook(io.BytesIO(downloaded(at)))
    assert wb.sheetnames[:2] == ["Metadata", "Scorecard"]
    assert OGL_ATTRIBUTION in [r[1] for r in wb["Metadata"].iter_rows(values_only=True)]


def test_page_builds_the_hwbb_report_as_pdf(demo_db, app_env):
    chromium_path()
    at = open_page(app_env, demo_db)
    at.selectbox(key="pack_meeting").select_index(6).run()   # 9 September 2026
    at.radio(key="pack_report").set_value("hwbb").run()
    at.radio(key="pack_format").set_value("pdf").run()
    at.button(key="pack_build").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "HWBB report for the meeting of 9 September 2026" in at.success[0].value
    pdf = downloaded(at)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Report to the Health and Wellbeing Board" in text and "SG02" in text


def test_the_database_is_free_while_the_pack_is_written(demo_db, app_env, monkeypatch):
    """The page run held the database while the pack was drawn (tens of seconds for a PDF), so a backup or an
    import had to wait for it. Once the content is read, the database is let go until the page reads again."""
    import kpis.packs.xlsx as pack_xlsx
    from tests.support.locks import free_for_another_process
    free_while_writing = []
    real = pack_xlsx.to_excel_bytes

    def writing(*args, **kwargs):
        free_while_writing.append(free_for_another_process(demo_db))
        return real(*args, **kwargs)
    monkeypatch.setattr(pack_xlsx, "to_excel_bytes", writing)
    at = open_page(app_env, demo_db)
    at.radio(key="pack_format").set_value("xlsx").run()
    at.button(key="pack_build").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert free_while_writing == [True]
    assert "took" in at.success[0].value
    at.run()                                             # and the next run reads the database as before
    assert not at.exception and str(at.selectbox(key="pack_meeting").value) == "2026-12-09"
