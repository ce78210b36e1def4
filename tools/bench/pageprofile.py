"""Where a page's server time goes (issue 25): the server CPU of one session of each page, and a profile of its runs.

    python -m tools.bench.pageprofile --db data/kpis.duckdb [--runs 15] [--pages scorecard,explorer] [--top 25]

The app is started as `serverload` starts it, with one difference: every script run (the server's script thread,
where `dashboard.py` and the page run) is profiled with cProfile while profiling is switched on. For each page the
load test reads (`serverload.pages_to_read`), and the static accessibility statement as a floor (what any run costs:
a new session, the navigation, the sidebar, the database opened and let go), one session opens it first (the
server has served it: its cached views exist, as on a running server); then `runs` new sessions open it one after
another, each with its own websocket, as `serverload`'s cached scorecard figure does. Printed for each page: the
server's CPU per session (without profiling) and the functions of the profiled runs that took most time,
cumulatively, per run. Profiling slows what it measures (about twice): compare its figures with each other, not
with the CPU figure. Nothing here judges a time.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

from kpis.core.framework import load_framework
from tools.bench.serve import ROOT, _process_tree, cpu_seconds, serve_app
from tools.bench.serverload import pages_to_read
from tools.bench.stclient import Session

FLOOR = ("accessibility (floor)", "accessibility", "")
SWITCH = "profiling"  # a file in the profile folder: while it exists, script runs are profiled


def serve(folder: str, argv: list[str]) -> None:
    """Run `streamlit <argv>` with each script run profiled while `<folder>/profiling` exists (in the server)."""
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.web.cli import main

    original = script_runner.ScriptRunner._run_script_thread
    count = iter(range(10**9))
    lock = threading.Lock()

    def profiled(self) -> None:
        if not os.path.exists(os.path.join(folder, SWITCH)):
            return original(self)
        profile = cProfile.Profile()
        profile.enable()
        try:
            return original(self)
        finally:
            profile.disable()
            with lock:
                number = next(count)
            profile.dump_stats(os.path.join(folder, f"run-{number}.prof"))

    script_runner.ScriptRunner._run_script_thread = profiled
    sys.argv = ["streamlit", *argv]
    main()


def server_cpu(pid: int) -> float:
    return sum(cpu_seconds(_process_tree(pid)).values())


async def _open(url: str, path: str, query: str) -> None:
    async with Session(url, timeout=300) as session:
        run = await session.open(path, query)
        if run.status != "FINISHED_SUCCESSFULLY":
            raise RuntimeError(f"{path}: the run ended {run.status}")


async def _sessions(url: str, path: str, query: str, runs: int) -> None:
    for _ in range(runs):
        await _open(url, path, query)


def _collect(folder: Path, wait_s: float = 30) -> pstats.Stats | None:
    """The profiles the server wrote since the last call, merged (and removed)."""
    deadline = time.monotonic() + wait_s
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = sorted(folder.glob("run-*.prof"))
        time.sleep(0.5)
        if files and files == sorted(folder.glob("run-*.prof")):
            break
    if not files:
        return None
    stats = pstats.Stats(str(files[0]))
    for f in files[1:]:
        stats.add(str(f))
    for f in files:
        f.unlink()
    return stats


def _short(file: str) -> str:
    """A profiled function's file: from site-packages, or from this project's root, else as it is."""
    if "site-packages/" in file:
        return file.split("site-packages/")[-1]
    try:
        return str(Path(file).relative_to(ROOT))
    except ValueError:
        return file


def top(stats: pstats.Stats, runs: int, count: int) -> list[tuple[float, float, str]]:
    """(cumulative ms a run, own ms a run, function) of the `count` functions with most cumulative time."""
    rows = []
    for (file, line, name), (_, _, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((cumulative / runs * 1000, own / runs * 1000, f"{_short(file)}:{line}({name})"))
    rows.sort(reverse=True)
    return rows[:count]


def profile_pages(db: str | Path, *, runs: int = 15, only: list[str] | None = None, count: int = 25) -> list[dict]:
    pages = [*pages_to_read(load_framework()), FLOOR]
    if only:
        pages = [p for p in pages if any(p[0].startswith(o) or p[1] == o for o in only)]
    results = []
    with tempfile.TemporaryDirectory(prefix="kpis-pageprofile-") as work:
        folder = Path(work)
        copy = folder / "profile.duckdb"
        copy.write_bytes(Path(db).read_bytes())
        launcher = [sys.executable, "-m", "tools.bench.pageprofile", "--serve", str(folder)]
        with serve_app(copy, launcher=launcher) as app:
            for label, path, query in pages:
                asyncio.run(_open(app.url, path, query))  # served once: its cached views exist
                before = server_cpu(app.pid)
                asyncio.run(_sessions(app.url, path, query, runs))
                cpu_ms = (server_cpu(app.pid) - before) / runs * 1000
                (folder / SWITCH).touch()
                asyncio.run(_sessions(app.url, path, query, runs))
                (folder / SWITCH).unlink()
                stats = _collect(folder)
                results.append({"page": label, "server_cpu_per_session_ms": round(cpu_ms, 1),
                                "load_average": round(os.getloadavg()[0], 2),
                                "top": top(stats, runs, count) if stats else []})
    return results


def report(results: list[dict]) -> str:
    out = io.StringIO()
    for page in results:
        out.write(f"\n{page['page']}: {page['server_cpu_per_session_ms']:,.1f} ms of server CPU a session "
                  f"(load average {page['load_average']})\n")
        out.write(f"{'cum ms/run':>11}{'own ms/run':>11}  function (profiled runs)\n")
        for cumulative, own, where in page["top"]:
            out.write(f"{cumulative:>11.1f}{own:>11.1f}  {where}\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        serve(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database to copy (init --demo builds one)")
    parser.add_argument("--runs", type=int, default=15, help="sessions of each page, one after another")
    parser.add_argument("--pages", help="only these pages, by label or URL path (comma-separated)")
    parser.add_argument("--top", type=int, default=25, help="functions shown for each page")
    args = parser.parse_args(argv)
    only = args.pages.split(",") if args.pages else None
    print(report(profile_pages(args.db, runs=args.runs, only=only, count=args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
