"""Widgets shared by the board pages: the meeting selector and presentation mode.

Both keep their value for the whole session and in the URL (`?meeting=2026-09-09`,
`?presentation=true`), so a link opens the same view on the projector.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from app_pages._common import data_version, framework, reading_cells, reading_table, rebases_version, store
from kpis.board.detail import (
    breakdown_data,
    england_value_for,
    kpi_download,
    page_series,
    revision_history,
    trend_data,
)
from kpis.board.row import ScorecardRow
from kpis.board.scorecard import meeting_context, past_meetings, scorecard, scorecard_rows
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
from kpis.charts.breakdowns import breakdown_views
from kpis.charts.figures import no_figures_reason, trend_views
from kpis.core.areas import region_name
from kpis.core.dates import long_date

LATEST = "latest"

# Constant CSS, no user text: hide the sidebar and header and enlarge the type for a projector.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
header[data-testid="stHeader"], [data-testid="stToolbar"], .st-key-site-notice { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem !important; max-width: 100% !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.15rem; }
[data-testid="stTable"] td p, [data-testid="stTable"] th p { font-size: 1.15rem !important; line-height: 1.3; }
[data-testid="stTable"] td, [data-testid="stTable"] th { padding: 0.25rem 0.5rem !important; }
[data-testid="stTable"] img { height: 1.5em; width: auto; vertical-align: middle; }
[data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
h1 { font-size: 2.6rem !important; padding: 0 0 0.3rem 0 !important; }
h2, h3 { font-size: 1.9rem !important; }
h4 { font-size: 1.5rem !important; padding: 0.4rem 0 0.2rem !important; }
</style>
"""
NORMAL_CSS = """
<style>
[data-testid="stTable"] img { vertical-align: middle; }
</style>
"""
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


def meeting_label(value: str) -> str:
    if value == LATEST:
        return "Latest data (today)"
    return f"Board meeting, {long_date(date.fromisoformat(value))}"


def url_select(label: str, options: list[str], *, key: str, format_func, show: bool = True,
               help: str | None = None, clean_default: bool = True) -> str:
    """A select box whose value lives in the session and in the URL (`?key=value`).

    A link with `?key=value` wins over the remembered choice, so a link from another page opens
    what it names; the choice is remembered across pages (and while the box is hidden). The first
    option is the default and, with `clean_default`, keeps the URL clean.
    """
    default = options[0] if clean_default else None
    remembered = f"_chosen_{key}"
    asked = st.query_params.get(key)
    if asked in options:
        st.session_state[remembered] = asked
    if st.session_state.get(remembered) not in options:
        st.session_state[remembered] = options[0]
    st.session_state[key] = st.session_state[remembered]

    def chosen() -> None:
        st.session_state[remembered] = st.session_state[key]
        _write_url(key, st.session_state[key], default)

    if show:
        st.selectbox(label, options, key=key, format_func=format_func, help=help, on_change=chosen)
    value = st.session_state[remembered]
    _write_url(key, value, default)
    return value


def _write_url(key: str, value: str, default: str | None) -> None:
    if value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def meeting_selector(*, show: bool = True) -> tuple[str, datetime | None, datetime | None]:
    """The chosen meeting ('latest' or an ISO date) with its as-at moment and the previous meeting's."""
    options = [LATEST] + [m.isoformat() for m in past_meetings(store())]
    choice = url_select("View as at", options, key="meeting", format_func=meeting_label, show=show,
                        help="The board meetings in the framework. Choosing one shows only what was known "
                             "by the end of that day; changes are counted from the meeting before it.")
    as_at, previous = meeting_context(store(), None if choice == LATEST else date.fromisoformat(choice))
    return choice, as_at, previous


def describe_view(choice: str, previous: datetime | None) -> str:
    """One line saying what the page shows and what it compares with."""
    what = ("the latest data" if choice == LATEST
            else f"what was known at the board meeting on {long_date(date.fromisoformat(choice))}")
    since = f"the last meeting on {long_date(previous)}" if previous else "no earlier meeting"
    return f"Showing {what}; changes are since {since}."


def presentation_mode() -> bool:
    """A toggle, top right, that hides controls and enlarges the type; returns whether it is on."""
    on = st.toggle("Presentation mode", key="presentation", bind="query-params", persist_state="session",
                   help="Hides the sidebar and controls and enlarges the text for a projector. "
                        "Turn it off here to get the controls back.")
    st.html(PRESENTATION_CSS if on else NORMAL_CSS)
    return bool(on)


COMPARATOR_LABELS = {"england": "England", "region": "Region", "neighbours": "Statistical neighbours"}


def comparator_picker(*, show: bool = True) -> tuple[str, ...]:
    """England always; add the region or statistical neighbours."""
    if show:
        region = region_name(framework().home_area)
        st.pills("Compare with", list(COMPARATOR_LABELS), format_func=COMPARATOR_LABELS.get, key="compare",
                 selection_mode="multi", default=["england"], persist_state="session",
                 help=f"England is the comparator the scorecard uses. Add the "
                      f"{region + ' ' if region else ''}region or the "
                      "council's statistical neighbours (similar councils) to the trend charts.")
    chosen = st.session_state.get("compare") or ["england"]
    return tuple(c for c in COMPARATOR_LABELS if c in chosen)


@dataclass(frozen=True)
class KpiViews:
    """What a KPI's trend and group charts show, built once per data version and view (`kpi_views`)."""
    trend_reason: str | None            # a sentence instead of an empty chart
    trend_figure: object | None
    trend_table: pd.DataFrame | None    # as shown (`reading_cells`)
    groups_figure: object | None        # None: no figures by group
    groups_table: pd.DataFrame | None   # as shown (`reading_cells`)
    groups_period: str | None
    england_caption: str | None


def build_views(kpi, *, as_at, comparators, presenting: bool, height: int = 420, series=None) -> KpiViews:
    """Read and draw a KPI's trend and group charts (`series`: the page's values read at once, `page_series`)."""
    fw = framework()
    font = 19 if presenting else 15
    df = trend_data(store(), fw, kpi, comparators=comparators, as_at=as_at, series=series)
    reason = no_figures_reason(df, kpi)
    trend_figure = trend_table = None
    if not reason:
        trend_figure, trend_table = trend_views(df, kpi, title=f"{kpi.short_title}: trend", height=height,
                                                font_size=font)
    groups_figure = groups_table = period = caption = None
    if len(kpi.breakdowns) > 1:
        groups = breakdown_data(store(), fw, kpi, as_at=as_at, series=series)
        if not groups.empty:
            period = groups["period_label"].iloc[0]
            england, england_period = england_value_for(store(), fw, kpi, groups["period_end"].max(), as_at=as_at,
                                                        series=series)
            groups_figure, groups_table = breakdown_views(groups, kpi, breakdown_names=fw.breakdowns,
                                                          england_value=england,
                                                          title=f"{kpi.short_title}: by group, {period}",
                                                          font_size=font)
            if england is not None:
                caption = f"Dashed line: England, {kpi.format_value(england)} ({england_period})."
    return KpiViews(reason, trend_figure, None if trend_table is None else reading_cells(trend_table), groups_figure,
                    None if groups_table is None else reading_cells(groups_table), period, caption)


# Views every reader shares are kept as they are (`st.cache_resource`), not copied for each reader as
# `st.cache_data` does: unpickling a page's charts on every run cost more than drawing the page. Pages only
# read them (a chart, a table to show); nothing changes them.
@st.cache_resource(show_spinner=False, max_entries=24)
def kpi_views(db: str, version: int, kpi_ids: tuple[str, ...], as_at: datetime | None,
              comparators: tuple[str, ...], presenting: bool, height: int = 420) -> dict[str, KpiViews]:
    """Every chart of these KPIs, for one data version and view: shared by every reader (the first reader after
    new data builds it; `db` and `version` are the cache key, so new data is never hidden). At most 24 views are
    kept, oldest first out. Read only: the same objects go to every reader."""
    fw = framework()
    kpis = [fw.kpi(k) for k in kpi_ids]
    series = page_series(store(), fw, kpis, comparators=comparators, as_at=as_at)  # one query for them all
    return {k.id: build_views(k, as_at=as_at, comparators=comparators, presenting=presenting, height=height,
                              series=series) for k in kpis}


@st.cache_resource(show_spinner=False, max_entries=32)
def _scorecard(db: str, version: int, rebases: str, as_at: datetime | None, previous: datetime | None
               ) -> pd.DataFrame:
    return scorecard(store(), framework(), as_at=as_at, previous_meeting=previous)


def board_scorecard(as_at: datetime | None = None, previous: datetime | None = None) -> pd.DataFrame:
    """Every reader at a meeting sees the same scorecard: worked out once per data version, set of SPC rebases
    (`rebases_version`: an administrator records those without new data, and the verdicts change at once) and
    meeting, not per session or page (the scorecard, the Overview and the area pages all read it here). Read only:
    every reader gets the same table."""
    return _scorecard(str(store().path), data_version(), rebases_version(), as_at, previous)


@st.cache_resource(show_spinner=False, max_entries=32)
def _kpi_row(db: str, version: int, rebases: str, kpi_id: str, as_at: datetime | None,
             previous: datetime | None) -> ScorecardRow:
    (line,) = scorecard_rows(store(), framework(), as_at=as_at, previous_meeting=previous, kpi_ids=[kpi_id])
    return line


def kpi_row(kpi, as_at: datetime | None, previous: datetime | None) -> ScorecardRow:
    """A KPI's scorecard row for its page, worked out once per data version, meeting and set of SPC rebases in
    force (an administrator records those without new data, and the page shows them at once). At most 32 are
    kept. Read only."""
    return _kpi_row(str(store().path), data_version(), rebases_version(), kpi.id, as_at, previous)


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


def styled_once(styler: Styler) -> Styler:
    """A pandas Styler whose styles are worked out now, once. `st.table` works a Styler's styles out again each
    time it shows one (`_compute`, `_translate`: the scorecard's cost most of a cached run); a cached view's table
    is shown by every session, so each showing reuses them. Nothing changes it afterwards: sessions may share it."""
    styler._compute()
    translated = styler._translate(False, False)  # as Streamlit asks for it (no sparse index or columns)
    styler._compute = lambda: styler  # type: ignore[method-assign]
    styler._translate = lambda *args, **kwargs: translated  # type: ignore[method-assign]
    return styler


def scorecard_view(as_at: datetime | None, previous: datetime | None, *, by: str, presenting: bool,
                   link: str | None) -> ScorecardView:
    """The scorecard page's table, counts and sizes, worked out once per data version, set of SPC rebases and view
    for every reader (from `board_scorecard`'s rows), not on every run: grouping, counting and sizing the table
    cost more than showing it. At most 32 views are kept. Read only: every reader gets the same objects."""
    return _scorecard_view(str(store().path), data_version(), rebases_version(), as_at, previous, by, presenting,
                           link)


def views_for(kpis, *, as_at, comparators, presenting: bool, height: int = 420) -> dict[str, KpiViews]:
    """`kpi_views` for the server's store at its current data version."""
    return kpi_views(str(store().path), data_version(), tuple(k.id for k in kpis), as_at, tuple(comparators),
                     presenting, height)


@st.cache_resource(show_spinner=False, max_entries=6, ttl="10m")
def _kpi_figures(db: str, version: int, kpi_id: str, as_at: datetime | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    fw = framework()
    kpi = fw.kpi(kpi_id)
    return revision_history(store(), fw, kpi), kpi_download(store(), fw, kpi, as_at=as_at)


def kpi_figures(kpi, *, as_at: datetime | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A KPI's revision history and every figure of it (for its download), read once per data version and view
    for every reader, not on every visit to its page. At most 6 are kept, each for 10 minutes at most (a national
    KPI's figures are many). Read only."""
    return _kpi_figures(str(store().path), data_version(), kpi.id, as_at)


def trend_block(kpi, views: KpiViews, *, key: str) -> None:
    """A KPI's trend chart with its numbers below."""
    if views.trend_reason:  # a sentence, not an empty chart
        st.info(views.trend_reason, icon=":material/info:")
        return
    st.plotly_chart(views.trend_figure, key=f"trend-{key}", config={"displaylogo": False}, theme=None)
    st.caption("Points sit at the middle of each period, with bars for the 95% confidence interval where there is "
               "one. England and "
               "other published figures are level lines across the period they cover (a year, usually).")
    with st.expander("The numbers in this chart"):
        reading_table(views.trend_table, alt=f"The numbers in the trend chart of {kpi.id} {kpi.short_title}",
                      cells=True)


def breakdown_block(kpi, views: KpiViews, *, key: str) -> None:
    """A KPI's values by group at risk of health inequalities, with the numbers below."""
    if views.groups_figure is None:
        st.caption("No figures by group for this KPI yet.")
        return
    st.plotly_chart(views.groups_figure, key=f"groups-{key}", config={"displaylogo": False}, theme=None)
    if views.england_caption:
        st.caption(views.england_caption)
    with st.expander("The numbers in this chart"):
        reading_table(views.groups_table, cells=True,
                      alt=f"The numbers in the chart of {kpi.id} {kpi.short_title} by group, {views.groups_period}")
