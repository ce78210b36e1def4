"""The printable receipt of a real submission: what was stored, by whom, when, the sha256 and the counts."""
from __future__ import annotations

import hashlib
from html.parser import HTMLParser

from kpis.returns.receipts import receipt_html, receipt_rows
from kpis.returns.submission import submit
from tests.support.returns import PERIOD, TODAY, fw
from tools.sample_returns import filled_template


class Cells(HTMLParser):
    """The (header, cell) pairs of the receipt's table, and whether any script or outside resource is in it."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell, self._in, self.tags = [], [], None, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("th", "td"):
            self._in, self._text = tag, ""

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._cell.append(self._text.strip())
            self._in = None
        if tag == "tr":
            self.rows.append(tuple(self._cell))
            self._cell = []

    def handle_data(self, data):
        if self._in:
            self._text += data


def test_a_stored_returns_printable_receipt(store, fw):
    data = filled_template(fw, "safeguarding", PERIOD)
    r = submit(store, fw, name="sg <return>.xlsx", data=data, area_id="safeguarding", by="lead@example.org",
               today=TODAY)
    html = receipt_html(r, sub_group="Safeguarding Children Partnership", partnership="Worcestershire CYPSP")
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    parsed = Cells()
    parsed.feed(html)
    table = dict(row for row in parsed.rows if len(row) == 2)      # the figures' table has four columns
    assert table["Submission id"] == str(r.batch_id) and table["Submitted by"] == "lead@example.org"
    assert table["SHA-256 of the file"] == hashlib.sha256(data).hexdigest()
    assert table["Quarter"] == PERIOD and table["File name"] == "sg <return>.xlsx"   # escaped, read back as text
    assert "<return>" not in html and "&lt;return&gt;" in html
    assert sum(int(table[k]) for k in ("New figures", "Changed figures", "Unchanged figures")) == sum(r.counts.values())
    assert table["Submitted at"].endswith("UTC") and str(r.submitted_at.year) in table["Submitted at"]
    assert not {"script", "img", "link", "iframe"} & set(parsed.tags)
    assert f"Receipt for submission {r.batch_id}" in html


def test_a_duplicates_receipt_says_nothing_new_was_stored(store, fw):
    data = filled_template(fw, "safeguarding", PERIOD)
    first = submit(store, fw, name="a.xlsx", data=data, area_id="safeguarding", by="lead@example.org", today=TODAY)
    again = submit(store, fw, name="a.xlsx", data=data, area_id="safeguarding", by="lead@example.org", today=TODAY)
    assert again.duplicate_of == first.batch_id
    html = receipt_html(again, sub_group="Safeguarding Children Partnership", partnership="P")
    assert f"already submitted as submission {first.batch_id}" in html
    assert dict(receipt_rows(again, sub_group="S"))["Same file as submission"] == str(first.batch_id)


def test_the_receipt_lists_every_figure_stored(store, fw):
    """Issue 21: the receipt gave the counts but not the figures; now each figure stored, in words."""
    data = filled_template(fw, "safeguarding", PERIOD)
    r = submit(store, fw, name="sg.xlsx", data=data, area_id="safeguarding", by="lead@example.org", today=TODAY)
    stored = store.df("SELECT indicator_id, breakdown_type, breakdown_value, period_label, value FROM observations "
                      "WHERE batch_id = ? ORDER BY indicator_id", [r.batch_id])
    assert len(r.figures) == len(stored) == sum(r.counts.values())
    html = receipt_html(r, sub_group="Safeguarding Children Partnership", partnership="P")
    parsed = Cells()
    parsed.feed(html)
    figures = [list(row) for row in parsed.rows if len(row) == 4]
    assert figures[0] == ["KPI", "Breakdown", "Period", "Value"] and len(figures) == len(stored) + 1
    assert f"Figures stored ({len(stored):,})" in html
    sg02 = fw.kpi("SG02")
    first = stored[(stored["indicator_id"] == "SG02") & (stored["breakdown_type"] == "all")].iloc[0]
    assert [f"SG02 {sg02.short_title}", "All children and young people", PERIOD,
            sg02.format_value(first["value"])] in figures
