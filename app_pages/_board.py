"""Widgets shared by the board pages: the meeting selector and presentation mode.

Both keep their value for the whole session and in the URL (`?meeting=2026-09-09`,
`?presentation=true`), so a link opens the same view on the projector.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import streamlit as st
from pandas.io.formats.style import Styler

from app_pages._common import (
    arrow_once,
    data_version,
    framework,
    reading_cells,
    reading_table,
    rebases_version,
    store,
    styled_once,
)
from kpis.board.detail import (
    breakdown_data,
    definition_rows,
    england_value_for,
    kpi_download,
    page_series,
    revision_history,
    trend_data,
)
from kpis.board.row import ScorecardRow, rows_frame
from kpis.board.scorecard import meeting_context, meetings, past_meetings, scorecard, scorecard_rows
from kpis.board.tables import board_table, style_board_table
from kpis.charts.breakdowns import breakdown_views
from kpis.charts.figures import no_figures_reason, trend_views
from kpis.charts.frozen import FrozenFigure, freeze
from kpis.charts.spc import spc_figure, spc_table
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
    held = meetings(store())  # read once for both
    options = [LATEST] + [m.isoformat() for m in past_meetings(store(), held=held)]
    choice = url_select("View as at", options, key="meeting", format_func=meeting_label, show=show,
                        help="The board meetings in the framework. Choosing one shows only what was known "
                             "by the end of that day; changes are counted from the meeting before it.")
    as_at, previous = meeting_context(store(), None if choice == LATEST else date.fromisoformat(choice), held=held)
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


@st.cache_resource(show_spinner=False)
def home_region() -> str | None:
    """The name of the partnership's region, looked up once: neither the framework nor the areas lookup changes
    while the server runs, and looking it up cost more than drawing the picker."""
    return region_name(framework().home_area)


def comparison_picker(*, show: bool = True) -> tuple[str, ...]:
    """England always; add the region or statistical neighbours."""
    if show:
        region = home_region()
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
    trend_figure: FrozenFigure | None
    trend_table: pa.Table | None        # as shown (`reading_cells`, `arrow_once`)
    groups_figure: FrozenFigure | None  # None: no figures by group
    groups_table: pa.Table | None       # as shown (`reading_cells`, `arrow_once`)
    groups_period: str | None
    england_caption: str | None


def build_views(kpi, *, as_at, against, presenting: bool, height: int = 420, series=None) -> KpiViews:
    """Read and draw a KPI's trend and group charts (`series`: the page's values read at once, `page_series`)."""
    fw = framework()
    font = 19 if presenting else 15
    df = trend_data(store(), fw, kpi, against=against, as_at=as_at, series=series)
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
    # Frozen: every reader is shown the same figures, so each is made into what the browser gets once, here.
    return KpiViews(reason, None if trend_figure is None else freeze(trend_figure),
                    None if trend_table is None else arrow_once(reading_cells(trend_table)),
                    None if groups_figure is None else freeze(groups_figure),
                    None if groups_table is None else arrow_once(reading_cells(groups_table)), period, caption)


# Views every reader shares are kept as they are (`st.cache_resource`), not copied for each reader as
# `st.cache_data` does: unpickling a page's charts on every run cost more than drawing the page. Pages only
# read them (a chart, a table to show); nothing changes them.
@st.cache_resource(show_spinner=False, max_entries=24)
def kpi_views(db: str, version: int, kpi_ids: tuple[str, ...], as_at: datetime | None,
              against: tuple[str, ...], presenting: bool, height: int = 420) -> dict[str, KpiViews]:
    """Every chart of these KPIs, for one data version and view: shared by every reader (the first reader after
    new data builds it; `db` and `version` are the cache key, so new data is never hidden). At most 24 views are
    kept, oldest first out. Read only: the same objects go to every reader."""
    fw = framework()
    kpis = [fw.kpi(k) for k in kpi_ids]
    series = page_series(store(), fw, kpis, against=against, as_at=as_at)  # one query for them all
    return {k.id: build_views(k, as_at=as_at, against=against, presenting=presenting, height=height,
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


@dataclass(frozen=True)
class KpiDetail:
    """What a KPI's page shows besides its trend and group charts, for one data version, set of SPC rebases and
    meeting (`kpi_detail`): its scorecard row, as a table too, and its SPC chart with its numbers."""
    row: ScorecardRow
    summary: Styler                     # the row as a table, styled once (`styled_once`)
    spc_figure: FrozenFigure | None     # None: too few points for an SPC chart
    spc_table: pa.Table | None          # as shown (`reading_cells`, `arrow_once`)
    definition: pa.Table                # its definition, method and source, by item (`arrow_once`, the item first)


@st.cache_resource(show_spinner=False, max_entries=32)
def _kpi_detail(db: str, version: int, rebases: str, kpi_id: str, as_at: datetime | None,
                previous: datetime | None) -> KpiDetail:
    kpi = framework().kpi(kpi_id)
    (line,) = scorecard_rows(store(), framework(), as_at=as_at, previous_meeting=previous, kpi_ids=[kpi_id])
    row = rows_frame([line])
    signal = line.variation
    figure = table = None
    if signal.result is not None:
        figure = freeze(spc_figure(signal.result, kpi, rebases=signal.rebases))
        table = arrow_once(reading_cells(spc_table(signal.result, kpi, rebases=signal.rebases)))
    return KpiDetail(line, styled_once(style_board_table(board_table(row, link=None), row["comparison"])), figure,
                     table, arrow_once(definition_rows(framework(), kpi).set_index("Item")))


def kpi_detail(kpi, as_at: datetime | None, previous: datetime | None) -> KpiDetail:
    """A KPI's scorecard row, summary table and SPC chart for its page, worked out once per data version, meeting
    and set of SPC rebases in force (an administrator records those without new data, and the page shows them at
    once) for every reader, not on every visit. At most 32 are kept. Read only."""
    return _kpi_detail(str(store().path), data_version(), rebases_version(), kpi.id, as_at, previous)


def views_for(kpis, *, as_at, against, presenting: bool, height: int = 420) -> dict[str, KpiViews]:
    """`kpi_views` for the server's store at its current data version."""
    return kpi_views(str(store().path), data_version(), tuple(k.id for k in kpis), as_at, tuple(against),
                     presenting, height)


@st.cache_resource(show_spinner=False, max_entries=6, ttl="10m")
def _kpi_figures(db: str, version: int, kpi_id: str, as_at: datetime | None) -> tuple[pa.Table, pd.DataFrame]:
    fw = framework()
    kpi = fw.kpi(kpi_id)
    return arrow_once(reading_cells(revision_history(store(), fw, kpi))), kpi_download(store(), fw, kpi, as_at=as_at)


def kpi_figures(kpi, *, as_at: datetime | None) -> tuple[pa.Table, pd.DataFrame]:
    """A KPI's revision history (as shown, `reading_cells`, `arrow_once`) and every figure of it (for its download),
    read once per data version and view for every reader, not on every visit to its page. At most 6 are kept, each
    for 10 minutes at most (a national KPI's figures are many). Read only."""
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
