"""The board pack and the HWBB report as a tagged PDF, for reading on paper, on screen or with a screen reader.

The pack is written as semantic HTML (`kpis.packs.html`) from the same content as the PowerPoint and Excel
versions (`kpis.packs.content`) and printed by headless Chromium (`kpis.packs.tagged_pdf.html_to_pdf`), so the
PDF is tagged: headings H1 (the title), H2 (each part), H3 and H4 in order; paragraphs and lists; tables with a
caption, column and row headers and a header row that repeats on every page; charts as PNG drawn by
`kpis.packs.images`, each a Figure whose alt text says what it shows, with its numbers in the table after it.
The document has a title, the language en-GB, author and subject, bookmarks from the headings, a running header
saying whose pack it is (and that it includes demo data) and "Page N of M" on every page, both marked as
artifacts. Text is in DejaVu Sans (Debian's fonts-dejavu-core), which has every symbol the pack uses
(● ◆ ■ ▲ ▼ ✓ ✗ ½).
"""
from __future__ import annotations

from pathlib import Path

from kpis.core.colours import BADGE_COLOURS
from kpis.core.dates import long_date
from kpis.core.exports import OGL_ATTRIBUTION
from kpis.packs.content import REPORTS, AreaSection, Chart, KpiSection, PackContent, Progress
from kpis.packs.html import bullets, document, esc, figure_html, paragraphs, table_html
from kpis.packs.images import find_browser, render_png
from kpis.packs.tagged_pdf import html_to_pdf
from kpis.packs.words import Table

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
# The comparison column's cells take the dashboard's badge colours (the words and symbols say it too).
BADGE_CSS = "".join(f"td.badge-{name} {{ background: {bg}; color: {fg}; }}\n"
                    for name, (bg, fg) in BADGE_COLOURS.items())


class PdfFontsMissing(RuntimeError):
    """The Unicode font the PDF needs is not installed."""


def _check_fonts() -> None:
    missing = [f for f in FONT_FILES.values() if not (FONT_DIR / f).is_file()]
    if missing:
        raise PdfFontsMissing(f"The PDF needs the DejaVu Sans fonts ({', '.join(missing)} not found in "
                              f"{FONT_DIR}). Install them with: apt-get install fonts-dejavu-core")


def _table(table: Table, caption: str, *, row_headers: int = 1, cls: str = "", empty: str = "") -> str:
    """A content Table as HTML; its own caption wins over `caption`. Nothing (or `empty` in words) for no rows."""
    if not table.rows:
        return paragraphs([empty], cls="note") if empty else ""
    cells = {}
    if table.highlight_col is not None:
        cells = {(i, table.highlight_col): f"badge-{h}" for i, h in enumerate(table.highlight) if h in BADGE_COLOURS}
    return table_html(table.caption or caption, table.columns, table.rows, row_header=row_headers,
                      groups=table.groups, cell_classes=cells, widths=table.widths, cls=cls)


def _figure(chart: Chart) -> str:
    png = render_png(chart.figure, width=chart.width_px, height=chart.height_px)
    return figure_html(png, chart.alt, width_px=chart.width_px, height_px=chart.height_px)


# -- the parts of a pack ----------------------------------------------------------------------------
def _cover(c: PackContent) -> str:
    title = c.title if c.report == "board" else f"{c.title}: {c.short_name}"
    facts = [f"Meeting: {c.meeting_text}", f"Data as at: {c.as_at_text}"]
    if c.previous:
        what = "the last meeting" if c.report == "board" else "the meeting about six months ago"
        facts.append(f"Changes are since {what}: {long_date(c.previous)}")
    if c.report == "hwbb" and c.reports_to:
        facts.append(f"Six-monthly report to the {c.reports_to}")
    demo = ('<p class="demo">Includes demo data: local figures marked (demo) are synthetic, made to show how the '
            'pack works. England figures are real published statistics.</p>\n' if c.is_demo else "")
    parts = ["Summary scorecard", c.changes_heading] + [f"{a.name} ({a.sub_group})" for a in c.areas]
    parts.append("Appendix: definitions, methods and sources")
    return (f'<section class="cover">\n<p class="lead">{esc(c.partnership)}</p>\n<h1>{esc(title)}</h1>\n'
            f'<div class="facts">{paragraphs(facts)}</div>\n'
            f'<p class="note">Produced {long_date(c.generated_at)}</p>\n{demo}'
            f'<h2>In this pack</h2>\n{bullets(parts)}<p class="licence">{esc(OGL_ATTRIBUTION)}</p>\n</section>\n')


def _summary(c: PackContent) -> str:
    caption = ("Every KPI, grouped by outcome area: its latest figure, the change since the last meeting, the "
               "comparison with England, the recent trend and any target.")
    return (f'<section class="part wide" id="summary">\n<h2>Summary scorecard</h2>\n{bullets(c.summary, cls="tight")}'
            f'{_table(c.scorecard, caption, cls="small", row_headers=1)}</section>\n')


def _changes(c: PackContent) -> str:
    out = [f'<section class="part" id="changes">\n<h2>{esc(c.changes_heading)}</h2>\n']
    if not c.changes:
        out.append(paragraphs(["There is no earlier meeting to compare with."]))
    for title, about, table in c.changes:
        short = len(table.rows) <= 15  # a short table stays with its heading
        out.append(f'<div class="{"keep" if short else ""}"><h3>{esc(title)}</h3>\n{paragraphs([about], cls="intro")}'
                   f'{_table(table, title)}</div>\n')
    out.append("</section>\n")
    return "".join(out)


def _narrative(area: AreaSection) -> str:
    n = area.narrative
    title = f"Narrative from the {area.sub_group}" + (f", {n.period_label}" if n else "")
    title += " (demo)" if n and n.is_demo else ""
    out = [f'<div class="keep">\n<h3>{esc(title)}</h3>\n']
    if n is None:
        out.append(paragraphs([area.narrative_note], cls="note"))
    else:
        if not n.publishable:
            out.append(paragraphs(["Not marked for publication."], cls="note"))
        for heading, text in n.parts:
            out.append(f"<h4>{esc(heading)}</h4>\n{paragraphs([text])}")
    out.append("</div>\n")
    return "".join(out)


def _kpi(k: KpiSection) -> str:
    figure = _figure(k.chart) if k.chart else ""
    table = _table(k.table, "", row_headers=2, empty=f"{k.kpi.id} has no figures yet, locally or for England.")
    return (f'<section class="part" id="kpi-{esc(k.kpi.id)}">\n<h3>{esc(k.kpi.id)} {esc(k.kpi.short_title)}</h3>\n'
            f'<p class="subtitle">{esc(k.kpi.title)}</p>\n{bullets(k.words)}{figure}{table}</section>\n')


def _area(a: AreaSection, report: str, say: Progress, done: float, share: float) -> str:
    caption = f"The KPIs of {a.name}: the latest figure, the comparison with England and the recent trend."
    out = [f'<section class="part" id="area-{esc(a.area_id)}">\n<h2>{esc(a.name)}</h2>\n',
           paragraphs([f"Reported by the {a.sub_group}."], cls="note"), paragraphs([a.summary]),
           _table(a.overview, caption)]
    if report == "hwbb":
        if a.chart:
            out.append(_figure(a.chart))
        if a.chart_table:
            out.append(_table(a.chart_table, "", row_headers=2))
        out.append(_narrative(a))
        say(done + share, f"Drew {a.name}")
        return "".join(out) + "</section>\n"
    out.append(_narrative(a))
    out.append("</section>\n")
    for i, k in enumerate(a.kpis):
        out.append(_kpi(k))
        say(done + share * (i + 1) / max(1, len(a.kpis)), f"Drew {k.kpi.id}")
    return "".join(out)


def _appendix(c: PackContent) -> str:
    out = ['<section class="part" id="appendix">\n<h2>Appendix: definitions, methods and sources</h2>\n']
    for heading, texts, table in c.appendix:
        out.append(f'<div class="keep"><h3>{esc(heading)}</h3>\n{paragraphs(texts[:1])}</div>\n'
                   f'{paragraphs(texts[1:])}')
        if table is not None:
            out.append(_table(table, heading))
    out.append("</section>\n")
    return "".join(out)


def pack_html(content: PackContent, *, progress: Progress | None = None) -> str:
    """The whole pack as one HTML document (charts drawn and embedded as PNG), ready for `html_to_pdf`."""
    say = progress or (lambda fraction, message: None)
    c = content
    parts = [_cover(c), _summary(c), _changes(c)]
    share = 0.55 / max(1, len(c.areas))
    for i, area in enumerate(c.areas):
        say(0.35 + share * i, f"Drawing {area.name}")
        parts.append(_area(area, c.report, say, 0.35 + share * i, share))
    parts.append(_appendix(c))
    header = f"{c.short_name}  ·  {REPORTS[c.report]}  ·  {c.meeting_text}" + (
        "  ·  Includes demo data" if c.is_demo else "")
    return document(f"{c.title}, {c.meeting_text}", "".join(parts), lang="en-GB", author=c.partnership,
                    subject=f"{c.title} for the meeting of {c.meeting_text}; data as at {c.as_at_text}",
                    keywords="KPI scorecard board pack " + c.short_name, running_header=header, extra_css=BADGE_CSS)


def build_pdf(content: PackContent, *, progress: Progress | None = None) -> bytes:
    """The whole pack as tagged PDF bytes. `progress(fraction, message)` hears about each part.

    Raises PdfFontsMissing without DejaVu Sans and kpis.packs.images.ChartRendererUnavailable without Chromium."""
    say = progress or (lambda fraction, message: None)
    _check_fonts()
    find_browser()  # the charts and the printing both need Chromium: say what to install before starting
    html = pack_html(content, progress=say)
    say(0.92, "Printing the PDF")
    return html_to_pdf(html)
