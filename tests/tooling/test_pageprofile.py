"""The page profiler (tools.bench.pageprofile) on a real server: each page's CPU and its profiled script runs."""
from tools.bench.pageprofile import FLOOR, profile_pages, report


def test_the_scorecard_and_the_floor_are_measured_and_their_runs_profiled(demo_db):
    results = profile_pages(demo_db, runs=2, only=["scorecard", FLOOR[1]], count=40)
    assert [r["page"] for r in results] == ["scorecard", FLOOR[0]]
    for page in results:
        assert page["server_cpu_per_session_ms"] > 0 and page["load_average"] >= 0
        functions = [where for _, _, where in page["top"]]
        assert any(f.startswith("dashboard.py:") for f in functions), functions  # the runs of this app's script
        assert all(cumulative >= own >= 0 for cumulative, own, _ in page["top"])
    scorecard = [where for _, _, where in results[0]["top"]]
    assert any(f.startswith("app_pages/scorecard.py:") for f in scorecard), scorecard
    assert "ms of server CPU a session" in report(results)
