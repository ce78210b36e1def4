"""The annual report made by the command line as a Word document (with its charts) and a tagged PDF, read back
with python-docx and pypdf, and the PDF's pages rendered. Chromium draws the charts and prints the PDF: these
tests are slow, and under CI=true a missing Chromium fails them (tests/support/browser.py)."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from kpis.cli.main import main
from kpis.governance.annual_report import DEMO_NOTE
from tests.support.browser import chromium_path

SECTIONS = ["Summary", "Outcome areas and their KPIs", "What changed over the year", "Meetings and attendance",
            "Decisions and actions", "Escalations", "Self-assessment", "About this report"]
AREAS = ["Early help", "Emotional wellbeing and mental health", "SEND", "Safeguarding"]


@pytest.fixture(scope="module")
def files(demo_db_master, tmp_path_factory) -> dict[str, Path]:
    chromium_path()
    folder = tmp_path_factory.mktemp("annual")
    db = folder / "demo.duckdb"
    shutil.copy(demo_db_master, db)
    out = {"docx": folder / "report.docx", "pdf": folder / "annual.pdf"}
    assert main(["--db", str(db), "annual-report", "--year", "2025/26", "--out", str(out["docx"]), "--quiet"]) == 0
    assert main(["--db", str(db), "annual-report", "--year", "2025/26", "--format", "pdf", "--out",
                 str(out["pdf"]), "--quiet"]) == 0
    return out


def test_the_cli_writes_both_and_refuses_what_it_cannot_make(files, demo_db_master, tmp_path, capsys):
    assert files["docx"].read_bytes()[:2] == b"PK" and files["pdf"].read_bytes()[:5] == b"%PDF-"
    assert main(["--db", str(demo_db_master), "annual-report", "--year", "2025/26", "--out",
                 str(tmp_path / "report.odt")]) == 2
    assert "Say --format docx or --format pdf" in capsys.readouterr().err
    assert main(["--db", str(demo_db_master), "annual-report", "--year", "2025", "--out",
                 str(tmp_path / "report.pdf")]) == 2
    assert "The year '2025' is not a year the report can cover" in capsys.readouterr().err
    assert not (tmp_path / "report.pdf").exists()


def test_the_word_documents_charts_are_pictures_with_alt_text(files):
    doc = Document(str(files["docx"]))
    shapes = list(doc.inline_shapes)
    assert len(shapes) == 2
    alts = [s._inline.docPr.get("descr") for s in shapes]
    assert alts[0].startswith("Stacked bar chart of attendance at each meeting of 2025/26. 11 Jun 2025: ")
    assert alts[1].startswith("Bar chart of actions in 2025/26: 12 agreed, ")
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        assert doc.part.related_parts[blip].blob[:8] == b"\x89PNG\r\n\x1a\n"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert DEMO_NOTE in text and all(s in text for s in SECTIONS)


def _structure(node, seen: list) -> None:
    node = node.get_object()
    if "/S" in node:
        seen.append((str(node["/S"]), str(node.get("/Alt", ""))))
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict):
            _structure(kid, seen)


def test_the_pdf_is_tagged_with_the_same_sections_as_the_word_document(files):
    reader = PdfReader(str(files["pdf"]))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Worcestershire CYPSP annual report 2025/26"
    tags: list = []
    _structure(root["/StructTreeRoot"], tags)
    kinds = [k for k, _ in tags]
    assert kinds.count("/H1") == 1 and kinds.count("/H2") == len(SECTIONS)
    assert kinds.count("/H3") >= len(AREAS) and "/Table" in kinds and "/TH" in kinds and "/Caption" in kinds
    figures = [alt for k, alt in tags if k == "/Figure"]
    assert len(figures) == 2 and figures[0].startswith("Stacked bar chart of attendance")   # each with its alt
    assert figures[1].startswith("Bar chart of actions in 2025/26: 12 agreed")
    top, below = reader.outline[0], reader.outline[1]      # bookmarks from the headings: the title, then sections
    assert top.title == "Worcestershire CYPSP annual report 2025/26"
    assert [o.title for o in below if not isinstance(o, list)] == SECTIONS
    text = " ".join(" ".join((page.extract_text() or "") for page in reader.pages).split())
    for part in SECTIONS + AREAS + ["Demo data.", "Attendance record", "Overdue: due", "(demo)"]:
        assert part in text, part
    docx_heads = [p.text for p in Document(str(files["docx"])).paragraphs if p.style.name.startswith("Heading")]
    positions = [text.find(h) for h in docx_heads if h in SECTIONS]
    assert positions == sorted(positions) and len(positions) == len(SECTIONS)   # same order as the Word document


def test_pdftoppm_renders_every_page(files, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(files["pdf"]), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(str(files["pdf"])).pages) >= 4
    assert all(p.stat().st_size > 5000 for p in pages)


def test_the_meeting_pages_button_makes_the_annual_report(demo_db, app_env):
    """The one button: on the Board meetings page (open demo mode), Word for 2025/26, offered for download."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from tests.support.apptest import ok, texts
    chromium_path()
    app_env(demo_db)
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run())
    at = ok(at.switch_page("app_pages/meetings.py").run())
    from kpis.core.framework import load_framework
    from kpis.governance.annual_report import report_year
    from kpis.store.database import now
    fw = load_framework()
    year = at.selectbox(key="report_year").value
    assert report_year(fw, year).end < now().date() <= report_year(fw, year).end.replace(year=report_year(
        fw, year).end.year + 1)                                    # the latest year that is over
    at.radio(key="report_format").set_value("docx")
    ok(at.button(key="report_build").click().run())
    made = at.session_state["report_file"]
    assert made.file_name == f"worcestershire-cypsp-annual-report-{year.replace('/', '-')}-demo.docx" and made.is_demo
    doc = Document(io.BytesIO(made.data))
    assert doc.core_properties.title == f"Worcestershire CYPSP annual report {year}" and len(doc.inline_shapes) == 2
    assert "It is built from demo data and says so." in texts(at)
    assert at.get("download_button")[0].proto.label == f"Download {made.file_name}"
