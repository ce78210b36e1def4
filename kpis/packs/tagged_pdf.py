"""HTML to a tagged PDF (PDF/UA-style structure: headings, paragraphs, lists, tables, figures with alt text).

fpdf2 (which wrote the board pack before) cannot write a structure tree for text, so documents that must be
accessible (the board pack, the annual report) are written as semantic HTML and printed by headless Chromium with
`tagged=True`: Chromium turns the HTML's own semantics into the PDF's tags (H1-H6, P, L/LI, Table/TR/TH/TD with
scope, Figure with /Alt from the image's alt text) and `outline=True` adds bookmarks from the headings. The
document's /Lang comes from the `<html lang>` attribute and its title from `<title>`.

What Chromium leaves undone is finished here with pypdf, as an incremental update (the bytes Chromium wrote stay
as they are; new versions of the changed objects are appended):
- Chromium writes no /Author, /Subject or /Keywords, no XMP metadata, and the browser's user agent as /Creator:
  they are taken from the document's `<meta name="author">`, `<meta name="description">`, `<meta name="keywords">`
  and `<meta name="generator">`, and the title, author, subject, keywords and language are written as XMP too;
- the page furniture Chromium prints in the page margins (CSS `@page` margin boxes: a running header, "Page N of
  M") is drawn outside any tag, where a screen reader would meet it unannounced on every page. Text and paths
  drawn outside every marked-content sequence are marked `/Artifact`, as PDF/UA asks for page furniture. Content
  inside the page's tags is never touched;
- where a long heading wraps, Chromium's bookmark loses the space at the line break ("Partnership,2026/27"): the
  bookmark gets the heading's own text back.
"""
from __future__ import annotations

import io
import re

from kpis.core.chromium import find_chromium
from kpis.packs.printer import in_browser

A4_MARGIN = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
META_FIELDS = {"author": "/Author", "description": "/Subject", "keywords": "/Keywords", "generator": "/Creator"}
_MARK_TOKEN = re.compile(rb"(?<=[\s>\]])(?:BDC|BMC)(?=\s|$)")
_PATH_START = {b"m", b"re"}
_PATH_END = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"n"}


def html_to_pdf(html: str, *, landscape: bool = False) -> bytes:
    """Print a whole HTML document (with `<html lang>` and `<title>`) to tagged PDF bytes with headless Chromium
    (the one `kpis.packs.printer` keeps).

    The page size is A4 (portrait, or landscape when asked); CSS `@page` rules may change it for named pages.
    Raises kpis.core.chromium.ChromiumNotFound (its message says what to install) when there is no Chromium.
    """
    find_chromium()   # say what to install before anything starts

    def print_page(page):
        page.set_content(html, wait_until="load")
        page.emulate_media(media="print")
        meta = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('meta[name]')]
                                    .map(m => [m.name.toLowerCase(), m.content]))""")
        headings = page.evaluate("""() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
                                        .map(h => h.textContent.replace(/\\s+/g, ' ').trim())""")
        data = page.pdf(format="A4", landscape=landscape, margin=A4_MARGIN, print_background=True,
                        tagged=True, outline=True, display_header_footer=False)
        return data, meta, headings
    data, meta, headings = in_browser(print_page)
    return finish_pdf(data, {META_FIELDS[k]: v for k, v in meta.items() if k in META_FIELDS and v.strip()},
                      headings=headings)


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


def _ops(data: bytes, pdf) -> list | None:
    """The operations of a piece of content stream, or None when it is not whole operations."""
    from pypdf.generic import ContentStream, DecodedStreamObject

    piece = DecodedStreamObject()
    piece.set_data(data)
    try:
        return ContentStream(piece, pdf).operations
    except Exception:
        return None


def _first_mark(raw: bytes, pdf) -> int:
    """Where the line of the first marked-content operator (BDC or BMC) starts, or len(raw) if there is none."""
    for m in _MARK_TOKEN.finditer(raw):
        start = raw.rfind(b"\n", 0, m.start()) + 1
        end = raw.find(b"\n", m.end())
        line = _ops(raw[start:end if end >= 0 else len(raw)], pdf)
        if line and line[-1][1] in (b"BDC", b"BMC"):
            return start
    return len(raw)


def _furniture_as_artifacts(raw: bytes, pdf) -> bytes:
    """A page's content with what is drawn outside all marked content marked as /Artifact (`raw` itself when
    there is none). Chromium draws the page margins first and everything after them inside marked content, so
    only the part before the first marked-content operator is parsed (parsing the whole of a long table's page
    with pypdf takes seconds); if anything is left outside a mark after that, the whole page is parsed."""
    cut = _first_mark(raw, pdf)
    head = _ops(raw[:cut], pdf)
    if head is None or any(op in (b"BDC", b"BMC", b"EMC") for _, op in head):
        cut, head = len(raw), _ops(raw, pdf)
        if head is None:
            return raw
    operations, wrapped = _mark_furniture(head)
    if not wrapped:
        return raw
    from pypdf.generic import ContentStream

    stream = ContentStream(None, pdf)
    stream.operations = operations
    return stream.get_data() + b"\n" + raw[cut:]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _mend_outline(writer, headings: list[str]) -> int:
    """Give back the spaces Chromium drops from a bookmark where its heading wrapped onto a second line (it
    writes "Partnership,2026/27" for "Partnership, 2026/27"). A bookmark is changed only when it is its heading's
    text, spaces aside; bookmarks and headings are both in document order. Returns how many were mended."""
    from pypdf.generic import NameObject, TextStringObject

    outlines = writer.root_object.get("/Outlines")
    if outlines is None:
        return 0
    items, stack = [], [outlines.get_object().get("/First")]
    while stack:
        ref = stack.pop()
        if ref is None:
            continue
        item = ref.get_object()
        items.append(item)
        stack.append(item.get("/Next"))
        stack.append(item.get("/First"))  # children first (depth first, in document order)
    mended, at = 0, 0
    for item in items:
        title = str(item.get("/Title", ""))
        for j in range(at, len(headings)):
            if _squash(headings[j]) == _squash(title):
                at = j + 1
                if headings[j] != title:
                    item[NameObject("/Title")] = TextStringObject(headings[j])
                    mended += 1
                break
    return mended


def _add_xmp(writer, info: dict[str, str], lang: str) -> None:
    """The document's title, author, subject, keywords and language again as XMP metadata (Chromium writes none),
    where PDF/UA checkers and document managers look for them."""
    from pypdf.generic import NameObject
    from pypdf.xmp import XmpInformation

    xmp = XmpInformation.create()
    if info.get("/Title"):
        xmp.dc_title = {"x-default": info["/Title"]}
    if info.get("/Author"):
        xmp.dc_creator = [info["/Author"]]
    if info.get("/Subject"):
        xmp.dc_description = {"x-default": info["/Subject"]}
    if info.get("/Keywords"):
        xmp.pdf_keywords = info["/Keywords"]
    if info.get("/Creator"):
        xmp.xmp_creator_tool = info["/Creator"]
    if lang:
        xmp.dc_language = [lang]
    writer.xmp_metadata = xmp
    stream = writer.root_object["/Metadata"].get_object()
    stream[NameObject("/Type")] = NameObject("/Metadata")   # what readers look for (pypdf leaves them out)
    stream[NameObject("/Subtype")] = NameObject("/XML")


def finish_pdf(data: bytes, info: dict[str, str], *, headings: list[str] | None = None) -> bytes:
    """Chromium's tagged PDF with `info` (e.g. {'/Author': ...}) added, page furniture marked as artifacts and,
    given the document's headings in order, bookmarks whose spaces Chromium dropped mended."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(reader, incremental=True)
    for page in writer.pages:
        contents = page.get_contents()
        if contents is None:
            continue
        raw = contents.get_data()
        new = _furniture_as_artifacts(raw, writer)
        if new is not raw:
            stream = ContentStream(None, writer)
            stream.set_data(new)
            page.replace_contents(stream)
            page.compress_content_streams()
    if info:
        writer.add_metadata(info)
    _add_xmp(writer, {**{k: str(v) for k, v in (reader.metadata or {}).items()}, **info},
             str(reader.trailer["/Root"].get("/Lang", "")))
    if headings:
        _mend_outline(writer, headings)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
