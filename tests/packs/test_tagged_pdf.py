"""The board pack and the HWBB report are tagged PDFs: built from the demo database by the same call as the app and
the command line (`build_pack`), printed by the real Chromium, then read back with pypdf (through
`tools.pdf_tags`, the auditor's dump) as a screen reader and its user would meet them.

Needs Chromium: skipped without it, but failed under CI=true (`tests.support.browser.chromium_path`)."""
from __future__ import annotations

import io
import itertools
import re
import shutil
from datetime import date

import pytest
from pypdf import PdfReader

from kpis.core.framework import load_framework
from kpis.packs.build import build_pack
from kpis.packs.content import board_pack_content
from kpis.packs.html import GENERATOR, document, figure_html, table_html
from kpis.packs.tagged_pdf import html_to_pdf
from kpis.store.database import Store
from tests.packs.test_print_html import PNG
from tests.support.browser import chromium_path
from tools.pdf_tags import Element, tags
from tools.pdf_tags import main as pdf_tags_main

FRAMEWORK = load_framework()
MEETING = date(2026, 12, 9)
HEADING = re.compile(r"^H([1-6])$")


@pytest.fixture(scope="module")
def built(demo_db_master, tmp_path_factory):
    """{report: (PackContent, PDF path, Tags)} for the board pack and the HWBB report."""
    chromium_path()  # skips (or fails under CI=true) without Chromium
    folder = tmp_path_factory.mktemp("tagged")
    db = folder / "demo.duckdb"
    shutil.copy(demo_db_master, db)
    store = Store(db, read_only=True)
    out = {}
    try:
        for report in ("board", "hwbb"):
            pack = build_pack(store, FRAMEWORK, meeting=MEETING, report=report, fmt="pdf")
            path = folder / pack.file_name
            path.write_bytes(pack.data)
            out[report] = (board_pack_content(store, FRAMEWORK, meeting=MEETING, report=report), path, tags(path))
    finally:
        store.close()
    return out


def _headings(t) -> list[tuple[int, str]]:
    """(level, text) of every heading in the tag tree, in its order (a heading's text is in its child)."""
    out = []
    for i, e in enumerate(t.elements):
        m = HEADING.match(e.tag)
        if m:
            text = e.text or " ".join(c.text for c in _children(t.elements, i) if c.text)
            out.append((int(m.group(1)), text))
    return out


def _children(elements: list[Element], i: int) -> list[Element]:
    """Every element under elements[i] (its subtree, in order)."""
    out = []
    for e in elements[i + 1:]:
        if e.depth <= elements[i].depth:
            break
        out.append(e)
    return out


def _sections(content) -> list[str]:
    """The parts of a pack in order: each becomes an H2 (and, in the board pack, each KPI an H3 on a new page)."""
    out = ["Summary scorecard", content.changes_heading]
    for a in content.areas:
        out.append(a.name)
        if content.report == "board":
            out += [f"{k.kpi.id} {k.kpi.short_title}" for k in a.kpis]
    return [*out, "Appendix: definitions, methods and sources"]


# -- the structure tree ----------------------------------------------------------------------------------------
def test_board_pack_structure_tree_has_headings_paragraphs_lists_tables_and_figures(built):
    content, _, t = built["board"]
    n = t.counts
    assert n["Document"] == 1 and n["H1"] == 1
    assert n["H2"] == 4 + len(FRAMEWORK.areas)            # in this pack, summary, changes, areas, appendix
    assert n["H3"] >= len(FRAMEWORK.kpis) and n["H4"] >= 3 * len(FRAMEWORK.areas)   # narratives' parts
    assert n["P"] >= 40 and n["L"] >= len(FRAMEWORK.kpis) and n["LI"] >= 5 * len(FRAMEWORK.kpis)
    assert n["Table"] >= 1 + len(FRAMEWORK.areas) + len(FRAMEWORK.kpis) - 1   # EH03 has no figures, so no table
    assert n["Caption"] == n["Table"] and n["TH"] > n["Table"] and n["TD"] > n["TH"]
    # every chart is a Figure whose alt text is the words the pack wrote for it, none without
    figures = [e for e in t.elements if e.tag == "Figure"]
    assert len(figures) == len(content.charts) == len(FRAMEWORK.kpis) - 1
    assert sorted(f.attrs["Alt"] for f in figures) == sorted(c.alt for c in content.charts)
    assert not t.figures_without_alt
    for report in ("board", "hwbb"):   # every chart's numbers are in the table that comes next in reading order
        els = built[report][2].elements
        for i, e in enumerate(els):
            if e.tag == "Figure":
                after = next(x for x in els[i + 1:] if x.depth <= e.depth)
                assert after.tag == "Table", (report, e.attrs["Alt"][:40], after.tag)
    sg02 = next(f for f in figures if "SG02" in f.attrs["Alt"])
    assert sg02.attrs["Alt"].startswith("Line chart of SG02 Repeat child protection plans. ")
    assert "England" in sg02.attrs["Alt"] and "latest" in sg02.attrs["Alt"]


def test_every_table_has_a_caption_column_headers_and_row_headers(built):
    for report in ("board", "hwbb"):
        _, _, t = built[report]
        tables = [i for i, e in enumerate(t.elements) if e.tag == "Table"]
        assert tables, report
        for i in tables:
            inside = _children(t.elements, i)
            caption = next(i + 1 + k for k, e in enumerate(inside) if e.tag == "Caption")
            captions = " ".join(c.text for c in _children(t.elements, caption))
            assert captions.strip(), (report, i)
            scopes = [e.attrs.get("Scope") for e in inside if e.tag == "TH"]
            assert "Column" in scopes and "Row" in scopes, (report, captions)
            # every data cell names its headers (the column's and the row's)
            assert all(len(re.findall(r"node", e.attrs.get("Headers", ""))) >= 2
                       for e in inside if e.tag == "TD"), (report, captions)
    # the scorecard: one row header per KPI, and the outcome areas as heading rows across the table
    _, _, t = built["board"]
    scorecard = next(i for i, e in enumerate(t.elements) if e.tag == "Table")
    row_heads = [scorecard + 1 + k for k, c in enumerate(_children(t.elements, scorecard))
                 if c.tag == "TH" and c.attrs.get("Scope") == "Row"]
    texts = [" ".join(x.text for x in _children(t.elements, h)) for h in row_heads]
    assert [x for x in texts if re.match(r"[A-Z]{2}\d\d ", x)] == [f"{k.id} {k.short_title}" for k in FRAMEWORK.kpis]
    spans = {x: t.elements[h].attrs.get("ColSpan") for x, h in zip(texts, row_heads, strict=False)}
    columns = sum(1 for c in _children(t.elements, scorecard) if c.tag == "TH" and c.attrs.get("Scope") == "Column")
    assert columns >= 6
    for area in FRAMEWORK.areas:   # each area's heading row spans the table and begins with its name (then its summary)
        heading = [x for x in spans if x == area.name or x.startswith(f"{area.name},")]
        assert len(heading) == 1 and spans[heading[0]] == str(columns), (area.name, columns, list(spans))


def test_headings_start_with_the_title_never_skip_a_level_and_follow_the_sections(built):
    for report in ("board", "hwbb"):
        content, _, t = built[report]
        heads = _headings(t)
        title = content.title if report == "board" else f"{content.title}: {content.short_name}"
        assert heads[0] == (1, title), report
        levels = [level for level, _ in heads]
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (report, heads)
        assert [x for _, x in heads if x in _sections(content)] == _sections(content), report
        if report == "board":
            assert [x for level, x in heads if level == 3 and x[:4] in FRAMEWORK.kpi_ids] == \
                [f"{k.id} {k.short_title}" for k in FRAMEWORK.kpis]


# -- the document --------------------------------------------------------------------------------------------
def test_language_marked_title_author_and_subject(built):
    _, path, t = built["board"]
    assert t.lang == "en-GB" and t.marked and t.display_title
    assert t.title == "Board pack: Worcestershire CYPSP, 9 December 2026"
    assert t.author == FRAMEWORK.name
    assert t.subject == ("Board pack: Worcestershire CYPSP for the meeting of 9 December 2026; data as at "
                         "4 November 2026")
    reader = PdfReader(str(path))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert reader.metadata.title == t.title and reader.metadata.creator == GENERATOR   # not Chromium's user agent
    xmp = reader.xmp_metadata
    assert xmp.dc_title == {"x-default": t.title} and xmp.dc_language == ["en-GB"] and xmp.dc_creator == [t.author]
    _, _, hwbb = built["hwbb"]
    assert hwbb.title == "Report to the Health and Wellbeing Board, 9 December 2026" and hwbb.lang == "en-GB"


def test_the_outline_has_an_entry_per_section_in_order(built):
    for report in ("board", "hwbb"):
        content, _, t = built[report]
        titles = [title for _, title in t.outline]
        assert [x for x in titles if x in _sections(content)] == _sections(content), report
        assert t.outline[0][0] == 0 and all(level >= 1 for level, _ in t.outline[1:])  # all under the title
        # bookmarks keep their spaces where a long heading wrapped (Chromium drops them; finish_pdf mends it)
        assert not [x for x in titles if re.search(r",\S", x)], report


def test_every_kpi_is_in_the_text_and_the_text_is_in_reading_order(built):
    content, path, _ = built["board"]
    reader = PdfReader(str(path))
    pages = [page.extract_text() or "" for page in reader.pages]
    text = re.sub(r"\s+", " ", " ".join(pages))
    for kpi in FRAMEWORK.kpis:
        assert f"{kpi.id} {kpi.short_title}" in text and f"{kpi.id} {kpi.title}" in text, kpi.id
    # each part starts a page: its heading is the page's first line after the running header and page number
    firsts = []
    for i, page in enumerate(pages):
        lines = [x for x in page.splitlines() if x.strip()]
        body = [x for x in lines if not re.fullmatch(r"Page \d+ of \d+", x) and "Board pack · 9 December" not in x]
        firsts.append((i, body[0] if body else ""))
    starts = [next((i for i, first in firsts if first == s), None) for s in _sections(content)]
    assert None not in starts, dict(zip(_sections(content), starts, strict=False))
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_running_header_and_page_numbers_are_artifacts_and_nothing_is_untagged(built):
    for report in ("board", "hwbb"):
        _, path, t = built[report]
        assert t.untagged_text == {}, report
        assert sorted(t.artifact_text) == list(range(t.pages)), report
        for page, text in t.artifact_text.items():
            assert f"Page {page + 1} of {t.pages}" in text, (report, page)
            if page:   # the cover has no running header; every other page says it includes demo data
                assert "Worcestershire CYPSP" in text and "Includes demo data" in text, (report, page)
        cover = PdfReader(str(path)).pages[0].extract_text()
        assert "Includes demo data: local figures marked (demo) are synthetic" in cover


def test_hwbb_report_is_tagged_too(built):
    content, _, t = built["hwbb"]
    figures = [e for e in t.elements if e.tag == "Figure"]
    assert len(figures) == len([a for a in content.areas if a.chart]) == len(FRAMEWORK.areas)  # no chart per KPI
    assert all(f.attrs.get("Alt", "").startswith("Small line charts, one per KPI of ") for f in figures)
    assert t.counts["H2"] == 4 + len(FRAMEWORK.areas) and not t.figures_without_alt


def test_pdf_tags_prints_the_tree_an_auditor_reads(built, capsys):
    _, path, _t = built["board"]
    assert pdf_tags_main([str(path), "--width", "60"]) == 0
    out = capsys.readouterr().out
    assert "Language: en-GB    Tagged (/MarkInfo /Marked): yes" in out
    assert f"Figures: {len(FRAMEWORK.kpis) - 1}, without /Alt: 0" in out and "Untagged text: none" in out
    assert re.search(r"\n( +)H2\n\1  NonStruct p2 \"Summary scorecard\"", out)
    assert "TH p2 Scope='Column'" in out


# -- the same checks fail on a PDF that is not tagged --------------------------------------------------------------
def _small_document() -> str:
    body = ("<h1>Small report</h1><p>One paragraph.</p>"
            + table_html("Two KPIs", ["KPI", "Value"], [["SG02", "35%"], ["SG03", "44%"]], groups=[(0, "Safeguarding")])
            + figure_html(PNG, "A dot: the whole chart."))
    return document("Small report", body, author="The partnership", subject="A test", running_header="Small · demo")


def test_a_small_document_prints_with_its_tags_and_metadata(tmp_path):
    chromium_path()
    path = tmp_path / "small.pdf"
    path.write_bytes(html_to_pdf(_small_document()))
    t = tags(path)
    assert (t.title, t.author, t.subject, t.lang, t.marked) == ("Small report", "The partnership", "A test",
                                                                "en-GB", True)
    assert [e.tag for e in t.elements if e.tag in ("H1", "P", "Table", "Caption", "Figure")] == \
        ["H1", "P", "Table", "Caption", "Figure"]
    assert [f.attrs.get("Alt") for f in t.elements if f.tag == "Figure"] == ["A dot: the whole chart."]
    assert t.untagged_text == {} and "Small · demo" in t.artifact_text[0] and "Page 1 of 1" in t.artifact_text[0]


def test_an_untagged_print_of_the_same_document_fails_the_checks(tmp_path):
    """What the checks above would say of a PDF that is not tagged (Chromium without tagged=True)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(_small_document())
            data = page.pdf(format="A4", tagged=False, outline=False)
        finally:
            browser.close()
    path = tmp_path / "untagged.pdf"
    path.write_bytes(data)
    t = tags(path)
    assert not t.marked and t.elements == [] and t.lang == ""
    assert "Small report" in t.untagged_text[0] and "One paragraph." in t.untagged_text[0]
    assert PdfReader(io.BytesIO(data)).pages[0].extract_text().count("One paragraph.") == 1


def test_one_kept_browser_prints_every_document_from_any_thread():
    """Documents are printed by one browser kept between them (not one started per document), from whichever
    thread asks; once stopped, the next document starts another and prints just the same."""
    from concurrent.futures import ThreadPoolExecutor

    from kpis.packs import printer
    chromium_path()
    page_html = document("Kept browser", "<h1>Kept browser</h1><p>One browser prints them all.</p>")
    first = html_to_pdf(page_html)
    browser = printer.in_browser(lambda page: page.context.browser)
    with ThreadPoolExecutor(max_workers=1) as pool:   # a thread of its own, as Streamlit gives each session
        second = pool.submit(html_to_pdf, page_html).result()
        assert pool.submit(printer.in_browser, lambda page: page.context.browser).result() is browser
    for pdf in (first, second):
        assert "One browser prints them all." in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    printer.stop()
    third = html_to_pdf(page_html)
    assert printer.in_browser(lambda page: page.context.browser) is not browser
    assert "One browser prints them all." in PdfReader(io.BytesIO(third)).pages[0].extract_text()
