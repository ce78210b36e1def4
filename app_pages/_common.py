"""Streamlit glue shared by the pages: the one store per process, the framework, the sidebar, the busy page.

Pages arrange what `kpis` returns; nothing here decides anything about the data.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.dataframe_util import convert_pandas_df_to_arrow_bytes, convert_pandas_df_to_arrow_table
from streamlit.elements.lib.pandas_styler_utils import _use_display_values

from kpis.access.permissions import users_exist
from kpis.board.tables import md_escape
from kpis.core.dates import long_date
from kpis.core.framework import Framework, load_framework
from kpis.store.database import APP_WAIT_S, BUSY_MESSAGE, Store, db_path, linger
from kpis.store.rebases import rebases_version as stored_rebases_version
from kpis.store.series import data_as_at, is_demo_database
from kpis.store.series import data_version as series_data_version

# One short notice at the top of every page (never two or three stacked): what is demo data, and, while no
# account exists, that every page is open. A plain keyed container, not an alert, so presentation mode can hide it.
DEMO_WORDS = ("**Demo data**: figures marked *demo* are synthetic; England and council figures are real "
              "published statistics.")
OPEN_WORDS = ("**No accounts set up: anyone can see every page.** An administrator adds users with "
              "`python -m kpis user add`; from then on everyone signs in.")
# A page name longer than the sidebar is wide (a narrow window, a sidebar dragged narrower) wraps onto a second
# line instead of ending in "…": names are never cut.
NAV_CSS = """
<style>
[data-testid="stSidebarNavLink"] span, [data-testid="stSidebarNavLink"] div,
[data-testid="stSidebarNavLink"] p { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
[data-testid="stSidebarNavLink"] { height: auto !important; min-height: 2rem; }
</style>
"""
NOTICE_CSS = """
<style>
.st-key-site-notice { border-left: 4px solid #12436D; background: #F3F2F1; padding: 0.3rem 0.75rem; }
.st-key-site-notice p { font-size: 0.9rem; margin: 0; }
.st-key-site-notice [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
</style>
"""

# What the app's accessibility needs from Streamlit's own styles (WCAG 2.2 AA), injected on every page:
# - 2.4.7 / 1.4.11 focus: every focusable element gets a 3px #12436D ring (10.3:1 on white, 9.2:1 on the sidebar's
#   #F3F2F1) set 2px off it, so it also shows on a #12436D button. Visually hidden inputs (checkbox, toggle, radio)
#   put the ring on their label. Controls Streamlit hides until hovered (a heading's link, a grid's toolbar) show
#   while they have focus, instead of taking focus unseen. A link in text (or in a table cell, which would clip a ring)
#   takes GOV.UK's focus style instead: yellow #FFDD00 behind black text with a 4px #0B0C0C bar under it (19:1).
# - 1.4.11 boundaries: text and select boxes, unticked checkboxes and radios and the toggle's off track get a
#   #505A5F edge (7.1:1 on white) instead of a 20% grey one (1.6:1); so do segmented controls' and pills' buttons.
# - 1.4.12 text spacing: segmented controls and pills grow with their text instead of cutting it, and wrap on a
#   320 px screen (1.4.10 reflow).
FOCUS = "#12436D"
EDGE = "#505A5F"
A11Y_CSS = f"""
<style>
:focus-visible, [data-testid="stMain"] a:focus-visible, button:focus-visible, summary:focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; }}
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stPageLink-NavLink"]:focus-visible,
[data-testid="stMain"]:focus-visible, [data-testid="stExpander"] summary:focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: -3px !important; }}
[data-testid="stMarkdownContainer"] a:focus-visible, [data-testid="stTable"] a:focus-visible,
[data-testid="stHtml"] a:focus-visible, [data-testid="stCaptionContainer"] a:focus-visible {{
  outline: 3px solid transparent !important; background-color: #FFDD00 !important; color: #0B0C0C !important;
  box-shadow: 0 -2px #FFDD00, 0 4px #0B0C0C !important; text-decoration: none !important; }}
[data-testid="stTable"] td [data-testid="stMarkdownContainer"],
[data-testid="stTable"] th [data-testid="stMarkdownContainer"] {{ overflow: visible !important; }}
[role="tab"]:focus-visible {{ outline-offset: -3px !important; }}
[data-testid="stDataFrame"]:has(:focus-visible) {{ outline: 3px solid {FOCUS} !important; outline-offset: 2px; }}
[data-testid="stDataFrame"] :focus-visible {{ outline: none !important; }}
input:focus-visible, textarea:focus-visible {{ outline: none !important; }}
[role="group"]:has(> input:focus-visible), [role="group"]:has(input:focus-visible),
[data-testid="stTextInputRootElement"]:has(input:focus-visible), [data-testid="stTextArea"] textarea:focus-visible,
[data-testid="stNumberInputContainer"]:has(input:focus-visible),
[data-testid="stDateInput"] [role="group"]:has(:focus-visible) {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; }}
label:has(input[type="checkbox"]:focus-visible), label:has(input[type="radio"]:focus-visible) {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; border-radius: 4px; }}
[data-testid="stHeaderActionElements"] a:focus, [data-testid="stHeaderActionElements"]:focus-within a {{
  opacity: 1 !important; }}
[data-testid="stElementToolbar"]:focus-within {{ opacity: 1 !important; }}
[data-testid="stSelectbox"] [role="group"], [data-testid="stMultiSelect"] [role="group"],
[data-testid="stTextInputRootElement"], [data-testid="stTextArea"] textarea, [data-testid="stNumberInputContainer"],
[data-testid="stDateInput"] [role="group"] {{ border-color: {EDGE} !important; }}
[data-testid="stCheckbox"] label > div:first-of-type:not([data-testid]),
[data-testid="stRadioOption"] div > div:first-child {{
  border-color: {EDGE} !important; }}
[data-testid="stCheckbox"] label:has(input[role="switch"]) > div:first-of-type {{
  box-shadow: inset 0 0 0 1px {EDGE}; }}
[data-testid="stButtonGroup"] [role="radiogroup"], [data-testid="stButtonGroup"] [role="group"],
[data-testid="stButtonGroup"] [role="toolbar"] {{ flex-wrap: wrap !important; height: auto !important;
  overflow: visible !important; mask-image: none !important; -webkit-mask-image: none !important; }}
[data-testid="stButtonGroup"] button {{ height: auto !important; min-height: 2.5rem; max-width: 100%;
  white-space: normal !important; border-color: {EDGE} !important; }}
[data-testid="stButtonGroup"] button * {{ height: auto !important; overflow: visible !important;
  white-space: normal !important; }}
</style>
"""


@st.cache_resource(show_spinner=False, on_release=Store.close)  # a cleared cache lets go of the file at once
def _store(path: str, linger_s: float) -> Store:
    return Store(path, hold=False, wait_s=APP_WAIT_S, linger_s=linger_s)


def store() -> Store:
    """The server's one store. It holds the file while a page runs (`dashboard.py` opens a session around each
    run) and for a moment after (`KPIS_DB_LINGER`, 1.5 seconds unless set; 0 closes it at once), so the next run
    need not open it again; then it lets go, so command-line tools get their turn between runs. Raises StoreBusy
    if another program holds it for longer than the app waits."""
    return _store(str(db_path()), linger())


T = TypeVar("T")
_this_run = threading.local()  # a full run's answers (`per_run`); scripts run in their session's own thread


@contextmanager
def one_run() -> Iterator[None]:
    """Around a full script run (`dashboard.py`): what `per_run` reads inside it is read once for the whole run."""
    _this_run.memo = {}
    try:
        yield
    finally:
        _this_run.memo = None


def per_run(name: object, read: Callable[[], T]) -> T:
    """`read()`, at most once in a full run: the navigation, the permission check and the page's notice all ask
    "are there accounts yet?", and each asking was a query. Outside `one_run` (a fragment's run, a page run on its
    own in a test) it reads every time."""
    memo = getattr(_this_run, "memo", None)
    if memo is None:
        return read()
    if name not in memo:
        memo[name] = read()
    return memo[name]


def any_accounts() -> bool:
    """Whether any account exists (`kpis.access.permissions.users_exist`), read once a run."""
    return per_run("users_exist", lambda: users_exist(store()))


def data_version() -> int:
    """The server store's data version (`kpis.store.series.data_version`): a cache key for views of the data.
    Read once a run."""
    return per_run("data_version", lambda: series_data_version(store()))


def rebases_version() -> str:
    """A key that changes when an administrator records or removes an SPC rebase (`kpis.store.rebases`): views
    whose verdicts depend on the rebases in force key on it too. Read once a run."""
    return per_run("rebases_version", lambda: stored_rebases_version(store()))


@st.cache_resource(show_spinner=False)
def framework() -> Framework:
    return load_framework()


@st.cache_resource(show_spinner=False, max_entries=4)
def _data_facts(db: str, version: int) -> tuple[bool, datetime | None]:
    return is_demo_database(store()), data_as_at(store())


def data_facts() -> tuple[bool, datetime | None]:
    """Whether the store holds demo figures, and when its newest figure was recorded (`kpis.store.series`): read
    once per data version, not on every run, as figures are only ever written in a batch, which changes it."""
    return _data_facts(str(store().path), data_version())


def site_notice() -> None:
    """The one notice at the top of a page: demo data and open mode (no account yet) together, in a line or two.

    Each page calls it (not dashboard.py), so AppTest, which runs a page on its own after `switch_page`, sees it."""
    demo, _ = data_facts()
    parts = ([DEMO_WORDS] if demo else []) + ([OPEN_WORDS] if not any_accounts() else [])
    if parts:
        st.html(NOTICE_CSS)
        with st.container(key="site-notice"):
            st.markdown(" ".join(parts))


def page_title(page: str) -> str:
    """The browser tab's title for a page: the page, then the partnership (WCAG 2.4.2 Page titled)."""
    return f"{page} – {framework().short_name}"


def sidebar() -> None:
    fw = framework()
    with st.sidebar:
        st.html(NAV_CSS + A11Y_CSS)
        st.markdown(f"**{fw.short_name}**")
        _, as_at = data_facts()
        st.caption(f"Data as at {long_date(as_at)}" if as_at else "No data loaded yet")


def busy_page() -> None:
    """What a visitor sees while another program holds the database: the reason and a way to try again."""
    st.title("The database is busy")
    st.warning(BUSY_MESSAGE, icon=":material/hourglass_top:")
    st.button("Try again", key="busy_try_again", icon=":material/refresh:")


def busy_sidebar() -> None:
    """The sidebar without figures: the partnership's name only."""
    with st.sidebar:
        st.html(NAV_CSS + A11Y_CSS)
        st.markdown(f"**{framework().short_name}**")
        st.caption("Figures are unavailable for a moment: the database is busy.")


BLANK = "–"        # what an empty cell shows: never "None"
WRAP_ROW_PX = 68   # Streamlit's grid wraps text only in rows taller than 4rem
CHAR_PX, CELL_PAD_PX, MIN_COL_PX, MAX_COL_PX = 7.2, 24, 56, 420


def column_widths(df, *, budget: int = 860, wrap: tuple[str, ...] = (),
                  floors: dict[str, int] | None = None) -> dict[str, int]:
    """Pixel widths from each column's header and typical content, so a table fits a laptop screen's main
    area (`budget`, 1366 px less the sidebar): the `wrap` columns give up width first, down to their floor
    (`floors`, else 110 px), and wrap instead. (A stretched grid scales every column to the container, so
    what is left over is shared out in proportion.)"""
    floors = floors or {}
    widths = {}
    for col in df.columns:
        values = df[col].dropna().astype(str)
        typical = int(values.str.len().quantile(0.9)) if len(values) else 0
        if pd.api.types.is_numeric_dtype(df[col]):
            typical = min(typical, 10)  # the grid rounds long decimals for display
        widths[col] = int(min(max(max(len(str(col)), typical) * CHAR_PX + CELL_PAD_PX, MIN_COL_PX), MAX_COL_PX))
    over = sum(widths.values()) - budget
    squeezable = [c for c in wrap if c in widths]
    while over > 0 and squeezable:
        room = {c: widths[c] - floors.get(c, 110) for c in squeezable if widths[c] > floors.get(c, 110)}
        if not room:
            break
        take = min(over, sum(room.values()))
        for c, r in room.items():
            widths[c] -= int(take * r / sum(room.values())) + 1
        over = sum(widths.values()) - budget
    return widths


def data_table(df, *, wrap: tuple[str, ...] = (), column_config: dict | None = None, budget: int = 860,
               floors: dict[str, int] | None = None, lines: int = 3, **kwargs) -> None:
    """`st.dataframe` that fits the width: columns sized to their content, long text wrapped (taller rows)
    where `wrap` names columns that need it, and blanks shown as '–'."""
    widths = column_widths(df, budget=budget, wrap=wrap, floors=floors)
    config = {c: st.column_config.Column(width=w) for c, w in widths.items()}
    for col, cfg in (column_config or {}).items():  # st.column_config.* are dicts: keep them, with our width
        cfg = dict(cfg)
        if cfg.get("width") is None:
            cfg["width"] = widths.get(col)
        config[col] = cfg
    wrapped = any(c in df.columns and df[c].dropna().astype(str).str.len().max() * CHAR_PX > widths[c] - CELL_PAD_PX
                  for c in wrap) if len(df) else False
    st.dataframe(df, hide_index=True, width="stretch", placeholder=BLANK, column_config=config,
                 row_height=max(WRAP_ROW_PX, 21 * lines + 8) if wrapped else None, **kwargs)


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return BLANK
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return md_escape(value)


def reading_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A table's cells as `reading_table` shows them: text escaped so it shows as written, blanks as '–'."""
    return df.map(_cell)


def arrow_once(df: pd.DataFrame) -> pa.Table:
    """`df` as the Arrow table `st.table` makes of a DataFrame each time it shows one, made once for a cached view's
    table: shown, it sends the same bytes without converting the table again on every run. Streamlit cannot tell an
    Arrow table's index from its columns, so show it with `hide_index` given: True where `df`'s index is a plain
    count (0, 1, 2, ...), as Streamlit would hide it."""
    return convert_pandas_df_to_arrow_table(df)


def reading_table(df: pd.DataFrame | pa.Table, *, alt: str, cells: bool = False) -> None:
    """Numbers a board member or lead must read, as an HTML table (`st.table`) rather than the canvas grid: a
    screen reader reads every cell with its column heading, and it zooms and reflows as text (WCAG 1.3.1, 1.4.4).
    Text is escaped so it shows as written; blanks show as '–' (`cells`: `df` is `reading_cells` already, or its
    `arrow_once`)."""
    st.table(df if cells else reading_cells(df), hide_index=True, alt=alt)


CELL_ID = re.compile(r"row(\d+)_col(\d+)")  # a body cell's id in a translated Styler, as Streamlit reads it


def styled_once(styler: Styler) -> Styler:
    """A pandas Styler whose styles are worked out now, once, for `st.table`. Streamlit works a Styler's styles out
    again each time it shows one (`_compute`, `_translate`), then sets each cell's shown text (its display value)
    one by one into a copy of the table; a cached view's table is shown by every session, so each showing reuses
    the styles, and only the cells whose shown text is not their plain text are set (usually none: the board's
    tables are text already). Streamlit sends exactly what it would have sent (checked here, once). Only for
    `st.table`: nothing changes it afterwards, so sessions may share it."""
    styler._compute()
    translated = styler._translate(False, False)  # as Streamlit asks for it (no sparse index or columns)
    plain, shown = styler.data.astype(str), _use_display_values(styler.data, translated)

    def differs(cell: dict) -> bool:
        found = CELL_ID.match(cell.get("id") or "")
        return bool(found) and shown.iat[int(found[1]), int(found[2])] != plain.iat[int(found[1]), int(found[2])]

    trimmed = {**translated, "body": [[cell for cell in row if differs(cell)] for row in translated.get("body", [])]}
    if (convert_pandas_df_to_arrow_bytes(_use_display_values(styler.data, trimmed))
            == convert_pandas_df_to_arrow_bytes(shown)):
        translated = trimmed
    styler._compute = lambda: styler  # type: ignore[method-assign]
    styler._translate = lambda *args, **kwargs: translated  # type: ignore[method-assign]
    return styler
