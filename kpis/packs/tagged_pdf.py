"""HTML to a tagged PDF (PDF/UA-style structure: headings, paragraphs, lists, tables, figures with alt text).

fpdf2 (which wrote the board pack before) cannot write a structure tree for text, so documents that must be
accessible (the board pack, the annual report) are written as semantic HTML and printed by headless Chromium with
`tagged=True`: Chromium turns the HTML's own semantics into the PDF's tags (H1-H6, P, L/LI, Table/TR/TH/TD with
scope, Figure with /Alt from the image's alt text) and `outline=True` adds bookmarks from the headings. The
document's /Lang comes from the `<html lang>` attribute and its title from `<title>`.

Two things Chromium leaves undone are finished here with pypdf, as an incremental update (the bytes Chromium
wrote stay as they are; new versions of the changed objects are appended):
- Chromium writes no /Author, /Subject or /Keywords: they are taken from the document's `<meta name="author">`,
  `<meta name="description">` and `<meta name="keywords">`;
- the page furniture Chromium prints in the page margins (CSS `@page` margin boxes: a running header, "Page N of
  M") is drawn outside any tag, where a screen reader would meet it unannounced on every page. Text and paths
  drawn outside every marked-content sequence are marked `/Artifact`, as PDF/UA asks for page furniture. Content
  inside the page's tags is never touched.
"""
from __future__ import annotations

import io

from kpis.core.chromium import find_chromium

A4_MARGIN = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
META_FIELDS = {"author": "/Author", "description": "/Subject", "keywords": "/Keywords"}
_PATH_START = {b"m", b"re"}
_PATH_END = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"n"}


def html_to_pdf(html: str, *, landscape: bool = False) -> bytes:
    """Print a whole HTML document (with `<html lang>` and `<title>`) to tagged PDF bytes with headless Chromium.

    The page size is A4 (portrait, or landscape when asked); CSS `@page` rules may change it for named pages.
    Raises kpis.core.chromium.ChromiumNotFound (its message says what to install) when there is no Chromium.
    """
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            page.emulate_media(media="print")
            meta = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('meta[name]')]
                                        .map(m => [m.name.toLowerCase(), m.content]))""")
            data = page.pdf(format="A4", landscape=landscape, margin=A4_MARGIN, print_background=True,
                            tagged=True, outline=True, display_header_footer=False)
        finally:
            browser.close()
    return finish_pdf(data, {META_FIELDS[k]: v for k, v in meta.items() if k in META_FIELDS and v.strip()})


def _mark_furniture(operations: list) -> tuple[list, int]:
    """The page's operations with every text object and path painted outside all marked content wrapped in
    `/Artifact BMC ... EMC`; and how many were wrapped."""
    from pypdf.generic import NameObject

    out, depth, wrapped, open_artifact = [], 0, 0, None
    begin = ([NameObject("/Artifact")], b"BMC")
    end = ([], b"EMC")
    for operands, op in operations:
        if open_artifact is None and depth == 0 and (op == b"BT" or op in _PATH_START or op in (b"Do", b"sh")):
            out.append(begin)
            open_artifact = op
            wrapped += 1
        out.append((operands, op))
        if open_artifact is not None:
            if (open_artifact == b"BT" and op == b"ET") or (open_artifact in _PATH_START and op in _PATH_END) \
                    or open_artifact in (b"Do", b"sh"):
                out.append(end)
                open_artifact = None
            continue
        if op in (b"BDC", b"BMC"):
            depth += 1
        elif op == b"EMC":
            depth = max(0, depth - 1)
    if open_artifact is not None:
        out.append(end)
    return out, wrapped


def finish_pdf(data: bytes, info: dict[str, str]) -> bytes:
    """Chromium's tagged PDF with `info` (e.g. {'/Author': ...}) added and page furniture marked as artifacts."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream

    writer = PdfWriter(PdfReader(io.BytesIO(data)), incremental=True)
    for page in writer.pages:
        contents = page.get_contents()
        if contents is None:
            continue
        stream = ContentStream(contents, writer)
        operations, wrapped = _mark_furniture(stream.operations)
        if wrapped:
            stream.operations = operations
            page.replace_contents(stream)
            page.compress_content_streams()
    if info:
        writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
