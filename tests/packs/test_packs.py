"""The board pack and the HWBB report: built from the demo database in all three formats, then opened
the way people and their tools will open them (pypdf and pdftotext, python-pptx, openpyxl, pdftoppm)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from kpis.cli.main import main
from kpis.core import chromium
from kpis.core.exports import OGL_ATTRIBUTION
from kpis.core.framework import load_framework
from kpis.packs import images
from kpis.packs.build import build_pack, format_from_path
from kpis.packs.content import board_pack_content
from kpis.packs.figures import recent_window
from kpis.packs.words import PackError
from kpis.store.database import Store
from tests.support.browser import ARTIFACTS, chromium_path

FRAMEWORK = load_framework()
MEETING = date(2026, 12, 9)
RETIRED = ("No England figure yet", "Not published", "No national comparator", "quartile")  # issue 21


def _text(pdf: bytes) -> str:
    """Every page's text with white space collapsed (titles wrap inside table cells)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture(scope="module")
def store(demo_db_master, tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "demo.duckdb"
    shutil.copy(demo_db_master, path)
    s = Store(path, read_only=True)
    yield s
    s.close()


@pytest.fixture(scope="module")
def packs(store):
    """All six files, built once: {(report, fmt): PackFile}."""
    chromium_path()  # skips (or fails under CI=true) without Debian's chromium
    return {(report, fmt): build_pack(store, FRAMEWORK, meeting=MEETING, report=report, fmt=fmt)
            for report in ("board", "hwbb") for fmt in ("pdf", "pptx", "xlsx")}


# -- PDF ----------------------------------------------------------------------------------------------
def test_board_pack_pdf_names_every_kpi_and_carries_the_licence(packs):
    pdf = packs[("board", "pdf")]
    assert pdf.data[:5] == b"%PDF-" and pdf.file_name == "worcestershire-cypsp-board-pack-2026-12-09.pdf"
    text = _text(pdf.data)
    for kpi in FRAMEWORK.kpis:
        assert kpi.id in text
        assert f"{kpi.id} {kpi.short_title}" in text, kpi.id   # the section heading
        assert f"{kpi.id} {kpi.title}" in text, kpi.id         # the definitions table
    assert OGL_ATTRIBUTION in text
    for part in ("Summary scorecard", "What changed since the last meeting", "Appendix: definitions, methods",
                 "Meeting: 9 December 2026", "Data as at", "Progress", "Risks and barriers",
                 "Service user feedback", "(demo)", "Compared with England"):
        assert part in text, part
    for area in FRAMEWORK.areas:
        assert area.name in text and area.sub_group in text
    # the appendix names a KPI's related national measure, and that it is not the KPI's comparison
    flat = " ".join(text.split())
    assert "No national figure of this definition. Related national measure: Persistent absence" in flat
    assert "No national figure of this definition (a local measure)." in flat                   # EH05, MH01, ...


def test_board_pack_pdf_has_a_title_language_page_numbers_real_text_and_pictures(packs):
    reader = PdfReader(io.BytesIO(packs[("board", "pdf")].data))
    assert reader.metadata.title == "Board pack: Worcestershire CYPSP, 9 December 2026"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    pages = len(reader.pages)
    assert pages >= 2 + len(FRAMEWORK.kpis)
    assert f"Page 1 of {pages}" in reader.pages[0].extract_text()
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()
    # The scorecard is text on one landscape page, not a picture.
    summary = reader.pages[1]
    assert float(summary.mediabox.width) > float(summary.mediabox.height)
    words = summary.extract_text()
    assert "Summary scorecard" in words and all(k.id in words for k in FRAMEWORK.kpis)
    assert not summary.images
    # Each KPI page with figures has one chart and its numbers as text.
    sg02 = [p for p in reader.pages if "The numbers in the chart of SG02" in (p.extract_text() or "")]
    assert len(sg02) == 1 and len(sg02[0].images) == 1
    assert "95% CI" in sg02[0].extract_text() and "England" in sg02[0].extract_text()
    assert sum(len(p.images) for p in reader.pages) == len(FRAMEWORK.kpis) - 1  # EH03 has no figures yet


def test_pdftotext_reads_the_pack_and_pdftoppm_renders_every_page(packs, tmp_path):
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils is not installed: apt-get install poppler-utils")
    path = tmp_path / "pack.pdf"
    path.write_bytes(packs[("board", "pdf")].data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Contains public sector information licensed under the Open Government Licence v3.0." in text
    # the demo follows DfE and LAIT (issue 14): SD04 is similar to England, SG02 and SD02 worse
    assert "◆ Similar to England" in text and "■ Worse than England" in text
    out = ARTIFACTS / "board-pack"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(out / "page")], check=True)
    pngs = sorted(out.glob("page-*.png"))
    assert len(pngs) == len(PdfReader(str(path)).pages)
    assert all(p.stat().st_size > 5_000 for p in pngs)  # not blank


def test_hwbb_report_pdf(packs):
    text = _text(packs[("hwbb", "pdf")].data)
    assert "Report to the Health and Wellbeing Board" in text
    assert "What changed in the last six months" in text and "10 June 2026" in text
    for kpi in FRAMEWORK.kpis:
        assert f"{kpi.id} {kpi.short_title}" in text
    for area in FRAMEWORK.areas:
        assert f"{area.name}: recent trends against England" in text or area.name in text
    assert OGL_ATTRIBUTION in text
    assert len(PdfReader(io.BytesIO(packs[("hwbb", "pdf")].data)).pages) < len(
        PdfReader(io.BytesIO(packs[("board", "pdf")].data)).pages)


# -- PowerPoint ----------------------------------------------------------------------------------------
def _slides(data: bytes):
    prs = Presentation(io.BytesIO(data))
    return prs, [(s.shapes.title.text if s.shapes.title is not None else "", s) for s in prs.slides]


def test_board_pack_pptx_has_the_summary_and_one_slide_per_kpi_and_area(packs):
    prs, slides = _slides(packs[("board", "pptx")].data)
    titles = [t for t, _ in slides]
    assert prs.core_properties.title == "Board pack: Worcestershire CYPSP, 9 December 2026"
    assert prs.core_properties.language == "en-GB"
    assert titles[0].startswith("Board pack")
    assert any(t.startswith("Summary scorecard") for t in titles)
    assert "What changed since the last meeting" in titles
    for area in FRAMEWORK.areas:
        assert area.name in titles
    for kpi in FRAMEWORK.kpis:
        matching = [s for t, s in slides if t == f"{kpi.id} {kpi.short_title}"]
        assert len(matching) == 1, kpi.id
        slide = matching[0]
        assert kpi.title in slide.notes_slide.notes_text_frame.text
        pictures = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        if kpi.id != "EH03":  # EH03 has no figures at all
            assert len(pictures) == 1 and pictures[0]._element.nvPicPr.cNvPr.get("descr"), kpi.id
            assert any(sh.has_table for sh in slide.shapes), kpi.id
    assert any(t.startswith("Appendix: definitions") for t in titles)
    licence = next(s for t, s in slides if t == "Appendix: licence")
    assert OGL_ATTRIBUTION in " ".join(sh.text_frame.text for sh in licence.shapes if sh.has_text_frame)
    # issue 21: the summary scorecard carries the verdicts and England in words, a row per KPI, a line per area
    summary = [s for t, s in slides if t.startswith("Summary scorecard")]
    grids = [sh.table for s in summary for sh in s.shapes if sh.has_table]
    header = [c.text for c in grids[0].rows[0].cells]
    assert header[:5] == ["KPI", "Latest", "Variation", "Assurance", "Compared with England"]
    kpi_rows = {r.cells[0].text.split()[0]: [c.text for c in r.cells] for g in grids for r in list(g.rows)[1:]
                if r.cells[0].text.split()[0] in FRAMEWORK.kpi_ids}
    assert sorted(kpi_rows) == sorted(FRAMEWORK.kpi_ids)
    for kpi_id, cells in kpi_rows.items():
        assert cells[2][0] in "▲▼△▽◦–" and len(cells[2]) > 2, (kpi_id, cells[2])
        assert cells[4][0] in "●◆■○◇–" and len(cells[4]) > 2, (kpi_id, cells[4])
        assert not any(old in " ".join(cells) for old in RETIRED), cells
    headings = [r.cells[0].text for g in grids for r in g.rows if r.cells[0].text.split(",")[0] in
                [a.name for a in FRAMEWORK.areas]]
    assert len(headings) == len(FRAMEWORK.areas) and all("shows improvement" in h or "none shows" in h
                                                         for h in headings), headings
    sg02 = next(s for t, s in slides if t.startswith("SG02 ")).notes_slide.notes_text_frame.text
    assert "Variation: " in sg02 and "Assurance: " in sg02 and "Compared with England: ■ Worse than England" in sg02
    for title, slide in slides:  # nothing spills off the slide
        for sh in slide.shapes:
            assert sh.left + sh.width <= prs.slide_width and sh.top + sh.height <= prs.slide_height, (title, sh.name)


def test_hwbb_report_pptx_has_one_slide_per_area(packs):
    _, slides = _slides(packs[("hwbb", "pptx")].data)
    titles = [t for t, _ in slides]
    assert titles[0] == "Report to the Health and Wellbeing Board"
    for area in FRAMEWORK.areas:
        assert area.name in titles and f"{area.name}: recent trends against England" in titles
    assert not any(t.startswith("SG02 ") for t in titles)   # a higher level: no slide per KPI


# -- Excel -------------------------------------------------------------------------------------------------
def test_board_pack_xlsx_has_metadata_scorecard_and_data(packs):
    wb = load_workbook(io.BytesIO(packs[("board", "xlsx")].data))
    assert wb.sheetnames[0] == "Metadata"
    for name in ("Scorecard", "Data", "Narratives", "Definitions", "Changed - movements"):
        assert name in wb.sheetnames
    meta = {r[0]: r[1] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}
    assert meta["Licence"] == OGL_ATTRIBUTION and meta["Meeting"] == "2026-12-09"
    assert meta["Demo data"].startswith("Yes")
    card = list(wb["Scorecard"].iter_rows(values_only=True))
    assert card[0][0] == "KPI id" and [r[0] for r in card[1:]] == FRAMEWORK.kpi_ids
    header = card[0]
    sg02 = dict(zip(header, card[1 + FRAMEWORK.kpi_ids.index("SG02")], strict=False))
    # as DfE published for 2024/25 (31.4% against 24.5%); the demo no longer says "similar" (issue 14)
    assert isinstance(sg02["Value"], float) and sg02["Compared with England"] == "■ Worse than England"
    # issue 21: the verdicts and the England words, from the same scorecard rows as the board sees
    assert sg02["Variation"].startswith(("▲", "▼", "◦", "△", "▽", "–")) and sg02["Variation, in words"]
    assert sg02["Assurance"].startswith(("✓", "✗", "?")) and "target 22.0%" in sg02["Assurance, in words"]
    assert sg02["Compared with England, in full"].startswith("Worse than England, tested at 95%")
    rows = [dict(zip(header, r, strict=False)) for r in card[1:]]
    assert all(r["Variation"] and r["Compared with England"] and r["Compared with England, in full"] for r in rows)
    assert {r["KPI id"]: r["Assurance"] for r in rows}["EH05"] == "No target"
    sheet = " ".join(str(v) for r in card for v in r)
    assert not any(old in sheet for old in RETIRED), [old for old in RETIRED if old in sheet]
    data = pd.DataFrame(list(wb["Data"].iter_rows(values_only=True))[1:],
                        columns=[c.value for c in wb["Data"][1]])
    assert set(data["KPI id"]) == set(FRAMEWORK.kpi_ids) - {"EH03"}
    assert {"home", "england"} <= set(data["Series"])
    for row in wb["Narratives"].iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"  # text is never a formula


def test_hwbb_report_xlsx_builds(packs):
    wb = load_workbook(io.BytesIO(packs[("hwbb", "xlsx")].data))
    meta = {r[0]: r[1] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}
    assert meta["Report"] == "Report to the Health and Wellbeing Board"
    assert meta["Changes since"] == "2026-06-10"


def test_excel_needs_no_browser(store, monkeypatch, tmp_path):
    _no_browser(monkeypatch, tmp_path)
    pack = build_pack(store, FRAMEWORK, meeting=MEETING, fmt="xlsx")
    assert pack.data[:2] == b"PK"


# -- the command line ----------------------------------------------------------------------------------
def test_cli_builds_each_format(demo_db, tmp_path, capsys):
    chromium_path()
    for name in ("pack.xlsx", "pack.pdf"):
        out = tmp_path / name
        assert main(["--db", str(demo_db), "board-pack", "--meeting", "2026-09-09", "-o", str(out)]) == 0
        assert out.stat().st_size > 10_000
        assert "written to" in capsys.readouterr().out
    out = tmp_path / "hwbb.pptx"
    assert main(["--db", str(demo_db), "board-pack", "--report", "hwbb", "-o", str(out), "--quiet"]) == 0
    assert Presentation(str(out)).slides


def test_cli_unknown_meeting_lists_the_known_ones(demo_db, tmp_path, capsys):
    code = main(["--db", str(demo_db), "board-pack", "--meeting", "2026-09-10", "-o", str(tmp_path / "p.xlsx")])
    err = capsys.readouterr().err
    assert code == 2
    assert "2026-09-10 is not a board meeting date" in err and "2026-09-09" in err and "Traceback" not in err
    assert not (tmp_path / "p.xlsx").exists()


@pytest.mark.parametrize("args, message", [
    (["--meeting", "9/12/2026", "-o", "p.pdf"], "YYYY-MM-DD"),
    (["-o", "p.docx"], "must end in .pdf, .pptx or .xlsx"),
    (["-o", "no-such-folder/p.pdf"], "does not exist"),
])
def test_cli_bad_arguments_exit_2(demo_db, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["--db", str(demo_db), "board-pack", *args]) == 2
    assert message in capsys.readouterr().err


def _no_browser(monkeypatch, tmp_path):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.setattr(chromium, "DEBIAN_CHROMIUM", tmp_path / "no-chromium")


def test_a_chart_drawn_again_comes_from_the_cache(monkeypatch):
    """The PDF and the PowerPoint of one pack draw the same charts: each is drawn by Chromium once."""
    import plotly.graph_objects as go
    chromium_path()
    images.start()   # its first, blank image is drawn before counting
    drawn = []
    real = images._render
    monkeypatch.setattr(images, "_render", lambda *a: drawn.append(a[1:]) or real(*a))
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[4, 1, 7], name="cache check"))
    first = images.render_png(fig, width=300, height=200)
    again = images.render_png(go.Figure(fig), width=300, height=200)   # a fresh copy of the same figure
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and again == first and len(drawn) == 1
    assert images.render_png(fig, width=320, height=200) != first                 # another size is drawn anew
    fig.update_traces(y=[4, 1, 8])
    images.render_png(fig, width=300, height=200)                                 # so is a changed figure
    assert drawn == [(300, 200, 2.0), (320, 200, 2.0), (300, 200, 2.0)]


def test_without_a_browser_the_error_says_what_to_install(demo_db, tmp_path, monkeypatch, capsys):
    _no_browser(monkeypatch, tmp_path)
    with pytest.raises(images.ChartRendererUnavailable, match="apt-get install chromium"):
        images.find_browser()
    assert main(["--db", str(demo_db), "board-pack", "-o", str(tmp_path / "p.pdf")]) == 1
    err = capsys.readouterr().err
    assert "apt-get install chromium" in err and "Nothing was downloaded" in err and "Traceback" not in err
    assert not (tmp_path / "p.pdf").exists()


def test_missing_fonts_say_which_package(store, monkeypatch, tmp_path):
    from kpis.packs import pdf as pack_pdf
    monkeypatch.setattr(pack_pdf, "FONT_DIR", tmp_path)
    content = board_pack_content(store, FRAMEWORK, meeting=MEETING)
    with pytest.raises(pack_pdf.PdfFontsMissing, match="fonts-dejavu-core"):
        pack_pdf.build_pdf(content)


# -- the parts ------------------------------------------------------------------------------------------
def test_format_and_meeting_checks(store):
    assert format_from_path("x/Board.PDF") == "pdf"
    with pytest.raises(PackError):
        format_from_path("board.doc")
    with pytest.raises(PackError, match="Known meetings: 2025-03-12"):
        board_pack_content(store, FRAMEWORK, meeting=date(2026, 1, 1))
    with pytest.raises(PackError, match="Unknown report"):
        board_pack_content(store, FRAMEWORK, meeting=MEETING, report="annual")


def test_content_compares_with_the_right_meeting(store):
    board = board_pack_content(store, FRAMEWORK, meeting=MEETING)
    hwbb = board_pack_content(store, FRAMEWORK, meeting=MEETING, report="hwbb")
    assert board.previous == date(2026, 9, 9) and hwbb.previous == date(2026, 6, 10)
    first = board_pack_content(store, FRAMEWORK, meeting=date(2025, 3, 12))
    assert first.previous is None and first.changes == []
    sg02 = next(k for a in board.areas for k in a.kpis if k.kpi.id == "SG02")
    assert any(w.startswith("Compared with England: ■ Worse than England, tested at 95%") for w in sg02.words)
    # issue 21: each KPI's verdicts and England words, for the PDF to lay out, as the scorecard row has them
    assert sg02.england.startswith("■ Worse than England (England 24.5%, 2024/25)")
    assert sg02.assurance.startswith(("✓", "✗", "?")) and "target" in sg02.assurance_words
    for a in board.areas:
        assert a.verdicts.startswith(f"{a.name}, ") and ("improvement" in a.verdicts)
        for k in a.kpis:
            assert k.variation and k.variation_words and k.england and k.england_words, k.kpi.id
            assert (k.assurance == "–") == (k.kpi.target is None), k.kpi.id
    assert sg02.chart is not None and "England" in sg02.chart.alt
    assert all(len(a.kpis) == len(FRAMEWORK.kpis_in_area(a.area_id)) for a in board.areas)
    assert board.is_demo and all(a.narrative is not None for a in board.areas)


def test_recent_window_keeps_three_years_or_six_local_points():
    ends = pd.date_range("2015-03-31", periods=10, freq="12ME")
    annual = pd.DataFrame({"role": "home", "value": range(10), "period_end": ends})
    assert len(recent_window(annual)) == 6
    quarters = pd.DataFrame({"role": "home", "value": range(20),
                             "period_end": pd.date_range("2021-06-30", periods=20, freq="3ME")})
    kept = recent_window(quarters)
    assert len(kept) == 13 and kept["period_end"].min() == quarters["period_end"].max() - pd.DateOffset(years=3)
    assert recent_window(pd.DataFrame()).empty


def test_published_home_figures_are_their_own_series(store):
    content = board_pack_content(store, FRAMEWORK, meeting=MEETING)
    sd02 = next(k for a in content.areas for k in a.kpis if k.kpi.id == "SD02")
    series = [r[0] for r in sd02.table.rows]
    assert series[0] == "Worcestershire" and "Worcestershire: published figure" in series and series[-1] == "England"
    names = [t.name for t in sd02.chart.figure.data]
    assert names == ["Worcestershire (with 95% confidence interval)", "Worcestershire: published figure", "England"]


def test_a_pack_builds_from_a_database_with_no_figures(tmp_path):
    db = tmp_path / "empty.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    s = Store(db, read_only=True)
    try:
        content = board_pack_content(s, FRAMEWORK, meeting=MEETING)
        assert content.data_as_at is None and not content.is_demo and content.charts == []
        assert build_pack(s, FRAMEWORK, meeting=MEETING, fmt="xlsx").data[:2] == b"PK"
        chromium_path()
        assert OGL_ATTRIBUTION in _text(build_pack(s, FRAMEWORK, meeting=MEETING, fmt="pdf").data)
    finally:
        s.close()


def test_hwbb_report_leaves_out_narratives_not_marked_for_publication(demo_db):
    s = Store(demo_db)
    try:
        with s.transaction() as cur:
            cur.execute("UPDATE narratives SET publishable = false WHERE outcome_area = 'send'")
        hwbb = board_pack_content(s, FRAMEWORK, meeting=MEETING, report="hwbb")
        board = board_pack_content(s, FRAMEWORK, meeting=MEETING)
    finally:
        s.close()
    send = next(a for a in hwbb.areas if a.area_id == "send")
    assert send.narrative is None and "not marked for publication" in send.narrative_note
    board_send = next(a for a in board.areas if a.area_id == "send")
    assert board_send.narrative is not None and not board_send.narrative.publishable
