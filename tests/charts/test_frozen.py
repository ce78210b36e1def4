"""Frozen figures (kpis.charts.frozen): a cached chart goes to every reader exactly as drawn, without the deep copy
`st.plotly_chart` makes of a plain figure on every run, and cannot be changed after it is frozen."""
from __future__ import annotations

import warnings
from datetime import date

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from kpis.charts.breakdowns import breakdown_figure
from kpis.charts.figures import trend_figure
from kpis.charts.frozen import FrozenFigure, freeze
from kpis.charts.spc import spc_figure
from kpis.core.spc import calculate_spc
from tests.charts.test_figures import SG02, breakdown_rows, series_rows
from tests.support.board import FRAMEWORK

warnings.filterwarnings("ignore", category=DeprecationWarning)
QUARTERS = [date(2020 + (i // 4), 3 * (i % 4) + 3, 28) for i in range(16)]
SHIFT = [20, 21, 19, 20, 22, 18, 20, 21, 19, 21, 22, 21, 22, 21, 22, 21]


def figures() -> list[go.Figure]:
    """The three charts the board pages show: trend, by group, SPC (with a rebase: shapes and annotations)."""
    return [trend_figure(series_rows(), SG02, title="Trend"),
            breakdown_figure(breakdown_rows(), SG02, breakdown_names=FRAMEWORK.breakdowns, england_value=24.5),
            spc_figure(calculate_spc(QUARTERS, SHIFT, improvement_direction="decrease", target=18,
                                     rebase=[QUARTERS[9]]), SG02)]


def show(charts) -> None:
    import streamlit as st
    for n, chart in enumerate(charts):
        st.plotly_chart(chart, key=f"chart-{n}", config={"displaylogo": False}, theme=None)


def sent(charts) -> list:
    """The plotly_chart messages Streamlit sends for `charts`."""
    at = AppTest.from_function(show, args=(charts,), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    return [element.proto for element in at.get("plotly_chart")]


def test_a_frozen_figure_is_sent_exactly_as_the_figure_it_was():
    plain = sent(figures())
    frozen = [freeze(f) for f in figures()]
    assert all(isinstance(f, FrozenFigure) for f in frozen)
    assert sent(frozen) == plain and len(plain) == 3
    assert sent(frozen) == plain   # showing it changed nothing: the next reader gets the same chart


def test_showing_a_frozen_figure_copies_nothing(monkeypatch):
    frozen = [freeze(f) for f in figures()]

    def no_copy(*args, **kwargs):
        raise AssertionError("the figure was deep-copied")

    monkeypatch.setattr("plotly.basedatatypes.deepcopy", no_copy)
    assert len(sent(frozen)) == 3
    assert frozen[0].to_dict() is frozen[0].to_dict()
    with pytest.raises(AssertionError, match="deep-copied"):   # a plain figure is copied each time it is shown
        figures()[0].to_dict()


@pytest.mark.parametrize("change", [
    lambda f: f.update_layout(title="Another"),
    lambda f: setattr(f.layout.title, "text", "Another"),
    lambda f: f.add_trace(go.Scatter(x=[1], y=[2])),
    lambda f: f.update_traces(name="Another"),
    lambda f: setattr(f.data[0], "name", "Another"),
    lambda f: setattr(f, "data", []),
    lambda f: setattr(f, "layout", {}),
    lambda f: f.add_annotation(text="Another"),
])
def test_a_frozen_figure_cannot_be_changed(change):
    figure = freeze(figures()[0])
    before = figure.to_dict()
    with pytest.raises(TypeError, match="frozen figure"):
        change(figure)
    assert figure.to_dict() is before and "Another" not in str(before)


def test_only_a_plain_figure_is_frozen():
    figure = freeze(figures()[0])
    with pytest.raises(TypeError, match="Only a plotly Figure"):
        freeze(figure)
