"""Issue 21 in a real Chromium at 1366 x 768: the sources note under Barking and Dagenham's charts stays inside its
chart (it was cut on the right), and no chart's y-axis labels are cut on the left."""
from __future__ import annotations

import shutil
import time

from tests.conftest import ROOT
from tests.support.browser import browser_page, running_app, wait_for_app

FRAMEWORK = ROOT / "data" / "frameworks" / "barking_dagenham.toml"
MEASURE = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const box = plot.getBoundingClientRect();
    const notes = [...plot.querySelectorAll('.annotation-text')].map(a => a.getBoundingClientRect());
    const ticks = [...plot.querySelectorAll('.ytick text')].map(t => t.getBoundingClientRect());
    return {notes: notes.length, out: notes.filter(n => n.right > box.right + 0.5 || n.left < box.left - 0.5).length,
            ticks: ticks.length, cut: ticks.filter(t => t.left < box.left - 0.5).length};
})"""


def test_sources_notes_and_axis_labels_stay_inside_their_charts(demo_master, tmp_path):
    db = tmp_path / "bd.duckdb"
    shutil.copy(demo_master(FRAMEWORK), db)
    with running_app(db, env={"KPIS_FRAMEWORK": str(FRAMEWORK)}) as url, \
            browser_page(width=1366, height=768) as page:
        for path, text in (("health-wellbeing", "Health and wellbeing"), ("kpi?kpi=HW01", "Signal or noise")):
            page.goto(f"{url}/{path}")
            wait_for_app(page, text=text, timeout=90_000)
            page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
            time.sleep(3)                                          # plotly lays out the annotations last
            charts = page.evaluate(MEASURE)
            assert charts and sum(c["notes"] for c in charts) > 0, path
            assert all(c["out"] == 0 for c in charts), (path, charts)
            assert all(c["ticks"] and c["cut"] == 0 for c in charts), (path, charts)
