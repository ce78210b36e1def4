"""Issue 9, load: 20 browser sessions read the scorecard at once while a lead submits a return through the upload
page (the real app, a real Chromium, a copy of the demo database). Every session renders with no error, the
submission is stored exactly once, and every request stays on 127.0.0.1. No time is asserted; the figures
(p50, p95, max) are in the result and in `make bench`."""
from __future__ import annotations

from kpis.store.database import Store
from tests.support.browser import ARTIFACTS, chromium_path
from tools.bench.loadtest import run_load

SESSIONS = 20


def test_twenty_sessions_read_the_scorecard_while_a_lead_submits(demo_db):
    exe = chromium_path()  # under CI a missing Chromium fails, never skips
    result = run_load(demo_db, sessions=SESSIONS, chromium=exe, artifacts=ARTIFACTS / "load")
    print({k: result[k] for k in ("p50_ms", "p95_ms", "max_ms", "load_window_s", "wall_s", "cpu_s")})

    # every session rendered the scorecard, with no error element, and each was its own Streamlit session
    assert result["errors"] == [], result["errors"]
    assert result["rendered_ok"] == SESSIONS
    assert all(ms is not None for ms in result["render_ms"]) and len(result["render_ms"]) == SESSIONS
    assert result["websockets"] >= SESSIONS + 1                 # the readers and the lead
    assert result["server_log_errors"] == [], result["server_log_errors"]

    # the return was submitted while they loaded, and stored exactly once
    submission = result["submission"]
    assert submission["errors"] == [], submission["errors"]
    assert submission["during_load"], submission
    assert submission["stored_count"] == 1 and submission["submissions_added"] == 1
    store = Store(demo_db, read_only=True)
    try:
        rows = store.con.execute("SELECT batch_id, submitted_by, file_name FROM batches WHERE kind = 'submission' "
                                 "AND sha256 = ?", [submission["sha256"]]).fetchall()
    finally:
        store.close()
    assert rows == [(submission["receipt_batch_id"], submission["by"], submission["file"])]

    # every request of every session went to the app on 127.0.0.1 (data: and blob: URLs aside)
    assert result["host"] == "127.0.0.1" and result["url"].startswith("http://127.0.0.1:")
    assert result["requests"] > SESSIONS
    assert result["off_host_requests"] == [], result["off_host_requests"]
    assert result["hosts"] == ["127.0.0.1"] and result["ports"] == [result["port"]]
