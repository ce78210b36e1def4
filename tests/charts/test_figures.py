"""Figures and board tables: palette, shapes, axes from zero, numbers beside every chart, escaping."""
from __future__ import annotations

import base64
from datetime import date

import pandas as pd

from kpis.board.tables import (
    BOARD_COLUMNS,
    SPARKLINE_EMS,
    board_table,
    group_rows,
    grouped_board_table,
    kpi_cell,
    md_escape,
    one_line_ems,
    style_board_table,
    summary_counts,
    visible_text,
)
from kpis.charts.breakdowns import breakdown_figure, breakdown_table
from kpis.charts.figures import sparkline_figure, sparkline_svg, trend_figure, trend_table
from kpis.core.colours import AREA_COLOUR, ENGLAND_COLOUR, PALETTE
from tests.support.board import FRAMEWORK

SG02 = FRAMEWORK.kpi("SG02")
EH05 = FRAMEWORK.kpi("EH05")


def series_rows() -> pd.DataFrame:
    rows = []
    for i, (label, start, end, value) in enumerate([("2024/25 Q1", "2024-04-01", "2024-06-30", 20.0),
                                                    ("2024/25 Q2", "2024-07-01", "2024-09-30", 22.0)]):
        rows.append(dict(role="home", area_name="Worcestershire", period_label=label,
                         period_start=date.fromisoformat(start),
                         period_end=date.fromisoformat(end), value=value, lower_ci=value - 3, upper_ci=value + 4,
                         numerator=30 + i, denominator=150, status="published", source="Demo data (synthetic)",
                         is_demo=True))
    rows.append(dict(role="england", area_name="England", period_label="2023/24", period_start=date(2023, 4, 1),
                     period_end=date(2024, 3, 31), value=23.5, lower_ci=None, upper_ci=None, numerator=None,
                     denominator=None, status="published", source="DfE", is_demo=False))
    rows.append(dict(role="region", area_name="West Midlands", period_label="2023/24", period_start=date(2023, 4, 1),
                     period_end=date(2024, 3, 31), value=25.0, lower_ci=None, upper_ci=None, numerator=None,
                     denominator=None, status="published", source="DfE", is_demo=False))
    for code, value in (("A", 20.0), ("B", 30.0)):
        rows.append(dict(role="neighbours", area_name=code, period_label="2023/24", period_start=date(2023, 4, 1),
                         period_end=date(2024, 3, 31), value=value, lower_ci=None, upper_ci=None, numerator=None,
                         denominator=None, status="published", source="DfE", is_demo=False))
    return pd.DataFrame(rows)


def test_palette_is_the_analysis_function_one():
    assert PALETTE == ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
    assert (AREA_COLOUR, ENGLAND_COLOUR) == ("#12436D", "#F46A25")


def test_trend_figure_draws_each_series_with_its_own_colour_shape_and_dash():
    fig = trend_figure(series_rows(), SG02)
    traces = {t.name: t for t in fig.data}
    home = traces["Worcestershire (with 95% confidence interval)"]
    england, region = traces["England"], traces["West Midlands"]
    neighbours = traces["Statistical neighbours (average)"]
    assert home.line.color == AREA_COLOUR and england.line.color == ENGLAND_COLOUR
    assert len({home.marker.symbol, england.marker.symbol, region.marker.symbol, neighbours.marker.symbol}) == 4
    assert len({home.line.dash, england.line.dash, region.line.dash, neighbours.line.dash}) == 4
    # 95% interval as error bars: 3 below, 4 above each point
    assert list(home.error_y.arrayminus) == [3.0, 3.0] and list(home.error_y.array) == [4.0, 4.0]
    # England's year is a level line across the year it covers
    assert list(england.y[:2]) == [23.5, 23.5]
    assert [pd.Timestamp(x).date() for x in england.x[:2]] == [date(2023, 4, 1), date(2024, 3, 31)]
    assert list(neighbours.y[:2]) == [25.0, 25.0]          # the neighbours' average
    assert fig.layout.yaxis.title.text == "Percentage (%)"
    assert "2024/25 Q1: 20.0%" in home.hovertext[0] and "Demo data" in home.hovertext[0]


def test_trend_table_has_every_number_of_the_chart():
    table = trend_table(series_rows(), SG02)
    assert list(table.columns) == ["Series", "Period", "Value", "95% CI", "Numerator", "Denominator", "Status",
                                   "Source"]
    assert table["Series"].to_list() == ["Worcestershire", "Worcestershire", "England", "West Midlands",
                                         "Statistical neighbours (average)"]
    assert table.loc[0, "Value"] == "20.0% (demo)" and table.loc[0, "95% CI"] == "17.0% to 24.0%"
    assert table.loc[4, "Source"] == "Average of 2 neighbours" and table.loc[4, "Value"] == "25.0%"


def test_empty_trend_says_so():
    fig = trend_figure(pd.DataFrame(), SG02)
    assert fig.layout.annotations[0].text == "No figures yet"
    assert trend_table(pd.DataFrame(), SG02).empty


def breakdown_rows() -> pd.DataFrame:
    rows = [("all", "all", 27.3, 21.0, 34.0, "published"), ("age_band", "16-17", 40.6, 25.0, 58.0, "published"),
            ("age_band", "5-10", 22.2, 12.0, 38.0, "published"), ("age_band", "0-4", None, None, None, "suppressed"),
            ("age_band", "11-15", 25.7, 14.0, 42.0, "published")]
    return pd.DataFrame([dict(breakdown_type=t, breakdown_value=v, period_label="2026/27 Q2", value=x, lower_ci=lo,
                              upper_ci=hi, numerator=None, denominator=None, status=s, is_demo=True)
                         for t, v, x, lo, hi, s in rows])


def test_breakdown_bars_start_at_zero_in_natural_order():
    fig = breakdown_figure(breakdown_rows(), SG02, breakdown_names=FRAMEWORK.breakdowns, england_value=24.5)
    bars = fig.data[0]
    assert bars.orientation == "h"
    assert fig.layout.xaxis.range[0] == 0
    # plotly draws from the bottom up: reversed, the order reads top to bottom as people expect
    assert list(bars.y)[::-1] == ["All children and young people", "Age band: 0-4", "Age band: 5-10",
                                  "Age band: 11-15", "Age band: 16-17"]
    assert [a.text for a in fig.layout.annotations if "suppressed" in a.text] == ["suppressed (small number)"]
    assert any(s.line.color == ENGLAND_COLOUR for s in fig.layout.shapes)
    table = breakdown_table(breakdown_rows(), SG02, FRAMEWORK.breakdowns)
    assert table["Group"].to_list()[0] == "All children and young people"
    assert table.loc[1, "Value"] == "Suppressed (small number) (demo)"


def test_counts_axis_starts_at_zero():
    rows = series_rows().query("role == 'home'").assign(value=[400.0, 420.0])
    assert trend_figure(rows, EH05).layout.yaxis.rangemode == "tozero"


def test_sparklines():
    assert sparkline_svg([1.0]) is None and sparkline_svg([None, 2.0]) is None
    uri = sparkline_svg([10.0, None, 30.0, 20.0])
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) == 3
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[1] == min(ys) and ys[0] == max(ys)           # SVG y grows downwards: the highest value is on top
    assert "<script" not in svg and sparkline_figure([1, 2, 3]).layout.height == 60


# -- board tables --------------------------------------------------------------------------------------
def card_rows() -> pd.DataFrame:
    base = dict(title="Repeat child protection plans", latest_period="2026/27 Q2", value_text="27.3%", is_demo=True,
                change_symbol="▶", change_text="No significant change: up 3.8 points from 23.5%",
                previous_period="2026/27 Q1", comparison="similar", comparison_symbol="◆",
                comparison_text="Similar to England", england_period="2024/25", england_value=24.5,
                england_value_text="24.5%", england_text="24.5% (2024/25)", trend_words="No significant change",
                sparkline=[20.0, 22.0, 27.3], target_status="Not met", target_text="target 22.0% or less",
                change_assessment=None, area="safeguarding", area_name="Safeguarding", outcome="right",
                outcome_name="The right interventions")
    other = {**base, "kpi_id": "MH01", "title": "Missing *education*", "area": "ewmh", "area_name": "EWMH",
             "comparison": "not compared", "comparison_symbol": "–",
             "comparison_text": "No national figure of this definition",
             "england_period": None, "england_value": None, "england_value_text": None, "sparkline": [],
             "target_status": "No target", "target_text": "No target set", "change_assessment": "better"}
    return pd.DataFrame([{**base, "kpi_id": "SG02"}, other])


def test_board_table_reads_in_plain_english():
    table = board_table(card_rows())
    assert list(table.columns) == BOARD_COLUMNS
    sg02 = table.iloc[0]
    assert sg02["KPI"] == "[**SG02**](kpi?kpi=SG02) Repeat child protection plans"
    assert sg02["Latest"] == "**27.3%** (demo), 2026/27 Q2"
    assert sg02["Since last meeting"] == "▶ No significant change: up 3.8 points from 23.5%"
    assert sg02["Compared with England"] == "◆ Similar to England (24.5% in 2024/25)"
    assert sg02["Trend line"].startswith("![Sparkline of the last 3 figures, oldest first](data:image/svg+xml;")
    assert sg02["Recent trend"] == "No significant change"
    assert sg02["Target"] == "✗ Not met (target 22.0% or less)"
    mh01 = table.iloc[1]
    assert mh01["KPI"] == "[**MH01**](kpi?kpi=MH01) Missing \\*education\\*"    # shown as typed, not as Markdown
    assert mh01["Trend line"] == "–" and mh01["Target"] == "–"
    assert kpi_cell("SG02", "x", link=None) == "**SG02** x"


def test_compact_board_table_keeps_each_cell_to_one_line():
    card = card_rows().assign(change_short=["No significant change", "Better: up 2.0 points"],
                              comparison_text=["Similar to England", "Not tested: no counts published"])
    table = board_table(card, compact=True)
    assert list(table.columns) == BOARD_COLUMNS
    sg02, mh01 = table.iloc[0], table.iloc[1]
    assert sg02["Since last meeting"] == "▶ No significant change"
    assert sg02["Compared with England"] == "◆ Similar to England (24.5% in 2024/25)"   # England's figure stays
    assert sg02["Target"] == "✗ Not met (≤ 22.0%)"
    assert mh01["Since last meeting"] == "▶ Better: up 2.0 points" and mh01["Compared with England"] == "– Not tested"
    assert sg02["Variation"] == "–" and sg02["Assurance"] == "–"     # a card made without the verdicts says so
    grouped, _, _ = grouped_board_table(card, "area", compact=True)
    assert "▶ No significant change" in set(grouped["Since last meeting"])


def test_one_line_width_counts_what_a_cell_shows():
    assert visible_text("[**SG02**](kpi?kpi=SG02) Repeat \\(CP\\) plans") == "SG02 Repeat (CP) plans"
    assert visible_text("![Sparkline of the last 3 figures](data:image/svg+xml;base64,AAAA)") == ""
    table = pd.DataFrame({"KPI": ["**SG02** Repeat plans", "x"], "Trend line": ["![Sparkline](data:x)", "–"]})
    assert one_line_ems(table, char_em=0.5, cell_padding_em=1.0) == (len("SG02 Repeat plans") * 0.5 + 1
                                                                     + SPARKLINE_EMS + 1)
    wider = table.assign(KPI=["**SG02** Repeat child protection plans", "x"])
    assert one_line_ems(wider) > one_line_ems(table)


def test_markdown_escaping():
    assert md_escape("$5 :red[x] <b>") == "\\$5 \\:red\\[x\\] \\<b\\>"


def test_grouped_table_and_badges():
    card = card_rows()
    table, comparisons, sections = grouped_board_table(card, "area")
    assert table["KPI"].to_list()[0] == "**Safeguarding**" and sections == [True, False, True, False]
    assert [c.get("Compared with England") for c in comparisons] == [None, "similar", None, "not compared"]
    html = style_board_table(table, comparisons, sections).to_html()
    assert "background-color: #BFBFBF" in html and "#F3F2F1" in html
    # the KPI cells are row headers (Streamlit draws the index as <th scope="row">), headings shaded too
    assert html.count('class="row_heading') == len(table) and "**Safeguarding**</th>" in html
    assert [name for name, _ in group_rows(card, "outcome")] == ["The right interventions"]
    counts = summary_counts(card.assign(change_assessment=[None, "better"]))
    assert counts["similar"] == 1 and counts["improved"] == 1 and counts["targets"] == 1


# -- issue 16: charts that read cleanly -------------------------------------------------------------
def _plot_px(layout) -> float:
    return layout.height - layout.margin.t - layout.margin.b


def _title_px(layout) -> float:
    """The height the title's lines take from the top of the figure."""
    from kpis.charts.figures import line_px
    return 10 + (layout.title.text.count("<br>") + 1) * line_px(layout.title.font.size)


def test_the_legend_sits_under_the_x_axis_and_never_reaches_the_title():
    from kpis.charts.figures import line_px
    for font_size in (15, 19):                                 # the page, and presentation mode
        fig = trend_figure(series_rows(), SG02, title="Repeat child protection plans: trend", font_size=font_size)
        lay = fig.layout
        assert lay.title.yref == "container" and lay.title.yanchor == "top"
        assert lay.margin.t >= _title_px(lay)                  # the whole title fits in the top margin ...
        assert lay.legend.yanchor == "top" and lay.legend.orientation == "v"
        legend_top_px = lay.legend.y * _plot_px(lay)           # ... and the legend starts below the plot,
        assert legend_top_px <= -font_size * 3                 # under the tick labels and the axis title
        entries = len([t for t in fig.data if t.showlegend is not False])
        assert -legend_top_px + entries * line_px(font_size) <= lay.margin.b   # and ends inside the figure


def test_a_long_title_wraps_instead_of_being_cut_off():
    from kpis.charts.figures import TITLE_CHARS
    title = "Child protection plans ending with a successful outcome: by group, 2026/27 Q2"
    fig = breakdown_figure(breakdown_rows(), SG02, breakdown_names=FRAMEWORK.breakdowns, england_value=24.5,
                           title=title)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) == 2 and all(len(line) <= TITLE_CHARS for line in lines)
    assert " ".join(lines) == title and lines[-1].endswith("2026/27 Q2")
    assert fig.layout.margin.t >= _title_px(fig.layout)


def test_bar_labels_sit_clear_of_the_england_line_and_the_whiskers():
    for england in (24.5, 55.0):                               # inside the bars, and beyond every bar
        fig = breakdown_figure(breakdown_rows(), SG02, breakdown_names=FRAMEWORK.breakdowns, england_value=england)
        labels = [a for a in fig.layout.annotations if a.name == "value"]
        rows = breakdown_rows()
        right = max(rows["upper_ci"].max(), rows["value"].max(), england)
        assert {(a.xref, a.x, a.xanchor) for a in labels} == {("paper", 1, "left")}   # right of the plot area,
        assert fig.layout.xaxis.range[1] >= right             # which holds every bar, whisker and the line
        assert [a.text for a in labels][::-1] == ["27.3%", "22.2%", "25.7%", "40.6%"]  # none for the missing one
        line = next(s for s in fig.layout.shapes if s.line.color == ENGLAND_COLOUR)
        assert line.x0 == england <= fig.layout.xaxis.range[1]
        missing = [a for a in fig.layout.annotations if a.text == "suppressed (small number)"]
        assert len(missing) == 1 and missing[0].bgcolor == "#FFFFFF"   # the dashed line passes behind the words
        assert fig.layout.margin.r >= len("27.3%") * 15 * 0.6   # the margin is wide enough for the labels
        assert max(fig.layout.xaxis.tickvals) <= right          # ticks stop at the data


def test_a_missing_value_is_labelled_by_its_real_status():
    rows = breakdown_rows()
    rows.loc[rows["breakdown_value"] == "16-17", ["value", "lower_ci", "upper_ci", "status"]] = \
        [None, None, None, "not_available"]
    fig = breakdown_figure(rows, SG02, breakdown_names=FRAMEWORK.breakdowns)
    words = sorted(a.text for a in fig.layout.annotations if a.name == "missing")
    assert words == ["not available", "suppressed (small number)"]
    table = breakdown_table(rows, SG02, FRAMEWORK.breakdowns).set_index("Group")
    assert table.loc["Age band: 16-17", "Value"] == "Not available (demo)"
    assert table.loc["Age band: 0-4", "Value"] == "Suppressed (small number) (demo)"
    bars = fig.data[0]
    assert "not available" in bars.hovertext[list(bars.y).index("Age band: 16-17")]


def test_an_empty_trend_has_no_axes_and_the_page_gets_a_reason():
    from kpis.charts.figures import no_figures_reason
    fig = trend_figure(pd.DataFrame(), SG02)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    reason = no_figures_reason(pd.DataFrame(columns=["role", "value"]), FRAMEWORK.kpi("EH03"))
    assert reason.startswith("No figures to chart for EH03 yet: none has been returned or published")
    assert "no England figure (Year 6 prevalence of obesity" in reason and "OHID Fingertips" in reason
    assert "no national comparator" in no_figures_reason(pd.DataFrame(), FRAMEWORK.kpi("MH01"))
    assert no_figures_reason(series_rows(), SG02) is None


def test_a_trend_chart_names_its_sources_and_periods():
    fig = trend_figure(series_rows(), SG02)
    note = next(a for a in fig.layout.annotations if a.name == "sources")
    text = note.text.replace("<br>", " ")
    assert text.startswith("Sources: demo data (synthetic) for Worcestershire, 2024/25 Q1 to 2024/25 Q2;")
    assert "DfE for England and West Midlands, 2023/24" in text
    assert "the average of the statistical neighbours' published figures, 2023/24" in text
    assert note.y * _plot_px(fig.layout) < fig.layout.legend.y * _plot_px(fig.layout)   # under the legend


def test_the_legend_names_a_confidence_interval_only_where_there_is_one():
    """Issue 21: the legend said "with 95% confidence interval" where the series had none."""
    with_ci = [t.name for t in trend_figure(series_rows(), SG02).data]
    assert "Worcestershire (with 95% confidence interval)" in with_ci
    bare = series_rows().assign(lower_ci=None, upper_ci=None)
    names = [t.name for t in trend_figure(bare, SG02).data]
    assert "Worcestershire" in names and not any("confidence interval" in n for n in names)
