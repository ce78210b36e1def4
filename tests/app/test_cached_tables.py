"""Cached views' tables (app_pages/_common.py), shown by `st.table` in every session, are sent exactly as a fresh
table would be: a Styler `styled_once` without its styles or its cells' shown text worked out again, a DataFrame
`arrow_once` without being made into Arrow again."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from app_pages._common import arrow_once, styled_once
from kpis.board.tables import grouped_board_table, style_board_table
from tests.charts.test_figures import card_rows
from tests.conftest import ROOT

warnings.filterwarnings("ignore", category=DeprecationWarning)


def board_styler():
    table, comparisons, sections = grouped_board_table(card_rows(), "area")
    return style_board_table(table, comparisons, sections).set_uuid("board")


def formatted_styler():
    """A table whose shown text is not its values' (numbers formatted, a blank): those cells must still be set."""
    df = pd.DataFrame({"Area": ["A", "B", "C"], "Value": [1.25, np.nan, 3.0], "Count": [10, 20, 30]})
    return (df.style.format({"Value": "{:.1f}"}, na_rep="–").map(lambda v: "color: red" if v == 20 else "",
                                                                   subset=["Count"]).set_uuid("formatted"))


def show(tables, hide_index) -> None:
    import streamlit as st
    for table in tables:
        st.table(table, hide_index=hide_index)


def sent(tables, hide_index: bool | None = False) -> list:
    at = AppTest.from_function(show, args=(tables, hide_index), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    return [element.proto for element in at.get("table")]


def test_a_table_styled_once_is_sent_as_a_fresh_one_would_be():
    fresh = sent([board_styler(), formatted_styler()])
    once = [styled_once(board_styler()), styled_once(formatted_styler())]
    assert sent(once) == fresh
    assert sent(once) == fresh   # and again, for the next reader
    assert fresh[0].arrow_data.styler.styles and fresh[1].arrow_data.styler.display_values


def test_only_cells_shown_otherwise_than_their_text_are_set_on_each_showing():
    board, formatted = styled_once(board_styler()), styled_once(formatted_styler())
    assert board._compute() is board
    assert [cell for row in board._translate(False, False)["body"] for cell in row] == []   # text already
    cells = [cell["id"] for row in formatted._translate(False, False)["body"] for cell in row]
    assert cells == ["row0_col1", "row1_col1"]   # "1.2" and "–", not "1.25" and "nan"; 3.0 shows as "3.0" anyway


def plain_tables() -> list[pd.DataFrame]:
    """A table with a plain count as its index (Streamlit hides it), and one with a named index (shown)."""
    cells = pd.DataFrame({"Series": ["Worcestershire", "England"], "Value": ["20.1%", "–"]})
    return [cells, cells.set_index("Series")]


def test_a_table_made_into_arrow_once_is_sent_as_the_dataframe_would_be(monkeypatch):
    counted, named = plain_tables()
    fresh = sent([counted], hide_index=None) + sent([named], hide_index=None)   # Streamlit decides from the index
    once = sent([arrow_once(counted)], hide_index=True) + sent([arrow_once(named)], hide_index=False)
    assert once == fresh and fresh[0].hide_index and not fresh[1].hide_index

    def no_conversion(*args, **kwargs):
        raise AssertionError("the table was made into Arrow again")

    monkeypatch.setattr("streamlit.dataframe_util.convert_pandas_df_to_arrow_table", no_conversion)
    assert sent([arrow_once(counted)], hide_index=True) == fresh[:1]


def test_no_page_script_makes_a_cache_of_its_own():
    """A cached function defined in a page's script is made again on every run of the page (Streamlit reads its
    source each time to name its cache): the pages' caches live in the `app_pages/_*.py` modules, made once."""
    pages = [p for p in (ROOT / "app_pages").glob("*.py") if not p.name.startswith("_")]
    assert len(pages) > 10
    assert [p.name for p in pages if "st.cache_" in p.read_text()] == []
