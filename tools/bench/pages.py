"""Page render times for `tools.bench.run`: every page registered by `dashboard.py`, server-side through AppTest,
in a child process (so `kpis` never imports streamlit)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tools.bench.goals import NOT_MEASURED

ROOT = Path(__file__).resolve().parent.parent.parent


# The page-render child. It runs in its own process because `kpis` never imports streamlit.
PAGES_CHILD = r"""
import json, os, statistics, sys, time
from streamlit.testing.v1 import AppTest
import streamlit as st
runs = int(sys.argv[1])
at = AppTest.from_file("dashboard.py", default_timeout=600).run()        # warm-up: imports, the store

def own_peak_mb():  # this process's own peak resident memory (VmHWM): ru_maxrss carries the parent's over the fork
    with open("/proc/self/status") as f:
        return round(int(f.read().split("VmHWM:")[1].split()[0]) / 1024, 1)

out = {"cold_ms": {}, "warm_ms": {}, "first_ms": {}, "rss_after_mb": {}, "errors": {}}
for page_hash, info in list(at._registered_pages.items()):                # every page st.navigation registered
    name = info.get("url_pathname") or "home"
    cold, warm = [], []
    for _ in range(runs):
        at._page_hash = page_hash   # AppTest.switch_page only knows file pages; area pages are functions
        st.cache_data.clear()
        t = time.perf_counter(); at.run(); cold.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter(); at.run(); warm.append((time.perf_counter() - t) * 1000)
    if at.exception:
        out["errors"][name] = str(at.exception[0].value)[:300]
    out["first_ms"][name] = round(cold[0], 1)
    out["rss_after_mb"][name] = own_peak_mb()
    out["cold_ms"][name] = round(statistics.median(cold), 1)
    out["warm_ms"][name] = round(statistics.median(warm), 1)
out["rss_mb"] = own_peak_mb()
print("PAGES_JSON " + json.dumps(out))
"""


def measure_pages(full: Path, framework_path: Path, runs: int) -> dict:
    env = {**os.environ, "KPIS_DB": str(full), "KPIS_FRAMEWORK": str(framework_path)}
    proc = subprocess.run([sys.executable, "-c", PAGES_CHILD, str(runs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PAGES_JSON ")), None)
    if proc.returncode != 0 or line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"page_render_ms": f"{NOT_MEASURED}the AppTest process failed: {' | '.join(tail)}"}
    got = json.loads(line[len("PAGES_JSON "):])
    return {"page_render_ms": got["cold_ms"], "page_render_warm_ms": got["warm_ms"],
            "page_render_first_ms": got["first_ms"], "pages_peak_rss_after_mb": got["rss_after_mb"],
            "page_render_total_ms": round(sum(got["cold_ms"].values()), 1),
            "page_errors": got["errors"], "pages_process_rss_mb": got["rss_mb"]}
