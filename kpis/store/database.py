"""The DuckDB store: opening the file (waiting for another process that holds it), the schema's migrations
and transactions.

The tables' queries live beside it, one module per family: observations, batches, audit, narratives, returns,
accounts, governance (meetings, actions, escalations), rebases, series, self-assessment.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from kpis.core.framework import DATA_DIR
from kpis.store.schema import MIGRATIONS, SCHEMA_VERSION
from kpis.store.waiting import LINGERING, let_go_here, note_waiting, someone_waiting, waiting_note

DEFAULT_DB = DATA_DIR / "kpis.duckdb"


class StoreError(RuntimeError):
    """A problem with the database, said in plain English."""


def now() -> datetime:
    """UTC wall-clock time without tzinfo, the form DuckDB TIMESTAMP columns hold."""
    return datetime.now(UTC).replace(tzinfo=None)


def db_path(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get("KPIS_DB") or DEFAULT_DB)


def is_lock_error(exc: Exception) -> bool:
    """DuckDB's 'Could not set lock on file ...: Conflicting lock is held' (another process has the file)."""
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text


def damaged_message(path: Path, exc: Exception) -> str:
    """What to say when a file is not a readable DuckDB database."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (f"The database {path} is damaged or is not a KPI database, so it cannot be opened. Nothing was "
            f"changed. Restore the latest backup with: python -m kpis --db {path} restore BACKUP.zip "
            f"(or rebuild it with: python -m kpis --db {path} init --demo). Details: {detail}")


BUSY_MESSAGE = ("The database is busy: another program (an import or a backup) is using it. "
                "Try again in a minute.")
CLI_WAIT_S = 30.0   # a command-line tool waits this long for the file before it gives up
APP_WAIT_S = 10.0   # the app waits less: someone is looking at the page
BACKUP_WAIT_S = 600.0  # a backup (often scheduled) waits out a long page run or an import
APP_LINGER_S = 1.5  # the app keeps the file this long after its last page run, for the next one (0: not at all)


def busy_wait(default: float) -> float:
    """Seconds to wait for a database another process holds: `KPIS_DB_WAIT` if set, else `default`."""
    try:
        return max(0.0, float(os.environ["KPIS_DB_WAIT"]))
    except (KeyError, ValueError):
        return default


def linger(default: float = APP_LINGER_S) -> float:
    """Seconds the app keeps the file open after its last page run: `KPIS_DB_LINGER` if set, else `default`."""
    try:
        return max(0.0, float(os.environ["KPIS_DB_LINGER"]))
    except (KeyError, ValueError):
        return default


class StoreBusy(StoreError):
    """Another process held the database file for longer than we were willing to wait."""

    def __init__(self, path: Path, waited_s: float):
        super().__init__(f"{BUSY_MESSAGE} (Waited {waited_s:.0f} seconds.)")  # no path: visitors see it too
        self.path, self.waited_s = path, waited_s


MEMORY_LIMIT_ENV = "KPIS_DUCKDB_MEMORY"
DEFAULT_MEMORY_LIMIT = "600MB"


def duckdb_config() -> dict[str, str]:
    """DuckDB's settings for every connection: a cap on its buffer memory (`KPIS_DUCKDB_MEMORY`, default 600MB), so
    a national import or a page over 7 million values spills to disk instead of taking the server's memory."""
    return {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT}


def connect(path: Path, *, read_only: bool, wait_s: float,
            on_busy: Callable[[float], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying with backoff while another process holds it; StoreBusy after `wait_s`.

    DuckDB lets one process at a time open a file for writing (and none may read it meanwhile), so every
    program here opens it only while working and closes it after; whoever finds it taken waits its turn, and
    leaves a note meanwhile (`waiting_note`) so that the app lets go as soon as its page runs end.
    `on_busy(wait_s)` is called once, when the file is first found taken (a command line says it is waiting).
    """
    started = time.monotonic()
    delay = 0.05
    note = waiting_note(path)
    try:
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    if "different configuration" in str(exc) and let_go_here(path):
                        continue  # this process's own app store lingered on it (DuckDB allows one setting)
                    raise StoreError(damaged_message(path, exc)) from None
                waited = time.monotonic() - started
                if waited + delay > wait_s:
                    raise StoreBusy(path, max(waited, wait_s)) from None
                note_waiting(note)
                if on_busy is not None and delay == 0.05:
                    on_busy(wait_s)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
    finally:
        if delay > 0.05:  # it waited, so it left a note
            note_waiting(note, done=True)


class _HeldCursor:
    """A cursor that keeps the store's connection open until it is closed (on-demand stores only)."""

    def __init__(self, store: Store):
        self._store = store
        self._session = store.session()
        self._session.__enter__()
        try:
            self._cur = store._con.cursor()
        except BaseException:
            self._session.__exit__(None, None, None)
            raise

    def __getattr__(self, name: str):
        return getattr(self._cur, name)

    def close(self) -> None:
        if self._session is not None:
            try:
                self._cur.close()
            finally:
                session, self._session = self._session, None
                session.__exit__(None, None, None)


class Store:
    """The KPI database: a cursor per thread, one lock around writes.

    Two ways to hold the file. A command-line tool (`hold=True`, the default) opens it once and keeps it until
    `close()`. The app (`hold=False`) holds it only while working: `session()` opens it (or joins the threads
    already using it) and the last one out lets it go, so a scheduled import or backup can run between page
    runs. Every read and write outside a session is a session of its own. Both wait (with backoff) for a file
    another process holds, then raise `StoreBusy`, whose message says so in plain English.

    Opening the file costs more than a cached page run's own work, so an on-demand store may linger: when the
    last one out leaves, the file stays open `linger_s` seconds more (0, the default, closes it at once) for a
    session that starts meanwhile; if none does, a timer closes it. So another program gets the file at most
    `linger_s` after the last page run, and while one waits for it (leaving a note: `connect`) it does not linger
    at all: a steady stream of page runs cannot keep out an import. `released()` and `close()` let go at once.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False, create: bool = True,
                 hold: bool = True, wait_s: float | None = None, on_busy: Callable[[float], None] | None = None,
                 linger_s: float = 0.0):
        self.path = db_path(path)
        self.linger_s = max(0.0, linger_s)
        self.on_busy = on_busy
        self.read_only = read_only
        self.hold = hold
        self.wait_s = busy_wait(CLI_WAIT_S if wait_s is None else wait_s)
        if not self.path.exists() and (read_only or not create):
            raise StoreError(f"There is no database at {self.path}. "
                             f"Create it with: python -m kpis --db {self.path} init --demo")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.RLock()
        self._guard = threading.RLock()  # around opening and closing, and the count of users
        self._users = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        self._close_at: float | None = None  # while the file lingers: when the timer closes it
        self._timer: threading.Thread | None = None
        self._timer_wakes = threading.Condition(self._guard)
        self._releasing = 0  # `released()` bodies running: meanwhile the file never lingers
        if hold:
            self._open()
        else:
            with self.session():  # create or upgrade the schema once, and see that the file is a database
                pass

    def __enter__(self) -> Store:
        """`with Store(path) as store:` closes the store at the end of the block, whatever happens in it."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError("The database is not open here: use `with store.session():` around the work.")
        return self._con

    def _open(self) -> None:
        self._con = connect(self.path, read_only=self.read_only, wait_s=self.wait_s, on_busy=self.on_busy)
        if self.read_only:
            return
        try:
            if not self._schema_current():
                self.migrate()
        except duckdb.Error as exc:  # a damaged block is often found only when the catalogue is read
            self._con.close()
            self._con = None
            if "corrupt" not in str(exc).lower():
                raise
            raise StoreError(damaged_message(self.path, exc)) from None
        except BaseException:
            self._con.close()
            self._con = None
            raise

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Hold the file for the body (on-demand stores); nested and concurrent sessions share one connection.
        The last one out lets go of it, after `linger_s` if no session starts meanwhile (one that does uses it)."""
        if self.hold:
            yield self
            return
        with self._guard:
            self._users += 1  # first, so the schema check inside `_open` (a session too) does not close it
            self._close_at = None  # a lingering file is this session's now: the timer leaves it open
            if self._con is None:
                try:
                    self._open()  # waits its bounded time for another process; StoreBusy after it
                except BaseException:
                    self._users -= 1
                    raise
        try:
            yield self
        finally:
            with self._guard:
                self._users -= 1
                if self._users == 0 and self._con is not None:
                    lingers = self.linger_s > 0 and not self._releasing and not someone_waiting(self.path)
                    self._let_go(self.linger_s if lingers else 0)

    def _let_go(self, after_s: float) -> None:
        """With no user left (under `_guard`): close the file now, or start the timer that closes it after
        `after_s` unless a session takes it first."""
        if after_s <= 0:
            self._close_at = None
            self._timer_wakes.notify_all()  # a waiting timer has nothing left to close
            LINGERING.discard(self)
            if self._con is not None:
                con, self._con = self._con, None
                con.close()  # a writable connection folds its log into the file as it closes
            return
        self._close_at = time.monotonic() + after_s
        LINGERING.add(self)
        if self._timer is None:
            self._timer = threading.Thread(target=self._close_when_idle, name="kpis-store-linger", daemon=True)
            self._timer.start()

    def _close_when_idle(self) -> None:
        """The timer (one thread while the file lingers): close the file when its time comes, unless a session has
        taken it meanwhile (which clears `_close_at`). Everything is decided under `_guard`, so a session that
        took the file can never have it closed under it."""
        with self._guard:
            try:
                while self._close_at is not None and self._close_at > time.monotonic():
                    self._timer_wakes.wait(max(0.0, self._close_at - time.monotonic()))
                if self._close_at is not None and not self._users:
                    self._let_go(0)
            finally:
                self._timer = None

    def stop_lingering(self, wait_s: float = 2.0) -> bool:
        """Close a lingering file now; not one a session uses. Waits up to `wait_s` for a thread opening or closing
        it (the timer holds the lock as it starts), so that a stop just then is not missed."""
        if not self._guard.acquire(timeout=wait_s):
            return False
        try:
            if self._users or self._close_at is None:
                return False
            self._let_go(0)
            return True
        finally:
            self._guard.release()

    @contextmanager
    def released(self) -> Iterator[Store]:
        """Inside a session, let go of it for the body: slow work on what was read (drawing a board pack)
        need not keep the file from a backup or an import. The file closes at once (it does not linger) if no
        other thread uses it; a read in the body, or after it, opens it again (`session` does, as usual), and
        one in the body closes it again at once. Command-line stores keep it."""
        if self.hold:
            yield self
            return
        with self._guard:
            if self._users == 0:       # not inside a session: nothing to let go of
                owned = False
            else:
                owned = True
                self._users -= 1
                self._releasing += 1
                if self._users == 0:
                    self._let_go(0)
        try:
            yield self
        finally:
            if owned:
                with self._guard:
                    self._releasing -= 1
                    self._users += 1   # the enclosing session's share again; the file reopens when next read

    # -- reading ---------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self.hold:
            return self.con.cursor()
        return _HeldCursor(self)  # type: ignore[return-value]

    def df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        with self.session():
            cur = self.con.cursor()
            try:
                return cur.execute(sql, params or []).df()
            finally:
                cur.close()

    def scalar(self, sql: str, params: list | None = None) -> Any:
        with self.session():
            cur = self.con.cursor()
            try:
                row = cur.execute(sql, params or []).fetchone()
                return row[0] if row else None
            finally:
                cur.close()

    def schema_version(self) -> int:
        try:
            return int(self.scalar("SELECT max(version) FROM schema_migrations") or 0)
        except duckdb.CatalogException:
            return 0

    def close(self) -> None:
        """Close the file now (a lingering one too, stopping its timer)."""
        with self._guard:
            self._let_go(0)

    # -- writing ---------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: the body's writes commit together or not at all."""
        if self.read_only:
            raise StoreError("This database was opened read-only; it cannot be changed.")
        with self.session(), self._write_lock:
            cur = self.con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                cur.close()
                raise
            cur.execute("COMMIT")
            cur.close()

    def checkpoint(self) -> None:
        with self.session(), self._write_lock:
            self.con.execute("CHECKPOINT")

    def _schema_current(self) -> bool:
        """Whether the open file's schema is this version's (one cheap read): then opening it need not migrate,
        which writes (a page run opens the file every time)."""
        try:
            row = self.con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        except duckdb.CatalogException:
            return False
        return bool(row) and row[0] == SCHEMA_VERSION

    def migrate(self) -> int:
        with self._write_lock:
            self.con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                             "name VARCHAR, applied_at TIMESTAMP)")
            current = self.schema_version()
            for version, name, sql in MIGRATIONS:
                if version <= current:
                    continue
                with self.transaction() as cur:
                    cur.execute(sql)
                    cur.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, now()])
            return self.schema_version()
