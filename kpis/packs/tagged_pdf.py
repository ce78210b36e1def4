"""HTML to a tagged PDF (PDF/UA-style structure: headings, paragraphs, lists, tables, figures with alt text).

fpdf2 cannot write a structure tree for text, so documents that must be accessible (the board pack, the annual
report) are written as semantic HTML and printed by headless Chromium with `tagged=True`: Chromium turns the
HTML's own semantics into the PDF's tags (H1-H6, P, L/LI, Table/TR/TH/TD with scope, Figure with /Alt from the
image's alt text) and `outline=True` adds bookmarks from the headings. The document's /Lang comes from the
`<html lang>` attribute and its title from `<title>`.
"""
from __future__ import annotations

from kpis.core.chromium import find_chromium

A4_MARGIN = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}


def html_to_pdf(html: str, *, landscape: bool = False) -> bytes:
    """Print a whole HTML document (with `<html lang>` and `<title>`) to tagged PDF bytes with headless Chromium.

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
            return page.pdf(format="A4", landscape=landscape, margin=A4_MARGIN, print_background=True,
                            tagged=True, outline=True, display_header_footer=False)
        finally:
            browser.close()
