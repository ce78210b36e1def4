"""AppTest of the board pages on the demo database (and on an empty one): scorecard, what changed,
the outcome-area pages, and KPI detail opened by a `?kpi=` link."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app_pages._area import url_path
from kpis.cli.main import main
from tests.support.apptest import texts
from tests.support.board import FRAMEWORK

warnings.filterwarnings("ignore", category=DeprecationWarning)
TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent.parent




def ok(at) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    return ok(at.switch_page(page).run())


def area_page(area_id: str) -> AppTest:
    """An outcome-area page, opened through `dashboard.py`'s navigation.

    The area pages are callables made from the framework, and `AppTest.switch_page` only takes files,
    so the test asks for the page the way a browser does: by the hash of its URL path.
    """
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run())
    at._page_hash = calc_hash(url_path(area_id))
    return ok(at.run())


def scorecard_rows(at):
    """The scorecard table as {KPI id: row}; heading rows are skipped. The KPI cells are the table's row
    headers (its index), so they come back as the index: put them back as the KPI column."""
    table = at.table[0].value
    if "KPI" not in table.columns:
        table = table.reset_index()
    rows = {}
    for _, row in table.iterrows():
        cell = row["KPI"]
        if cell.startswith("[**"):
            rows[cell[3:7]] = row
    return table, rows


@pytest.fixture
def demo(demo_db, app_env):
    """A private copy of the demo database, for a test that writes to it."""
    return app_env(demo_db)


@pytest.fixture
def reading(readers_demo_db, reader_env):
    """The demo database the tests that only read share, with what the app cached for it (tests/app/conftest.py)."""
    return reader_env(readers_demo_db)


def test_scorecard_shows_every_kpi_grouped_by_area(reading):
    at = open_page("app_pages/scorecard.py")
    assert [t.value for t in at.title] == ["Board scorecard"]
    table, rows = scorecard_rows(at)
    assert len(at.table) == 1 and list(rows) == FRAMEWORK.kpi_ids
    headings = [c for c in table["KPI"] if c.startswith("**")]
    assert headings == ["**Early help**", "**Emotional wellbeing and mental health**", "**SEND**", "**Safeguarding**"]
    sg02 = rows["SG02"]
    assert sg02["Latest"].startswith("**") and "(demo), 2026/27 Q2" in sg02["Latest"]
    assert "England (24.5% in 2024/25)" in sg02["Compared with England"]
    assert sg02["Compared with England"][0] in "●◆■"
    assert sg02["Target"].startswith(("✓ Met", "✗ Not met"))
    assert sg02["Trend line"].startswith("![Sparkline") and sg02["Recent trend"]
    assert rows["MH01"]["Since last meeting"] == "– No new figure"        # the EWMH return is missing
    body = texts(at)
    assert "Compared with England:" in body and "Demo data" in body
    assert "changes are since the last meeting on" in body


def test_choosing_a_meeting_shows_what_was_known_then(reading):
    at = open_page("app_pages/scorecard.py")
    before = scorecard_rows(at)[1]["SG02"]["Latest"]
    box = at.selectbox(key="meeting")
    assert box.options[0] == "Latest data (today)" and box.options[1].startswith("Board meeting, ")
    ok(box.select_index(1).run())
    after = scorecard_rows(at)[1]["SG02"]["Latest"]
    assert before != after and "2026/27 Q1" in after
    assert at.query_params["meeting"] == at.selectbox(key="meeting").value
    assert "what was known at the board meeting on" in texts(at)
    # the choice follows the board to the next page
    ok(at.switch_page("app_pages/changes.py").run())
    assert "what was known at the board meeting on" in texts(at)


def test_grouping_by_overarching_outcome(reading):
    at = open_page("app_pages/scorecard.py")
    ok(at.button_group(key="group_by").set_value("outcome").run())
    table, rows = scorecard_rows(at)
    headings = [c for c in table["KPI"] if c.startswith("**")]
    assert headings == [f"**{o.name}**" for o in FRAMEWORK.outcomes]
    assert set(rows) == set(FRAMEWORK.kpi_ids)


def test_presentation_mode_hides_the_controls(reading):
    at = open_page("app_pages/scorecard.py")
    assert len(at.selectbox) == 1 and len(at.button_group) == 1
    ok(at.toggle(key="presentation").set_value(True).run())
    assert len(at.selectbox) == 0 and len(at.button_group) == 0
    assert len(at.table) == 1 and len(scorecard_rows(at)[1]) == len(FRAMEWORK.kpis)
    css = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "stSidebar" in css and "font-size: 1.15rem" in css
    ok(at.toggle(key="presentation").set_value(False).run())
    assert len(at.selectbox) == 1


def test_kpi_detail_opens_from_a_link(reading):
    at = open_page("app_pages/kpi.py", kpi="SG02")
    assert [t.value for t in at.title] == ["SG02 Repeat child protection plans"]
    assert at.selectbox(key="kpi").value == "SG02" and at.query_params["kpi"] == "SG02"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3                                             # trend, signal or noise, and groups
    names = {t.get("name") for t in charts[0]["data"]}
    assert "England" in names and any(n.startswith("Worcestershire") for n in names if n)
    assert charts[0]["layout"]["yaxis"]["title"]["text"] == "Percentage (%)"
    spc = {t.get("name") for t in charts[1]["data"]}                    # the SPC chart: mean, limits, target
    assert {"Mean", "Process limits", "Target"} <= spc and any(n and n.startswith("Common cause") for n in spc)
    assert "signal or noise" in charts[1]["layout"]["title"]["text"].replace("<br>", " ")
    assert charts[2]["layout"]["xaxis"]["range"][0] == 0
    definition = next(t.value for t in at.table if "Definition" in list(t.value.index))
    assert "Definition" in list(definition.index) and "Polarity" in list(definition.index)
    assert "No figure for this KPI has been revised" in texts(at)
    download = at.get("download_button")
    assert len(download) == 1 and "SG02" in download[0].proto.label
    frames = [t.value for t in at.table]  # an HTML table, not the canvas grid: a screen reader reads it (1.3.1)
    assert any("Series" in f.columns for f in frames)                 # the numbers under the trend chart
    spc_numbers = next(f for f in frames if "Upper limit" in f.columns)  # and under the SPC chart
    assert len(spc_numbers) >= 7 and set(spc_numbers.columns) >= {"Date", "Value", "Mean", "Lower limit", "Reading"}
    assert "Target:" in texts(at) and ("No signal" in texts(at) or "Special cause" in texts(at))


def test_kpi_detail_shows_revisions_and_switches_kpi(reading):
    at = open_page("app_pages/kpi.py", kpi="SG01")
    history = [t.value for t in at.table if "Version" in t.value.columns]  # an HTML table (WCAG 1.3.1)
    assert history and set(history[0]["Version"]) == {"1", "2"}
    ok(at.selectbox(key="kpi").select("EH05").run())
    assert [t.value for t in at.title] == ["EH05 Early Help Assessments by partners"]
    assert at.query_params["kpi"] == "EH05"


def test_kpi_detail_adds_region_and_neighbours(reading):
    at = open_page("app_pages/kpi.py", kpi="SG02")
    ok(at.button_group(key="compare").set_value(["england", "region", "neighbours"]).run())
    names = {t.get("name") for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    assert {"England", "West Midlands", "Statistical neighbours (average)"} <= names


def test_unknown_kpi_in_a_link_is_explained(reading):
    at = open_page("app_pages/kpi.py", kpi="ZZ99")
    assert "There is no KPI" in texts(at)
    assert [t.value for t in at.title] == [f"{FRAMEWORK.kpis[0].id} {FRAMEWORK.kpis[0].short_title}"]


def test_what_changed_page(reading):
    at = open_page("app_pages/changes.py")
    heads = [s.value for s in at.header]  # h2 under the h1 (WCAG 1.3.1)
    for title in ("Significant movements", "Comparison with England changed", "Returns late or missing",
                  "Revisions to earlier figures", "New data"):
        assert any(h.startswith(title) for h in heads), heads
    late = next(t.value for t in at.table if "Status" in t.value.columns)
    assert late["Sub-group"].str.contains("Emotional Wellbeing").any() and (late["Status"] == "Missing").any()
    revised = next(t.value for t in at.table if "Was" in t.value.columns)
    assert revised["KPI"].str.startswith("SG01").any()


@pytest.mark.parametrize("area", [a.id for a in FRAMEWORK.areas])
def test_each_outcome_area_page(reading, area):
    at = area_page(area)
    fw_area = FRAMEWORK.area(area)
    assert [t.value for t in at.title] == [fw_area.name]
    heads = [s.value for s in at.header]  # h2 under the h1 (WCAG 1.3.1)
    assert any(h.startswith("Sub-group narrative, ") and h.endswith("(demo)") for h in heads)
    kpis = FRAMEWORK.kpis_in_area(area)
    assert all(any(h == f"{k.id} {k.short_title}" for h in heads) for k in kpis)
    charts = at.get("plotly_chart")
    assert len(charts) >= len(kpis)
    assert "Progress" in texts(at) and "Risks and barriers" in texts(at) and "Service user feedback" in texts(at)
    assert any(e.label.startswith("Earlier narratives") for e in at.expander)


@pytest.fixture
def empty(readers_empty_db, reader_env):
    """The empty database the tests that only read share (tests/app/conftest.py)."""
    return reader_env(readers_empty_db)


def test_board_pages_on_an_empty_database(empty):
    at = open_page("app_pages/scorecard.py")
    assert "There are no figures for this date" in texts(at)
    at = open_page("app_pages/changes.py")
    at = open_page("app_pages/kpi.py", kpi="SG02")
    assert "No figure for this KPI has been revised" in texts(at)
    for area in FRAMEWORK.areas:
        assert "has not sent a narrative yet" in texts(area_page(area.id))


def test_the_explainer_names_the_trend_tests_level(reading):
    """The Fingertips trend test runs at 99.8% (kpis.core.stats); the explainer said 99.9%."""
    body = texts(open_page("app_pages/scorecard.py"))
    assert "(99.8% level)" in body and "99.9" not in body


def test_an_area_page_says_why_a_kpi_has_no_chart_and_keeps_legends_off_titles(reading):
    """Issue 16: EH03 drew an empty chart with axes from -1 to 4; legends overlapped titles."""
    at = area_page("early_help")
    infos = [i.value for i in at.info]
    assert any(i.startswith("No figures to chart for EH03 yet") for i in infos), infos
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert charts
    for chart in charts:
        lay = chart["layout"]
        assert any(t.get("x") is not None and len(t.get("x")) for t in chart["data"])   # nothing empty is drawn
        assert lay["title"]["yref"] == "container" and lay["legend"]["yanchor"] == "top"
        plot_px = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
        assert lay["legend"]["y"] < 0 and lay["legend"]["y"] * plot_px < -30             # under the x axis
    trends = [c for c in charts if c["layout"]["title"]["text"].endswith("trend")]
    assert all(any(a.get("name") == "sources" for a in c["layout"].get("annotations", [])) for c in trends)


def test_kpi_detail_draws_its_charts_once_per_data_version_as_they_would_be_drawn_fresh(demo):
    import plotly.io

    from kpis.board.scorecard import meeting_context, scorecard_rows
    from kpis.charts.spc import spc_figure
    from kpis.store.database import Store, now
    from tests.support.board import sg02, submit

    def charts(at) -> list[str]:
        return [c.proto.spec for c in at.get("plotly_chart")]

    def spc_now() -> str:   # the SPC chart drawn fresh from the store, as the page draws it
        store = Store(demo, hold=False)
        (line,) = scorecard_rows(store, FRAMEWORK, previous_meeting=meeting_context(store, None)[1], kpi_ids=["SG02"])
        store.close()
        return plotly.io.to_json(spc_figure(line.variation.result, FRAMEWORK.kpi("SG02"),
                                            rebases=line.variation.rebases), validate=False)

    first = charts(open_page("app_pages/kpi.py", kpi="SG02"))
    assert charts(open_page("app_pages/kpi.py", kpi="SG02")) == first   # another reader: the charts drawn once
    assert first[1] == spc_now()
    store = Store(demo, hold=False)
    submit(store, [sg02("2024/25 Q1", 90, 179)], now())                 # a correction: a new data version
    store.close()
    after = charts(open_page("app_pages/kpi.py", kpi="SG02"))
    assert after[1] == spc_now() != first[1] and after[0] != first[0]   # shown at once, in both charts
