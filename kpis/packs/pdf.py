"""The board pack and the HWBB report as a PDF (fpdf2), for reading on paper or on screen.

Text and tables are real text in DejaVu Sans (Debian's fonts-dejavu-core: fpdf2's own
fonts are Latin-1 only, and the pack uses ● ◆ ■ ▲ ▼ ✓ and ½); charts are PNG drawn by
`kpis.packs.images`, each with alt text and its numbers in a table below it. The document has
a title, the language en-GB, an outline (bookmarks) and "Page N of M" on every page.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.prefs import ViewerPreferences

from kpis.charts.figures import BADGE_COLOURS
from kpis.core.exports import OGL_ATTRIBUTION
from kpis.core.framework import load_framework
from kpis.packs.content import REPORTS, AreaSection, Chart, KpiSection, PackContent, Progress, Table, board_pack_content
from kpis.packs.images import render_png
from kpis.store.database import Store

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
FONT = "DejaVu"
INK, GREY, BLUE = (11, 12, 12), (80, 80, 80), (18, 67, 109)
GROUP_FILL = (229, 229, 229)
HEADING_STYLE = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE)
CHART_WIDTH_MM = 180


class PdfFontsMissing(RuntimeError):
    """The Unicode font the PDF needs is not installed."""


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


class PackPDF(FPDF):
    def __init__(self, content: PackContent):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.content = content
        missing = [f for f in FONT_FILES.values() if not (FONT_DIR / f).is_file()]
        if missing:
            raise PdfFontsMissing(f"The PDF needs the DejaVu Sans fonts ({', '.join(missing)} not found in "
                                  f"{FONT_DIR}). Install them with: apt-get install fonts-dejavu-core")
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.set_margins(15, 16, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(f"{content.title}, {content.meeting_text}")
        self.set_lang("en-GB")
        self.set_author(content.partnership)
        self.set_subject(f"{content.title} for the meeting of {content.meeting_text}; data as at "
                         f"{content.as_at_text}")
        self.set_creator("Children's partnership KPI dashboard")
        self.set_keywords("KPI scorecard board pack " + content.short_name)
        self.set_creation_date(content.generated_at)
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.set_text_color(*INK)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY)
        demo = "  ·  Includes demo data" if self.content.is_demo else ""
        what = REPORTS[self.content.report]
        self.cell(0, 4, f"{self.content.short_name}  ·  {what}  ·  {self.content.meeting_text}{demo}", align="L")
        self.ln(7)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(*INK)

    # -- building blocks ------------------------------------------------------------------------
    def heading(self, text: str, *, level: int = 0, size: float = 16) -> None:
        self.start_section(text, level=level)
        self.set_font(FONT, "B", size)
        self.set_text_color(*BLUE)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(1.5)

    def paragraph(self, text: str, *, size: float = 9.5, style: str = "",
                  colour: tuple[int, int, int] = INK, gap: float = 1.5) -> None:
        self.set_font(FONT, style, size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.48, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(gap)

    def bullets(self, lines: list[str], *, size: float = 9.5) -> None:
        self.set_font(FONT, "", size)
        for line in lines:
            self.cell(4, size * 0.48, "•")
            self.multi_cell(0, size * 0.48, line, align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(0.6)
        self.ln(1)

    def table_block(self, table: Table, *, size: float = 8, empty: str = "") -> None:
        if not table.rows:
            if empty:
                self.paragraph(empty, style="I", colour=GREY)
            return
        if table.caption:
            self.paragraph(table.caption, size=8, style="I", colour=GREY, gap=0.8)
        self.set_font(FONT, "", size)
        groups = dict(table.groups)
        with self.table(col_widths=table.widths or None, text_align="LEFT", line_height=size * 0.43,
                        headings_style=HEADING_STYLE, padding=(0.8, 1.2), v_align="TOP",
                        borders_layout="HORIZONTAL_LINES", repeat_headings=1) as t:
            t.row(table.columns)
            for i, cells in enumerate(table.rows):
                if i in groups:
                    t.row().cell(groups[i], colspan=len(table.columns),
                                 style=FontFace(emphasis="BOLD", fill_color=GROUP_FILL))
                row = t.row()
                for j, text in enumerate(cells):
                    style = None
                    if j == table.highlight_col and i < len(table.highlight) and table.highlight[i] in BADGE_COLOURS:
                        bg, fg = BADGE_COLOURS[table.highlight[i]]
                        style = FontFace(fill_color=_hex(bg), color=_hex(fg))
                    row.cell(text, style=style)
        self.ln(3)

    def chart(self, chart: Chart, *, width_mm: float = CHART_WIDTH_MM) -> None:
        png = render_png(chart.figure, width=chart.width_px, height=chart.height_px)
        height_mm = width_mm * chart.height_px / chart.width_px
        if self.will_page_break(height_mm):
            self.add_page()
        self.image(io.BytesIO(png), x=self.l_margin, w=width_mm, h=height_mm, alt_text=chart.alt)
        self.ln(2)


# -- the parts of a pack ----------------------------------------------------------------------------
def _cover(pdf: PackPDF, c: PackContent) -> None:
    pdf.add_page()
    pdf.set_y(45)
    pdf.paragraph(c.partnership, size=13, colour=GREY, gap=4)
    pdf.heading(c.title if c.report == "board" else f"{c.title}: {c.short_name}", size=24)
    pdf.ln(4)
    pdf.paragraph(f"Meeting: {c.meeting_text}", size=13, style="B", gap=2)
    pdf.paragraph(f"Data as at: {c.as_at_text}", size=12, gap=2)
    if c.previous:
        what = "the last meeting" if c.report == "board" else "the meeting about six months ago"
        pdf.paragraph(f"Changes are since {what}: {c.previous:%-d %B %Y}", size=11, gap=2)
    if c.report == "hwbb" and c.reports_to:
        pdf.paragraph(f"Six-monthly report to the {c.reports_to}", size=11, gap=2)
    pdf.paragraph(f"Produced {c.generated_at:%-d %B %Y}", size=10, colour=GREY, gap=8)
    if c.is_demo:
        pdf.set_fill_color(255, 243, 205)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, "Includes demo data: local figures marked (demo) are synthetic, made to show how the "
                             "pack works. England figures are real published statistics.",
                       fill=True, padding=3, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(255, 255, 255)
        pdf.ln(6)
    pdf.paragraph("In this pack", size=12, style="B", gap=1)
    parts = ["Summary scorecard", c.changes_heading] + [f"{a.name} ({a.sub_group})" for a in c.areas]
    pdf.bullets(parts + ["Appendix: definitions, methods, sources and licence"], size=10.5)
    pdf.set_y(-40)
    pdf.paragraph(OGL_ATTRIBUTION, size=8, colour=GREY)


def _summary(pdf: PackPDF, c: PackContent) -> None:
    pdf.add_page(orientation="L")
    pdf.heading("Summary scorecard", size=14)
    pdf.paragraph("   ".join(c.summary), size=8.5, gap=1.5)
    pdf.table_block(c.scorecard, size=7)


def _changes(pdf: PackPDF, c: PackContent) -> None:
    pdf.add_page(orientation="P")
    pdf.heading(c.changes_heading)
    if not c.changes:
        pdf.paragraph("There is no earlier meeting to compare with.")
        return
    for title, about, table in c.changes:
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.heading(title, level=1, size=12)
        pdf.paragraph(about, size=9)
        pdf.table_block(table, size=7.5)


def _lines(pdf: PackPDF, text: str, size: float, style: str = "") -> int:
    pdf.set_font(FONT, style, size)
    return len(pdf.multi_cell(0, size * 0.48, text, dry_run=True, output="LINES"))


def _narrative(pdf: PackPDF, area: AreaSection) -> None:
    n = area.narrative
    height = 20 + sum(_lines(pdf, h, 10, "B") * 4.8 + _lines(pdf, t, 9.5) * 4.56 + 3 for h, t in (n.parts if n else []))
    if pdf.will_page_break(min(height, 120)):  # keep a narrative on one page when it fits on one
        pdf.add_page()
    title = f"Narrative from the {area.sub_group}" + (f", {n.period_label}" if n else "")
    pdf.heading(title + (" (demo)" if n and n.is_demo else ""), level=1, size=12)
    if n is None:
        pdf.paragraph(area.narrative_note, style="I", colour=GREY)
        return
    if not n.publishable:
        pdf.paragraph("Not marked for publication.", size=8.5, style="I", colour=GREY)
    for heading, text in n.parts:
        pdf.paragraph(heading, size=10, style="B", gap=0.5)
        pdf.paragraph(text, size=9.5, gap=2.5)


def _kpi(pdf: PackPDF, k: KpiSection) -> None:
    pdf.add_page()
    pdf.heading(f"{k.kpi.id} {k.kpi.short_title}", level=1, size=13)
    pdf.paragraph(k.kpi.title, size=9, style="I", colour=GREY)
    pdf.bullets(k.words, size=9)
    if k.chart:
        pdf.chart(k.chart)
    pdf.table_block(k.table, size=7.5, empty=f"{k.kpi.id} has no figures yet, locally or for England.")


def _area(pdf: PackPDF, a: AreaSection, report: str, say, done: float, share: float) -> None:
    pdf.add_page()
    pdf.heading(a.name)
    pdf.paragraph(f"Reported by the {a.sub_group}.", size=9.5, colour=GREY)
    pdf.paragraph(a.summary, size=9.5)
    pdf.table_block(a.overview, size=7.8)
    if report == "hwbb":
        if a.chart:
            pdf.chart(a.chart)
        if a.chart_table:
            pdf.table_block(a.chart_table, size=7.3)
        _narrative(pdf, a)
        say(done + share, f"Drew {a.name}")
        return
    _narrative(pdf, a)
    for i, k in enumerate(a.kpis):
        _kpi(pdf, k)
        say(done + share * (i + 1) / len(a.kpis), f"Drew {k.kpi.id}")


def _appendix(pdf: PackPDF, c: PackContent) -> None:
    pdf.add_page()
    pdf.heading("Appendix: definitions, methods and sources")
    for heading, paragraphs, table in c.appendix:
        small = table is not None and len(table.rows) <= 10  # keep a short table with its heading
        if pdf.will_page_break(25 + (7 * len(table.rows) + 6 * len(paragraphs) if small else 0)):
            pdf.add_page()
        pdf.heading(heading, level=1, size=12)
        for p in paragraphs:
            pdf.paragraph(p, size=9)
        if table is not None:
            pdf.table_block(table, size=7.3)


def build_pdf(content: PackContent, *, progress: Progress | None = None) -> bytes:
    """The whole pack as PDF bytes. `progress(fraction, message)` hears about each part."""
    say = progress or (lambda fraction, message: None)
    pdf = PackPDF(content)
    _cover(pdf, content)
    _summary(pdf, content)
    _changes(pdf, content)
    share = 0.6 / max(1, len(content.areas))
    for i, area in enumerate(content.areas):
        say(0.35 + share * i, f"Drawing {area.name}")
        _area(pdf, area, content.report, say, 0.35 + share * i, share)
    _appendix(pdf, content)
    say(0.98, "Saving the PDF")
    return bytes(pdf.output())


def bench_board_pack_pdf(db_path: str | Path) -> float:
    """Seconds to build the full board pack PDF (every KPI, charts drawn) from a database."""
    store = Store(db_path, read_only=True)
    try:
        started = time.perf_counter()
        build_pdf(board_pack_content(store, load_framework(), report="board"))
        return time.perf_counter() - started
    finally:
        store.close()
