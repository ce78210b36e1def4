"""Back up the whole database to one file, and bring it back.

A backup is a zip holding ``manifest.json`` (what it is, when it was made, the schema version,
the rows in every table and the database's sha256) and ``database.duckdb``: a copy made with
DuckDB's ``COPY FROM DATABASE`` while the store's write lock is held, so it is one consistent
moment even while the app is serving readers. Tables, views, indexes and sequences come across.

Restoring checks everything before touching the current database: that the file is a backup,
that its database matches the manifest byte for byte and table by table, and that its schema
is not newer than this program. Only then is the current database (if any) set aside as
``<db>.before-restore-<time>`` and the restored file renamed into place in one step, so a failed
restore leaves the current database as it was.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from kpis.store.database import Store, StoreError, is_lock_error, now
from kpis.store.schema import SCHEMA_VERSION

FORMAT = "kpis-backup"
FORMAT_VERSION = 1
MANIFEST, DATABASE = "manifest.json", "database.duckdb"
CHUNK = 1 << 20


class BackupError(ValueError):
    """The file is not a usable backup; the message says why, in plain English."""


@dataclass
class BackupReport:
    path: str
    created_at: str
    schema_version: int
    tables: dict[str, int]
    size_bytes: int
    sha256: str


@dataclass
class RestoreReport:
    path: str
    database: str
    created_at: str
    schema_version: int
    tables: dict[str, int]
    set_aside: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _table_counts(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, int]:
    where = "table_type = 'BASE TABLE'" + (" AND table_catalog = ?" if catalog else "")
    names = [r[0] for r in con.execute(f"SELECT table_name FROM information_schema.tables WHERE {where} "
                                       "ORDER BY table_name", [catalog] if catalog else []).fetchall()]
    prefix = f'"{catalog}".' if catalog else ""
    return {n: int(con.execute(f'SELECT count(*) FROM {prefix}"{n}"').fetchall()[0][0]) for n in names}


def backup(store: Store, dest: str | Path, *, overwrite: bool = False) -> BackupReport:
    """Write a consistent backup of the store to `dest` (a .zip). Raises BackupError if `dest` exists."""
    dest = Path(dest)
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} already exists; choose another name (or remove it first).")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kpis-backup-", dir=dest.parent) as tmp:
        copy = Path(tmp) / DATABASE
        alias = "kpis_backup_copy"
        with store._write_lock:  # no write can land between the copy and the counts
            cur = store.cursor()
            try:
                source = cur.execute("SELECT current_database()").fetchall()[0][0]
                cur.execute(f"ATTACH '{_sql_text(copy)}' AS {alias}")
                try:
                    cur.execute(f'COPY FROM DATABASE "{source}" TO {alias}')
                    counts = _table_counts(cur, alias)
                finally:
                    cur.execute(f"DETACH {alias}")
                live = _table_counts(cur, source)
            finally:
                cur.close()
        if counts != live:  # cannot happen under the lock; refuse a backup that does not match
            raise StoreError(f"The backup copy does not match the database ({counts} vs {live}); nothing written.")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_at": now().isoformat(),
                    "source": str(store.path), "schema_version": store.schema_version(), "tables": counts,
                    "sha256": _sha256(copy), "duckdb_version": duckdb.__version__}
        part = dest.with_name(dest.name + ".part")
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr(MANIFEST, json.dumps(manifest, indent=2))
            z.write(copy, DATABASE)
        _fsync(part)
        os.replace(part, dest)
    return BackupReport(path=str(dest), created_at=manifest["created_at"], schema_version=manifest["schema_version"],
                        tables=counts, size_bytes=dest.stat().st_size, sha256=manifest["sha256"])


def read_manifest(path: str | Path) -> dict:
    """The manifest of a backup file; BackupError if the file is not one."""
    path = Path(path)
    not_backup = (f"{path} is not a backup made by `python -m kpis backup`")
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    if not zipfile.is_zipfile(path):
        raise BackupError(f"{not_backup}: it is not a zip file. Nothing was changed.")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if MANIFEST not in names or DATABASE not in names:
                raise BackupError(f"{not_backup}: it has no {MANIFEST} and {DATABASE}. Nothing was changed.")
            manifest = json.loads(z.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise BackupError(f"{not_backup}: it could not be read ({exc}). Nothing was changed.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{not_backup}: its manifest is not a KPI backup manifest. Nothing was changed.")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(f"{path} was made by a newer version of this program (backup format "
                          f"{manifest.get('format_version')}); update the program first. Nothing was changed.")
    return manifest


def restore(backup_file: str | Path, db: str | Path) -> RestoreReport:
    """Replace the database at `db` with the backup's, after checking the backup through and through."""
    backup_file, db = Path(backup_file), Path(db)
    manifest = read_manifest(backup_file)
    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db.name}.restore-", suffix=".duckdb", dir=db.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(backup_file) as z, z.open(DATABASE) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
        _check_restored(tmp, manifest, backup_file)
        _fsync(tmp)
        set_aside = _set_aside_current(db)
        os.replace(tmp, db)
        _fsync_dir(db.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    return RestoreReport(path=str(backup_file), database=str(db), created_at=manifest["created_at"],
                         schema_version=int(manifest["schema_version"]), tables=manifest["tables"],
                         set_aside=set_aside)


def _check_restored(tmp: Path, manifest: dict, backup_file: Path) -> None:
    bad = f"The backup {backup_file} is damaged"
    if _sha256(tmp) != manifest.get("sha256"):
        raise BackupError(f"{bad}: its database does not match the checksum in its manifest. Nothing was changed.")
    try:
        con = duckdb.connect(str(tmp), read_only=True)
    except duckdb.Error as exc:
        raise BackupError(f"{bad}: its database cannot be opened ({exc}). Nothing was changed.") from None
    try:
        version = int(con.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0] or 0)
        counts = _table_counts(con)
    except duckdb.Error as exc:
        raise BackupError(f"{bad}: its database cannot be read ({exc}). Nothing was changed.") from None
    finally:
        con.close()
    if version > SCHEMA_VERSION:
        raise BackupError(f"{backup_file} holds schema version {version}, newer than this program's "
                          f"({SCHEMA_VERSION}); update the program first. Nothing was changed.")
    if counts != manifest.get("tables"):
        raise BackupError(f"{bad}: its tables do not hold the rows its manifest lists. Nothing was changed.")


def _set_aside_current(db: Path) -> list[str]:
    """Keep the current database (and its write-ahead log) as <db>.before-restore-<time>; refuse if in use."""
    if not db.exists():
        return []
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise StoreError(f"The database {db} is in use by another program (is the app running?). Stop it "
                             "and run the restore again. Nothing was changed.") from None
        con = None  # damaged: that is often why it is being restored; keep it as it is
    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.execute("CHECKPOINT")  # fold the write-ahead log into the file that is kept
        con.close()
    stamp = now().strftime("%Y%m%dT%H%M%S")
    kept = db.with_name(f"{db.name}.before-restore-{stamp}")
    n = 1
    while kept.exists() or Path(f"{kept}.wal").exists():  # two restores in one second keep both
        n += 1
        kept = db.with_name(f"{db.name}.before-restore-{stamp}-{n}")
    shutil.copy2(db, kept)
    out = [str(kept)]
    wal = Path(f"{db}.wal")
    if wal.exists():  # a log left beside the restored file would be replayed into it
        os.replace(wal, f"{kept}.wal")
        out.append(f"{kept}.wal")
    return out


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
