"""Load on the server alone (issue 25): many Streamlit sessions at once, no browser, while a lead submits.

    python -m tools.bench.serverload --db data/kpis.duckdb [--sessions 10,50,100] [--json]

Each simulated session is what one browser tab is to the server: its own websocket, session state and script
runs, speaking Streamlit's own protocol (`tools.bench.stclient`). A browser would add its own rendering, which
on a two-core machine takes the CPU the server needs (the browser load test, `tools.bench.loadtest`, stays as the
end-to-end check); this measures what the server can carry.

For each level (10, 50, 100 sessions), on a fresh copy of the database and a freshly started app:

- warm-up: one session opens each page once (the server has served pages, as a running server has);
- the lead opens the upload page, uploads a real filled-in template (`leadreturn.make_return`) and types an email;
- then, at one moment, every session opens one page, in turn the scorecard, an outcome area, KPI detail, the
  explorer and the public view, and the lead presses "Confirm and submit". A session's time runs from its
  request until the server says the run has finished (the last element has been sent);
- each run is checked: it finished, its title is the page's, and it holds no exception, no error alert and no
  "Something went wrong" or "busy" notice. The return must be stored exactly once (counted after the app stops).

Reported per level: p50, p95 and max per page (nearest rank), the server's CPU per session (its CPU time over
the burst divided by the sessions), its peak resident memory, the load average, and the client's own CPU. Then,
once: the server CPU of a cached scorecard session (20 sessions one after another, after a warm-up).
Nothing here judges a time: `make bench` compares the figures with the goals.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kpis.core.framework import load_framework
from tools.bench.leadreturn import _submissions, make_return
from tools.bench.loadtest import percentile
from tools.bench.serve import _process_tree, cpu_seconds, log_errors, serve_app
from tools.bench.stclient import Run, Session

LEAD_EMAIL = "serverload.lead@example.org"
BAD_WORDS = ("Something went wrong", "Traceback", "busy")


def pages_to_read(framework) -> list[tuple[str, str, str]]:
    """(label, url path, query) of the pages a board meeting opens."""
    area = framework.areas[0]
    return [("scorecard", "scorecard", ""), (f"area ({area.id})", area.id.replace("_", "-"), ""),
            ("KPI detail", "kpi", f"kpi={framework.kpis[0].id}"), ("explorer", "explorer", ""),
            ("public view", "public", "")]


def problems(run: Run, title: str | None) -> list[str]:
    found = []
    if run.status != "FINISHED_SUCCESSFULLY":
        found.append(f"run ended {run.status}")
    if "exception" in run.kinds():
        found.append("an exception was shown")
    for text in run.texts("alert"):
        if any(word in text for word in BAD_WORDS) or text.startswith("error"):
            found.append(f"alert: {text[:120]}")
    if title is not None and run.headings[:1] != [title]:
        found.append(f"title {run.headings[:1]} instead of {title!r}")
    return found


def server_cpu(pid: int) -> float:
    return sum(cpu_seconds(_process_tree(pid)).values())


async def _reader(url: str, page: tuple[str, str, str], title: str | None, go: asyncio.Event) -> dict:
    label, path, query = page
    out: dict[str, Any] = {"page": label, "seconds": None, "problems": []}
    try:
        async with Session(url, timeout=300) as session:
            await go.wait()
            run = await session.open(path, query)
            out["seconds"] = run.seconds
            out["problems"] = problems(run, title)
    except Exception as exc:
        out["problems"].append(f"did not render: {type(exc).__name__}: {str(exc)[:200]}")
    return out


async def _lead(url: str, data: bytes, go: asyncio.Event) -> dict:
    out: dict[str, Any] = {"problems": []}
    try:
        async with Session(url, timeout=300) as session:
            page = await session.open("upload")
            page = await session.upload("upload_file", "return.xlsx", data, page)
            page = await session.submit({"upload_email": LEAD_EMAIL}, None, page)
            if not any(w.id.endswith("-upload_confirm") for w in page.widgets):
                raise RuntimeError(f"no Confirm button after the upload: {page.main_text[-300:]!r}")
            await go.wait()
            started = time.perf_counter()
            done = await session.submit({}, "upload_confirm", page)
            out["seconds"] = time.perf_counter() - started
            if not any("Return stored as submission" in t for t in done.texts("alert")):
                out["problems"].append(f"not stored: {[t[:120] for t in done.texts('alert')]}")
    except Exception as exc:
        out["problems"].append(f"the lead could not submit: {type(exc).__name__}: {str(exc)[:200]}")
    return out


async def _titles(url: str, pages: list[tuple[str, str, str]]) -> dict[str, str | None]:
    """Warm-up: each page once, which also tells each page's title."""
    titles = {}
    async with Session(url, timeout=300) as session:
        for label, path, query in pages:
            run = await session.open(path, query)
            titles[label] = run.headings[0] if run.headings else None
    return titles


async def _burst(url: str, pages, titles, sessions: int, data: bytes, pid: int) -> dict:
    go = asyncio.Event()
    readers = [asyncio.create_task(_reader(url, pages[i % len(pages)], titles[pages[i % len(pages)][0]], go))
               for i in range(sessions)]
    lead = asyncio.create_task(_lead(url, data, go))
    await asyncio.sleep(2)                # every websocket open and the lead's file checked, before the moment
    cpu0, wall0, client0 = server_cpu(pid), time.perf_counter(), time.process_time()
    go.set()
    results = await asyncio.gather(*readers)
    lead_result = await lead
    return {"results": results, "lead": lead_result, "server_cpu_s": server_cpu(pid) - cpu0,
            "wall_s": time.perf_counter() - wall0, "client_cpu_s": time.process_time() - client0}


async def _cached_scorecard_cpu(url: str, pid: int, n: int = 20) -> float:
    async with Session(url, timeout=300) as session:
        await session.open("scorecard")
    before = server_cpu(pid)
    for _ in range(n):
        async with Session(url, timeout=300) as session:
            await session.open("scorecard")
    return (server_cpu(pid) - before) / n * 1000


def run_level(db: Path, sessions: int, *, work: Path, framework_path: Path | None = None, cached: bool = False
              ) -> dict:
    """One level: a fresh copy of `db`, a freshly started app, `sessions` sessions at once and a lead submitting."""
    copy = work / f"serverload-{sessions}.duckdb"
    shutil.copy(db, copy)
    framework = load_framework(framework_path) if framework_path else load_framework()
    data = make_return(copy, framework.areas[0].id, framework=framework)
    pages = pages_to_read(framework)
    env = {"KPIS_FRAMEWORK": str(framework_path)} if framework_path else None
    info: dict = {}
    load_before = os.getloadavg()
    with serve_app(copy, env=env, info=info) as app:
        titles = asyncio.run(_titles(app.url, pages))
        burst = asyncio.run(_burst(app.url, pages, titles, sessions, data, app.pid))
        cached_ms = asyncio.run(_cached_scorecard_cpu(app.url, app.pid)) if cached else None
        log = log_errors(app.log)
    load_after = os.getloadavg()
    stored, _ = _submissions(copy, hashlib.sha256(data).hexdigest())
    per_page = {}
    for label, _, _ in pages:
        times = [r["seconds"] * 1000 for r in burst["results"] if r["page"] == label and r["seconds"] is not None]
        per_page[label] = {"sessions": sum(r["page"] == label for r in burst["results"]),
                           "p50_ms": _round(percentile(times, 50)), "p95_ms": _round(percentile(times, 95)),
                           "max_ms": _round(max(times) if times else None)}
    every = [r["seconds"] * 1000 for r in burst["results"] if r["seconds"] is not None]
    failed = [r for r in burst["results"] if r["problems"]]
    return {"sessions": sessions, "pages": per_page,
            "p50_ms": _round(percentile(every, 50)), "p95_ms": _round(percentile(every, 95)),
            "max_ms": _round(max(every) if every else None),
            "rendered": sessions - len(failed),
            "problems": [f"{r['page']}: {p}" for r in failed for p in r["problems"]],
            "lead": {"seconds": _round(burst["lead"].get("seconds"), 2), "problems": burst["lead"]["problems"]},
            "stored_times": stored, "server_cpu_s": round(burst["server_cpu_s"], 2),
            "server_cpu_per_session_ms": round(burst["server_cpu_s"] / sessions * 1000, 1),
            "client_cpu_s": round(burst["client_cpu_s"], 2), "wall_s": round(burst["wall_s"], 2),
            "server_peak_rss_mb": info.get("server_peak_rss_mb"), "server_log_errors": log[:5],
            "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
            "cached_scorecard_cpu_ms": _round(cached_ms, 1)}


def _round(value: float | None, digits: int = 0) -> float | None:
    return None if value is None else round(value, digits)


LEVELS = (10, 50, 100)


def run_serverload(db: str | Path, *, levels: tuple[int, ...] = LEVELS, framework_path: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="kpis-serverload-") as folder:
        return {"levels": [run_level(Path(db), n, work=Path(folder), framework_path=framework_path, cached=i == 0)
                           for i, n in enumerate(levels)]}


def table(result: dict) -> str:
    lines = [f"{'sessions':>8}  {'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for level in result["levels"]:
        for label, figures in level["pages"].items():
            lines.append(f"{level['sessions']:>8}  {label:<28}{_num(figures['p50_ms'])}{_num(figures['p95_ms'])}"
                         f"{_num(figures['max_ms'])}")
        lines.append(f"{level['sessions']:>8}  {'all pages':<28}{_num(level['p50_ms'])}{_num(level['p95_ms'])}"
                     f"{_num(level['max_ms'])}")
        lines.append(f"          rendered {level['rendered']} of {level['sessions']}; return stored "
                     f"{level['stored_times']} time(s); server CPU {level['server_cpu_per_session_ms']} ms a session; "
                     f"server peak {level['server_peak_rss_mb']} MB; load {level['load_average']['after'][0]}")
        for problem in level["problems"][:5] + level["lead"]["problems"]:
            lines.append(f"          problem: {problem}")
        if level["cached_scorecard_cpu_ms"] is not None:
            lines.append(f"          cached scorecard session: {level['cached_scorecard_cpu_ms']} ms of server CPU")
    return "\n".join(lines)


SERVER_GOALS = {  # (level, figure): goal words. Issue 25's goals; `make bench` prints each with its figure.
    (50, "p95_ms"): "p95 < 2,000 ms on every page; all render; stored once",
    (100, "p95_ms"): "all render; p95 reported",
    (None, "cached_scorecard_cpu_ms"): "< 50 ms of server CPU",
}


def goal_rows(result: dict) -> list[tuple[str, str, str, str]]:
    """(figure, result, goal, met) rows for `make bench`'s table."""
    rows = []
    levels = {level["sessions"]: level for level in result.get("levels", [])}
    for (sessions, key), goal in SERVER_GOALS.items():
        if sessions is None:
            first = next(iter(levels.values()), {})
            value = first.get(key)
            met = "not measured" if value is None else ("met" if value < 50 else f"NOT MET ({value / 50:.1f}x)")
            rows.append(("server CPU, cached scorecard session", "-" if value is None else f"{value:,.1f} ms", goal,
                         met))
            continue
        level = levels.get(sessions)
        if level is None:
            rows.append((f"server load, {sessions} sessions", "not measured", goal, "not measured"))
            continue
        whole = level["rendered"] == level["sessions"] and level["stored_times"] == 1 and not level["lead"]["problems"]
        worst = max((f["p95_ms"] or 0) for f in level["pages"].values())
        met = ("met" if whole and (sessions != 50 or worst < 2000) else
               "NOT MET (" + ("; ".join(level["problems"][:2] + level["lead"]["problems"]) or
                              f"worst page p95 {worst:,.0f} ms") + ")")
        shown = (f"p95 {level['p95_ms']:,.0f} ms (worst page {worst:,.0f}); {level['rendered']}/{level['sessions']} "
                 f"rendered; stored {level['stored_times']}x; {level['server_cpu_per_session_ms']:,.0f} ms CPU a "
                 f"session; peak {level['server_peak_rss_mb']} MB")
        rows.append((f"server load, {sessions} sessions", shown, goal, met))
    return rows


def _num(value: float | None) -> str:
    return f"{'–' if value is None else f'{value:,.0f}':>9}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database to copy (init --demo builds one)")
    parser.add_argument("--sessions", default=",".join(map(str, LEVELS)), help="levels, e.g. 10,50,100")
    parser.add_argument("--framework", type=Path, help="a framework file (default: the one the app loads)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    levels = tuple(int(n) for n in args.sessions.split(","))
    result = run_serverload(args.db, levels=levels, framework_path=args.framework)
    print(json.dumps(result, indent=2) if args.json else table(result))
    ok = all(level["rendered"] == level["sessions"] and level["stored_times"] == 1 and not level["lead"]["problems"]
             for level in result["levels"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
