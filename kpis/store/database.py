"""The DuckDB store: schema migrations, versioned observations, batches and the audit log.

Every value ever written is kept. A newer version of a value closes the old one
(`valid_to`) instead of replacing it, so the data "as at" any moment can be read
back. All writes of one submission or import go through one transaction.
"""
from __future__ import annotations

import json
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
import pyarrow as pa

from kpis.core.framework import DATA_DIR
from kpis.core.units import STATUSES

DEFAULT_DB = DATA_DIR / "kpis.duckdb"
KEY = ["indicator_id", "area_code", "breakdown_type", "breakdown_value", "period_label"]
VALUE_COLUMNS = ["value", "numerator", "denominator", "lower_ci", "upper_ci", "status", "status_note", "commentary"]
OBS_COLUMNS = [*KEY, "period_type", "period_start", "period_end", *VALUE_COLUMNS, "is_demo"]

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "core tables", """
        CREATE SEQUENCE batch_seq START 1;
        CREATE SEQUENCE obs_seq START 1;
        CREATE SEQUENCE audit_seq START 1;
        CREATE TABLE areas (
            area_code VARCHAR PRIMARY KEY, dfe_code VARCHAR, name VARCHAR NOT NULL, area_type VARCHAR NOT NULL,
            region_code VARCHAR, region_name VARCHAR, valid_from DATE, valid_to DATE, successor_code VARCHAR);
        CREATE TABLE statistical_neighbours (
            dfe_code VARCHAR, rank INTEGER, neighbour_dfe_code VARCHAR, closeness VARCHAR, source VARCHAR);
        CREATE TABLE indicators (
            indicator_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, source_code VARCHAR NOT NULL,
            name VARCHAR, unit VARCHAR, polarity VARCHAR, definition VARCHAR, methodology VARCHAR,
            kpi_id VARCHAR, last_updated VARCHAR, next_update VARCHAR, licence VARCHAR);
        CREATE TABLE batches (
            batch_id BIGINT PRIMARY KEY DEFAULT nextval('batch_seq'),
            kind VARCHAR NOT NULL,                 -- submission | import | demo
            source VARCHAR, outcome_area VARCHAR, period_label VARCHAR,
            submitted_by VARCHAR, submitted_at TIMESTAMP NOT NULL,
            file_name VARCHAR, sha256 VARCHAR, raw_name VARCHAR,
            rows_read INTEGER, rows_imported INTEGER, rows_skipped INTEGER, skipped_reasons JSON,
            new_values INTEGER, changed_values INTEGER, unchanged_values INTEGER,
            is_demo BOOLEAN DEFAULT FALSE, note VARCHAR);
        CREATE TABLE raw_files (
            raw_name VARCHAR PRIMARY KEY, batch_id BIGINT, file_name VARCHAR, sha256 VARCHAR,
            size_bytes BIGINT, content BLOB);
        CREATE TABLE observations (
            obs_id BIGINT PRIMARY KEY DEFAULT nextval('obs_seq'),
            indicator_id VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
            breakdown_type VARCHAR NOT NULL DEFAULT 'all', breakdown_value VARCHAR NOT NULL DEFAULT 'all',
            period_label VARCHAR NOT NULL, period_type VARCHAR NOT NULL,
            period_start DATE NOT NULL, period_end DATE NOT NULL,
            value DOUBLE, numerator DOUBLE, denominator DOUBLE, lower_ci DOUBLE, upper_ci DOUBLE,
            status VARCHAR NOT NULL DEFAULT 'published', status_note VARCHAR, commentary VARCHAR,
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            batch_id BIGINT NOT NULL, version INTEGER NOT NULL,
            valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE INDEX obs_indicator ON observations (indicator_id);
        CREATE TABLE narratives (
            outcome_area VARCHAR NOT NULL, period_label VARCHAR NOT NULL,
            progress VARCHAR, risks_barriers VARCHAR, service_user_feedback VARCHAR,
            publishable BOOLEAN DEFAULT FALSE, is_demo BOOLEAN DEFAULT FALSE,
            batch_id BIGINT NOT NULL, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE TABLE meetings (meeting_date DATE PRIMARY KEY, title VARCHAR);
        CREATE TABLE audit_log (
            audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
            logged_at TIMESTAMP NOT NULL, actor VARCHAR, action VARCHAR NOT NULL, detail JSON);
        CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR);
        CREATE VIEW current_observations AS SELECT * FROM observations WHERE valid_to IS NULL;
        CREATE VIEW current_narratives AS SELECT * FROM narratives WHERE valid_to IS NULL;
    """),
    (2, "user accounts", """
        CREATE TABLE users (
            email VARCHAR PRIMARY KEY,             -- lower case
            role VARCHAR NOT NULL,                 -- viewer | lead | analyst | admin
            areas VARCHAR[] NOT NULL,              -- outcome areas a lead submits for
            password_hash VARCHAR,                 -- argon2id; NULL: single sign-on only
            failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TIMESTAMP,
            created_at TIMESTAMP NOT NULL, created_by VARCHAR, last_sign_in TIMESTAMP);
    """),
    # Keeping an index up to date made a 640,000-row import spend most of its time on it. Value ids
    # are now given by the writer (`write_observations`: the largest id so far plus the row's
    # number, under the store's write lock; one process at a time holds the file for writing).
    (3, "observations without index maintenance on import", """
        CREATE TABLE observations_v3 (
            obs_id BIGINT NOT NULL,
            indicator_id VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
            breakdown_type VARCHAR NOT NULL DEFAULT 'all', breakdown_value VARCHAR NOT NULL DEFAULT 'all',
            period_label VARCHAR NOT NULL, period_type VARCHAR NOT NULL,
            period_start DATE NOT NULL, period_end DATE NOT NULL,
            value DOUBLE, numerator DOUBLE, denominator DOUBLE, lower_ci DOUBLE, upper_ci DOUBLE,
            status VARCHAR NOT NULL DEFAULT 'published', status_note VARCHAR, commentary VARCHAR,
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            batch_id BIGINT NOT NULL, version INTEGER NOT NULL,
            valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        INSERT INTO observations_v3 SELECT * FROM observations ORDER BY obs_id;
        DROP VIEW current_observations;
        DROP TABLE observations;
        ALTER TABLE observations_v3 RENAME TO observations;
        DROP SEQUENCE obs_seq;
        CREATE VIEW current_observations AS SELECT * FROM observations WHERE valid_to IS NULL;
    """),
    # What the publisher said of a value against a benchmark (Fingertips' "Compared to England"), kept
    # beside the value so that a value it did not compare is not compared by us either. A changed label
    # is added as a new row and the old one kept (is_current false), as values are.
    (4, "published comparisons", """
        CREATE TABLE published_comparisons (
            indicator_id VARCHAR NOT NULL, area_code VARCHAR NOT NULL, breakdown_type VARCHAR NOT NULL,
            breakdown_value VARCHAR NOT NULL, period_label VARCHAR NOT NULL, versus VARCHAR NOT NULL,
            label VARCHAR NOT NULL, batch_id BIGINT NOT NULL, is_current BOOLEAN NOT NULL);
        CREATE VIEW current_published_comparisons AS
            SELECT * EXCLUDE (is_current) FROM published_comparisons WHERE is_current;
    """),
    # A change of definition or of service on a date, after which a KPI's SPC limits restart (issue 21),
    # recorded by an administrator. Never deleted: removing one closes it (valid_to, removed_by, removal_reason),
    # so the limits a board saw at a meeting can be drawn again; each change is also in the audit log.
    (5, "SPC rebases", """
        CREATE SEQUENCE rebase_seq START 1;
        CREATE TABLE rebases (
            rebase_id BIGINT PRIMARY KEY DEFAULT nextval('rebase_seq'),
            kpi_id VARCHAR NOT NULL, rebase_date DATE NOT NULL, reason VARCHAR NOT NULL,
            recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL,
            valid_to TIMESTAMP, removed_by VARCHAR, removal_reason VARCHAR);
    """),
    # The partnership's meetings as it runs them (kpis.governance): who attended, the decisions and actions,
    # and the escalations. Each record keeps every version: an edit closes the old row (valid_to) and adds the
    # next, with who made it, as values are. `record_id` is the record's id across its versions.
    (6, "meeting records", """
        CREATE SEQUENCE governance_seq START 1;
        CREATE TABLE meeting_attendance (
            record_id BIGINT NOT NULL, meeting_date DATE NOT NULL, member VARCHAR NOT NULL,
            organisation VARCHAR, status VARCHAR NOT NULL,        -- present | substitute | apologies | absent
            substitute_for VARCHAR,                              -- whom a substitute stood in for
            removed BOOLEAN NOT NULL DEFAULT FALSE, is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL, recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE TABLE meeting_items (
            record_id BIGINT NOT NULL, meeting_date DATE NOT NULL,
            kind VARCHAR NOT NULL,                               -- decision | action
            text VARCHAR NOT NULL, owner VARCHAR, due_date DATE,
            status VARCHAR,                                      -- actions: open | in_progress | done | dropped
            published BOOLEAN NOT NULL DEFAULT FALSE,
            removed BOOLEAN NOT NULL DEFAULT FALSE, is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL, recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
        CREATE TABLE meeting_escalations (
            record_id BIGINT NOT NULL, meeting_date DATE NOT NULL, escalated_on DATE NOT NULL,
            body VARCHAR NOT NULL, reason VARCHAR NOT NULL, outcome VARCHAR, outcome_on DATE,
            removed BOOLEAN NOT NULL DEFAULT FALSE, is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            version INTEGER NOT NULL, recorded_by VARCHAR, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP);
    """),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


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


def busy_wait(default: float) -> float:
    """Seconds to wait for a database another process holds: `KPIS_DB_WAIT` if set, else `default`."""
    try:
        return max(0.0, float(os.environ["KPIS_DB_WAIT"]))
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
    program here opens it only while working and closes it after; whoever finds it taken waits its turn.
    `on_busy(wait_s)` is called once, when the file is first found taken (a command line says it is waiting).
    """
    started = time.monotonic()
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise StoreError(damaged_message(path, exc)) from None
            waited = time.monotonic() - started
            if waited + delay > wait_s:
                raise StoreBusy(path, max(waited, wait_s)) from None
            if on_busy is not None and delay == 0.05:
                on_busy(wait_s)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


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
    already using it) and the last one out closes it, so a scheduled import or backup can run between page
    runs. Every read and write outside a session is a session of its own. Both wait (with backoff) for a file
    another process holds, then raise `StoreBusy`, whose message says so in plain English.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False, create: bool = True,
                 hold: bool = True, wait_s: float | None = None, on_busy: Callable[[float], None] | None = None):
        self.path = db_path(path)
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
        """Hold the file for the body (on-demand stores); nested and concurrent sessions share one connection."""
        if self.hold:
            yield self
            return
        with self._guard:
            self._users += 1  # first, so the schema check inside `_open` (a session too) does not close it
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
                    con, self._con = self._con, None
                    con.close()  # a writable connection folds its log into the file as it closes

    @contextmanager
    def released(self) -> Iterator[Store]:
        """Inside a session, let go of it for the body: slow work on what was read (drawing a board pack)
        need not keep the file from a backup or an import. The file closes if no other thread uses it; a read
        in the body, or after it, opens it again (`session` does, as usual). Command-line stores keep it."""
        if self.hold:
            yield self
            return
        with self._guard:
            if self._users == 0:       # not inside a session: nothing to let go of
                owned = False
            else:
                owned = True
                self._users -= 1
                if self._users == 0 and self._con is not None:
                    con, self._con = self._con, None
                    con.close()
        try:
            yield self
        finally:
            if owned:
                with self._guard:
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
        if self._con is not None:
            con, self._con = self._con, None
            con.close()

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


# -- write helpers: all take the transaction's cursor --------------------------------
def start_batch(cur: duckdb.DuckDBPyConnection, *, kind: str, at: datetime, source: str | None = None,
                submitted_by: str | None = None, outcome_area: str | None = None, period_label: str | None = None,
                file_name: str | None = None, sha256: str | None = None, is_demo: bool = False,
                note: str | None = None) -> int:
    row = cur.execute(
        "INSERT INTO batches (kind, source, outcome_area, period_label, submitted_by, submitted_at, file_name, "
        "sha256, is_demo, note) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING batch_id",
        [kind, source, outcome_area, period_label, submitted_by, at, file_name, sha256, is_demo, note]).fetchone()
    return int(row[0])


def finish_batch(cur: duckdb.DuckDBPyConnection, batch_id: int, *, rows_read: int, rows_imported: int,
                 rows_skipped: int = 0, skipped_reasons: dict[str, int] | None = None,
                 counts: dict[str, int] | None = None) -> None:
    counts = counts or {}
    cur.execute(
        "UPDATE batches SET rows_read=?, rows_imported=?, rows_skipped=?, skipped_reasons=?, new_values=?, "
        "changed_values=?, unchanged_values=? WHERE batch_id=?",
        [rows_read, rows_imported, rows_skipped, json.dumps(skipped_reasons or {}),
         counts.get("new", 0), counts.get("changed", 0), counts.get("unchanged", 0), batch_id])


def store_raw_file(cur: duckdb.DuckDBPyConnection, *, batch_id: int, raw_name: str, file_name: str, sha256: str,
                   content: bytes) -> None:
    cur.execute("INSERT INTO raw_files VALUES (?,?,?,?,?,?)",
                [raw_name, batch_id, file_name, sha256, len(content), content])
    cur.execute("UPDATE batches SET raw_name=? WHERE batch_id=?", [raw_name, batch_id])


def audit(cur: duckdb.DuckDBPyConnection, *, actor: str | None, action: str, at: datetime,
          detail: dict | None = None) -> None:
    cur.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?,?,?,?)",
                [at, actor, action, json.dumps(detail or {}, default=str)])


NUMBER_COLUMNS = ["value", "numerator", "denominator", "lower_ci", "upper_ci"]
DATE_COLUMNS = ["period_start", "period_end"]
TEXT_COLUMNS = [*KEY, "period_type", "status", "status_note", "commentary"]
SQL_TYPES = {**{c: "VARCHAR" for c in TEXT_COLUMNS}, **{c: "DOUBLE" for c in NUMBER_COLUMNS},
             **{c: "DATE" for c in DATE_COLUMNS}, "is_demo": "BOOLEAN"}
DEFAULTS = {"breakdown_type": "'all'", "breakdown_value": "'all'", "status": "'published'", "is_demo": "false"}


def _arrow_column(col: str, s: pd.Series):
    """One incoming column as Arrow, converted in pandas only when its type needs it."""
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        arr = None
    t = None if arr is None else (arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type)
    if col in NUMBER_COLUMNS:
        if t is not None and (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t)):
            return arr
        return pa.array(pd.to_numeric(s, errors="coerce").astype("float64"), from_pandas=True)
    if col in DATE_COLUMNS:
        if t is not None and (pa.types.is_date(t) or pa.types.is_timestamp(t)):
            return arr
        return pa.array(pd.to_datetime(s).dt.date, pa.date32(), from_pandas=True)
    if col == "is_demo":
        if t is not None and pa.types.is_boolean(t):
            return arr
        return pa.array(s.fillna(False).astype(bool))
    if t is not None and (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)):
        return arr
    return pa.array([None if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT
                     else str(v) for v in s], pa.string())


def incoming_table(rows: pd.DataFrame | list[dict]) -> tuple[pa.Table | None, list[str]]:
    """Incoming observations as an Arrow table of the columns given (and their names): cheap to hand to DuckDB.

    A large import arrives with text as categoricals and numbers as floats; those pass through
    untouched. Anything else (text numbers, date strings, objects) is converted in pandas.
    """
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    present = [c for c in OBS_COLUMNS if c in df.columns]
    return pa.table({c: _arrow_column(c, df[c]) for c in present}) if present else None, present


def write_observations(cur: duckdb.DuckDBPyConnection, *, batch_id: int, rows: pd.DataFrame | list[dict],
                       at: datetime) -> dict[str, int]:
    """Add new values, version changed ones and leave unchanged ones alone.

    Set-based so a large import costs a few statements, not one per row. The rules of
    the rules of a row (defaults, types, known statuses, one row per key) are applied in SQL over
    the incoming rows as Arrow. Returns counts of new, changed and unchanged values.
    """
    table, present = incoming_table(rows)
    if table is None or table.num_rows == 0:
        return {"new": 0, "changed": 0, "unchanged": 0}
    cur.register("incoming_obs", table)
    try:
        return write_observations_from(cur, batch_id=batch_id, relation="incoming_obs", columns=present, at=at)
    finally:  # on an error the caller's transaction rolls back
        cur.unregister("incoming_obs")


def write_observations_from(cur: duckdb.DuckDBPyConnection, *, batch_id: int, relation: str, columns: list[str],
                            at: datetime, checked: bool = False, indicators: list[str] | None = None,
                            row_column: str | None = None) -> dict[str, int]:
    """`write_observations` for rows already in DuckDB: `relation` (a table or view the cursor sees)
    has the observation columns `columns`; the others take their defaults. An import builds its rows
    in SQL and hands them over here without a round trip through Python.

    A caller that has already kept one row per key and only known statuses says so (`checked`).
    If it also names every indicator of the rows (`indicators`), the rows of indicators with no current
    value are all new: they are written in one statement, without comparing them with stored values
    (a new source, or new measures in a large file). `row_column` names a column unique per row.
    """
    cast = {c: f"CAST(i.{c} AS {SQL_TYPES[c]})" for c in columns}
    typed = ", ".join((f"coalesce({cast[c]}, {DEFAULTS[c]})" if c in DEFAULTS else cast[c]) if c in columns
                      else f"{DEFAULTS.get(c, 'NULL')}::{SQL_TYPES[c]}" for c in OBS_COLUMNS)
    names = ", ".join(OBS_COLUMNS)
    # Ids: after the largest so far, one per incoming row. Safe because writes run one at a time:
    # under the store's lock, in one process (DuckDB lets one process at a time write the file).
    next_id = "SELECT coalesce(max(obs_id), 0) FROM observations"
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    only = ""
    if checked and indicators is not None:
        held = [r[0] for r in cur.execute(
            "SELECT DISTINCT indicator_id FROM observations WHERE valid_to IS NULL AND indicator_id IN "
            "(SELECT unnest(?::VARCHAR[]))", [list(indicators)]).fetchall()]
        fresh = sorted(set(indicators) - set(held))
        if fresh:
            number = f"i.{row_column}" if row_column else "row_number() OVER ()"
            n = cur.execute(f"""
                INSERT INTO observations (obs_id, {names}, batch_id, version, valid_from)
                SELECT ({next_id}) + 1 + {number}, {typed}, ?, 1, ? FROM {relation} i
                WHERE i.indicator_id IN (SELECT unnest(?::VARCHAR[]))""", [batch_id, at, fresh]).fetchall()
            counts["new"] += int(n[0][0]) if n else 0
        if not held:
            return counts
        only = "WHERE i.indicator_id IN (SELECT unnest(?::VARCHAR[]))"
    on = " AND ".join(f"o.{k} = i.{k}" for k in KEY)
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM i.{c}" for c in [*VALUE_COLUMNS, "is_demo"])
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE obs_diff AS
        WITH i ({names}) AS (SELECT {typed} FROM {relation} i {only})
        SELECT i.*, o.obs_id AS old_id, o.version AS old_version,
               CASE WHEN o.obs_id IS NULL THEN 'new' WHEN {differs} THEN 'changed' ELSE 'unchanged' END AS change
        FROM i
        LEFT JOIN (SELECT * FROM observations WHERE valid_to IS NULL) o ON {on}""", [held] if only else [])
    if not checked:
        _check_incoming(cur)
    for change, n in cur.execute("SELECT change, count(*) FROM obs_diff GROUP BY change").fetchall():
        counts[change] += int(n)
    if counts["changed"]:
        cur.execute("UPDATE observations SET valid_to = ? WHERE valid_to IS NULL AND obs_id IN "
                    "(SELECT old_id FROM obs_diff WHERE change = 'changed')", [at])
    cur.execute(f"""
        INSERT INTO observations (obs_id, {names}, batch_id, version, valid_from)
        SELECT ({next_id}) + 1 + rowid, {names}, ?, coalesce(old_version, 0) + 1, ? FROM obs_diff
        WHERE change <> 'unchanged'""", [batch_id, at])  # rowid: unique in the new temp table
    cur.execute("DROP TABLE obs_diff")  # on an error the caller's transaction rolls back, and it with it
    return counts


def _check_incoming(cur) -> None:
    """The checks of incoming rows, in SQL over table obs_diff: known statuses, one row per key."""
    known = ", ".join(f"'{s}'" for s in STATUSES)
    bad = sorted(r[0] for r in cur.execute(f"SELECT DISTINCT status FROM obs_diff WHERE status NOT IN ({known})")
                 .fetchall())
    if bad:
        raise ValueError(f"Unknown status value(s) {bad}; expected one of {', '.join(STATUSES)}")
    key = ", ".join(KEY)
    distinct, total = cur.execute(f"SELECT count(DISTINCT hash({key})), count(*) FROM obs_diff").fetchall()[0]
    if distinct == total:  # every key hashes apart, so no two rows share a key (cheaper than grouping on text)
        return
    dupes = cur.execute(f"SELECT {key}, sum(n) OVER () AS rows FROM (SELECT {key}, count(*) AS n FROM obs_diff "
                        "GROUP BY ALL HAVING count(*) > 1) LIMIT 1").fetchall()  # fetchall: leave no open result
    if dupes:
        first = dict(zip(KEY, dupes[0][:len(KEY)], strict=False))
        raise ValueError(f"{int(dupes[0][-1])} incoming rows share a key, for example {first}")


def write_narrative(cur: duckdb.DuckDBPyConnection, *, batch_id: int, at: datetime, outcome_area: str,
                    period_label: str, progress: str, risks_barriers: str, service_user_feedback: str,
                    publishable: bool = False, is_demo: bool = False) -> bool:
    """Store a sub-group narrative; an identical resubmission stores nothing. Returns True if stored."""
    old = cur.execute("SELECT progress, risks_barriers, service_user_feedback, publishable FROM narratives "
                      "WHERE outcome_area=? AND period_label=? AND valid_to IS NULL",
                      [outcome_area, period_label]).fetchone()
    new = (progress, risks_barriers, service_user_feedback, publishable)
    if old == new:
        return False
    if old:
        cur.execute("UPDATE narratives SET valid_to=? WHERE outcome_area=? AND period_label=? AND valid_to IS NULL",
                    [at, outcome_area, period_label])
    cur.execute("INSERT INTO narratives VALUES (?,?,?,?,?,?,?,?,?,NULL)",
                [outcome_area, period_label, *new, is_demo, batch_id, at])
    return True


def observations_as_at(when: datetime | None = None) -> str:
    """SQL for the observations that were current at `when` (None: now)."""
    if when is None:
        return "SELECT * FROM observations WHERE valid_to IS NULL"
    ts = pd.Timestamp(when).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (f"SELECT * FROM observations WHERE valid_from <= TIMESTAMP '{ts}' "
            f"AND (valid_to IS NULL OR valid_to > TIMESTAMP '{ts}')")
