"""The analysts' read-only SQL console, enforced by DuckDB itself rather than by filtering text.

A query never touches the live database. It runs against a *snapshot*: the
documented views copied into a separate DuckDB file, which is then opened

- **read-only** (DuckDB refuses any write to it),
- with ``enable_external_access = false`` (no files, no network, no ATTACH,
  COPY, INSTALL or LOAD),
- with ``lock_configuration = true`` (no SET can undo the above),
- with a memory limit and no spilling to disk,

and the query runs in a child process (``kpis.analysis.sql_sandbox``) whose address space and CPU time the
operating system caps: DuckDB's own memory limit does not hold for strings and lists, and a query
that runs out of memory or time takes down only that child, never the app. Its result is cut at a
row limit and at a byte limit (every type counted), and the child is killed when it runs too long.

Before it runs, DuckDB's own parser must find exactly one statement, a SELECT (or a PIVOT, which DuckDB
expands into a temporary type and a SELECT), and its syntax tree must read nothing but the views and a few
harmless table functions: DuckDB's system tables and settings (duckdb_settings(), duckdb_databases(),
pragma_database_list, current_setting(), SHOW <setting>, pg_catalog ...) would show the server's paths, the
app's process id and the user it runs as (those checks, the limits and the refusals' words are
``kpis.analysis.sql_checks``; the views and the starter queries ``kpis.analysis.sql_views``). The same path serves
the app's console and ``python -m kpis sql``.

Snapshots live in ``kpis-sql-PID-*`` folders in the temporary directory; folders whose process has gone
(killed before it could tidy up) are removed when the next snapshot is made.
"""
from __future__ import annotations

import atexit
import os
import pickle
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from kpis.analysis import sql_sandbox as sandbox
from kpis.analysis.sql_checks import (
    ADDRESS_SPACE_BYTES,
    DEFAULT_ROW_LIMIT,
    DEFAULT_TIMEOUT_S,
    MAX_RESULT_BYTES,
    MAX_ROW_LIMIT,
    QueryFailed,
    QueryRefused,
    check_statement,
    explain,
)
from kpis.analysis.sql_views import VIEWS
from kpis.store.database import Store

SAFE_CONFIG = sandbox.SAFE_CONFIG
MAX_WORKERS = 2                         # query processes per snapshot (the server has 2 cores)
MAX_IDLE_WORKERS = 2                    # idle ones kept in all (each holds ~70 MB); the oldest others end
KILL_GRACE_S = 3.0                      # after the time limit, how long the child has to stop by itself


@dataclass
class QueryResult:
    data: pd.DataFrame
    truncated: bool
    row_limit: int
    seconds: float
    snapshot_at: str
    notes: list[str] = field(default_factory=list)


# -- the snapshot -------------------------------------------------------------------------
class Snapshot:
    """The documented views copied into their own DuckDB file, opened read-only and locked down."""

    def __init__(self, store: Store, *, key: tuple):
        self.key = key
        remove_stale_snapshots()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
        _ALL_DIRS.append(self.dir)
        self.path = self.dir / "snapshot.duckdb"
        self._idle: list[_Worker] = []
        self._started = 0
        self._pool = threading.Condition()
        self._closed = False
        path = self.path
        # The new file is attached to the store's own connection, so DuckDB copies the rows straight across:
        # they never pass through Python (a copy of every observation in Arrow would cost hundreds of MB).
        # Only these statements name it; it is detached again before anyone else opens it.
        name = f"kpis_snapshot_{uuid.uuid4().hex}"
        cur = store.cursor()
        try:
            cur.execute(f"ATTACH {_literal(str(path))} AS {name} (READ_WRITE)")
            try:
                for view in VIEWS:
                    cur.execute(f"CREATE TABLE {name}.{view.name} AS {view.source_sql}")
                    # Our own constant texts (COMMENT takes no parameters).
                    cur.execute(f"COMMENT ON TABLE {name}.{view.name} IS {_literal(view.description)}")
                    for col in view.columns:
                        cur.execute(f"COMMENT ON COLUMN {name}.{view.name}.{col.name} IS "
                                    f"{_literal(col.description)}")
                cur.execute(f"CHECKPOINT {name}")
            finally:
                cur.execute(f"DETACH {name}")
        finally:
            cur.close()
        self.made_at = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        self.con = duckdb.connect(str(path), read_only=True, config=SAFE_CONFIG)

    def close(self) -> None:
        with self._pool:
            self._closed = True
            idle, self._idle = self._idle, []
        try:
            for worker in idle:
                worker.stop()
            self.con.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- the query processes: at most MAX_WORKERS, reused while they stay healthy --------------
    def _take_worker(self, wait_s: float) -> _Worker:
        deadline = time.monotonic() + wait_s
        with self._pool:
            while not self._idle and self._started >= MAX_WORKERS:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise QueryFailed("The console is busy with other people's queries. Try again in a moment.")
                self._pool.wait(left)
            if self._idle:
                return self._idle.pop()
            self._started += 1
        try:
            return _Worker(self.path)
        except BaseException:
            with self._pool:
                self._started -= 1
                self._pool.notify()
            raise

    def _give_back(self, worker: _Worker) -> None:
        with self._pool:
            keep = worker.alive() and not self._closed
            if keep:
                worker.idle_since = time.monotonic()
                self._idle.append(worker)
            else:
                self._started -= 1
            self._pool.notify()
        if not keep:
            worker.stop()
        _trim_idle_workers()

    def _drop_idle(self, worker: _Worker) -> bool:
        """Stop `worker` if it is still idle here; True if it was."""
        with self._pool:
            if worker not in self._idle:
                return False
            self._idle.remove(worker)
            self._started -= 1
            self._pool.notify()
        worker.stop()
        return True

    def idle_workers(self) -> list[_Worker]:
        with self._pool:
            return list(self._idle)


def _trim_idle_workers() -> None:
    """Keep at most MAX_IDLE_WORKERS idle query processes over every snapshot (a process may serve many
    databases, as the tests do), ending the longest idle first."""
    with _LOCK:
        snaps = list(_CURRENT.values()) + [snap for _, snap in _RETIRED]
    idle = sorted(((w.idle_since, id(w), w, snap) for snap in snaps for w in snap.idle_workers()),
                  key=lambda t: t[:2])
    for _, _, worker, snap in idle[:max(0, len(idle) - MAX_IDLE_WORKERS)]:
        snap._drop_idle(worker)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Worker:
    """One query process (kpis.analysis.sql_sandbox) on one snapshot file."""

    def __init__(self, path: Path):
        env = dict(os.environ)
        # so `-m kpis.analysis.sql_sandbox` imports this copy
        root = str(Path(__file__).resolve().parent.parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kpis.analysis.sql_sandbox", str(path), str(ADDRESS_SPACE_BYTES)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)
        _ALL_WORKERS.add(self)
        self.idle_since = time.monotonic()
        if self.receive(time.monotonic() + 30) != ("ready",):
            self.stop()
            raise QueryFailed("The console could not start its query process. Try again in a moment.")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, request: dict) -> None:
        sandbox.write_frame(self.proc.stdin, request)

    def receive(self, deadline: float):
        """The child's next frame; None if it died or did not answer by `deadline` (monotonic)."""
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        need = sandbox._HEADER.size
        size = None
        while len(buf) < need:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, max(need - len(buf), 1 << 16))
            if not chunk:
                return None
            buf += chunk
            if size is None and len(buf) >= sandbox._HEADER.size:
                (size,) = sandbox._HEADER.unpack(bytes(buf[:sandbox._HEADER.size]))
                need = sandbox._HEADER.size + size
        return pickle.loads(bytes(buf[sandbox._HEADER.size:need]))

    def stop(self) -> None:
        """End the child: close its input (it exits by itself when idle), else kill it by its id."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        _ALL_WORKERS.discard(self)


SNAPSHOT_PREFIX = "kpis-sql-"
_ALL_DIRS: list[Path] = []
_ALL_WORKERS: set[_Worker] = set()
_LOCK = threading.Lock()
_CURRENT: dict[str, Snapshot] = {}
_RETIRED: list[tuple[float, Snapshot]] = []


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's process: alive
        return True
    return True


def remove_stale_snapshots(tmp: Path | None = None) -> list[Path]:
    """Remove snapshot folders left by a process that was killed before it could tidy up; return them.

    A folder is ``kpis-sql-PID-random``: stale when no process PID runs. (Folders named before the
    process id was part of the name, ``kpis-sql-random``, are stale once a day old.)
    """
    removed = []
    for d in Path(tmp or tempfile.gettempdir()).glob(f"{SNAPSHOT_PREFIX}*"):
        try:
            if not d.is_dir() or d.stat().st_uid != os.getuid():
                continue
            pid_text = d.name[len(SNAPSHOT_PREFIX):].split("-", 1)[0]
            stale = (not _process_alive(int(pid_text))) if pid_text.isdigit() and "-" in d.name[len(SNAPSHOT_PREFIX):] \
                else time.time() - d.stat().st_mtime > 86400
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


@atexit.register
def _remove_snapshots() -> None:
    for worker in list(_ALL_WORKERS):
        worker.proc.kill()
        worker.proc.wait()
    for d in _ALL_DIRS:
        shutil.rmtree(d, ignore_errors=True)


def snapshot_key(store: Store) -> tuple:
    """What the snapshot was copied from, in brief: it changes whenever anything an analyst can query changes, and
    then the next query makes a new snapshot. (Not `kpis.store.series.data_version`, the newest batch.)"""
    return tuple(store.df("""
        SELECT (SELECT count(*) FROM observations) AS n_obs,
               (SELECT max(coalesce(valid_to, valid_from)) FROM observations) AS last_obs,
               (SELECT max(batch_id) FROM batches) AS last_batch,
               (SELECT count(*) FROM areas) AS n_areas,
               (SELECT count(*) FROM statistical_neighbours) AS n_neigh,
               (SELECT string_agg(indicator_id || coalesce(last_updated, '') || coalesce(name, ''), ',')
                FROM indicators) AS ind""").iloc[0].map(str))


def snapshot(store: Store) -> Snapshot:
    """The current snapshot for this store, rebuilt when the data have changed."""
    key = snapshot_key(store)
    name = str(store.path)
    with _LOCK:
        now = time.monotonic()
        for retired_at, old in list(_RETIRED):  # a query on an old snapshot may still be running
            if now - retired_at > 6 * DEFAULT_TIMEOUT_S:
                old.close()
                _RETIRED.remove((retired_at, old))
        snap = _CURRENT.get(name)
        if snap is None or snap.key != key:
            if snap is not None:
                _RETIRED.append((now, snap))
            snap = _CURRENT[name] = Snapshot(store, key=key)
        return snap


# -- running ---------------------------------------------------------------------------------
def run_query(store: Store, sql: str, *, row_limit: int = DEFAULT_ROW_LIMIT,
              timeout_s: float = DEFAULT_TIMEOUT_S, byte_limit: int = MAX_RESULT_BYTES) -> QueryResult:
    """Run one read-only SELECT on a snapshot of the documented views, in a query process of its own.

    Raises QueryRefused (not one SELECT) or QueryFailed (DuckDB or a limit stopped it), each with a plain
    message. A query that outgrows the process's memory or time ends that process, never this one.
    """
    if not 1 <= int(row_limit) <= MAX_ROW_LIMIT:
        raise QueryRefused(f"The row limit must be from 1 to {MAX_ROW_LIMIT:,}, not {row_limit}.")
    snap = snapshot(store)
    cur = snap.con.cursor()
    try:
        statement = check_statement(cur, sql)
    finally:
        cur.close()
    worker = snap._take_worker(wait_s=timeout_s)
    started = time.monotonic()
    try:
        worker.send({"sql": statement.query, "row_limit": int(row_limit), "byte_limit": int(byte_limit),
                     "timeout_s": float(timeout_s), "cpu_s": float(timeout_s) * SAFE_CONFIG["threads"] + 2})
        answer = worker.receive(started + timeout_s + KILL_GRACE_S)
    except (OSError, ValueError):       # the pipe broke: the process had died
        answer = None
    finally:
        seconds = time.monotonic() - started
        if worker.alive() and (answer is None):
            worker.proc.kill()          # it did not stop in time: end it (only this child, by its id)
            worker.proc.wait()
        snap._give_back(worker)
    if answer is None:
        if seconds >= timeout_s:
            raise QueryFailed(explain("InterruptException", "", timeout_s))
        raise QueryFailed(explain("OutOfMemoryException", "", timeout_s))
    if answer[0] == "error":
        raise QueryFailed(explain(answer[1], answer[2], timeout_s))
    _, names, rows, cut, _ = answer
    if cut == "bytes" and not rows:
        raise QueryFailed(f"The first row of the result alone is larger than the console's "
                          f"{byte_limit / 2**20:g} MB limit on a result. Select shorter texts and lists, "
                          "or aggregate them (length(...), count(*)).")
    data = pd.DataFrame.from_records(rows, columns=_unique(names))
    notes = []
    if cut == "rows":
        notes.append(f"Only the first {row_limit:,} rows are shown; add a LIMIT or a WHERE clause, or raise the "
                     "limit.")
    elif cut == "bytes":
        notes.append(f"Only the first {len(rows):,} rows are shown: the result passed the console's "
                     f"{byte_limit / 2**20:g} MB limit on a result. Select fewer or shorter columns, or aggregate.")
    return QueryResult(data=data, truncated=cut is not None, row_limit=int(row_limit), seconds=seconds,
                       snapshot_at=snap.made_at, notes=notes)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out
