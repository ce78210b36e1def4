"""A figure drawn once and shown to many readers (`freeze`).

Showing a plotly figure (`st.plotly_chart`) starts with `figure.to_dict()`, which deep-copies every trace and the
layout so that the caller may change the copy. A cached view's figure is shown to every reader of a page and changed
by none, so copying it again on every run is wasted work: a frozen figure works its dictionary out once and hands the
same one out each time.
"""
from __future__ import annotations

import plotly.graph_objects as go


class FrozenFigure(go.Figure):
    """A plotly figure whose `to_dict()` is worked out once, when it is frozen (`freeze`), and never changes.

    Read only: changing it (a trace, the layout, `update_layout`, ...) raises TypeError, as the dictionary already
    handed out would not show the change. Nobody may change the dictionary `to_dict()` returns either: every reader
    gets the same one."""

    _spec: dict

    def to_dict(self) -> dict:
        return self._spec

    def _refuse(self, *args, **kwargs):
        raise TypeError("A frozen figure cannot be changed: draw a new one instead.")

    def _refuse_set(self, value) -> None:
        self._refuse()

    # Every change to a figure, its traces or its layout goes through one of these.
    plotly_restyle = plotly_relayout = plotly_update = _restyle_child = _relayout_child = add_traces = _refuse
    data = property(go.Figure.data.fget, _refuse_set)
    layout = property(go.Figure.layout.fget, _refuse_set)
    frames = property(go.Figure.frames.fget, _refuse_set)


def freeze(figure: go.Figure) -> FrozenFigure:
    """`figure` itself, frozen: its dictionary is worked out now, once (no copy of the figure is made: building
    one costs more than drawing it). Trace uids are left out, as `plotly.io.to_json` leaves them out, so nothing
    that shows it needs to change the dictionary."""
    if type(figure) is not go.Figure:
        raise TypeError(f"Only a plotly Figure can be frozen, not a {type(figure).__name__}.")
    spec = figure.to_dict()
    for trace in spec.get("data", []):
        trace.pop("uid", None)
    figure.__class__ = FrozenFigure
    figure._spec = spec
    return figure  # type: ignore[return-value]
