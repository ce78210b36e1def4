"""Another process holding the database file, as the app does during a page run or an import does while it writes."""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])        # read-write: DuckDB lets no other process open the file meanwhile
print("held", flush=True)
sys.stdin.readline()                     # until the test says so (or closes the pipe)
con.close()
"""


@contextmanager
def held_by_another_process(path: Path) -> Iterator[subprocess.Popen]:
    """Hold `path` open for writing in a child process for the body (its id is the Popen's pid)."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        release(proc)


def release(proc: subprocess.Popen) -> None:
    """Let the child close the file and end (idempotent)."""
    if proc.poll() is None:
        try:
            proc.stdin.write("done\n")
            proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        proc.wait(timeout=30)


@contextmanager
def held_for(path: Path, seconds: float) -> Iterator[subprocess.Popen]:
    """Hold `path` in a child process, letting go of it after `seconds` while the body goes on."""
    import threading
    with held_by_another_process(path) as proc:
        timer = threading.Timer(seconds, release, args=(proc,))
        timer.start()
        try:
            yield proc
        finally:
            timer.cancel()
            time.sleep(0)


_TRY_OPEN = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
except duckdb.Error as exc:
    print(exc)
    sys.exit(1)
"""


def free_for_another_process(path: Path) -> bool:
    """Can another process open `path` for writing right now (as the app's next page run, or a backup, would)?"""
    return subprocess.run([sys.executable, "-c", _TRY_OPEN, str(path)], capture_output=True, timeout=60).returncode == 0
