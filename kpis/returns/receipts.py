"""The receipt of a submitted return, as rows for the page and as a printable HTML document.

The HTML is one self-contained file (no scripts, no outside resources): what was stored, by whom, when, the
file's SHA-256, the counts, and every figure stored (KPI, breakdown, period, value). Every piece of text is
escaped, so a file name or a warning cannot inject markup.
"""
from __future__ import annotations

from html import escape

from kpis.core.dates import long_date
from kpis.returns.submission import Receipt

PRINT_CSS = """
body { font-family: "Source Sans Pro", "DejaVu Sans", Arial, sans-serif; color: #0B0C0C; margin: 2rem;
       max-width: 46rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 0.2rem; }
p.lead { margin: 0 0 1rem; color: #3D3D3D; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.6rem; border-bottom: 1px solid #BFBFBF; }
th { width: 14rem; font-weight: 600; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.2rem 0 0.4rem; }
table.figures th { width: auto; }
table.figures td { font-variant-numeric: tabular-nums; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
"""


def receipt_rows(receipt: Receipt, *, sub_group: str) -> list[tuple[str, str]]:
    """(item, detail) pairs a person reads, blanks as '–'."""
    r = receipt
    if r.duplicate_of is not None:
        return [("Same file as submission", str(r.duplicate_of)), ("Sub-group", sub_group),
                ("Quarter", r.period_label or "–"), ("File name", r.file_name)]
    when = f"{long_date(r.submitted_at)}, {r.submitted_at:%H:%M:%S} UTC" if r.submitted_at else "–"
    return [("Submission id", str(r.batch_id)), ("Submitted at", when),
            ("Submitted by", r.submitted_by or "–"), ("Sub-group", sub_group), ("Quarter", r.period_label or "–"),
            ("File name", r.file_name), ("New figures", str(r.counts.get("new", 0))),
            ("Changed figures", str(r.counts.get("changed", 0))),
            ("Unchanged figures", str(r.counts.get("unchanged", 0))),
            ("Narrative stored", "Yes" if r.narrative_stored else "No"), ("Warnings", str(len(r.warnings)))]


def receipt_html(receipt: Receipt, *, sub_group: str, partnership: str) -> str:
    """A printable receipt: open it in a browser and print it, or save it beside the file that was sent."""
    r = receipt
    if r.duplicate_of is not None:
        heading = "Return already received"
        lead = (f"This file was already submitted as submission {r.duplicate_of}, so nothing new was stored.")
    else:
        heading = f"Receipt for submission {r.batch_id}"
        lead = "The return below was stored whole. Earlier figures for the same quarter are kept as history."
    rows = [*receipt_rows(r, sub_group=sub_group), ("SHA-256 of the file", r.sha256)]
    body = "".join(
        f"<tr><th scope=\"row\">{escape(k)}</th><td>{f'<code>{escape(v)}</code>' if k.startswith('SHA') else escape(v)}"
        "</td></tr>" for k, v in rows)
    warnings = ""
    if r.warnings:
        items = "".join(
            f"<li>{escape(w.sheet or '')}{', row ' + str(w.row) if w.row else ''}: {escape(w.message)}</li>"
            for w in r.warnings)
        warnings = f"<h2>Warnings accepted with this return ({len(r.warnings)})</h2><ul>{items}</ul>"
    figures = ""
    if r.figures:
        cells = "".join(f"<tr><td>{escape(f['kpi'])}</td><td>{escape(f['breakdown'])}</td>"
                        f"<td>{escape(f['period'])}</td><td>{escape(f['value'])}</td></tr>" for f in r.figures)
        figures = (f"<h2>Figures stored ({len(r.figures):,})</h2><table class=\"figures\"><thead><tr>"
                   "<th scope=\"col\">KPI</th><th scope=\"col\">Breakdown</th><th scope=\"col\">Period</th>"
                   f"<th scope=\"col\">Value</th></tr></thead><tbody>{cells}</tbody></table>")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(heading)} – {escape(partnership)}</title><style>{PRINT_CSS}</style></head>"
            f"<body><h1>{escape(heading)}</h1><p class=\"lead\">{escape(partnership)}: {escape(lead)}</p>"
            f"<table>{body}</table>{warnings}{figures}"
            "<p>The SHA-256 is the file's fingerprint: the same for the very same file, different for any other. "
            "Keep this receipt with the file you sent.</p></body></html>\n")
