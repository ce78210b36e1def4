"""The server-only load test (tools.bench.serverload) on a small level: its figures come from real runs."""
from kpis.core.framework import load_framework
from tools.bench.serverload import pages_to_read, run_serverload, table


def test_sessions_speaking_streamlits_protocol_all_render_and_the_lead_submits_once(demo_db):
    result = run_serverload(demo_db, levels=(5,))
    level = result["levels"][0]
    assert level["problems"] == [] and level["lead"]["problems"] == []
    assert level["rendered"] == 5 and level["stored_times"] == 1
    assert set(level["pages"]) == {label for label, _, _ in pages_to_read(load_framework())}
    assert all(figures["sessions"] == 1 and figures["p95_ms"] > 0 for figures in level["pages"].values())
    assert level["server_cpu_per_session_ms"] > 0 and level["server_peak_rss_mb"] > 100
    assert level["cached_scorecard_cpu_ms"] > 0 and not level["server_log_errors"]
    assert "rendered 5 of 5; return stored 1 time(s)" in table(result)
