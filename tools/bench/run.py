"""`make bench`: how fast and how big, on a realistic full-scale dataset, against the goals of issue 9.

    python -m tools.bench.run                       # scales 1 and 10, 3 runs each figure at scale 1
    python -m tools.bench.run --quick               # a smoke run at a tiny scale (seconds, for tests)
    python -m tools.bench.run --scale 1,10 --runs 3 --out bench/results.json

Each scale is measured in its own worker process (`--worker`), so one scale's memory does not
colour the next. A worker generates the seeded dataset (`tools.bench.dataset`), builds a database from it
and measures, reporting the median of `--runs` runs (`--scale-runs`, default 1, at scales other
than 1, to keep a full run near ten minutes on two cores).

What each figure is, and its goal: `tools.bench.goals` (and the README's benchmark section).
Nothing here asserts a time: it measures and reports, and `bench/results.json` keeps the figures.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.bench.goals import NOT_MEASURED, summarise, table
from tools.bench.pages import measure_pages

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_OUT = ROOT / "bench" / "results.json"
PACK_KPIS = 24  # issue 25: the board pack of a framework of up to 24 KPIs, at every scale

# -- small helpers -------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return float(statistics.median(values))


def rss_mb(who: int) -> float:
    """Peak resident set size in MB (Linux reports ru_maxrss in KB)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@contextmanager
def call_timer(module, names: list[str]):
    """Time every call of module.<name> while inside (a bench-only wrapper; the code is unchanged)."""
    spent = {n: 0.0 for n in names}
    originals = {n: getattr(module, n) for n in names}

    def wrap(name, fn):
        def inner(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return inner

    for n in names:
        setattr(module, n, wrap(n, originals[n]))
    try:
        yield spent
    finally:
        for n, fn in originals.items():
            setattr(module, n, fn)


def remove_db(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def copy_db(src: Path, dst: Path) -> None:
    remove_db(dst)
    shutil.copyfile(src, dst)
    if Path(f"{src}.wal").exists():
        shutil.copyfile(f"{src}.wal", f"{dst}.wal")


# -- the measurements of one scale (run in a worker process) ------------------------------------
def build_base(db: Path, files, framework) -> dict:
    """Areas, framework, the shipped reference extracts and the bench Fingertips file: everything but LAIT."""
    from kpis.published.importer import import_benchmarks, load_reference_data
    from kpis.setup.bootstrap import initialise
    from kpis.store.database import Store
    remove_db(db)
    store = Store(db)
    try:
        initialise(store, framework)
        load_reference_data(store, framework=framework)
        fingertips_s = timed(lambda: import_benchmarks(store, files.fingertips, framework=framework,
                                                       source_name="Fingertips (bench)"))
        store.checkpoint()
    finally:
        store.close()
    return {"fingertips_import_s": round(fingertips_s, 3)}


def measure_import(base: Path, full: Path, files, framework, runs: int, work: Path) -> dict:
    """The product's LAIT import and DuckDB's plain read of the same file, alternately."""
    import duckdb

    from kpis.published import importer, lait
    from kpis.store.database import Store
    product, baseline, phases = [], [], []
    for _run in range(runs):
        plain = work / "plain.duckdb"
        remove_db(plain)
        con = duckdb.connect(str(plain))
        path = str(files.lait).replace("'", "''")
        baseline.append(timed(lambda con=con, path=path:
                              con.execute(f"CREATE TABLE lait AS SELECT * FROM read_parquet('{path}')")))
        con.close()
        remove_db(plain)
        copy_db(base, full)
        store = Store(full)
        try:
            with call_timer(importer, ["_read", "write_observations_from"]) as spent, \
                    call_timer(lait, ["finish"]) as checks:  # LAIT's own checks (read hands them over)
                seconds = timed(lambda store=store: importer.import_benchmarks(store, files.lait, framework=framework,
                                                                     source_name="LAIT (bench)"))
            spent.update(checks)
            store.checkpoint()
        finally:
            store.close()
        product.append(seconds)
        phases.append({"read_s": spent["_read"], "checks_s": spent["finish"],
                       "write_s": spent["write_observations_from"],
                       "other_s": seconds - sum(spent.values())})
    mid = sorted(range(runs), key=lambda i: product[i])[runs // 2]
    return {
        "import_s": round(median(product), 3), "import_runs_s": [round(x, 3) for x in product],
        "duckdb_read_s": round(median(baseline), 3), "duckdb_read_runs_s": [round(x, 3) for x in baseline],
        "import_ratio": round(median(product) / median(baseline), 2),
        "import_phases_s": {k: round(v, 3) for k, v in phases[mid].items()},
    }


def measure_scorecard(db: Path, framework, runs: int) -> dict:
    from kpis.board.scorecard import scorecard
    from kpis.store.database import Store
    store = Store(db, read_only=True)
    try:
        times = [timed(lambda: scorecard(store, framework)) * 1000 for _ in range(runs + 1)][1:]  # first: warm-up
    finally:
        store.close()
    return {"scorecard_ms": round(median(times), 1), "scorecard_runs_ms": [round(t, 1) for t in times]}


def load_bench_returns():
    """tools/bench/returns.py, the returns bench."""
    from tools.bench import returns  # here, not at the top: it builds its own sys.path when run as a script
    return returns


def measure_submit(full: Path, runs: int, work: Path, quick: bool) -> dict:
    """A 5,016-row return (check, preview, submit) into a fresh copy of the full database each run."""
    try:
        br = load_bench_returns()
        needed = ("bench_framework", "return_workbook", "TODAY")
        missing = [n for n in needed if not hasattr(br, n)]
        if missing:
            raise AttributeError(f"tools/bench/returns.py has no {', '.join(missing)}")
        from kpis.returns.submission import check_return, preview, submit
        from kpis.setup.bootstrap import register_framework
        from kpis.store.database import Store
    except (ImportError, AttributeError, FileNotFoundError) as exc:
        return {"submit_5000_rows_s": f"{NOT_MEASURED}the returns bench could not be loaded ({exc})"}
    framework = br.bench_framework(10 if quick else 228)
    history = br.return_workbook(framework, "2025/26 Q1")
    data = br.return_workbook(framework, "2025/26 Q2", shift=3)
    times, rows = [], 0
    for _ in range(runs):
        db = work / "submit.duckdb"
        copy_db(full, db)
        store = Store(db)
        try:
            register_framework(store, framework)
            submit(store, framework, name="q1.xlsx", data=history, area_id="bench", by="bench@example.org",
                   today=br.TODAY)
            started = time.perf_counter()
            checked = check_return(store, framework, name="q2.xlsx", data=data, area_id="bench", today=br.TODAY)
            preview(store, framework, checked)
            receipt = submit(store, framework, name="q2.xlsx", data=data, area_id="bench", by="bench@example.org",
                             today=br.TODAY)
            times.append(time.perf_counter() - started)
            rows = sum(receipt.counts.values())
        finally:
            store.close()
            remove_db(db)
    return {"submit_5000_rows_s": round(median(times), 3), "submit_runs_s": [round(t, 3) for t in times],
            "submit_rows": rows}


def pack_framework(framework_path: Path, kpis: int = PACK_KPIS) -> Path:
    """A copy of the bench framework with its first `kpis` KPIs only: the board pack a partnership would print."""
    text = framework_path.read_text(encoding="utf-8")
    head, *blocks = re.split(r"(?m)^(?=\[\[kpis\]\]\s*$)", text)
    out = framework_path.with_name(f"framework-{kpis}-kpis.toml")
    out.write_text(head + "".join(blocks[:kpis]), encoding="utf-8")
    return out


def measure_pdf(full: Path, framework_path: Path, runs: int) -> dict:
    """The board pack PDF (charts drawn) of a 24-KPI framework, from the full database."""
    from kpis.core.framework import load_framework
    from kpis.packs.build import build_pack
    from kpis.store.database import Store
    framework = load_framework(pack_framework(framework_path))
    times = []
    try:
        for _ in range(runs):
            store = Store(full, read_only=True)
            try:
                started = time.perf_counter()
                build_pack(store, framework, report="board", fmt="pdf", read_done=store.close)
                times.append(time.perf_counter() - started)
            finally:
                store.close()
    except Exception as exc:
        return {"board_pack_pdf_s": f"{NOT_MEASURED}the board pack failed: {type(exc).__name__}: {exc}"}
    return {"board_pack_pdf_s": round(median(times), 2), "board_pack_pdf_runs_s": [round(t, 2) for t in times],
            "board_pack_kpis": len(framework.kpis)}


def measure_load(full: Path, framework_path: Path, sessions: int, work: Path) -> dict:
    ("""`sessions` browser sessions read the scorecard while a lead submits (tools.bench.loadtest), on a copy """
     """of `full`.""")
    db = work / "load.duckdb"
    copy_db(full, db)
    try:
        from tools.bench.loadtest import run_load
        got = run_load(db, sessions=sessions, framework_path=framework_path)
    except Exception as exc:
        return {"load_p95_ms": f"{NOT_MEASURED}the load test failed: {type(exc).__name__}: {exc}"}
    finally:
        remove_db(db)
    details = {k: v for k, v in got.items() if k not in ("requests",)}
    return {"load_p95_ms": got["p95_ms"] if got["p95_ms"] is not None else f"{NOT_MEASURED}no session rendered",
            "load_p50_ms": got["p50_ms"], "load_max_ms": got["max_ms"], "load_sessions": got["sessions"],
            "load": details}




def measure_scale(factor: float, *, runs: int, work: Path, quick: bool, load_sessions: int = 0) -> dict:
    """Every figure at one scale. Run in a worker process (see `main`)."""
    from kpis.core.framework import load_framework
    from kpis.store.database import Store
    from tools.bench import dataset as benchgen
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"scale": factor, "runs": runs}
    started = time.perf_counter()
    # The seeded dataset is made in a process of its own: the generator is not the product, and its memory (2.1 GB
    # at 10x, building 6.4 million LAIT rows) must not be counted as the product's peak.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        files = pool.submit(benchgen.generate, work / "data", scale=factor).result()
    result["generate_s"] = round(time.perf_counter() - started, 2)
    os.environ["KPIS_FRAMEWORK"] = str(files.framework)  # the pack and the pages load the bench framework
    framework = load_framework(files.framework)
    base, full = work / "base.duckdb", work / "full.duckdb"
    result.update(build_base(base, files, framework))
    result.update(measure_import(base, full, files, framework, runs, work))
    store = Store(full)
    try:
        started = time.perf_counter()
        kpi_values = benchgen.write_kpi_returns(store, framework)
        result["kpi_returns_s"] = round(time.perf_counter() - started, 2)
        store.checkpoint()
        observations = int(store.scalar("SELECT count(*) FROM current_observations"))
    finally:
        store.close()
    result["data"] = {"lait_rows": files.lait_rows, "fingertips_rows": files.fingertips_rows, "kpis": files.kpis,
                      "kpi_values": kpi_values, "observations": observations,
                      "database_mb": round(full.stat().st_size / 2**20, 1)}
    result.update(measure_scorecard(full, framework, runs))
    result.update(measure_submit(full, runs, work, quick))
    result.update(measure_pages(full, files.framework, runs))
    result.update(measure_pdf(full, files.framework, runs))
    result["rss_self_mb"] = rss_mb(resource.RUSAGE_SELF)
    result["rss_children_mb"] = rss_mb(resource.RUSAGE_CHILDREN)
    sizes = {"worker (import, submit, scorecard, PDF)": result["rss_self_mb"],
             "page-render child (AppTest)": result.get("pages_process_rss_mb") or 0.0}
    result["peak_rss_process"] = max(sizes, key=sizes.get)
    result["peak_rss_mb"] = max(sizes.values())   # the children also hold the data generator's process
    if load_sessions:  # after the peak RSS is read: the app and Chromium it starts are not counted there
        result.update(measure_load(full, files.framework, load_sessions, work))
        result["server_load"] = measure_serverload(full, files.framework, (3,) if quick else (10, 50, 100))
    return result


def measure_serverload(full: Path, framework_path: Path, levels: tuple[int, ...]) -> dict:
    """Sessions speaking Streamlit's protocol, no browser, while a lead submits (tools.bench.serverload)."""
    try:
        from tools.bench.serverload import run_serverload
        return run_serverload(full, levels=levels, framework_path=framework_path)
    except Exception as exc:
        return {"error": f"the server load test failed: {type(exc).__name__}: {exc}"}


# -- the orchestrator --------------------------------------------------------------------------
def run_worker(factor: float, *, runs: int, work: Path, quick: bool, load_sessions: int = 0) -> dict:
    out = work / f"worker-{factor:g}.json"
    cmd = [sys.executable, "-m", "tools.bench.run", "--worker", f"{factor:g}", "--runs", str(runs),
           "--workdir", str(work / f"scale-{factor:g}"), "--out", str(out), "--load-sessions", str(load_sessions)]
    cmd += ["--quick"] if quick else []
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0 or not out.exists():
        return {"scale": factor, "error": f"the worker for scale {factor:g} failed (exit {proc.returncode})"}
    return json.loads(out.read_text())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a smoke run: a tiny scale, one run")
    p.add_argument("--scale", help="comma-separated scale factors (default 1,10; with --quick 0.01)")
    p.add_argument("--runs", type=int, help="runs of each figure at scale 1 (default 3; with --quick 1)")
    p.add_argument("--scale-runs", type=int, default=1, help="runs at the other scales (default 1)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the JSON (default bench/results.json)")
    p.add_argument("--workdir", help="where to build the data (default: a temporary folder, removed after)")
    p.add_argument("--keep", action="store_true", help="keep the generated data and databases")
    p.add_argument("--load-sessions", type=int,
                   help="browser sessions of the load test, at the main scale (default 20; with --quick 5; 0: none)")
    p.add_argument("--worker", type=float, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    if args.load_sessions is None:
        args.load_sessions = 5 if args.quick else 20
    args.scales = [float(x) for x in (args.scale or ("0.01" if args.quick else "1,10")).split(",") if x.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker is not None:  # one scale, in this process
        result = measure_scale(args.worker, runs=args.runs, work=Path(args.workdir), quick=args.quick,
                               load_sessions=args.load_sessions)
        Path(args.out).write_text(json.dumps(result, indent=2, default=str))
        return 0
    started = time.perf_counter()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="kpis-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    main_scale = 1.0 if 1.0 in args.scales else args.scales[0]
    try:
        scales = []
        for factor in args.scales:
            runs = args.runs if factor == main_scale else args.scale_runs
            print(f"Measuring scale {factor:g}x ({runs} run{'s' if runs > 1 else ''})...", flush=True)
            scales.append(run_worker(factor, runs=runs, work=work, quick=args.quick,
                                     load_sessions=args.load_sessions if factor == main_scale else 0))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    results = summarise(scales, main_scale=main_scale, args=args, started=started)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(table(results))
    print(f"\nWritten to {out}. Medians of {args.runs} run(s) at {main_scale:g}x; "
          f"{args.scale_runs} at other scales.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
