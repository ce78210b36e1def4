"""The app and the command line share the database file (issue 15).

DuckDB lets one process at a time open a file for writing, and no other process may open it meanwhile. The app
holds the file only while a page runs, so a command-line import gets in between runs; whoever finds the file
taken waits a bounded time and then says, in plain English, that the database is busy. Every other process here
is a real child process (`python -m kpis ...`, or a script holding a real DuckDB connection).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

from streamlit.testing.v1 import AppTest

from kpis.store.database import APP_LINGER_S, Store
from tests.conftest import ROOT
from tests.support.apptest import texts
from tests.support.auth import ACCOUNTS, accounts_db, accounts_db_master
from tests.support.visitors import COUNT_A_VISIT, run_visitors, visits

warnings.filterwarnings("ignore", category=DeprecationWarning)

BUSY_MESSAGE = "The database is busy: another program (an import or a backup) is using it. Try again in a minute."
FIXTURE = ROOT / "tests" / "fixtures" / "benchmarks" / "dfe_d3_markers.csv"
BOARD = {"Overview", "Board scorecard", "What changed", "Early help", "Emotional wellbeing and mental health", "SEND",
         "Safeguarding", "KPI detail", "Board pack", "Board meetings"}
PUBLIC = {"Public view", "Accessibility statement"}
EVERY_PAGE = BOARD | PUBLIC | {"Submit a return", "Explorer", "Definitions", "Data quality", "SQL console",
                               "Users and audit", "Import published figures"}


def cli(*args: str, wait_s: float | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if wait_s is not None:
        env["KPIS_DB_WAIT"] = str(wait_s)
    return subprocess.Popen([sys.executable, "-m", "kpis", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def hold_the_file(db: Path, within_s: float = APP_LINGER_S + 3) -> subprocess.Popen:
    """A child process that opens the database (as any DuckDB program would) and keeps it open.

    The app keeps the file for its linger after a page run (`APP_LINGER_S`), so the child tries again for a
    little longer than that (the rest is a child's start on a loaded machine); it must get in within it."""
    code = textwrap.dedent(f"""
        import time, duckdb
        started = time.monotonic()
        while True:
            try:
                con = duckdb.connect({str(db)!r})
                break
            except duckdb.IOException:
                if time.monotonic() - started > {within_s}:
                    raise
                time.sleep(0.05)
        print("open", flush=True)
        time.sleep(600)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = holder.stdout.readline().decode().strip()
    if line != "open":
        holder.kill()
        holder.wait()
        raise AssertionError(f"the child could not open the database: {holder.stderr.read().decode()[-800:]}")
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.kill()
    holder.wait()


def rerun(at: AppTest) -> AppTest:
    """Run this visitor's session again, through `dashboard.py` as a browser's rerun is.

    AppTest clears Streamlit's "pages folder" flag before each run, so a rerun of a page would run the page file
    on its own (a server clears the flag once, on its first run: `app_pages/_common.py`). Asking for the default
    page sends the run through the navigation, as on a server.
    """
    at._page_hash = at._finished_page_script_hash = ""
    return at.run()


def pages(at: AppTest) -> set[str]:
    """The pages this session's navigation offers."""
    return {info["page_name"] for info in at._registered_pages.values()}




def england_for_sg02(at: AppTest) -> str:
    table = at.table[0].value.reset_index()          # the KPI cell is the table's row header (its index)
    row = next(r for _, r in table.iterrows() if str(r["KPI"]).startswith("[**SG02"))
    return row["Compared with England"]


def revised_file(tmp_path: Path) -> Path:
    """The DfE child protection file, as if DfE had revised England's 2024-25 figure (24.5% to 27.3%)."""
    lines = FIXTURE.read_text().splitlines()
    england = "2025,Reporting year,National,E92000001,England,,,,,,"
    assert lines[1].startswith(england) and lines[1].endswith(",61840,15130,24.5")
    lines[1] = lines[1].replace(",61840,15130,24.5", ",61840,16900,27.3")
    path = tmp_path / "d3_revised.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_command_line_import_runs_while_the_app_serves_and_the_app_then_shows_it(demo_db, app_env, tmp_path):
    app_env(demo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at = at.switch_page("app_pages/scorecard.py").run()
    assert not at.exception, at.exception
    assert "England (24.5% in 2024/25)" in england_for_sg02(at)

    started = time.monotonic()
    proc = cli("--db", str(demo_db), "import-benchmarks", str(revised_file(tmp_path)))
    runs = 0
    while proc.poll() is None and time.monotonic() - started < 120:  # the visitor keeps clicking meanwhile
        at.run()
        runs += 1
        assert not at.exception, at.exception
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
    assert runs >= 1

    at.run()  # the scorecard is cached by data version: the import made a new version
    assert not at.exception, at.exception
    assert "England (27.3% in 2024/25)" in england_for_sg02(at)
    assert "busy" not in texts(at)


def test_while_another_program_holds_the_file_the_app_says_so_with_its_usual_navigation(demo_db, app_env,
                                                                                       monkeypatch):
    monkeypatch.setenv("KPIS_DB_WAIT", "1")
    app_env(demo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert pages(at) == EVERY_PAGE  # the demo database has no accounts: open demo mode

    holder = hold_the_file(demo_db)  # the app lets go of the file within its linger after the run
    try:
        for run in (rerun(at), AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()):
            assert not run.exception, run.exception  # the same visitor again, and a new one
            body = texts(run)
            assert BUSY_MESSAGE in body
            assert "Traceback" not in body
            assert pages(run) == EVERY_PAGE  # the navigation, never Streamlit's list of page files
            assert not [p for p in pages(run) if p.endswith(".py") or p.startswith("_")]
            assert not run.table  # no figures
    finally:
        release(holder)

    rerun(at)  # the other program has finished: the page is back
    assert not at.exception, at.exception
    assert BUSY_MESSAGE not in texts(at)
    assert "Worcestershire" in texts(at)


def test_a_visitor_arriving_while_another_program_holds_the_file_gets_the_busy_page(demo_db, app_env, monkeypatch):
    from app_pages import _auth as auth_glue
    if hasattr(auth_glue, "_last_open_mode"):  # the server has seen nobody yet: it knows no more than "signed out"
        monkeypatch.setitem(auth_glue._last_open_mode, "known", False)
    monkeypatch.setenv("KPIS_DB_WAIT", "1")
    app_env(demo_db)
    holder = hold_the_file(demo_db)
    try:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    finally:
        release(holder)
    assert not at.exception, at.exception
    assert BUSY_MESSAGE in texts(at)
    assert pages(at) == PUBLIC | {"Sign in"}  # the app's navigation, not Streamlit's list of page files


def test_a_signed_in_analyst_keeps_their_pages_while_the_database_is_busy(accounts_db, app_env, monkeypatch):
    from app_pages._auth import SESSION_KEY
    from kpis.store.database import now
    monkeypatch.setenv("KPIS_DB_WAIT", "1")
    app_env(accounts_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state[SESSION_KEY] = {"email": ACCOUNTS["analyst"][0], "method": "password", "started": now(),
                                     "last_seen": now()}
    at.run()
    assert not at.exception, at.exception
    analyst_pages = pages(at)
    assert "SQL console" in analyst_pages and "Users and audit" not in analyst_pages

    holder = hold_the_file(accounts_db)
    try:
        rerun(at)
        assert not at.exception, at.exception
        assert BUSY_MESSAGE in texts(at)
        assert pages(at) == analyst_pages
        stranger = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
        assert not stranger.exception, stranger.exception
        assert pages(stranger) == PUBLIC | {"Sign in"}  # someone new gets the signed-out pages, no more
    finally:
        release(holder)


def test_the_command_line_waits_then_says_plainly_that_the_database_is_busy(demo_db):
    holder = hold_the_file(demo_db)
    try:
        started = time.monotonic()
        proc = cli("--db", str(demo_db), "import-benchmarks", str(FIXTURE), wait_s=3)
        out, err = proc.communicate(timeout=120)
        waited = time.monotonic() - started
    finally:
        release(holder)
    assert proc.returncode == 2, (out, err)
    assert "Traceback" not in out + err
    assert BUSY_MESSAGE in err
    assert waited >= 3  # it waited its turn before giving up


def test_the_command_line_gets_in_when_the_other_program_lets_go_within_the_wait(demo_db):
    holder = hold_the_file(demo_db)
    proc = cli("--db", str(demo_db), "import-benchmarks", str(FIXTURE), "--json", wait_s=60)
    time.sleep(6)  # long enough for the command to start and find the file taken
    assert proc.poll() is None  # still waiting
    release(holder)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert '"rows_imported"' in out


def can_open_elsewhere(db: Path) -> bool:
    """Whether another process can open the file read-only right now."""
    code = f"import duckdb; duckdb.connect({str(db)!r}, read_only=True).close()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_an_on_demand_store_holds_the_file_only_inside_a_session(demo_db):
    store = Store(demo_db, hold=False, wait_s=0)
    assert can_open_elsewhere(demo_db)
    with store.session():
        assert not can_open_elsewhere(demo_db)
        cur = store.cursor()
    assert not can_open_elsewhere(demo_db)  # an open cursor keeps it
    assert cur.execute("SELECT count(*) FROM areas").fetchone()[0] > 0
    cur.close()
    assert can_open_elsewhere(demo_db)
    assert store.scalar("SELECT count(*) FROM areas") > 0  # a read on its own opens and closes it
    assert can_open_elsewhere(demo_db)


def test_threads_share_an_on_demand_store_and_it_lets_go_when_they_are_done(demo_db):
    """Page runs on several threads at once: reads, and writes one at a time under the store's lock."""
    import threading
    store = Store(demo_db, hold=False, wait_s=5)
    def visitor(i: int) -> None:
        for _ in range(10):
            with store.session():
                assert store.scalar("SELECT count(*) FROM areas") > 0
                with store.transaction() as cur:
                    cur.execute(COUNT_A_VISIT)

    run_visitors(visitor)
    assert visits(store) == "60"  # no write lost
    assert can_open_elsewhere(demo_db)
