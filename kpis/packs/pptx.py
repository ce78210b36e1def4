"""The board pack and the HWBB report as PowerPoint (python-pptx), 16:9.

Slides: the cover; the summary scorecard (split so each slide stays readable); what changed;
for each outcome area an overview with the sub-group's narrative, then (board pack) one slide
per KPI with its chart, its numbers beside it and its words in the speaker notes too, or
(HWBB report) one slide with the area's small-multiples chart; the appendix. Every slide
title is a real title placeholder, so the outline and screen readers see it; every
picture has alt text; the text language is English (UK).
"""
from __future__ import annotations

import io
import math

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.text import MSO_ANCHOR
from pptx.slide import Slide
from pptx.util import Emu, Inches, Length, Pt

from kpis.core.colours import BADGE_COLOURS
from kpis.core.exports import OGL_ATTRIBUTION
from kpis.packs.content import REPORTS, AreaSection, Chart, KpiSection, PackContent, Progress
from kpis.packs.images import render_png
from kpis.packs.words import Table

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.45)
BODY_TOP = Inches(1.05)  # below a slide's title
BLUE, INK, GREY, GROUP = (RGBColor(0x12, 0x43, 0x6D), RGBColor(0x0B, 0x0C, 0x0C), RGBColor(0x50, 0x50, 0x50),
                          RGBColor(0xE5, 0xE5, 0xE5))
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
TITLE_ONLY, TITLE_SLIDE = 5, 0


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _runs(frame, paragraphs: list[tuple[str, float, bool]], *, colour: RGBColor = INK) -> None:
    """Fill a text frame: one paragraph per (text, size in points, bold)."""
    frame.word_wrap = True
    for i, (text, size, bold) in enumerate(paragraphs):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = p.add_run()
        run.text = text
        run.font.size, run.font.bold = Pt(size), bold
        run.font.color.rgb = colour
        run.font.language_id = MSO_LANGUAGE_ID.ENGLISH_UK
        p.space_after = Pt(size * 0.35)


class Deck:
    def __init__(self, content: PackContent):
        self.c = content
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        props = self.prs.core_properties
        props.title = f"{content.title}, {content.meeting_text}"
        props.author = content.partnership
        props.subject = f"Data as at {content.as_at_text}"
        props.language = "en-GB"
        props.keywords = f"KPI scorecard, {content.short_name}"

    def slide(self, title: str, *, notes: str = "") -> Slide:
        s = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_ONLY])
        t = s.shapes.title
        t.left, t.top, t.width, t.height = MARGIN, Inches(0.25), WIDTH - 2 * MARGIN, Inches(0.8)
        t.text_frame.clear()
        _runs(t.text_frame, [(title, 26 if len(title) < 60 else 20, True)], colour=BLUE)
        t.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        self._footer(s)
        if notes:
            s.notes_slide.notes_text_frame.text = notes
        return s

    def _footer(self, s) -> None:
        n = len(self.prs.slides)
        demo = "  ·  Includes demo data (synthetic local figures)" if self.c.is_demo else ""
        box = s.shapes.add_textbox(MARGIN, HEIGHT - Inches(0.4), WIDTH - 2 * MARGIN, Inches(0.3))
        _runs(box.text_frame, [(f"{self.c.short_name}  ·  {REPORTS[self.c.report]}  ·  {self.c.meeting_text}"
                                f"{demo}  ·  Slide {n}", 9, False)], colour=GREY)

    def text(self, s: Slide, x: Length, y: Length, w: Length, h: Length,
             paragraphs: list[tuple[str, float, bool]]) -> None:
        box = s.shapes.add_textbox(x, y, w, h)
        _runs(box.text_frame, paragraphs)

    def table(self, s: Slide, table: Table, x: Length, y: Length, w: Length, *,
              rows: list[int] | None = None, size: float = 11) -> int:
        """Add `table` (or the rows numbered in `rows`), with group heading rows merged across.
        Row heights follow the wrapped text (estimated); returns the table's height."""
        rows = list(range(len(table.rows))) if rows is None else rows
        groups = dict(table.groups)
        lines = _lines(table, rows, w, size)
        ncols = len(table.columns)
        shape = s.shapes.add_table(len(lines), ncols, x, y, w, sum(h for _, _, h in lines))
        grid = shape.table
        for j, width in enumerate(_col_widths(table, w)):
            grid.columns[j].width = width
        for r, (kind, i, height) in enumerate(lines):
            grid.rows[r].height = height
            if kind == "group":
                grid.cell(r, 0).merge(grid.cell(r, ncols - 1))
                self._cell(grid.cell(r, 0), groups[i], size, bold=True, fill=GROUP)
                continue
            for j in range(ncols):
                if kind == "header":
                    self._cell(grid.cell(r, j), table.columns[j], size, bold=True, fill=BLUE, colour=WHITE)
                    continue
                fill = colour = None
                result = table.highlight[i] if i < len(table.highlight) else None
                if j == table.highlight_col and result in BADGE_COLOURS:
                    fill, colour = (_rgb(c) for c in BADGE_COLOURS[result])
                self._cell(grid.cell(r, j), table.rows[i][j], size, fill=fill or WHITE, colour=colour or INK)
        return sum(h for _, _, h in lines)

    def table_slides(self, title: str, table: Table, *, size: float, top: Length = BODY_TOP, notes: str = "",
                     lead: str = "") -> None:
        """As many slides as `table` needs at `size` points, each with the header row."""
        w = WIDTH - 2 * MARGIN
        if lead:
            top += Inches(0.5)
        parts = _chunks(table, w, size, HEIGHT - top - Inches(0.55))
        for n, rows in enumerate(parts, start=1):
            s = self.slide(title + (f" ({n} of {len(parts)})" if len(parts) > 1 else ""), notes=notes)
            if lead:
                self.text(s, MARGIN, top - Inches(0.5), w, Inches(0.45), [(lead, 11, False)])
            self.table(s, table, MARGIN, top, w, rows=rows, size=size)

    @staticmethod
    def _cell(cell, text: str, size: float, *, bold: bool = False, fill=WHITE, colour=INK) -> None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill
        cell.margin_left = cell.margin_right = Inches(0.05)
        cell.margin_top = cell.margin_bottom = Inches(0.02)
        cell.text_frame.clear()
        _runs(cell.text_frame, [(text, size, bold)], colour=colour)

    def picture(self, s: Slide, chart: Chart, x: Length, y: Length, w: Length, *,
                max_h: Length | None = None) -> int:
        """Add the chart no wider than `w` and no taller than `max_h` (the slide less 1.6 in); returns its height."""
        max_h = HEIGHT - Inches(1.6) if max_h is None else max_h
        png = render_png(chart.figure, width=chart.width_px, height=chart.height_px)
        h = int(w * chart.height_px / chart.width_px)
        if h > max_h:
            w, h = int(w * max_h / h), int(max_h)
        pic = s.shapes.add_picture(io.BytesIO(png), x, y, width=w, height=h)
        pic._element.nvPicPr.cNvPr.set("descr", chart.alt)  # alt text; python-pptx has no API for it
        return h


# -- table geometry: python-pptx does not measure text, so estimate wrapped lines ------------------------
def _col_widths(table: Table, w: int) -> list[int]:
    shares = table.widths or [1] * len(table.columns)
    return [Emu(int(w * share / sum(shares))) for share in shares]


def _height(texts: list[str], widths: list[int], size: float) -> int:
    lines = 1
    for text, width in zip(texts, widths, strict=False):
        per_line = max(1, int((width / 914400 - 0.1) * 72 / (size * 0.55)))
        lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n")))
    return Emu(int((lines * size * 1.22 + 6) * 12700))


def _lines(table: Table, rows: list[int], w: int, size: float) -> list[tuple[str, int | None, int]]:
    """(kind, row index, height) for the header, group headings and rows."""
    widths = _col_widths(table, w)
    groups = dict(table.groups)
    out = [("header", None, _height(table.columns, widths, size))]
    for i in rows:
        if i in groups:
            out.append(("group", i, _height([groups[i]], [w], size)))
        out.append(("row", i, _height(table.rows[i], widths, size)))
    return out


def _chunks(table: Table, w: int, size: float, budget: int) -> list[list[int]]:
    """Split the rows so each part's table (with its header) fits in `budget` EMU."""
    lines = _lines(table, list(range(len(table.rows))), w, size)
    header, heights = lines[0][2], {}
    for _kind, i, h in lines[1:]:
        heights[i] = heights.get(i, 0) + h  # a row and the group heading before it travel together
    parts, current, used = [], [], header
    for i in range(len(table.rows)):
        if current and used + heights[i] > budget:
            parts.append(current)
            current, used = [], header
        current.append(i)
        used += heights[i]
    return [*parts, current] if current else parts or [[]]


def _fitting_size(paragraphs: list[str], w: int, h: int, sizes: tuple[float, ...] = (12, 11, 10, 9)) -> float:
    """The largest size (points) at which the paragraphs, wrapped to `w`, fit in `h` (EMU): the KPI slide's words
    (its verdicts and England sentence) below the chart."""
    for size in sizes:
        per_line = max(1, int((w / 914400 - 0.2) * 72 / (size * 0.5)))
        lines = sum(max(1, math.ceil(len(p) / per_line)) for p in paragraphs)
        if (lines * size * 1.2 + len(paragraphs) * size * 0.35) * 12700 <= h:
            return size
    return sizes[-1]


def _latest_rows(table: Table, w: int, size: float, budget: int) -> list[int]:
    """The newest rows (the table's last) that fit in `budget` EMU with the header."""
    lines = _lines(table, list(range(len(table.rows))), w, size)
    used, rows = lines[0][2], []
    for kind, i, h in reversed(lines[1:]):
        if used + h > budget:
            break
        used += h
        if kind == "row":
            rows.insert(0, i)
    return rows


# -- slides -------------------------------------------------------------------------------------------
def _cover(d: Deck) -> None:
    c = d.c
    s = d.prs.slides.add_slide(d.prs.slide_layouts[TITLE_SLIDE])
    s.shapes.title.left, s.shapes.title.width = MARGIN, WIDTH - 2 * MARGIN
    s.shapes.title.text_frame.clear()
    _runs(s.shapes.title.text_frame, [(c.title, 36, True)], colour=BLUE)
    sub = s.placeholders[1]
    sub.left, sub.width, sub.top, sub.height = MARGIN, WIDTH - 2 * MARGIN, Inches(4.0), Inches(2.8)
    sub.text_frame.clear()
    lines = [(c.partnership, 18, False), (f"Meeting: {c.meeting_text}", 20, True),
             (f"Data as at {c.as_at_text}", 16, False)]
    if c.is_demo:
        lines.append(("Includes demo data: local figures marked (demo) are synthetic. England figures are real "
                      "published statistics.", 14, True))
    lines.append((OGL_ATTRIBUTION, 11, False))
    _runs(sub.text_frame, lines)


def _summary(d: Deck) -> None:
    # the largest type that needs no more slides than the smallest would: a last slide of one row reads badly
    budget = HEIGHT - Inches(1.55) - Inches(0.55)
    slides = {size: len(_chunks(d.c.scorecard, WIDTH - 2 * MARGIN, size, budget)) for size in (10.5, 10, 9.5, 9)}
    size = next(s for s, n in slides.items() if n == min(slides.values()))
    d.table_slides("Summary scorecard", d.c.scorecard, size=size, notes="\n".join(d.c.summary),
                   lead="   ".join(d.c.summary))


def _changes(d: Deck) -> None:
    c = d.c
    s = d.slide(c.changes_heading)
    if not c.changes:
        d.text(s, MARGIN, Inches(1.2), Inches(12), Inches(1), [("There is no earlier meeting to compare with.", 16,
                                                                False)])
        return
    d.text(s, MARGIN, Inches(1.2), WIDTH - 2 * MARGIN, Inches(5.5),
           [(f"{title}: {about}", 15, False) for title, about, _ in c.changes])
    for title, about, table in c.changes:
        if table.rows:
            d.table_slides(title, table, size=11, notes=about, lead=about)


def _narrative_lines(a: AreaSection) -> list[tuple[str, float, bool]]:
    n = a.narrative
    if n is None:
        return [("Sub-group narrative", 14, True), (a.narrative_note, 12, False)]
    lines = [(f"Sub-group narrative, {n.period_label}" + (" (demo)" if n.is_demo else ""), 14, True)]
    for heading, text in n.parts:
        lines += [(heading, 12, True), (text, 12, False)]
    return lines


def _area(d: Deck, a: AreaSection) -> None:
    notes = "\n".join([a.summary] + [f"{h}: {t}" for h, t in (a.narrative.parts if a.narrative else [])])
    s = d.slide(a.name, notes=notes)
    d.text(s, MARGIN, Inches(1.0), WIDTH - 2 * MARGIN, Inches(0.8),
           [(f"Reported by the {a.sub_group}. {a.summary}", 12, False)])
    d.table(s, a.overview, MARGIN, Inches(1.85), Inches(7.6), size=10.5)
    d.text(s, Inches(8.4), Inches(1.85), Inches(4.45), Inches(5.0), _narrative_lines(a))
    if d.c.report == "hwbb" and a.chart:
        s = d.slide(f"{a.name}: recent trends against England", notes=a.chart.alt)
        d.picture(s, a.chart, MARGIN, Inches(1.05), Inches(7.0))
        if a.chart_table:
            d.table(s, a.chart_table, Inches(7.6), Inches(1.05), Inches(5.3), size=8.5)


def _kpi(d: Deck, k: KpiSection) -> None:
    s = d.slide(f"{k.kpi.id} {k.kpi.short_title}", notes="\n".join([k.kpi.title, *k.words]))
    left_w = Inches(7.9)
    y = Inches(1.0)
    if k.chart:
        y += d.picture(s, k.chart, MARGIN, y, left_w)
    room = HEIGHT - y - Inches(0.6)
    size = _fitting_size(k.words, left_w, room)
    d.text(s, MARGIN, y + Inches(0.1), left_w, room, [(w, size, False) for w in k.words])
    table = Table(k.table.columns[:4], [r[:4] for r in k.table.rows], widths=[1.7, 1.1, 1.1, 1.5])
    x = MARGIN + left_w + Inches(0.2)
    w = WIDTH - x - MARGIN
    if not table.rows:
        d.text(s, x, Inches(1.0), w, Inches(1), [("No figures yet.", 12, False)])
        return
    rows = _latest_rows(table, w, 8.5, HEIGHT - Inches(1.9))
    d.table(s, table, x, Inches(1.0), w, rows=rows, size=8.5)
    if len(rows) < len(table.rows):
        d.text(s, x, HEIGHT - Inches(0.75), w, Inches(0.3),
               [(f"{len(rows)} of {len(table.rows)} figures (the oldest left out); every figure is in the PDF "
                 "and Excel versions.", 9, False)])


def _appendix(d: Deck) -> None:
    for heading, paragraphs, table in d.c.appendix:
        if table is None:
            s = d.slide(f"Appendix: {heading.lower()}")
            d.text(s, MARGIN, Inches(1.0), WIDTH - 2 * MARGIN, Inches(5.8), [(p, 13, False) for p in paragraphs])
        else:
            d.table_slides(f"Appendix: {heading.lower()}", table, size=9.5 if heading == "Definitions" else 11,
                           lead=" ".join(paragraphs))


def build_pptx(content: PackContent, *, progress: Progress | None = None) -> bytes:
    """The whole pack as a .pptx file's bytes. `progress(fraction, message)` hears about each part."""
    say = progress or (lambda fraction, message: None)
    d = Deck(content)
    _cover(d)
    _summary(d)
    _changes(d)
    share = 0.6 / max(1, len(content.areas))
    for i, area in enumerate(content.areas):
        say(0.35 + share * i, f"Drawing {area.name}")
        _area(d, area)
        if content.report == "board":
            for j, k in enumerate(area.kpis):
                _kpi(d, k)
                say(0.35 + share * (i + (j + 1) / len(area.kpis)), f"Drew {k.kpi.id}")
    _appendix(d)
    say(0.98, "Saving the PowerPoint file")
    buf = io.BytesIO()
    d.prs.save(buf)
    return buf.getvalue()
