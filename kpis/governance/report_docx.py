"""The annual report as an editable Word document (python-docx): councils edit reports for their cabinets in Word.

Real Word structure, so that the document stays accessible when it is edited: the title in the Title style and
sections in Heading 1 to 3 (the navigation pane and a table of contents find them); tables with a header row that
repeats on each page; charts as pictures with alt text (the picture's `descr`); the document's title, author and
language (en-GB) set in its properties and on its text.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from kpis.governance.annual_report import AnnualReport
from kpis.governance.report_blocks import Block, Bullets, Heading, Para, TableBlock, report_blocks
from kpis.governance.report_charts import Chart

LANGUAGE = "en-GB"
INK = RGBColor(0x0B, 0x0C, 0x0C)
DEMO_SHADE = "FFF2CC"


def _language(doc) -> None:
    """en-GB on the default run properties, so Word proofs and reads the text as British English."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)


def _shade(cell_or_par, colour: str) -> None:
    props = cell_or_par._p.get_or_add_pPr() if hasattr(cell_or_par, "_p") else cell_or_par._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour)
    props.append(shd)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _table(doc, block: TableBlock) -> None:
    caption = doc.add_paragraph(block.caption, style="Caption")
    caption.paragraph_format.keep_with_next = True
    frame = block.frame
    table = doc.add_table(rows=1, cols=len(frame.columns), style="Table Grid")
    size = Pt(8.5) if len(frame.columns) > 6 else Pt(9.5)
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=False):
        run = cell.paragraphs[0].add_run(str(name))
        run.bold, run.font.size = True, size
        _shade(cell, "DEEAF6")
    _repeat_header(table.rows[0])
    for values in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=False):
            run = cell.paragraphs[0].add_run("" if value is None else str(value))
            run.font.size = size
    doc.add_paragraph()


def _chart(doc, chart: Chart) -> None:
    doc.add_picture(io.BytesIO(chart.png), width=Cm(16.5))
    doc_pr = doc.inline_shapes[-1]._inline.docPr
    doc_pr.set("descr", chart.alt)
    doc_pr.set("title", chart.caption.split(":")[0])
    doc.add_paragraph(chart.caption, style="Caption")


def _block(doc, block: Block) -> None:
    if isinstance(block, Heading):
        if block.level == 1:
            doc.add_paragraph(block.text, style="Title")
        else:
            doc.add_heading(block.text, level=block.level - 1)
    elif isinstance(block, Para):
        par = doc.add_paragraph()
        if block.label:
            par.add_run(block.label + " ").bold = True
        par.add_run(block.text)
        if block.demo:
            _shade(par, DEMO_SHADE)
    elif isinstance(block, Bullets):
        for item in block.items:
            doc.add_paragraph(item, style="List Bullet")
    elif isinstance(block, TableBlock):
        _table(doc, block)
    elif isinstance(block, Chart):
        _chart(doc, block)


def build_docx(report: AnnualReport, *, blocks: list[Block] | None = None) -> bytes:
    """The report as .docx bytes."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size, normal.font.color.rgb = "Arial", Pt(11), INK
    _language(doc)
    props = doc.core_properties
    props.title = report.title
    props.author = report.partnership
    props.language = LANGUAGE
    props.subject = f"Annual report for {report.year.words}"
    props.keywords = "annual report; children's partnership; KPIs" + ("; demo data" if report.is_demo else "")
    if report.is_demo:
        footer = section.footer.paragraphs[0]
        footer.text = "Demo data: synthetic figures and meeting records, for demonstration only."
    for block in blocks if blocks is not None else report_blocks(report):
        _block(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
