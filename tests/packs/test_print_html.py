"""The printed documents' building blocks without a browser: the semantic HTML of `kpis.packs.html`, and
`kpis.packs.tagged_pdf.finish_pdf` on a small PDF written here by hand (one tagged paragraph, one page number drawn
outside any tag), read back with `tools.pdf_tags` (pypdf)."""
from __future__ import annotations

import io
import zlib

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from kpis.packs.html import PRINT_CSS, document, figure_html, table_html
from kpis.packs.tagged_pdf import finish_pdf
from tools.pdf_tags import main as pdf_tags_main
from tools.pdf_tags import tags

PNG = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       + b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
       + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_document_carries_language_title_metadata_and_the_print_css():
    html = document('Board pack: "Ours" & <theirs>', "<h1>Hi</h1>", author="A & B", subject="S", keywords="k",
                    running_header='Pack · "demo"')
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in html
    assert "<title>Board pack: &quot;Ours&quot; &amp; &lt;theirs&gt;</title>" in html
    assert '<meta name="author" content="A &amp; B">' in html and '<meta name="description" content="S">' in html
    assert '<meta name="keywords" content="k">' in html
    assert '<meta name="generator" content="Children&#x27;s partnership KPI dashboard">' in html
    assert PRINT_CSS in html and 'content: "Pack · \\"demo\\""' in html   # a CSS string, quotes escaped
    assert "font-variant-ligatures: none" in PRINT_CSS and "display: table-header-group" in PRINT_CSS
    assert "@top-left" not in document("T", "")                            # no running header unless asked
    assert "</style><script>" not in document("T", "", running_header="</style><script>")


def test_table_has_a_caption_column_and_row_headers_and_group_headings():
    html = table_html("The numbers", ["KPI", "Period", "Value"],
                      [["SG02 <b>x</b>", "2025", "1"], ["SG02", "2026", "2"], ["SG03", "2026", "3"]],
                      row_header=2, groups=[(0, "Safeguarding"), (2, "SEND")], cell_classes={(1, 2): "badge-worse"},
                      widths=[2, 1, 1])
    assert "<caption>The numbers</caption>" in html
    assert html.count('<th scope="col">') == 3 and "<thead>" in html
    assert '<th scope="row">SG02 &lt;b&gt;x&lt;/b&gt;</th><th scope="row">2025</th><td>1</td>' in html
    assert html.count('<tbody class="group">') == 2
    assert '<th scope="rowgroup" colspan="3" class="group">SEND</th>' in html
    assert '<td class="badge-worse">2</td>' in html and 'style="width:50.0%"' in html
    assert 'class="keep"' in html                                   # short: kept on one page
    long = table_html("Long", ["A"], [[str(i)] for i in range(40)], row_header=False)
    assert 'class="keep"' not in long and '<th scope="row">' not in long and "<td>39</td>" in long


def test_figure_needs_alt_text_and_an_image():
    html = figure_html(PNG, 'Line chart of "SG02"', "Sources: DfE", width_px=900, height_px=420)
    assert '<img src="data:image/png;base64,' in html and 'alt="Line chart of &quot;SG02&quot;"' in html
    assert '<p>Sources: DfE</p>' in html and "<figure" not in html   # a bare <figure> becomes a Figure with no /Alt
    assert 'src="data:image/svg+xml;base64,' in figure_html("<svg xmlns='http://www.w3.org/2000/svg'/>", "A chart")
    with pytest.raises(ValueError, match="alt text"):
        figure_html(PNG, "  ")
    with pytest.raises(ValueError, match="PNG bytes or SVG"):
        figure_html(b"GIF89a", "A chart")


def _hand_made_pdf() -> bytes:
    """One page: a paragraph tagged P (MCID 0), and 'Page 1 of 1' drawn outside any tag, as Chromium draws the
    page margins."""
    w = PdfWriter()
    page = w.add_blank_page(300, 300)
    font = w._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                           NameObject("/Subtype"): NameObject("/Type1"),
                                           NameObject("/BaseFont"): NameObject("/Helvetica")}))
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    stream = ContentStream(None, w)
    stream.set_data(b"q\nBT /F1 8 Tf 120 10 Td (Page 1 of 1) Tj ET\nQ\n"
                    b"/P <</MCID 0 >>BDC\nBT /F1 12 Tf 20 250 Td (Hello, tagged world) Tj ET\nEMC\n")
    page.replace_contents(stream)
    root = w.root_object
    tree = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    tree_ref = w._add_object(tree)
    doc = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Document"),
                            NameObject("/P"): tree_ref})
    doc_ref = w._add_object(doc)
    para = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/P"),
                             NameObject("/P"): doc_ref, NameObject("/Pg"): page.indirect_reference,
                             NameObject("/K"): NumberObject(0)})
    doc[NameObject("/K")] = ArrayObject([w._add_object(para)])
    tree[NameObject("/K")] = ArrayObject([doc_ref])
    root[NameObject("/StructTreeRoot")] = tree_ref
    root[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    root[NameObject("/Lang")] = TextStringObject("en-GB")
    w.add_metadata({"/Title": "Hand made"})
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_pdf_tags_sees_untagged_text_and_finish_pdf_marks_it_as_an_artifact(tmp_path, capsys):
    before = tmp_path / "before.pdf"
    before.write_bytes(_hand_made_pdf())
    t = tags(before)
    assert [(e.tag, e.text) for e in t.elements] == [("Document", ""), ("P", "Hello, tagged world")]
    assert t.untagged_text == {0: "Page 1 of 1"} and t.artifact_text == {} and t.lang == "en-GB" and t.marked
    assert pdf_tags_main([str(before)]) == 0
    assert "Untagged text (in no tag, not an artifact) on 1 page(s):" in capsys.readouterr().out

    after = tmp_path / "after.pdf"
    after.write_bytes(finish_pdf(before.read_bytes(), {"/Author": "The partnership", "/Subject": "A test"}))
    t = tags(after)
    assert [(e.tag, e.text) for e in t.elements] == [("Document", ""), ("P", "Hello, tagged world")]
    assert t.untagged_text == {} and t.artifact_text == {0: "Page 1 of 1"}
    assert (t.title, t.author, t.subject) == ("Hand made", "The partnership", "A test")
    xmp = PdfReader(str(after)).xmp_metadata                          # the same again as XMP
    assert (xmp.dc_title, xmp.dc_creator, xmp.dc_description, xmp.dc_language) == (
        {"x-default": "Hand made"}, ["The partnership"], {"x-default": "A test"}, ["en-GB"])
    assert after.read_bytes().startswith(before.read_bytes())       # an incremental update: Chromium's bytes kept
    assert PdfReader(str(after)).pages[0].extract_text().count("Hello, tagged world") == 1
    assert pdf_tags_main([str(after), "--counts"]) == 0
    assert "Untagged text: none" in capsys.readouterr().out


def test_pdf_tags_says_plainly_when_it_cannot_read_a_file(tmp_path, capsys):
    assert pdf_tags_main([str(tmp_path / "none.pdf")]) == 2
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + zlib.compress(b"not a pdf"))
    assert pdf_tags_main([str(broken)]) == 2
    err = capsys.readouterr().err
    assert "is not a file" in err and "could not be read as a PDF" in err and "Traceback" not in err
