"""Faults: a process killed mid-submission or mid-import, a damaged database file, backup and restore.

Each kill is a real SIGKILL of a real child process. The child pauses inside the transaction (a
wrapper around the real write waits after writing), so the kill lands at a known moment; other
kills land at arbitrary moments, and whatever happens must be all or nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kpis.store.database import Store, StoreError
from tests.conftest import ROOT
from tests.support.returns import PERIOD, framework, snapshot
from tools.sample_returns import filled_template

TODAY = "2025-11-20"
AREA = "safeguarding"
TABLES = ("batches", "observations", "raw_files", "narratives", "audit_log", "indicators", "areas",
          "statistical_neighbours", "meetings", "settings", "schema_migrations")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpis", *args], capture_output=True, text=True, cwd=ROOT)


def everything(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, in a fixed order."""
    store = Store(db, read_only=True)
    try:
        return {t: [tuple(r) for r in store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()]
                for t in TABLES}
    finally:
        store.close()


def kept(db: Path) -> dict[str, list[tuple]]:
    store = Store(db, read_only=True)
    try:
        return snapshot(store)
    finally:
        store.close()


def start_child(code: str, marker: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the child ended before the marker: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the child never reached the marker")
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


PAUSE = """
    import sys, time
    from pathlib import Path
    def pause_after(module, name, marker):
        real = getattr(module, name)
        def paused(*args, **kwargs):
            result = real(*args, **kwargs)
            Path(marker).write_text("inside")
            time.sleep(600)
            return result
        setattr(module, name, paused)
"""


# -- a submission killed ---------------------------------------------------------------------
@pytest.fixture
def return_file(tmp_path) -> Path:
    path = tmp_path / "safeguarding-return.xlsx"
    path.write_bytes(filled_template(framework(), AREA, PERIOD, shift=7))
    return path


def submit_args(db: Path, file: Path) -> list[str]:
    return ["--db", str(db), "submit", str(file), "--area", AREA, "--by", "lead@example.org", "--today", TODAY]


@pytest.mark.parametrize("where", ["writing the values", "checkpoint after commit"])
def test_sigkill_during_a_submission_keeps_earlier_data_and_it_succeeds_when_run_again(demo_db, return_file,
                                                                                       tmp_path, where):
    before = kept(demo_db)
    marker = tmp_path / "marker"
    patch = ("import kpis.returns.submission as m; pause_after(m, 'write_observations', MARKER)"
             if where == "writing the values" else
             "import kpis.store.database as m; pause_after(m.Store, 'checkpoint', MARKER)")
    proc = start_child(PAUSE + f"""
    MARKER = {str(marker)!r}
    {patch}
    from kpis.cli.main import main
    sys.exit(main({submit_args(demo_db, return_file)!r}))
    """)
    wait_for(marker, proc)
    kill(proc)

    after = kept(demo_db)                                   # the database opens
    if where == "writing the values":                       # nothing of the killed submission, all of before
        assert after == before
    else:                                                   # committed before the kill: kept, via the WAL
        assert len(after["batches"]) == len(before["batches"]) + 1
        assert {r[0] for r in before["observations"]} <= {r[0] for r in after["observations"]}
    again = cli(*submit_args(demo_db, return_file))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Traceback" not in again.stderr
    final = kept(demo_db)
    assert len(final["batches"]) == len(before["batches"]) + 1   # stored once, whichever way
    assert len(final["raw_files"]) == len(before["raw_files"]) + 1
    earlier_ids = {r[0] for r in before["observations"]}
    assert earlier_ids <= {r[0] for r in final["observations"]}   # no earlier version lost


# -- an import killed ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lait_file(tmp_path_factory) -> Path:
    """A LAIT long-format Parquet of about 190,000 rows (big enough for DuckDB to write blocks early)."""
    from tools.bench.dataset import write_lait
    path = tmp_path_factory.mktemp("lait") / "lait_bench.parquet"
    write_lait(path, scale=0.3, rng=np.random.default_rng(9))
    return path


IMPORT = """
    from kpis.published.importer import import_benchmarks
    from kpis.core.framework import load_framework
    from kpis.store.database import Store
    store = Store({db!r})
    report = import_benchmarks(store, {file!r}, framework=load_framework(), source_name="LAIT (fault test)")
    store.close()
    print("IMPORTED", report.rows_imported, report.new, report.changed, report.unchanged)
"""


def run_import(db: Path, file: Path) -> str:
    proc = start_child(IMPORT.format(db=str(db), file=str(file)))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]
    return out.decode()


def test_sigkill_during_an_import_keeps_earlier_data_and_it_succeeds_when_run_again(demo_db, lait_file, tmp_path):
    before = kept(demo_db)
    marker = tmp_path / "marker"
    proc = start_child(PAUSE + f"""
    MARKER = {str(marker)!r}
    import kpis.published.importer as m; pause_after(m, 'write_observations_from', MARKER)
    """ + IMPORT.format(db=str(demo_db), file=str(lait_file)))
    wait_for(marker, proc)
    kill(proc)
    assert kept(demo_db) == before
    out = run_import(demo_db, lait_file)
    rows = int(out.split()[1])
    assert rows > 150_000
    after = kept(demo_db)
    assert len(after["batches"]) == len(before["batches"]) + 1
    assert {r[0] for r in before["observations"]} <= {r[0] for r in after["observations"]}


@pytest.mark.parametrize("delay_s", [0.8, 2.5])
def test_an_import_killed_at_any_moment_is_all_or_nothing(demo_db, lait_file, delay_s):
    before = kept(demo_db)
    proc = start_child(IMPORT.format(db=str(demo_db), file=str(lait_file)))
    time.sleep(delay_s)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    after = kept(demo_db)                                      # it opens, whatever moment the kill hit
    new_batches = len(after["batches"]) - len(before["batches"])
    assert new_batches in (0, 1)
    if new_batches == 0:
        assert after == before
    else:                                                      # committed: every row of it is there
        store = Store(demo_db, read_only=True)
        try:
            stored, told = store.con.execute(
                "SELECT (SELECT count(*) FROM observations WHERE batch_id = b.batch_id), "
                "b.new_values + b.changed_values FROM batches b ORDER BY batch_id DESC LIMIT 1").fetchall()[0]
        finally:
            store.close()
        assert stored == told > 150_000
    out = run_import(demo_db, lait_file)                       # and running it again succeeds
    _, imported, new, changed, unchanged = out.split()
    assert int(new) + int(changed) + int(unchanged) == int(imported)
    if new_batches == 1:
        assert int(unchanged) == int(imported)                 # the killed run had stored it all


# -- a damaged database ----------------------------------------------------------------------
def damaged_copies(demo_db: Path, tmp_path: Path) -> dict[str, Path]:
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database\n" * 500)
    flipped = tmp_path / "flipped.duckdb"
    shutil.copy(demo_db, flipped)
    with open(flipped, "r+b") as fh:                   # a block the catalogue needs: a checksum fails
        fh.seek(8192)
        fh.write(np.random.default_rng(1).bytes(256 * 1024))
    truncated = tmp_path / "truncated.duckdb"
    shutil.copy(demo_db, truncated)
    os.truncate(truncated, 5000)
    return {"junk": junk, "flipped": flipped, "truncated": truncated}


def test_a_damaged_database_gets_a_plain_message_from_the_store(demo_db, tmp_path):
    for name, path in damaged_copies(demo_db, tmp_path).items():
        for read_only in (False, True):
            with pytest.raises(StoreError, match="damaged or is not a KPI database") as err:
                Store(path, read_only=read_only)
            assert "restore" in str(err.value), name


@pytest.mark.parametrize("command", [["info"], ["submit", "RETURN", "--area", AREA, "--by", "a@example.org"],
                                     ["backup", "-o", "OUT"]])
def test_a_damaged_database_gets_a_plain_message_from_the_cli(demo_db, tmp_path, return_file, command):
    for name, path in damaged_copies(demo_db, tmp_path).items():
        args = [str(return_file) if a == "RETURN" else str(tmp_path / f"{name}.zip") if a == "OUT" else a
                for a in command]
        result = cli("--db", str(path), *args)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert "damaged or is not a KPI database" in result.stderr, result.stderr


def test_a_database_in_use_is_still_explained_as_in_use(demo_db):
    holder = start_child(f"""
    import time, duckdb
    con = duckdb.connect({str(demo_db)!r})
    print("open", flush=True)
    time.sleep(600)
    """)
    try:
        assert holder.stdout.readline().decode().strip() == "open"
        with pytest.raises(StoreError, match="The database is busy: another program"):
            Store(demo_db, wait_s=1)  # waits its turn a little, then says so
    finally:
        holder.kill()
        holder.wait()


# -- backup and restore ------------------------------------------------------------------------
def test_backup_and_restore_bring_everything_back(demo_db, tmp_path, return_file):
    before = everything(demo_db)
    backup = tmp_path / "kpis-backup.zip"
    made = cli("--db", str(demo_db), "backup", "-o", str(backup), "--json")
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["tables"]["observations"] == len(before["observations"])
    with zipfile.ZipFile(backup) as z:
        assert sorted(z.namelist()) == ["database.duckdb", "manifest.json"]

    changed = cli(*submit_args(demo_db, return_file))             # the database moves on ...
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert everything(demo_db) != before

    restored = cli("--db", str(demo_db), "restore", str(backup))  # ... and is brought back
    assert restored.returncode == 0, restored.stderr
    assert everything(demo_db) == before
    aside = list(tmp_path.glob("demo.duckdb.before-restore-*"))
    assert aside, "the replaced database is kept"
    # sequences came back too: the same return can be stored again, with fresh ids
    again = cli(*submit_args(demo_db, return_file))
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(everything(demo_db)["batches"]) == len(before["batches"]) + 1


def test_backup_will_not_overwrite_a_file_unless_told(demo_db, tmp_path):
    out = tmp_path / "b.zip"
    out.write_text("precious")
    result = cli("--db", str(demo_db), "backup", "-o", str(out))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert out.read_text() == "precious"
    assert cli("--db", str(demo_db), "backup", "-o", str(out), "--force").returncode == 0


def not_backups(tmp_path: Path, good: Path) -> dict[str, Path]:
    text = tmp_path / "notes.zip"
    text.write_text("hello")
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "not a backup")
    wrong_manifest = tmp_path / "wrong-manifest.zip"
    with zipfile.ZipFile(wrong_manifest, "w") as z:
        z.writestr("manifest.json", json.dumps({"format": "something-else"}))
        z.writestr("database.duckdb", b"x")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tampered, "w") as dst:
        dst.writestr("manifest.json", src.read("manifest.json"))
        data = bytearray(src.read("database.duckdb"))
        data[20_000] ^= 0xFF
        dst.writestr("database.duckdb", bytes(data))
    return {"text": text, "other zip": other_zip, "wrong manifest": wrong_manifest, "tampered": tampered,
            "missing": tmp_path / "nowhere.zip"}


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(demo_db, tmp_path):
    good = tmp_path / "good.zip"
    assert cli("--db", str(demo_db), "backup", "-o", str(good)).returncode == 0
    before = everything(demo_db)
    for name, path in not_backups(tmp_path, good).items():
        result = cli("--db", str(demo_db), "restore", str(path))
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert ("not a backup" in result.stderr or "damaged" in result.stderr
                or "no file" in result.stderr), (name, result.stderr)
        assert everything(demo_db) == before, name
    assert not list(tmp_path.glob("demo.duckdb.before-restore-*"))
    assert not list(tmp_path.glob(".demo.duckdb.restore-*"))      # no temporary file left behind


def test_restore_mends_a_damaged_database_and_keeps_the_damaged_one(demo_db, tmp_path):
    good = tmp_path / "good.zip"
    assert cli("--db", str(demo_db), "backup", "-o", str(good)).returncode == 0
    expected = everything(demo_db)
    junk = damaged_copies(demo_db, tmp_path)["junk"]
    result = cli("--db", str(junk), "restore", str(good))
    assert result.returncode == 0, result.stderr
    assert everything(junk) == expected
    assert list(tmp_path.glob("junk.duckdb.before-restore-*"))


def test_restore_refuses_while_the_database_is_in_use(demo_db, tmp_path):
    good = tmp_path / "good.zip"
    assert cli("--db", str(demo_db), "backup", "-o", str(good)).returncode == 0
    holder = start_child(f"""
    import time, duckdb
    con = duckdb.connect({str(demo_db)!r})
    print("open", flush=True)
    time.sleep(600)
    """)
    try:
        assert holder.stdout.readline().decode().strip() == "open"
        result = cli("--db", str(demo_db), "restore", str(good))
        assert result.returncode == 2 and "in use" in result.stderr, result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert not list(tmp_path.glob("demo.duckdb.before-restore-*"))
    assert not list(tmp_path.glob(".demo.duckdb.restore-*"))
