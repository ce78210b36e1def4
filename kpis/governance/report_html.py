"""The annual report as semantic HTML, printed by headless Chromium to a tagged PDF (`kpis.packs.tagged_pdf`):
headings in order (h1 to h4), tables with a caption and header cells with their scope, charts as images with
alt text, `<html lang="en-GB">` and a `<title>`. The PDF's structure tree comes from these semantics."""
from __future__ import annotations

import base64
from html import escape

from kpis.governance.annual_report import AnnualReport
from kpis.governance.report_blocks import Block, Bullets, Heading, Para, TableBlock, report_blocks
from kpis.governance.report_charts import Chart
from kpis.packs.tagged_pdf import html_to_pdf

SHORT_TABLE_ROWS = 12
CSS = """
@page { size: A4; }
body { font-family: Arial, "Liberation Sans", sans-serif; color: #0b0c0c; font-size: 10.5pt; line-height: 1.4; }
h1 { font-size: 22pt; color: #12436D; margin: 0 0 8pt; }
h2 { font-size: 16pt; color: #12436D; margin: 18pt 0 6pt; break-after: avoid; border-bottom: 2px solid #12436D; }
h3 { font-size: 13pt; margin: 14pt 0 4pt; break-after: avoid; }
h4 { font-size: 11pt; margin: 10pt 0 2pt; break-after: avoid; }
p { margin: 0 0 6pt; }
.demo { background: #fff2cc; border-left: 6px solid #b45f06; padding: 6pt 8pt; }
table { border-collapse: collapse; width: 100%; margin: 2pt 0 10pt; font-size: 8.5pt; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 0 0 3pt; font-size: 9.5pt; }
th, td { border: 1px solid #6f777b; padding: 2pt 4pt; text-align: left; vertical-align: top; }
thead th { background: #deeaf6; }
tbody th { font-weight: normal; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.figure { margin: 6pt 0 12pt; break-inside: avoid; }
.keep, table.short { break-inside: avoid; }
.figure img { width: 100%; height: auto; }
.figcaption { font-size: 9pt; color: #383f43; }
"""


def _table(block: TableBlock) -> str:
    frame = block.frame
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = [escape("" if v is None else str(v)) for v in values]
        rows.append(f'<tr><th scope="row">{cells[0]}</th>' + "".join(f"<td>{c}</td>" for c in cells[1:]) + "</tr>")
    short = ' class="short"' if _short(block) else ""
    return (f"<table{short}><caption>{escape(block.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        label = f"<strong>{escape(block.label)}</strong> " if block.label else ""
        css = ' class="demo"' if block.demo else ""
        return f"<p{css}>{label}{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, TableBlock):
        return _table(block)
    if isinstance(block, Chart):
        data = base64.b64encode(block.png).decode("ascii")
        # a plain block, not <figure>: Chromium would tag the figure itself as a second Figure, without alt text
        return (f'<div class="figure"><img src="data:image/png;base64,{data}" alt="{escape(block.alt, quote=True)}">'
                f'<p class="figcaption">{escape(block.caption)}</p></div>')
    raise TypeError(f"not a report block: {block!r}")


def _short(block: Block) -> bool:
    return isinstance(block, TableBlock) and len(block.frame) <= SHORT_TABLE_ROWS


def _kept_together(blocks: list[Block]) -> list[str]:
    """Each block's HTML; a heading, the paragraphs after it and a chart or a short table after them go on one page
    together (a long table breaks across pages, its header row repeated)."""
    out, i = [], 0
    while i < len(blocks):
        j = i + 1
        if isinstance(blocks[i], Heading):
            while j < len(blocks) and isinstance(blocks[j], Para):
                j += 1
            if j < len(blocks) and (isinstance(blocks[j], Chart) or _short(blocks[j])):
                out.append('<div class="keep">' + "".join(_block(b) for b in blocks[i:j + 1]) + "</div>")
                i = j + 1
                continue
        out.append(_block(blocks[i]))
        i += 1
    return out


def build_html(report: AnnualReport, *, blocks: list[Block] | None = None) -> str:
    """The whole report as one HTML document."""
    body = "\n".join(_kept_together(blocks if blocks is not None else report_blocks(report)))
    return (f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{escape(report.title)}</title>'
            f'<meta name="author" content="{escape(report.partnership, quote=True)}"><style>{CSS}</style></head>'
            f"<body><main>\n{body}\n</main></body></html>")


def build_pdf(report: AnnualReport, *, blocks: list[Block] | None = None) -> bytes:
    """The report as a tagged PDF (needs Chromium: kpis.core.chromium.ChromiumNotFound says what to install)."""
    return html_to_pdf(build_html(report, blocks=blocks))
