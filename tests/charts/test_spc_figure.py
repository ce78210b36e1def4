"""The SPC chart and its table (kpis.charts.spc): each reading has its own colour, shape and legend entry."""
from datetime import date

from kpis.charts.spc import POINTS, spc_figure, spc_table
from kpis.core.framework import load_framework
from kpis.core.kpi import Rebase
from kpis.core.spc import calculate_spc

KPI = load_framework().kpi("SG02")
QUARTERS = [date(2020 + (i // 4), 3 * (i % 4) + 3, 28) for i in range(16)]
SHIFT = [20, 21, 19, 20, 22, 18, 20, 21, 19, 21, 22, 21, 22, 21, 22, 21]


def test_a_concern_has_its_own_shape_colour_and_legend_entry_and_every_marker_an_outline():
    result = calculate_spc(QUARTERS, SHIFT, improvement_direction="decrease", target=18)
    fig = spc_figure(result, KPI)
    markers = {t.name: t for t in fig.data if t.mode == "markers"}
    concern = markers["Special cause: concern"]
    assert concern.marker.symbol == "square" and concern.marker.color == POINTS["special_cause_concern"][1]
    assert len(concern.x) == 7                                     # the run of 7 above the mean
    assert markers["Common cause (no signal)"].marker.symbol == "circle"
    assert all(t.marker.line.color == "#0B0C0C" for t in markers.values())
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names.count("Mean") == 1 and names.count("Process limits") == 1 and "Target" in names
    table = spc_table(result, KPI)
    assert len(table) == 16 and table["Reading"].iloc[-1] == "Special cause: concern"
    assert table["Special cause"].iloc[-1] == "7 Points Above CL" and table["Value"].iloc[-1] == "21.0%"


def test_a_rebase_restarts_the_limits_and_says_so_on_the_chart():
    result = calculate_spc(QUARTERS, SHIFT, improvement_direction="increase", rebase=[QUARTERS[9]])
    fig = spc_figure(result, KPI)
    assert [a.text for a in fig.layout.annotations if a.text == "Limits restart"]
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == QUARTERS[9]
    means = [t for t in fig.data if t.name == "Mean"]
    assert len(means) == 2 and means[0].y[0] != means[1].y[0]     # each group its own mean
    assert "(trial limits)" in fig.layout.title.text                 # groups of 9 and 7 points
    assert spc_table(result, KPI)["Reading"].str.endswith("(trial limits)").all()


def test_a_rebase_reason_is_in_words_under_the_chart_and_each_point_has_its_limit_period():
    result = calculate_spc(QUARTERS, SHIFT, improvement_direction="increase", rebase=[QUARTERS[9]])
    why = (Rebase(QUARTERS[9], "Counting changed to the new national definition"),)
    fig = spc_figure(result, KPI, rebases=why)
    note = " ".join(a.text for a in fig.layout.annotations if a.name == "sources").replace("<br>", " ")
    assert f"Limits restart at {QUARTERS[9]:%B %Y}: Counting changed to the new national definition" in note
    table = spc_table(result, KPI, rebases=why)
    periods = table["Limit period"].tolist()
    assert periods[0] == f"{QUARTERS[0]:%b %Y} to {QUARTERS[8]:%b %Y}" and len(set(periods[:9])) == 1
    assert periods[9] == (f"{QUARTERS[9]:%b %Y} to {QUARTERS[15]:%b %Y} (limits restarted: Counting changed to the "
                          "new national definition)")
    assert "Limit period" not in spc_table(calculate_spc(QUARTERS, SHIFT), KPI).columns  # only when rebased
