"""Load (issue 9): N browser sessions read the board scorecard at once while a sub-group lead submits a return.

    python -m tools.bench.loadtest --db data/kpis.duckdb [--sessions 20] [--isolation tab|context] [--json]

`run_load(db)` measures it end to end, with the real app and a real Chromium, all on 127.0.0.1:

- The app is started as `streamlit run dashboard.py` on 127.0.0.1 at a free port (`tools.bench.serve.serve_app`).
- The lead submits as a lead really does while the app is running: through the app's upload page,
  in a browser context of its own. The return is the sub-group's real template (`kpis.returns.templates`) filled in
  from last quarter's figures and checked before the app starts (`tools.bench.leadreturn.make_return`), or a file
  you give.
- One Chromium (`CHROMIUM_ARGS`: no sandbox, no GPU, no background networking, component updates or sync,
  and a host-resolver rule that resolves no name but 127.0.0.1). Each reader is its own Streamlit session
  (its own websocket, session state and script runs; `websockets` in the result counts them).
  With ``isolation="tab"`` (the default) the readers are tabs of one browser profile, as returning visitors
  whose browsers hold the app's static files (Streamlit serves them `immutable`); with ``"context"`` each has
  a browser context of its own, a first visit with an empty cache. On a 2-core machine the browser shares
  the CPU with the server, and fresh contexts about double the browser's share (each compiles Streamlit's
  JavaScript anew), so the default keeps the measurement about the server. `cpu_s` says who used the CPU.
- Before the readers start: one page of the app is loaded (the server has served a page, as a running server
  has; in tab mode it also fills the shared cache), and the lead opens the upload page, uploads the file,
  waits for its check and types an email address.
- Then, at one moment, the readers open /scorecard and the lead presses "Confirm and submit". A reader's
  render time runs from its navigation start (the page's time origin) until the scorecard table has rows,
  the last part of the page (its "Open a KPI in detail" link) is there and Streamlit's running indicator has
  gone; it is read inside the page as `performance.now()`, polled every 50 ms.
- Each page is checked for errors when it has rendered and again when everything is over: exception
  boxes (`stException`), error alerts (`stAlertContentError`), "Traceback", "encountered an error",
  "Connection error" and the app's own "Something went wrong". Every request and websocket of every
  session is recorded with its URL, to show that all of them went to 127.0.0.1. The server's log is read for
  tracebacks.
- When the app has stopped, the database is opened read-only and the stored submissions of the file
  (by its sha256) are counted: exactly one is right.

p50 and p95 are nearest-rank percentiles of the sessions' render times. Nothing here judges a time.
Works with a database without accounts (open demo mode, as `init --demo` builds and the bench uses).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kpis.core import chromium
from tools.bench.leadreturn import _submissions, make_return
from tools.bench.serve import HOST, LoadTestError, _process_tree, cpu_seconds, log_errors, serve_app

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {HOST}"]
LEAD_EMAIL = "loadtest.lead@example.org"
LOCAL_SCHEMES = ("data", "blob", "about", "chrome-error")
ERROR_TEXTS = ("Traceback", "encountered an error", "Connection error", "Something went wrong")
VIEWPORT = {"width": 1400, "height": 1000}

# In the page: the scorecard is drawn, the page's last part is there, and Streamlit has stopped running.
RENDERED_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return false;
    if (!main.querySelector('.st-key-board-scorecard [data-testid="stTable"] tbody tr')) return false;
    if (!main.innerText.includes('Open a KPI in detail')) return false;
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    if (w && w.innerText.includes('Running')) return false;
    return performance.now();
}"""
QUIET_JS = """(text) => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || !main.innerText.includes(text)) return false;
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    return !w || !w.innerText.includes('Running');
}"""
ERRORS_JS = """(texts) => {
    const found = [];
    document.querySelectorAll('[data-testid="stException"]').forEach(e =>
        found.push('exception: ' + e.innerText.slice(0, 200)));
    document.querySelectorAll('[data-testid="stAlertContentError"]').forEach(e =>
        found.push('error box: ' + e.innerText.slice(0, 200)));
    const body = document.body ? document.body.innerText : '';
    for (const t of texts) if (body.includes(t)) found.push('text: ' + t);
    return found;
}"""


# -- small parts ------------------------------------------------------------------------------
def find_chromium(explicit: str | Path | None = None) -> str:
    if explicit:
        if not Path(explicit).exists():
            raise LoadTestError(f"No Chromium at {explicit}.")
        return str(explicit)
    try:
        return chromium.find_chromium()
    except chromium.ChromiumNotFound as exc:
        raise LoadTestError(str(exc)) from None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


# -- the browser side -------------------------------------------------------------------------
class _Traffic:
    """Every request and websocket URL of every session."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.websockets: list[str] = []

    def add(self, url: str) -> None:
        self.urls.append(url)

    def add_websocket(self, url: str) -> None:
        self.websockets.append(url)
        self.urls.append(url)

    def summary(self) -> dict:
        checked = [u for u in self.urls if urlsplit(u).scheme not in LOCAL_SCHEMES]
        hosts = sorted({urlsplit(u).hostname or "" for u in checked})
        ports = sorted({urlsplit(u).port for u in checked if urlsplit(u).port})
        off = [u for u in checked if urlsplit(u).hostname != HOST]
        return {"requests": len(self.urls), "requests_checked": len(checked), "hosts": hosts, "ports": ports,
                "off_host_requests": off[:50], "websockets": len(self.websockets)}


async def _new_context(browser, traffic: _Traffic):
    # Reduced motion, as a user may choose: otherwise each waiting page animates its placeholders, and with no
    # GPU twenty pages' animation frames take a core from the server on a small machine. The server's work is
    # the same either way.
    context = await browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    context.on("request", lambda req: traffic.add(req.url))
    return context


async def _new_page(context, traffic: _Traffic):
    page = await context.new_page()
    page.on("websocket", lambda ws: traffic.add_websocket(ws.url))
    return page


async def _quiet(page, text: str, timeout_ms: float) -> None:
    await page.wait_for_function(QUIET_JS, arg=text, polling=100, timeout=timeout_ms)


async def _errors(page) -> list[str]:
    try:
        return await page.evaluate(ERRORS_JS, list(ERROR_TEXTS))
    except Exception as exc:
        return [f"page could not be read: {type(exc).__name__}: {exc}"[:300]]


async def _shot(page, artifacts: Path | None, name: str) -> None:
    if artifacts is None:
        return
    with contextlib.suppress(Exception):
        artifacts.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


async def _reader(i: int, page, url: str, go: asyncio.Event, t0: list[float], timeout_ms: float,
                  artifacts: Path | None) -> dict:
    await go.wait()
    out: dict[str, Any] = {"session": i, "render_ms": None, "errors": []}
    try:
        await page.goto(f"{url}/scorecard", wait_until="commit", timeout=timeout_ms)
        handle = await page.wait_for_function(RENDERED_JS, polling=50, timeout=timeout_ms)
        out["render_ms"] = round(float(await handle.json_value()), 1)
        out["done_at_s"] = time.perf_counter() - t0[0]
    except Exception as exc:
        out["errors"].append(f"did not render: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    out["errors"] += await _errors(page)
    if out["errors"]:
        await _shot(page, artifacts, f"load-session-{i:02d}")
    return out


async def _lead_prepare(page, url: str, *, file: Path, area_id: str, framework, by: str,
                        timeout_ms: float) -> None:
    """Open the upload page, choose the sub-group, upload the file, wait for its check, type the email."""
    await page.goto(f"{url}/upload", timeout=timeout_ms)
    await _quiet(page, "1. Choose your sub-group and quarter", timeout_ms)
    if framework.areas[0].id != area_id:
        area = framework.area(area_id)
        await page.locator('[data-testid="stSelectbox"]').first.click()
        await page.get_by_role("option", name=f"{area.sub_group} ({area.label})").click()
        await page.wait_for_function(
            "(id) => (document.querySelector('input[aria-label=\"KPI\"]') || {}).value?.startsWith(id)",
            arg=framework.kpis_in_area(area_id)[0].id, polling=100, timeout=timeout_ms)
        await _quiet(page, "2. Upload your filled-in return", timeout_ms)
    await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(file))
    await _quiet(page, f"Checked {file.name}", timeout_ms)
    errors = await _errors(page)
    if errors:
        raise LoadTestError(f"the upload page showed errors before confirming: {errors}")
    email = page.get_by_role("textbox", name="Your email address")
    await email.fill(by)
    await email.press("Enter")
    await page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => "
                                 "b.innerText.includes('Confirm and submit') && !b.disabled)",
                                 polling=100, timeout=timeout_ms)


async def _lead_confirm(page, go: asyncio.Event, t0: list[float], timeout_ms: float) -> dict:
    await go.wait()
    out: dict[str, Any] = {"confirm_at_s": round(time.perf_counter() - t0[0], 3), "errors": []}
    try:
        await page.get_by_role("button", name="Confirm and submit").click(timeout=timeout_ms)
        await _quiet(page, "Return stored as submission", timeout_ms)
        out["stored_at_s"] = round(time.perf_counter() - t0[0], 3)
        text = await page.inner_text('[data-testid="stMain"]')
        m = re.search(r"Return stored as submission (\d+)", text)
        out["receipt_batch_id"] = int(m.group(1)) if m else None
    except Exception as exc:
        out["errors"].append(f"the submission did not finish: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    out["errors"] += await _errors(page)
    return out


def _cpu_split(server_pid: int) -> dict[str, dict[int, float]]:
    server = _process_tree(server_pid)
    others = [p for p in _process_tree(os.getpid()) if p not in server and p != os.getpid()]
    return {"server": cpu_seconds(server), "browser": cpu_seconds(others)}


def _cpu_used(before: dict, after: dict) -> dict[str, float]:
    return {k: round(sum(v - before[k].get(pid, 0.0) for pid, v in after[k].items()), 1) for k in after}


async def _drive(url: str, *, server_pid: int, sessions: int, isolation: str, chromium: str, file: Path,
                 area_id: str, framework, by: str, timeout_s: float, artifacts: Path | None) -> dict:
    from playwright.async_api import async_playwright
    timeout_ms = timeout_s * 1000
    traffic = _Traffic()
    args = CHROMIUM_ARGS + (["--process-per-site"] if isolation == "tab" else [])
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, headless=True, args=args)
        try:
            shared = await _new_context(browser, traffic) if isolation == "tab" else None
            warm_ctx = shared or await _new_context(browser, traffic)
            warm = await _new_page(warm_ctx, traffic)                  # the server has served a page before
            await warm.goto(url, timeout=timeout_ms)
            await warm.locator('[data-testid="stMain"] h1').first.wait_for(timeout=timeout_ms)
            await (warm.close() if shared else warm_ctx.close())
            lead = await _new_page(await _new_context(browser, traffic), traffic)
            await _lead_prepare(lead, url, file=file, area_id=area_id, framework=framework, by=by,
                                timeout_ms=timeout_ms)
            readers = [await _new_page(shared or await _new_context(browser, traffic), traffic)
                       for _ in range(sessions)]
            go, t0 = asyncio.Event(), [0.0]
            tasks = [asyncio.create_task(_reader(i, page, url, go, t0, timeout_ms, artifacts))
                     for i, page in enumerate(readers)]
            lead_task = asyncio.create_task(_lead_confirm(lead, go, t0, timeout_ms))
            await asyncio.sleep(0)
            cpu_before, load_before = _cpu_split(server_pid), os.getloadavg()[0]
            t0[0] = time.perf_counter()
            go.set()
            results = await asyncio.gather(*tasks)
            lead_out = await lead_task
            window_s = time.perf_counter() - t0[0]
            cpu = _cpu_used(cpu_before, _cpu_split(server_pid))
            load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            for r, page in zip(results, readers, strict=False):                      # again, once everything is over
                late = [e for e in await _errors(page) if e not in r["errors"]]
                r["errors"] += [f"later: {e}" for e in late]
            if lead_out["errors"]:
                await _shot(lead, artifacts, "load-lead")
        finally:
            await browser.close()
    return {"readers": results, "lead": lead_out, "window_s": window_s, "traffic": traffic.summary(), "cpu_s": cpu,
            "load_average": load}


# -- the whole run ----------------------------------------------------------------------------
def run_load(db: str | Path, *, sessions: int = 20, return_file: str | Path | None = None,
             area_id: str | None = None, by: str = LEAD_EMAIL, chromium: str | Path | None = None,
             framework_path: str | Path | None = None, isolation: str = "tab", timeout_s: float = 300,
             artifacts: str | Path | None = None) -> dict:
    """Serve `db`, have `sessions` browser sessions open the scorecard at once while a lead submits a return
    through the upload page, and report what happened (see the module's docstring). Changes `db`: the
    return is stored in it. `return_file` defaults to the first sub-group's template, filled in."""
    from kpis.access.permissions import users_exist
    from kpis.core.framework import load_framework
    from kpis.returns.submission import sha256
    from kpis.store.database import Store
    if isolation not in ("tab", "context"):
        raise ValueError(f"isolation is 'tab' or 'context', not {isolation!r}")
    started = time.perf_counter()
    db = Path(db)
    exe = find_chromium(chromium)
    fw = load_framework(framework_path)
    store = Store(db, read_only=True)
    try:
        if users_exist(store):
            raise LoadTestError("The load test needs a database without accounts (open demo mode): with accounts "
                                "everyone signs in, and the lead would have to sign in first.")
    finally:
        store.close()
    area_id = area_id or next(a.id for a in fw.areas if fw.kpis_in_area(a.id))
    work = Path(tempfile.mkdtemp(prefix="kpis-loadtest-"))
    try:
        if return_file is None:
            file = work / f"{area_id}-return.xlsx"
            file.write_bytes(make_return(db, area_id, framework=fw))
        else:
            file = Path(return_file)
        digest = sha256(file.read_bytes())
        before_file, before_all = _submissions(db, digest)
        env = {"KPIS_FRAMEWORK": str(framework_path)} if framework_path else {}
        info: dict[str, Any] = {}
        log = (Path(artifacts) if artifacts else work) / "loadtest-streamlit.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with serve_app(db, env=env, log=log, info=info) as app:
            driven = asyncio.run(_drive(app.url, server_pid=app.pid, sessions=sessions, isolation=isolation,
                                        chromium=exe, file=file, area_id=area_id, framework=fw, by=by,
                                        timeout_s=timeout_s, artifacts=Path(artifacts) if artifacts else None))
        server_errors = log_errors(app.log)
        after_file, after_all = _submissions(db, digest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    readers, lead = driven["readers"], driven["lead"]
    times = [r["render_ms"] for r in readers if r["render_ms"] is not None]
    errors = [{"session": r["session"], "error": e} for r in readers for e in r["errors"]]
    ok = sum(1 for r in readers if r["render_ms"] is not None and not r["errors"])
    last_render_s = max((r.get("done_at_s", 0.0) for r in readers), default=0.0)
    traffic = driven["traffic"]
    return {
        "sessions": sessions, "isolation": isolation, "rendered_ok": ok, "errors": errors,
        "render_ms": [r["render_ms"] for r in readers],
        "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "max_ms": max(times) if times else None,
        "percentiles": "nearest rank, over the sessions that rendered",
        "submission": {
            "file": file.name, "area": area_id, "by": by, "sha256": digest,
            "stored_count": after_file - before_file, "submissions_added": after_all - before_all,
            "receipt_batch_id": lead.get("receipt_batch_id"), "errors": lead["errors"],
            "confirm_at_s": lead.get("confirm_at_s"), "stored_at_s": round(lead["stored_at_s"], 3)
            if "stored_at_s" in lead else None,
            "during_load": lead.get("confirm_at_s") is not None and lead["confirm_at_s"] < last_render_s,
            "how": "through the app's upload page (the app holds the database open for writing)"},
        "stored_count": after_file - before_file,
        "host": HOST, "port": int(urlsplit(app.url).port), "url": app.url, "hosts": traffic["hosts"],
        "ports": traffic["ports"], "requests": traffic["requests"], "off_host_requests": traffic["off_host_requests"],
        "websockets": traffic["websockets"],
        "server_log_errors": server_errors, "server_peak_rss_mb": info.get("server_peak_rss_mb"),
        "load_window_s": round(driven["window_s"], 2), "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": driven["cpu_s"], "cpus": os.cpu_count(), "load_average_before_after": driven["load_average"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.bench.loadtest", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", help="the database (default: KPIS_DB or data/kpis.duckdb); the return is stored in it")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--return-file", help="the return to submit (default: the first sub-group's, filled in)")
    p.add_argument("--area", help="the sub-group of the return")
    p.add_argument("--chromium", help="Chromium's path (default: CHROMIUM or chromium on PATH)")
    p.add_argument("--isolation", choices=("tab", "context"), default="tab",
                   help="each session a tab of one browser profile (default: a returning visitor, cached static "
                        "files) or a browser context of its own (a first visit, about twice the browser's CPU)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from kpis.store.database import db_path
    try:
        result = run_load(db_path(args.db), sessions=args.sessions, return_file=args.return_file,
                          area_id=args.area, chromium=args.chromium, isolation=args.isolation)
    except LoadTestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        s = result["submission"]
        print(f"{result['rendered_ok']} of {result['sessions']} sessions rendered the scorecard without an error; "
              f"render p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms.")
        print(f"The return was stored {s['stored_count']} time(s) (confirmed at {s['confirm_at_s']} s, stored at "
              f"{s['stored_at_s']} s). Hosts: {', '.join(result['hosts'])}.")
        for e in result["errors"]:
            print(f"  session {e['session']}: {e['error']}")
    ok = result["rendered_ok"] == result["sessions"] and result["stored_count"] == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
