"""The scorecard page's view: its table, counts and text sizes, worked out once per data version, set of SPC
rebases and view for every reader (`scorecard_view`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import streamlit as st
from pandas.io.formats.style import Styler

from app_pages._board import board_scorecard
from app_pages._common import data_version, rebases_version, store, styled_once
from kpis.board.tables import (
    DESK_OPTIONAL_COLUMNS,
    OPTIONAL_COLUMNS,
    area_line,
    group_rows,
    grouped_board_table,
    has_targets,
    md_escape,
    one_line_ems,
    style_board_table,
    summary_counts,
)

# The scorecard: one line per row, the text sized so that every row fits the screen, in both directions. The
# numbers in it are worked out by the page from the table (no user text reaches the CSS).
SCORECARD_CSS = """
<style>
.st-key-board-scorecard {{ container-type: inline-size; }}
.st-key-board-scorecard table {{ table-layout: auto; width: 100%; font-size: {font} !important; }}
.st-key-board-scorecard td, .st-key-board-scorecard th {{ padding: {pad}em 0.5em !important; vertical-align: middle;
  font-size: inherit !important; line-height: {line} !important; }}
.st-key-board-scorecard td > div, .st-key-board-scorecard th > div {{ max-width: none !important; }}
.st-key-board-scorecard td p, .st-key-board-scorecard th p {{ font-size: inherit !important;
  line-height: {line} !important; margin: 0 !important; }}
.st-key-board-scorecard td img {{ height: {line}em !important; width: auto; max-width: none; vertical-align: top; }}
{narrow}
</style>
"""
# When presenting on a screen too narrow for every column at the size the screen's height allows (16 px at most
# for this rule), the last columns (the change since the last meeting, the recent-trend words and the target)
# give way to larger text for the answers that stay; the summary line above still counts them, and the normal
# view and each KPI's page keep them. Tall enough for 16 px: one rule. Shorter (many KPIs): the text the height
# allows is worked out for each band of 16 px of screen height, and the columns give way where the width would
# make it smaller still.
NARROW_CSS = """
@media {media} {{ @container (max-width: {max_width}px) {{
  .st-key-board-scorecard tr > :nth-child(n+{first_hidden}) {{ display: none; }}
  .st-key-board-scorecard table {{ font-size: {font} !important; }}
}} }}
"""
HEIGHT_BAND_PX = 16
LINE_ABOVE_PX = 22
DESK_READABLE_PX = 14
FONT = "clamp(12px, min(calc(100cqw / {width_ems:.2f}), calc((100vh - {above_px}px) / {height_ems:.2f})), {max_rem}rem)"
# Line height and padding (top and bottom) of a scorecard row, in ems of its text: the screen's height is divided
# by their sum; a pixel per row for its border.
ROW_LINE, ROW_PAD = 1.25, 0.14
# Space above the scorecard table (header, title, controls, captions) and a margin below, measured in Chromium.
ABOVE_TABLE_PX = {"presenting": 150, "normal": 330}
PRESENTING_GAP_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding: 0.5rem 1rem 2rem !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.4rem; }
h1 { font-size: 2rem !important; padding: 0 !important; }
</style>
"""


def scorecard_css(*, rows: int, width_ems: float, presenting: bool, narrow_ems: float | None = None,
                  first_hidden: int = 0, lines_above: int = 0) -> str:
    """CSS that sizes the scorecard's text so that `rows` one-line rows (the heading row included) of a table
    `width_ems` wide fit the screen: up to 1.6rem when presenting (1rem otherwise), never below 12 px.

    With `narrow_ems`, columns from number `first_hidden` on make way when that gives larger text: presenting,
    below 16 px (or what the screen's height allows); on a desk screen, below 14 px.
    """
    # a pixel of border a row; `lines_above`: lines of caption above the table besides the usual (measured: 22 px)
    above = ABOVE_TABLE_PX["presenting" if presenting else "normal"] + rows + LINE_ABOVE_PX * lines_above
    height_ems = rows * (ROW_LINE + 2 * ROW_PAD)
    max_rem = 1.6 if presenting else 1.0

    def font(width: float) -> str:
        return FONT.format(width_ems=width, above_px=above, height_ems=height_ems, max_rem=max_rem)

    narrow = ""
    if presenting and narrow_ems:
        readable = 16  # px: below this with every column, and room for it in height, the last columns give way
        tall = round(above + readable * height_ems)
        rules = [(f"(min-height: {tall}px)", round(readable * width_ems))]
        for low in range(max(300, tall - 60 * HEIGHT_BAND_PX), tall, HEIGHT_BAND_PX):
            allowed = max(12, (low - above) / height_ems)  # px of text the height allows in the band (at its lowest)
            rules.append((f"(min-height: {low}px) and (max-height: {min(low + HEIGHT_BAND_PX, tall) - 0.02}px)",
                          round(allowed * width_ems)))
        narrow = "".join(NARROW_CSS.format(media=media, max_width=width, first_hidden=first_hidden,
                                           font=font(narrow_ems)) for media, width in rules)
    elif narrow_ems:  # a desk screen: below 14 px with every column, the last gives way
        narrow = NARROW_CSS.format(media="all", max_width=round(DESK_READABLE_PX * width_ems),
                                   first_hidden=first_hidden, font=font(narrow_ems))
    return SCORECARD_CSS.format(font=font(width_ems), pad=ROW_PAD, line=ROW_LINE, narrow=narrow) + (
        PRESENTING_GAP_CSS if presenting else "")


@dataclass(frozen=True)
class ScorecardView:
    """The scorecard as the page shows it, for one data version, meeting, grouping and view (`scorecard_view`)."""
    any_demo: bool
    no_figures: bool
    counts: dict[str, int]
    areas_line: str          # empty when presenting
    table: Styler            # the table, styled once (`styled_once`)
    css: str
    targets: bool


@st.cache_resource(show_spinner=False, max_entries=32)
def _scorecard_view(db: str, version: int, rebases: str, as_at: datetime | None, previous: datetime | None,
                    by: str, presenting: bool, link: str | None) -> ScorecardView:
    card = board_scorecard(as_at, previous)
    areas_line = ""
    if not presenting:  # a sentence per outcome area in words; presenting, each area's heading row carries counts
        areas_line = " · ".join(area_line(rows, f"**{md_escape(name)}**") for name, rows in group_rows(card, by))
    table, comparisons, sections = grouped_board_table(card, by, link=link, compact=True)
    optional = [c for c in (OPTIONAL_COLUMNS if presenting else DESK_OPTIONAL_COLUMNS) if c in table.columns]
    css = scorecard_css(rows=len(table) + 1, width_ems=one_line_ems(table), presenting=presenting,
                        narrow_ems=one_line_ems(table.drop(columns=optional)),
                        first_hidden=list(table.columns).index(optional[0]) + 1,
                        lines_above=1 + len(areas_line) // 180 if areas_line else 0)
    return ScorecardView(bool(card["is_demo"].any()), bool(card["latest_period"].isna().all()),
                         summary_counts(card), areas_line,
                         styled_once(style_board_table(table, comparisons, sections)), css, has_targets(card))


def scorecard_view(as_at: datetime | None, previous: datetime | None, *, by: str, presenting: bool,
                   link: str | None) -> ScorecardView:
    """The scorecard page's table, counts and sizes, worked out once per data version, set of SPC rebases and view
    for every reader (from `board_scorecard`'s rows), not on every run: grouping, counting and sizing the table
    cost more than showing it. At most 32 views are kept. Read only: every reader gets the same objects."""
    return _scorecard_view(str(store().path), data_version(), rebases_version(), as_at, previous, by, presenting,
                           link)
