"""Blackpool's framework: a scorecard built from published figures. Every KPI but one local return is bound to a
national measure published for every council, Blackpool's own published figure is on the scorecard with its period,
and each priority's upstream or downstream framing is shown where the priority is named (area page, scorecard)."""
from __future__ import annotations

import json
import shutil
import warnings

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app_pages._area import url_path
from kpis.cli.main import main
from kpis.core.framework import load_framework
from kpis.core.framework_governance import FRAMING_WORDS
from kpis.store.database import Store
from tests.conftest import ROOT
from tests.support.apptest import ok, texts

warnings.filterwarnings("ignore", category=DeprecationWarning)
BLACKPOOL = ROOT / "data" / "frameworks" / "blackpool.toml"
PRIORITIES = ["Dental health", "Nutrition and exercise", "Child and adolescent mental health",
              "Attainment and the primary to secondary transition", "Early years"]


@pytest.fixture(scope="module")
def db(demo_master, tmp_path_factory):
    """This module's own copy of Blackpool's demo database, which the real command line built once per session."""
    path = tmp_path_factory.mktemp("blackpool") / "bp.duckdb"
    shutil.copy(demo_master(BLACKPOOL), path)
    return path


def test_the_priorities_and_their_framing_are_data():
    fw = load_framework(BLACKPOOL)
    assert [a.name for a in fw.areas] == PRIORITIES
    assert all(a.framing in ("upstream", "both") and len(a.framing_note) > 40 for a in fw.areas)
    local = [k.id for k in fw.kpis if k.comparator is None]
    assert local == ["DH02"] and all(k.frequency == "annual" for k in fw.kpis if k.comparator is not None)


def test_the_scorecard_is_built_from_published_figures(db, capsys):
    fw = load_framework(BLACKPOOL)
    capsys.readouterr()
    assert main(["--framework", str(BLACKPOOL), "--db", str(db), "scorecard", "--json"]) == 0
    rows = {r["kpi_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(fw.kpi_ids)
    assert all(r["value"] is not None and r["period"] for r in rows.values()), rows
    store = Store(db, read_only=True)
    try:
        for kpi in fw.kpis:
            if kpi.comparator is None:
                continue
            published = store.df("SELECT period_label, value FROM current_observations WHERE indicator_id = ? AND "
                                 "area_code = ? AND value IS NOT NULL ORDER BY period_end DESC LIMIT 1",
                                 [kpi.comparator.indicator_id, fw.home_area])
            assert not published.empty, kpi.id
            # the scorecard's figure is Blackpool's own latest published one, for its period
            assert rows[kpi.id]["value"] == pytest.approx(published.at[0, "value"]), kpi.id
            assert rows[kpi.id]["period"] == published.at[0, "period_label"], kpi.id
    finally:
        store.close()
    assert rows["AT01"]["value"] == 55 and rows["AT01"]["period"] == "AY 2024/25"   # DfE KS2 2025: 55%


def test_the_framing_is_shown_where_the_priority_is_named(db, app_env, monkeypatch):
    monkeypatch.setenv("KPIS_FRAMEWORK", str(BLACKPOOL))
    app_env(db)
    fw = load_framework(BLACKPOOL)
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())
    body = texts(ok(at.switch_page("app_pages/scorecard.py").run())).replace("\\", "")   # markdown escapes
    assert "How each priority is framed" in body
    for area in fw.areas:
        assert f"**{area.name}**: {FRAMING_WORDS[area.framing]}: {area.framing_note}" in body
    area = fw.area("mental_health")
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run())
    at._page_hash = calc_hash(url_path(area.id))
    body = texts(ok(at.run())).replace("\\", "")
    assert f"**Upstream and downstream**: {area.framing_note}" in body
