"""The app's store keeps the file open for a moment after a page run, for the next one (issue 25).

Opening the file took about half of a cached page's server time, so an on-demand store may linger: the last
session out leaves the file open for `linger_s`, a session that starts meanwhile uses it, and a timer closes it
if none does. Other processes still get their turn: the file is free within the linger, at once after
`released()` or `close()`, and at once while another process waits for it (it leaves a note). Other processes
here are real child processes.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from kpis.store.database import APP_LINGER_S, Store, linger
from kpis.store.waiting import waiting_note
from tests.conftest import ROOT
from tests.support.locks import free_for_another_process
from tests.support.visitors import COUNT_A_VISIT, run_visitors, visits


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every file DuckDB opens, counted as `duckdb.connect` is called."""
    calls: list[str] = []
    real = duckdb.connect

    def counting(database, *args, **kwargs):
        calls.append(str(database))
        return real(database, *args, **kwargs)
    monkeypatch.setattr(duckdb, "connect", counting)
    return calls


def free_within(path: Path, seconds: float) -> float | None:
    """How long until another process can open `path` (None if not within `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if free_for_another_process(path):
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def lingering_timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kpis-store-linger" and t.is_alive()]


def timers_end(within_s: float = 5) -> bool:
    """Whether every linger timer has ended (each is given `within_s` to do so)."""
    for timer in lingering_timers():
        timer.join(within_s)
    return not lingering_timers()


def test_a_session_within_the_linger_uses_the_open_file(tmp_path, opened):
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=30)
    try:
        assert len(opened) == 1                          # created, and still open for the next session
        assert not free_for_another_process(path)
        with store.session():
            assert store.scalar("SELECT count(*) FROM schema_migrations") > 0
        assert store.df("SELECT 1 AS one")["one"].tolist() == [1]   # a read on its own is a session too
        with store.transaction() as cur:
            cur.execute("INSERT INTO settings VALUES ('visits', '1')")
        assert len(opened) == 1                          # no session opened the file again
    finally:
        store.close()
    assert free_for_another_process(path)                # close() lets go at once


def test_after_the_linger_the_file_is_free_for_another_process(tmp_path, opened):
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=2.0)
    with store.session():
        assert store.scalar("SELECT 1") == 1
    ended = time.monotonic()
    assert not free_for_another_process(path)            # it lingers
    took = free_within(path, 2.0 + 10)                   # a loaded machine starts the child slowly: the rest
    assert took is not None, "the file was never let go"
    assert time.monotonic() - ended >= 2.0 - 0.05        # not before its time
    assert store._con is None
    assert store.scalar("SELECT 2") == 2                 # the next session opens it again
    assert len(opened) == 2
    store.close()
    assert timers_end()


def test_with_no_linger_the_file_closes_as_the_last_session_ends(tmp_path):
    path = tmp_path / "now.duckdb"
    store = Store(path, hold=False)                       # the default: command-line tools and backups
    assert store.linger_s == 0
    with store.session():
        assert not free_for_another_process(path)
    assert free_for_another_process(path)


def test_released_and_close_let_go_at_once(tmp_path, opened):
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=60)
    with store.session():
        assert store.scalar("SELECT 1") == 1
        with store.released():
            assert free_for_another_process(path)        # a backup could run while the pack is drawn
            assert store.scalar("SELECT 2") == 2         # a read in the body opens it for itself...
            assert free_for_another_process(path)        # ...and does not keep it lingering
        assert store.scalar("SELECT 3") == 3
    assert not free_for_another_process(path)            # the session's end lingers, as usual
    assert lingering_timers()
    store.close()
    assert free_for_another_process(path)                # close() does not wait for the linger
    assert timers_end()                                  # and its timer ends too


def test_concurrent_sessions_share_the_file_and_the_timer_never_closes_it_under_one(tmp_path, opened):
    """Sessions on many threads start and end around a very short linger, so the timer often fires just as a
    session starts: a connection closed under a session would fail its query."""
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=0.005, wait_s=10)

    def visitor(i: int) -> None:
        for n in range(40):
            with store.session():
                cur = store.cursor()
                try:
                    assert cur.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0
                finally:
                    cur.close()
                if n % 4 == 0:
                    with store.transaction() as cur:
                        cur.execute(COUNT_A_VISIT)
            time.sleep((i + n) % 3 * 0.004)               # gaps either side of the linger

    run_visitors(visitor)
    assert visits(store) == "60"                           # no write lost
    before = len(opened)
    for n in range(40):                                  # one visitor, either side of the linger in turn
        assert store.scalar("SELECT 1") == 1
        time.sleep(0.001 if n % 2 else 0.03)
    assert len(opened) > before                          # the timer closed it in the long gaps
    assert free_within(path, 10) is not None             # and lets go when everyone is done
    assert store._con is None and store._users == 0
    assert timers_end()


def test_while_another_process_waits_for_the_file_it_does_not_linger(tmp_path):
    """A command-line tool that finds the file taken leaves a note; the app then lets go as its session ends,
    rather than 60 seconds later, and the tool gets in well within its wait."""
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=60)
    code = textwrap.dedent(f"""
        import time
        from kpis.store.database import Store
        started = time.monotonic()
        Store({str(path)!r}, wait_s=30).close()
        print(round(time.monotonic() - started, 2), flush=True)
    """)
    with store.session():
        child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 60
        while not waiting_note(path).exists():           # the child has found the file taken
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never waited"
            time.sleep(0.05)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert float(out) < 20                               # in as the session ended, not after the linger
    assert not waiting_note(path).exists()               # it took its note away when it got in
    assert store._con is None
    store.close()


def test_a_stale_note_from_a_waiter_long_gone_does_not_stop_the_linger(tmp_path):
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=60)
    note = waiting_note(path)
    note.touch()
    os.utime(note, (time.time() - 600, time.time() - 600))
    with store.session():
        pass
    assert store._con is not None                        # lingering
    store.close()


def test_the_app_lingers_by_default_and_the_setting_changes_it(monkeypatch):
    monkeypatch.delenv("KPIS_DB_LINGER", raising=False)
    assert linger() == APP_LINGER_S == 1.5
    monkeypatch.setenv("KPIS_DB_LINGER", "0")
    assert linger() == 0
    monkeypatch.setenv("KPIS_DB_LINGER", "0.25")
    assert linger() == 0.25
    monkeypatch.setenv("KPIS_DB_LINGER", "soon")         # not a number: the default
    assert linger() == APP_LINGER_S


def test_the_apps_store_lingers_and_a_cleared_cache_lets_go_at_once(demo_db, app_env, monkeypatch):
    import streamlit as st

    from app_pages._common import store
    monkeypatch.setenv("KPIS_DB_LINGER", "60")
    app_env(demo_db)
    app_store = store()
    assert app_store.linger_s == 60 and not app_store.hold
    assert app_store.scalar("SELECT count(*) FROM areas") > 0
    assert not free_for_another_process(demo_db)         # lingering for the next page run
    st.cache_resource.clear()                            # as on a server's shutdown or a test's reset
    assert free_for_another_process(demo_db)
    monkeypatch.setenv("KPIS_DB_LINGER", "0")
    assert store().linger_s == 0                         # a changed setting makes a new store
    assert store().scalar("SELECT count(*) FROM areas") > 0
    assert free_for_another_process(demo_db)


def test_a_read_only_store_in_this_process_gets_in_while_the_apps_store_lingers(tmp_path):
    """DuckDB refuses a second connection to a file with other settings in one process: a read-only store
    opened here (a command run in the server's process, a test) closes the lingering file first, rather than
    being told the database is damaged."""
    path = tmp_path / "linger.duckdb"
    store = Store(path, hold=False, linger_s=60)
    assert store._con is not None                        # lingering after creating the schema
    with Store(path, read_only=True) as reader:
        assert reader.scalar("SELECT count(*) FROM schema_migrations") > 0
        assert store._con is None                        # the lingering file was let go
    assert store.scalar("SELECT 1") == 1                 # and the app's next session opens it again
    store.close()
    assert timers_end()


def test_a_process_that_ends_while_its_file_lingers_closes_it_properly(tmp_path):
    """A server stopping within the linger closes the file as the timer would: its log folded into the file,
    no DuckDB connection left to the interpreter's teardown."""
    path = tmp_path / "linger.duckdb"
    code = textwrap.dedent(f"""
        from kpis.store.database import Store
        store = Store({str(path)!r}, hold=False, linger_s=60)
        with store.transaction() as cur:
            cur.execute("INSERT INTO settings VALUES ('visits', '1')")
        assert store._con is not None, "not lingering"
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr
    assert not Path(f"{path}.wal").exists()              # checkpointed as it closed
    with Store(path, read_only=True) as store:
        assert store.scalar("SELECT value FROM settings WHERE key = 'visits'") == "1"
