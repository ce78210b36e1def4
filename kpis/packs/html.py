"""Semantic HTML for printed documents (the board pack, the HWBB report, the annual report), styled for A4.

`kpis.packs.tagged_pdf.html_to_pdf` prints what these make to a tagged PDF, and the HTML's semantics become the
PDF's tags, so the rules here are the accessibility rules of the printed documents:
- `document()` gives the whole page: `<html lang="en-GB">`, the `<title>` (the PDF's title), `<meta>` author,
  description and keywords (the PDF's /Author, /Subject, /Keywords) and `PRINT_CSS`, with an optional running
  header in the top margin and "Page N of M" at the foot of every page (both marked as artifacts in the PDF);
- `table_html()` writes a real table: a `<caption>`, column headers `<th scope="col">` in a `<thead>` that
  repeats on every page the table spans, row headers `<th scope="row">`, and group headings as
  `<th scope="rowgroup">` rows that start a `<tbody>` of their own;
- `figure_html()` writes a chart as an `<img>` (PNG bytes or SVG text) whose `alt` becomes the PDF Figure's /Alt.

Ligatures are turned off: Chromium writes a ligature glyph's text as one character ("ﬁ", U+FB01), which breaks
searching, copying and some screen readers' reading of words such as "figure".

Put each part in `<section class="part">` (it starts a new page; `class="part wide"` makes that page landscape)
and headings in order (one `<h1>`, then `<h2>` per part, `<h3>` within). `class="keep"` on a block asks the
printer not to split it across pages.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

INK, GREY, BLUE, RULE, GROUP_FILL, DEMO_FILL = "#0B0C0C", "#505050", "#12436D", "#B1B4B6", "#E5E5E5", "#FFF3CD"
GENERATOR = "Children's partnership KPI dashboard"
FONT_STACK = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"

PRINT_CSS = f"""
@page {{
  size: A4; margin: 16mm 14mm 15mm 14mm;
  @bottom-center {{ content: "Page " counter(page) " of " counter(pages); font: 8pt {FONT_STACK};
                   color: {GREY}; }}
}}
@page wide {{ size: A4 landscape; margin: 12mm 12mm 13mm 12mm; }}
html {{ font-family: {FONT_STACK}; font-size: 9.5pt; line-height: 1.38; color: {INK};
       -webkit-print-color-adjust: exact; print-color-adjust: exact;
       font-variant-ligatures: none; font-feature-settings: "liga" 0, "clig" 0; }}
body {{ margin: 0; }}
h1, h2, h3, h4 {{ color: {BLUE}; line-height: 1.2; break-after: avoid; break-inside: avoid; }}
h1 {{ font-size: 24pt; margin: 0 0 5mm; }}
h2 {{ font-size: 16pt; margin: 0 0 3mm; }}
h3 {{ font-size: 12.5pt; margin: 5mm 0 2mm; }}
h4 {{ font-size: 10pt; color: {INK}; margin: 3mm 0 1mm; }}
p {{ margin: 0 0 2mm; orphans: 3; widows: 3; }}
ul {{ margin: 0 0 3mm; padding-left: 5mm; }}
li {{ margin: 0 0 1mm; }}
ul.tight {{ margin-bottom: 2mm; }}
ul.tight li {{ margin: 0; }}
.part {{ break-before: page; }}
.wide {{ page: wide; }}
.cover {{ page: cover; padding-top: 35mm; }}
.cover ul {{ font-size: 11pt; }}
.keep {{ break-inside: avoid; }}
.intro {{ break-after: avoid; }}
.lead {{ font-size: 13pt; color: {GREY}; margin-bottom: 6mm; }}
.note {{ color: {GREY}; }}
.subtitle {{ font-style: italic; color: {GREY}; font-size: 9pt; }}
.small {{ font-size: 8pt; }}
.demo {{ background: {DEMO_FILL}; border-left: 3pt solid #B58105; padding: 2.5mm 3mm; font-weight: bold;
        font-size: 10.5pt; margin: 5mm 0 6mm; }}
.facts p {{ font-size: 12pt; margin-bottom: 1.5mm; }}
.facts p:first-child {{ font-weight: bold; font-size: 13pt; }}
.licence {{ margin-top: 40mm; font-size: 8pt; color: {GREY}; }}
table {{ width: 100%; border-collapse: collapse; margin: 0 0 5mm; font-size: 7.8pt; line-height: 1.3; }}
caption {{ caption-side: top; text-align: left; font-style: italic; color: {GREY}; font-size: 8pt;
          padding-bottom: 1.2mm; break-after: avoid; }}
thead {{ display: table-header-group; }}
tr, tbody.group {{ break-inside: avoid; }}
th, td {{ text-align: left; vertical-align: top; padding: 1mm 1.4mm; border-bottom: 0.5pt solid {RULE}; }}
thead th {{ background: {BLUE}; color: #FFFFFF; font-weight: bold; border-bottom: none; }}
tbody th {{ font-weight: normal; }}
tbody th.group {{ background: {GROUP_FILL}; font-weight: bold; }}
table.small {{ font-size: 7pt; line-height: 1.22; }}
table.small th, table.small td {{ padding: 0.6mm 1.2mm; }}
.figure {{ margin: 3mm 0 3mm; break-inside: avoid; }}
.figure img {{ display: block; width: 100%; height: auto; }}
.figure p {{ font-style: italic; color: {GREY}; font-size: 8pt; margin-top: 1mm; }}
"""


def esc(text: object) -> str:
    """Text made safe for HTML (quotes too, so it may go in an attribute)."""
    return escape(str(text), quote=True)


def _css_string(text: str) -> str:
    """Text as a CSS string inside a <style> element: quotes and backslashes escaped, and no "<" (so a name such as
    "</style>" cannot end the style sheet)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ") + '"'


def document(title: str, body_html: str, *, lang: str = "en-GB", author: str = "", subject: str = "",
             keywords: str = "", generator: str = GENERATOR, running_header: str = "", extra_css: str = "") -> str:
    """A whole HTML document for `html_to_pdf`: `title` is the PDF's title, `lang` its language, `author`,
    `subject`, `keywords` and `generator` (the PDF's /Creator) its metadata, `running_header` a line printed at
    the top of every page but those of `<section class="cover">`."""
    meta = "".join(f'<meta name="{name}" content="{esc(value)}">' for name, value in
                   (("author", author), ("description", subject), ("keywords", keywords), ("generator", generator))
                   if value)
    header = (f"@page {{ @top-left {{ content: {_css_string(running_header)}; font: 7.5pt {FONT_STACK}; "
              f"color: {GREY}; }} }}\n@page cover {{ @top-left {{ content: none; }} }}\n"
              if running_header else "")
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}'
            f'</title>\n{meta}\n<style>{PRINT_CSS}{header}{extra_css}</style>\n</head>\n<body>\n{body_html}\n'
            '</body>\n</html>\n')


def paragraphs(texts: Sequence[str], *, cls: str = "") -> str:
    """One `<p>` per text."""
    attr = f' class="{esc(cls)}"' if cls else ""
    return "".join(f"<p{attr}>{esc(t)}</p>\n" for t in texts)


def bullets(items: Sequence[str], *, cls: str = "") -> str:
    """A `<ul>` of the items (empty string for none)."""
    attr = f' class="{esc(cls)}"' if cls else ""
    return (f"<ul{attr}>\n" + "".join(f"<li>{esc(i)}</li>\n" for i in items) + "</ul>\n") if items else ""


def table_html(caption: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
               row_header: bool | int = True, groups: Sequence[tuple[int, str]] = (),
               cell_classes: dict[tuple[int, int], str] | None = None, widths: Sequence[float] | None = None,
               cls: str = "", keep_together: bool | None = None) -> str:
    """A data table. `row_header` True (or a number of columns) makes the first column(s) row headers.
    `groups` are (row index, heading) pairs: a `<tbody>` starts at that row with the heading across it.
    `cell_classes[(row, column)]` adds a class to a cell (e.g. a comparison badge); `widths` are relative column
    widths. A short table (15 rows or fewer, unless `keep_together` says) is kept on one page."""
    n_head = int(row_header)
    cells = cell_classes or {}
    keep = keep_together if keep_together is not None else len(rows) <= 15
    classes = " ".join(c for c in (cls, "keep" if keep else "") if c)
    out = [f'<table class="{esc(classes)}">' if classes else "<table>"]
    out.append(f"<caption>{esc(caption)}</caption>")
    if widths:
        total = float(sum(widths))
        out.append("<colgroup>" + "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in widths)
                   + "</colgroup>")
    out.append("<thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in columns) + "</tr></thead>")
    starts = dict(groups)
    if 0 not in starts:
        out.append("<tbody>")
    for i, row in enumerate(rows):
        if i in starts:
            out.append(("</tbody>" if i else "") + '<tbody class="group">')
            out.append(f'<tr><th scope="rowgroup" colspan="{len(columns)}" class="group">{esc(starts[i])}</th></tr>')
        tds = []
        for j, text in enumerate(row):
            tag, scope = ("th", ' scope="row"') if j < n_head else ("td", "")
            extra = f' class="{esc(cells[(i, j)])}"' if (i, j) in cells else ""
            tds.append(f"<{tag}{scope}{extra}>{esc(text)}</{tag}>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"


def image_src(image: bytes | str) -> str:
    """A data: URL for PNG bytes or SVG text."""
    if isinstance(image, str):
        return "data:image/svg+xml;base64," + base64.b64encode(image.encode("utf-8")).decode("ascii")
    if image[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("figure_html takes PNG bytes or SVG text.")
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def figure_html(image: bytes | str, alt: str, caption: str = "", *, width_px: int | None = None,
                height_px: int | None = None) -> str:
    """A chart as an image whose alt text (what the chart shows, in words) becomes the PDF Figure's /Alt, with an
    optional caption paragraph under it. (A bare HTML `<figure>` would be tagged as a second Figure around the
    image, without alt text, so this is a `<div>`.)"""
    if not alt.strip():
        raise ValueError("Every figure needs alt text that says what it shows.")
    size = f' width="{width_px}" height="{height_px}"' if width_px and height_px else ""
    note = f"<p>{esc(caption)}</p>" if caption else ""
    return f'<div class="figure"><img src="{image_src(image)}" alt="{esc(alt)}"{size}>{note}</div>\n'
