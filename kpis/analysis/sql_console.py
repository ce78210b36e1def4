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
app's process id and the user it runs as. The same path serves the app's console and ``python -m kpis sql``.

Snapshots live in ``kpis-sql-PID-*`` folders in the temporary directory; folders whose process has gone
(killed before it could tidy up) are removed when the next snapshot is made.
"""
from __future__ import annotations

import atexit
import json
import os
import pickle
import re
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
from kpis.core.areas import ENGLAND
from kpis.core.framework import Framework
from kpis.store.database import Store

DEFAULT_ROW_LIMIT = 1000
MAX_ROW_LIMIT = 100_000
DEFAULT_TIMEOUT_S = 10.0
SAFE_CONFIG = sandbox.SAFE_CONFIG
MEMORY_LIMIT = SAFE_CONFIG["memory_limit"]
MAX_RESULT_BYTES = 32 * 2**20           # the most a result may hold, whatever its types
MAX_EXCEL_CELLS = 1_000_000             # rows x columns the app writes as Excel (each cell costs ~20 µs of CPU)
ADDRESS_SPACE_BYTES = 2 * 2**30         # the query process's whole address space (DuckDB alone maps ~0.8 GB)
MAX_WORKERS = 2                         # query processes per snapshot (the server has 2 cores)
MAX_IDLE_WORKERS = 2                    # idle ones kept in all (each holds ~70 MB); the oldest others end
KILL_GRACE_S = 3.0                      # after the time limit, how long the child has to stop by itself


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class View:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows_sql: str     # run on the live store (trusted, ours) to fill the snapshot ...
    order_by: str     # ... in this order (kept apart: counting the rows needs no sort)

    @property
    def source_sql(self) -> str:
        return f"{self.rows_sql} ORDER BY {self.order_by}"


def _cols(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(n, d) for n, d in pairs)


_OBS_COLUMNS = (
    ("indicator_id", "KPI id (SG02) or source indicator id (dfe_ees:d3_cpps_subsequent_plan); see kpis"),
    ("area_code", f"ONS code of the area (the partnership's home area, a region, a council; {ENGLAND} England)"),
    ("area_name", "Name of the area"),
    ("area_type", "country (England), region, county_ua (a council), london_subregion"),
    ("breakdown_type", "'all', or the group type: send, looked_after, fsm, district, sex, age_band ..."),
    ("breakdown_value", "'all', or the group within the type"),
    ("period_label", "Period as published: 2024/25 Q1, 2024/25, 2023 ..."),
    ("period_type", "financial_quarter, financial_year, academic_year, calendar_year ..."),
    ("period_start", "First day of the period"),
    ("period_end", "Last day of the period"),
    ("value", "The value, in the indicator's unit (percentages 0-100)"),
    ("numerator", "Numerator (or count), where known; empty where the value is suppressed"),
    ("denominator", "Denominator, where known; empty where the value is suppressed"),
    ("lower_ci", "Lower 95% confidence limit, where known"),
    ("upper_ci", "Upper 95% confidence limit, where known"),
    ("status", "published, provisional, suppressed, not_available, not_applicable, low_reliability"),
    ("status_note", "Why a value is missing or marked, as given"),
    ("commentary", "Sub-group commentary on the value"),
    ("is_demo", "True for synthetic demo data"),
    ("source", "Sub-group return, the publisher, or 'Demo data (synthetic)'"),
    ("batch_id", "The submission or import that wrote this version (see submissions)"),
    ("version", "1 for the first value, 2 after one revision, ..."),
    ("valid_from", "When this version became current (UTC)"),
)

_OBS_SELECT = """
    SELECT o.indicator_id, o.area_code, a.name AS area_name, a.area_type, o.breakdown_type, o.breakdown_value,
           o.period_label, o.period_type, o.period_start, o.period_end, o.value,
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.numerator END AS numerator,
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.denominator END AS denominator,
           o.lower_ci, o.upper_ci, o.status, o.status_note, o.commentary, o.is_demo,
           CASE WHEN b.is_demo THEN 'Demo data (synthetic)' WHEN b.kind = 'submission' THEN 'Sub-group return'
                ELSE coalesce(b.source, 'Published statistics') END AS source,
           o.batch_id, o.version, o.valid_from{extra}
    FROM observations o LEFT JOIN areas a ON a.area_code = o.area_code
    LEFT JOIN batches b ON b.batch_id = o.batch_id
    {where}"""
_OBS_ORDER = "o.indicator_id, o.area_code, o.breakdown_type, o.breakdown_value, o.period_end"

VIEWS: tuple[View, ...] = (
    View("observations", "Every current value: one row per indicator, area, breakdown and period.",
         _cols(*_OBS_COLUMNS), _OBS_SELECT.format(extra="", where="WHERE o.valid_to IS NULL"), _OBS_ORDER),
    View("observation_history", "Every version of every value, including superseded ones ('as at' questions).",
         _cols(*_OBS_COLUMNS, ("valid_to", "When this version was superseded; empty while current")),
         _OBS_SELECT.format(extra=", o.valid_to", where=""), _OBS_ORDER),
    View("kpis", "The framework's KPIs and every imported source indicator: the data dictionary.",
         _cols(("indicator_id", "Id used in observations"),
               ("kind", "'framework KPI' or 'source indicator'"),
               ("source", "framework, dfe_ees, fingertips, lait"),
               ("source_code", "The publisher's own code for the indicator"),
               ("name", "Name"), ("unit", "percentage, count, rate_per_10000, ..."),
               ("polarity", "higher_is_better, lower_is_better or no_polarity"),
               ("definition", "What is counted"), ("methodology", "How, and its caveats"),
               ("kpi_id", "The framework KPI this indicator is, or is the comparator for"),
               ("last_updated", "When the source last published"), ("next_update", "When it next will"),
               ("licence", "Licence of the source data")),
         """SELECT indicator_id, CASE WHEN source = 'framework' THEN 'framework KPI' ELSE 'source indicator' END
                   AS kind, source, source_code, name, unit, polarity, definition, methodology, kpi_id,
                   last_updated, next_update, licence
            FROM indicators""", "source <> 'framework', indicator_id"),
    View("areas", "England, the regions, every council and district, with their codes.",
         _cols(("area_code", "ONS code"), ("dfe_code", "DfE local authority number"), ("name", "Name"),
               ("area_type", "country (England), region, county_ua (a council), london_subregion"),
               ("region_code", "ONS code of the area's region"), ("region_name", "Region name"),
               ("valid_from", "First day the area existed (empty: long-standing)"),
               ("valid_to", "Last day the area existed (empty: still exists)"),
               ("successor_code", "Council(s) that took over an abolished area, separated by ';'")),
         "SELECT area_code, dfe_code, name, area_type, region_code, region_name, valid_from, valid_to, "
         "successor_code FROM areas", "area_type, name"),
    View("statistical_neighbours", "Each council's statistical neighbours (DfE), closest first.",
         _cols(("area_code", "ONS code of the council"), ("dfe_code", "Its DfE number"),
               ("rank", "1 = most similar"), ("neighbour_area_code", "ONS code of the neighbour"),
               ("neighbour_dfe_code", "DfE number of the neighbour"), ("neighbour_name", "Name of the neighbour"),
               ("closeness", "How close, as published"), ("source", "Which grouping")),
         """SELECT a.area_code, s.dfe_code, s.rank, n.area_code AS neighbour_area_code, s.neighbour_dfe_code,
                   n.name AS neighbour_name, s.closeness, s.source
            FROM statistical_neighbours s
            LEFT JOIN (SELECT * FROM areas WHERE valid_to IS NULL AND area_type = 'county_ua') a
                   ON a.dfe_code = s.dfe_code
            LEFT JOIN (SELECT * FROM areas WHERE valid_to IS NULL AND area_type = 'county_ua') n
                   ON n.dfe_code = s.neighbour_dfe_code""", "s.dfe_code, s.rank"),
    View("periods", "Every period that has a current value, with its dates.",
         _cols(("period_label", "Label as published"), ("period_type", "Kind of period"),
               ("period_start", "First day"), ("period_end", "Last day"),
               ("observations", "Current values for this period")),
         """SELECT period_label, period_type, period_start, period_end, count(*) AS observations
            FROM observations WHERE valid_to IS NULL
            GROUP BY ALL""", "period_end, period_start, period_label"),
    View("submissions", "Sub-group returns and data imports, with rows read, imported and skipped (and why).",
         _cols(("batch_id", "Id, as in observations.batch_id"), ("kind", "submission (a sub-group return) or import"),
               ("source", "demo, a sub-group, or the publisher imported"), ("outcome_area", "Sub-group's outcome area"),
               ("period_label", "Period the return is for"), ("submitted_at", "When it arrived (UTC)"),
               ("file_name", "File as uploaded"), ("rows_read", "Rows read"), ("rows_imported", "Rows imported"),
               ("rows_skipped", "Rows skipped"), ("skipped_reasons", "Why rows were skipped (JSON: reason -> count)"),
               ("new_values", "Values new to the store"), ("changed_values", "Values that revised an earlier one"),
               ("unchanged_values", "Values identical to the stored ones"), ("is_demo", "True for demo data"),
               ("note", "Note")),
         """SELECT batch_id, kind, source, outcome_area, period_label, submitted_at, file_name, rows_read,
                   rows_imported, rows_skipped, CAST(skipped_reasons AS VARCHAR) AS skipped_reasons, new_values,
                   changed_values, unchanged_values, is_demo, note
            FROM batches""", "batch_id"),
)
VIEW_NAMES = tuple(v.name for v in VIEWS)


# -- errors -------------------------------------------------------------------------------
class SqlError(ValueError):
    """A query that did not run, with a plain-English reason."""


class QueryRefused(SqlError):
    """Refused before running: not exactly one SELECT statement."""


class QueryFailed(SqlError):
    """Refused or stopped by DuckDB while running (file access, unknown table, time limit ...)."""


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


def data_version(store: Store) -> tuple:
    """Changes whenever anything an analyst can query changes."""
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
    key = data_version(store)
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


# -- checking and running ------------------------------------------------------------------
def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """DuckDB's parser must find exactly one SELECT statement that reads nothing but the documented views and
    harmless table functions (see `check_sources`); return it, or raise QueryRefused."""
    if not sql or not sql.strip():
        raise QueryRefused("Type a query: one SELECT statement, such as SELECT * FROM kpis.")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"DuckDB could not read the query: {_first_line(exc)}") from None
    if not statements:
        raise QueryRefused("There is no statement to run (only comments or semicolons).")
    if len(statements) > 1:
        raise QueryRefused(f"Only one statement can run at a time; this text holds {len(statements)}. "
                           "Remove everything after the first semicolon.")
    statement = statements[0]
    if statement.type == duckdb.StatementType.MULTI and _is_pivot(sql):
        check_pivot_names(con, sql)
        return statement
    if statement.type != duckdb.StatementType.SELECT:
        if statement.type == duckdb.StatementType.LOAD and _first_word(sql) in ("INSTALL", "FORCE"):
            raise QueryRefused("Only SELECT queries can run here; this is an INSTALL statement, which the console "
                               "does not run. The console is read-only: it cannot change data, settings, "
                               "extensions or files.")
        kind = statement.type.name.replace("_", " ")
        article = "an" if kind[0] in "AEIOU" else "a"
        raise QueryRefused(f"Only SELECT queries can run here; this is {article} {kind} statement. The console is "
                           "read-only: it cannot change data, settings, extensions or files.")
    if statement.named_parameters:
        raise QueryRefused("The query has parameters ($name or ?); write the values into the query instead.")
    check_sources(con, statement.query)
    return statement


def _first_word(sql: str) -> str:
    for start, kind in duckdb.tokenize(sql):
        if kind != duckdb.token_type.comment:
            word = _WORD.match(sql, start)
            return word.group(0).upper() if word else ""
    return ""


# What a query may read besides the views. DuckDB's own system tables and functions (duckdb_settings(),
# duckdb_databases(), pragma_database_list, current_setting(...), SHOW <setting> ...) would show the server's
# file paths, the snapshot's folder (which holds the app's process id) and the user it runs as.
SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "repeat", "repeat_row", "json_each",
                                  "json_tree"})
FILE_FUNCTION_PREFIXES = ("read_", "parquet_", "sniff_", "glob")   # refused for file access, as DuckDB would
DENIED_FUNCTIONS = frozenset({"current_setting", "getenv", "get_block_size", "which_secret"})
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
SYSTEM_CATALOGS = frozenset({"system", "temp"})
SHOW_LISTS = frozenset({'"databases"', '"tables"', "__show_tables_expanded"})  # names only: SHOW TABLES ...


def _system_refusal(name: str) -> QueryRefused:
    views = ", ".join(VIEW_NAMES)
    return QueryRefused(f"The console reads the documented views only ({views}). {name} is part of DuckDB's own "
                        "system information (its settings, files and databases), which the console does not show.")


def _file_refusal() -> QueryRefused:
    return QueryRefused(_explain("PermissionException", "", DEFAULT_TIMEOUT_S))


def _system_views(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """DuckDB's built-in views (duckdb_tables, pragma_database_list, sqlite_master, pg_settings ...)."""
    return frozenset(r[0].lower() for r in con.execute("SELECT view_name FROM duckdb_views() WHERE internal")
                     .fetchall())


def check_sources(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse a SELECT that reads DuckDB's system tables, settings or functions rather than the views.

    DuckDB's parser gives the statement's syntax tree (json_serialize_sql); every table, table function,
    function and SHOW in it is checked, with the names a WITH clause defines in scope where they are.
    """
    tree = json.loads(con.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise QueryRefused(f"DuckDB could not read the query: {tree.get('error_message', '')}")
    system_views = _system_views(con)

    def table(name: str, schema: str, catalog: str, ctes: frozenset[str]) -> None:
        low = name.lower()
        if schema.lower() in SYSTEM_SCHEMAS or catalog.lower() in SYSTEM_CATALOGS:
            raise _system_refusal(f"{schema or catalog}.{name}")
        if low in ctes and not schema and not catalog:
            return
        if low in system_views:
            raise _system_refusal(name)

    def walk(node, ctes: frozenset[str]) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, ctes)
            return
        if not isinstance(node, dict):
            return
        entries = (node.get("cte_map") or {}).get("map") or []
        names = [str(e["key"]).lower() for e in entries]
        for i, entry in enumerate(entries):   # a WITH's query sees the ones before it (and itself, if recursive)
            query = (entry.get("value") or {}).get("query_node") or {}
            own = {names[i]} if query.get("type") == "RECURSIVE_CTE_NODE" else set()
            walk(entry.get("value"), ctes | set(names[:i]) | own)
        ctes = ctes | set(names)
        kind = node.get("type")
        if kind == "BASE_TABLE":
            table(node.get("table_name", ""), node.get("schema_name", ""), node.get("catalog_name", ""), ctes)
        elif kind == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name not in SAFE_TABLE_FUNCTIONS:
                raise _file_refusal() if name.startswith(FILE_FUNCTION_PREFIXES) else _system_refusal(f"{name}()")
        elif kind == "SHOW_REF" and node.get("show_type") != "SUMMARY" and node.get("table_name") \
                and node.get("table_name") not in SHOW_LISTS:
            name = node["table_name"]      # SHOW x shows the setting x, if there is one, else the table x
            if name.strip('"').lower() not in VIEW_NAMES and name.strip('"').lower() not in ctes:
                raise _system_refusal(f"SHOW {name}")
        if str(node.get("function_name", "")).lower() in DENIED_FUNCTIONS:
            raise _system_refusal(f"{node['function_name']}()")
        for key, value in node.items():
            if key != "cte_map":
                walk(value, ctes)

    walk(tree.get("statements", []), frozenset())


def check_pivot_names(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """A PIVOT whose columns come from the data has no syntax tree to read (json_serialize_sql takes one
    SELECT), so its names are checked instead: no DuckDB system view, table function or setting function."""
    system_views = _system_views(con)
    functions = {r[0].lower() for r in con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')")
        .fetchall()} - SAFE_TABLE_FUNCTIONS
    for start, kind in duckdb.tokenize(sql):
        if kind not in (duckdb.token_type.identifier, duckdb.token_type.keyword):
            continue
        word = _NAME.match(sql, start)
        name = word.group(0).strip('"').lower() if word else ""
        if name in SYSTEM_SCHEMAS or (name in SYSTEM_CATALOGS and kind == duckdb.token_type.identifier) \
                or name in system_views or name in functions or name in DENIED_FUNCTIONS:
            raise _file_refusal() if name.startswith(FILE_FUNCTION_PREFIXES) else _system_refusal(name)
        if kind == duckdb.token_type.keyword and name in ("show", "describe", "summarize"):
            raise QueryRefused("A PIVOT here reads the documented views; SHOW, DESCRIBE and SUMMARIZE are not "
                               "allowed inside it.")


_READ_STARTS = {"SELECT", "WITH", "FROM", "PIVOT", "PIVOT_WIDER", "VALUES", "TABLE", "("}
_WORD = re.compile(r"[A-Za-z_]+|\S")
_NAME = re.compile(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*')


def _is_pivot(sql: str) -> bool:
    """A PIVOT whose columns come from the data, which DuckDB parses as one MULTI statement (a temporary
    ENUM type of the values, then a SELECT). Other MULTI statements (ALTER ... DEFAULT, TRUNCATE a, b)
    write, and are refused here; the read-only snapshot would refuse them too."""
    words = [(_WORD.match(sql, start).group(0).upper(), kind) for start, kind in duckdb.tokenize(sql)
             if kind in (duckdb.token_type.keyword, duckdb.token_type.operator) and _WORD.match(sql, start)]
    return bool(words) and words[0][0] in _READ_STARTS and any(
        kind == duckdb.token_type.keyword and word in ("PIVOT", "PIVOT_WIDER") for word, kind in words)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _explain(kind: str, message: str, timeout_s: float) -> str:
    """A plain message for DuckDB's error `kind` (its exception class name) and `message` (first line)."""
    views = ", ".join(VIEW_NAMES)
    if kind == "InterruptException":
        return (f"The query was stopped after {timeout_s:g} seconds, the console's time limit. Narrow it down: "
                "a WHERE clause, fewer columns, no cross joins.")
    if kind == "PermissionException":
        return ("The query tries to read or write a file, a URL or a database outside the console, which is not "
                f"allowed. Query the documented views instead: {views}.")
    if kind == "OutOfMemoryException":
        return (f"The query needed more memory than the console allows ({MEMORY_LIMIT} for DuckDB, "
                f"{ADDRESS_SPACE_BYTES // 2**20:,} MB in all), so it was stopped. Aggregate or filter first, "
                "select fewer rows, or build shorter texts and lists.")
    if kind == "CatalogException":
        return f"{message} The console can read these views only: {views}."
    if kind == "InvalidInputException" and "read-only" in message:
        return "The console is read-only: the query would have changed data."
    return f"DuckDB could not run the query: {message}"


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
            raise QueryFailed(_explain("InterruptException", "", timeout_s))
        raise QueryFailed(_explain("OutOfMemoryException", "", timeout_s))
    if answer[0] == "error":
        raise QueryFailed(_explain(answer[1], answer[2], timeout_s))
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


def describe_views(store: Store) -> list[dict]:
    """The documented views with their columns, types and descriptions, and their rows.

    The types and counts are those of the snapshot's tables, read from the queries that fill them: showing the
    views does not build a snapshot (copying every value), the first query does.
    """
    cur = store.cursor()
    try:
        types, counts = {}, {}
        for v in VIEWS:
            types.update({(v.name, row[0]): row[1] for row in cur.execute(f"DESCRIBE {v.rows_sql}").fetchall()})
            counts[v.name] = cur.execute(f"SELECT count(*) FROM ({v.rows_sql})").fetchone()[0]
    finally:
        cur.close()
    return [{"name": v.name, "description": v.description, "rows": int(counts[v.name]),
             "columns": [{"name": c.name, "type": types.get((v.name, c.name), ""), "description": c.description}
                         for c in v.columns]} for v in VIEWS]


def views_table(store: Store) -> pd.DataFrame:
    """One row per view and column, for a page or a download."""
    return pd.DataFrame([{"View": v["name"], "Column": c["name"], "Type": c["type"], "Description": c["description"]}
                         for v in describe_views(store) for c in v["columns"]])


EXAMPLES: dict[str, str] = {
    "Repeat child protection plans: the home area and its statistical neighbours, last five years": """
SELECT o.area_name, o.period_label, round(o.value, 1) AS repeat_plans_pct, o.numerator, o.denominator
FROM observations o
WHERE o.indicator_id = 'dfe_ees:d3_cpps_subsequent_plan' AND o.breakdown_type = 'all'
  AND o.area_code IN (SELECT '{home}' UNION ALL
                      SELECT neighbour_area_code FROM statistical_neighbours WHERE area_code = '{home}')
  AND o.period_end > (SELECT max(period_end) FROM observations
                      WHERE indicator_id = 'dfe_ees:d3_cpps_subsequent_plan') - INTERVAL 5 YEAR
ORDER BY o.period_end, o.value""",
    "Latest value of every KPI for the home area": """
SELECT indicator_id, period_label, value, status, is_demo
FROM observations
WHERE area_code = '{home}' AND breakdown_type = 'all' AND indicator_id IN (SELECT indicator_id FROM kpis
                                                                              WHERE kind = 'framework KPI')
QUALIFY row_number() OVER (PARTITION BY indicator_id ORDER BY period_end DESC) = 1
ORDER BY indicator_id""",
    "Imports with skipped rows": """
SELECT batch_id, kind, source, submitted_at, rows_read, rows_imported, rows_skipped, skipped_reasons
FROM submissions WHERE rows_skipped > 0 ORDER BY submitted_at DESC""",
}


def example_queries(framework: Framework | None = None) -> dict[str, str]:
    """Starter queries, with the partnership's own home area (default: the default framework's)."""
    if framework is None:
        from kpis.core.framework import load_framework
        framework = load_framework()
    return {k: v.strip().replace("{home}", framework.home_area) for k, v in EXAMPLES.items()}
