"""`python -m tools.bench.run --quick` runs end to end at a tiny scale and writes every key; no time is asserted."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from kpis.core.framework import load_framework
from tests.conftest import ROOT
from tools.bench import goals
from tools.bench.dataset import bench_framework_text, generate

KEYS = ("import_ratio", "submit_5000_rows_s", "scorecard_ms", "page_render_ms", "board_pack_pdf_s", "peak_rss_mb",
        "load_p95_ms", "scale")


def test_quick_bench_writes_every_key(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "tools.bench.run", "--quick", "--out", str(out),
                             "--workdir", str(tmp_path / "work")], cwd=ROOT, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    results = json.loads(out.read_text())
    for key in KEYS:
        assert key in results, key
        assert not str(results[key]).startswith(goals.NOT_MEASURED), (key, results[key])
    assert isinstance(results["import_ratio"], float) and results["import_ratio"] > 0
    assert results["peak_rss_mb"] > 0
    pages = results["page_render_ms"]
    for page in ("home", "scorecard", "kpi", "explorer", "accessibility"):   # every registered page is there
        assert page in pages, sorted(pages)
    assert not results["details"]["page_errors"], results["details"]["page_errors"]
    assert results["load_p95_ms"] > 0 and results["load_sessions"] == 5            # --quick: 5 browser sessions
    assert results["load_p50_ms"] <= results["load_p95_ms"] <= results["load_max_ms"]
    assert results["goals"]["load"]["result"] == "met", results["details"]["load"]
    assert set(results["goals"]) == set(goals.GOALS) | {"load", "scale"}
    for line in ("import_ratio at 0.01x", "page_render_ms at 0.01x", "board_pack_pdf_s at 0.01x",
                 "peak_rss_mb at 0.01x", "load_p95_ms", "scale"):  # the printed table: each goal at its scale
        assert line in result.stdout
    server = results["details"]["server_load"]["levels"]                          # --quick: one level, 3 sessions
    assert [(level["sessions"], level["rendered"], level["stored_times"]) for level in server] == [(3, 3, 1)]
    assert "server CPU, cached scorecard session" in result.stdout
    assert re.search(r"server load, 50 sessions +not measured", result.stdout)      # not run by --quick, and said so


def scale_result(factor: float, *, observations: int, import_s: float, scorecard_ms: float) -> dict:
    return {"scale": factor, "data": {"observations": observations}, "import_s": import_s,
            "submit_5000_rows_s": 1.0, "scorecard_ms": scorecard_ms, "page_render_total_ms": 100.0,
            "board_pack_pdf_s": 5.0, "peak_rss_mb": 300.0, "import_ratio": 2.0, "page_render_ms": {"home": 50.0}}


def test_growth_is_judged_against_the_growth_of_the_data():
    small = scale_result(1, observations=1000, import_s=1.0, scorecard_ms=10)
    big = scale_result(10, observations=10_000, import_s=8.0, scorecard_ms=150)
    g = goals.growth([small, big])
    assert g["data_growth"] == 10
    assert g["import_s"] == {"growth": 8.0, "met": True}
    assert g["scorecard_ms"] == {"growth": 15.0, "met": False}
    assert goals.growth([small])["note"].startswith("one scale only")


def test_a_figure_that_could_not_be_measured_says_why_and_is_never_met():
    goal, met = goals.verdict("board_pack_pdf_s", f"{goals.NOT_MEASURED}no browser")
    assert (goal, met) == ("< 30 s (24 KPIs)", "not measured")
    assert goals.verdict("page_render_ms", {"home": 500.0, "sql": 1500.0})[1].startswith("NOT MET")
    assert goals.verdict("import_ratio", 2.5)[1] == "met"
    assert goals.verdict("import_ratio", 3.0)[1] == "NOT MET (1.2x the goal)"


def test_a_goal_is_judged_at_each_scale_it_names_and_met_only_when_met_at_all():
    small = scale_result(1, observations=1000, import_s=1.0, scorecard_ms=10)
    big = {**scale_result(10, observations=10_000, import_s=8.0, scorecard_ms=400),
           "page_render_ms": {"home": 50.0, "scorecard": 3800.0}, "import_ratio": 2.4}
    pages = goals.goal_result("page_render_ms", [small, big], main_scale=1)
    assert pages["by_scale"] == {"1x": "met", "10x": "NOT MET (3.8x the goal)"}
    assert pages["result"] == "NOT MET at 10x (3.8x the goal)"
    assert goals.goal_result("import_ratio", [small, big], main_scale=1)["result"] == "met"
    scorecard = goals.goal_result("scorecard_ms", [small, big], main_scale=1)   # judged at the main scale only
    assert scorecard["by_scale"] == {"1x": "met"}
    missing = goals.goal_result("board_pack_pdf_s", [small, {"scale": 10, "error": "worker failed"}], main_scale=1)
    assert missing["by_scale"] == {"1x": "met", "10x": "not measured"}
    assert missing["result"] == "NOT MET at 10x (not measured)"


def test_the_generator_is_seeded_and_writes_lait_long_format(tmp_path):
    a = generate(tmp_path / "a", scale=0.01)
    b = generate(tmp_path / "b", scale=0.01)
    assert a.lait.read_bytes() == b.lait.read_bytes()
    assert a.fingertips.read_bytes() == b.fingertips.read_bytes()
    import pyarrow.parquet as pq
    assert pq.read_schema(a.lait).names == ["Short Desc", "Data item", "Years", "LA and Regions", "Values",
                                            "LA Number", "Region"]


@pytest.mark.parametrize("scale, kpis", [(1, 16), (10, 160)])
def test_the_bench_framework_has_every_kpi_quarterly_with_all_8_breakdowns(tmp_path, scale, kpis):
    from kpis.core.framework import DEFAULT_FRAMEWORK
    path = tmp_path / "framework.toml"
    path.write_text(bench_framework_text(DEFAULT_FRAMEWORK, scale), encoding="utf-8")
    fw = load_framework(path)
    assert len(fw.kpis) == kpis
    assert all(k.frequency == "quarterly" and len(k.breakdowns) == 9 for k in fw.kpis)
