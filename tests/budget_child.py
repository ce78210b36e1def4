"""Run one file through the validate path or the upload path in THIS process, under a memory cap.

    python tests/budget_child.py validate|upload|submit FILE CAP_BYTES

Used by test_read_budget.py as a child process: the cap is set with resource.setrlimit(RLIMIT_AS) after the
imports, so a file that needs more memory fails here (MemoryError) instead of taking the machine down. Prints
one JSON line: the outcome, the plain message or the problems, and the peak resident memory in KB: ru_maxrss
(Linux carries the parent's peak over into it at fork) and VmHWM (this process's own, since it started).
`longest` is the longest text any problem carries. `submit` sends the file to a new, empty database the way the
command line's submit does, and reports what was stored there (`stored`: batches, values, raw files).
"""
from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.core.problems import total
from kpis.returns.annotate import marked_copy
from kpis.returns.filesafety import UnreadableFile
from kpis.returns.submission import check_return

TODAY = date(2025, 11, 20)


def run(mode: str, path: Path) -> dict:
    fw = load_framework(DEFAULT_FRAMEWORK)
    data, name = path.read_bytes(), path.name
    if mode == "submit":
        return run_submit(fw, name, data)
    try:
        checked = check_return(None, fw, name=name, data=data, area_id="safeguarding", today=TODAY)
    except UnreadableFile as exc:
        return {"outcome": "refused", "message": str(exc)}
    out = {"outcome": "checked", "listed": len(checked.problems), "problems": total(checked.problems),
           "errors": total(checked.errors), "rows": len(checked.parsed.rows),
           "messages": [p.message for p in checked.problems[:3]] + [p.message for p in checked.problems[-2:]],
           "json_bytes": len(json.dumps(checked.to_dict(), default=str)),
           "longest": max((len(t) for p in checked.problems for t in (p.found, p.expected, p.message)), default=0)}
    if mode == "upload" and checked.problems:
        copy, why_not = marked_copy(data, checked.problems, name=name)
        out["marked_copy_bytes"] = len(copy) if copy else None
        out["no_marked_copy"] = why_not
    return out


def run_submit(fw, name: str, data: bytes) -> dict:
    import tempfile

    from kpis.returns.submission import ReturnRejected, submit
    from kpis.store.database import Store
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "budget.duckdb")
        try:
            try:
                submit(store, fw, name=name, data=data, area_id="safeguarding", by="lead@example.org", today=TODAY)
                out = {"outcome": "stored"}
            except UnreadableFile as exc:
                out = {"outcome": "refused", "message": str(exc)}
            except ReturnRejected as exc:
                out = {"outcome": "rejected", "problems": total(exc.checked.problems)}
            out["stored"] = [store.scalar(f"SELECT count(*) FROM {t}") for t in ("batches", "current_observations",
                                                                                   "raw_files")]
        finally:
            store.close()
    return out


if __name__ == "__main__":
    mode, file, cap = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    start = time.perf_counter()
    result = run(mode, file)
    result["seconds"] = round(time.perf_counter() - start, 2)
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # at least the parent's at fork
    result["hwm_kb"] = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])  # this child's
    print(json.dumps(result))
