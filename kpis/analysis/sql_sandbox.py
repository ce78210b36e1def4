"""The child process in which an SQL console query runs, under limits the operating system enforces.

DuckDB's ``memory_limit`` governs its buffer manager, not the strings and lists a query builds while it
runs: in the app's own process ``SELECT repeat('x', 10000000) FROM range(1000)`` passed 8 GB and
``SELECT length(repeat('x', 1000000000))`` 2 GB. So a query runs here, in a separate Python process
(``python -m kpis.analysis.sql_sandbox SNAPSHOT ADDRESS_SPACE``) that

- caps its own address space (``RLIMIT_AS``): past it an allocation fails, DuckDB reports that it is out of
  memory, or at worst this process dies; the app's process is never touched;
- caps its CPU time per query (``RLIMIT_CPU``), a backstop to the timer that interrupts the query here and
  to the parent, which kills this process when it does not answer in time;
- opens the snapshot read-only, with no file or network access and its settings locked;
- measures the result as it fetches it, in the bytes of its pickled rows (so every type counts: text, lists,
  structs, blobs), and stops at a byte limit as well as at a row limit.

It imports nothing but duckdb and the standard library, so it starts in a fraction of a second.
The parent (``kpis.analysis.sql_console``) talks to it over stdin and stdout in frames: an 8-byte length, then a pickle.
"""
from __future__ import annotations

import pickle
import resource
import struct
import sys
import threading
from typing import IO, Any

import duckdb

SAFE_CONFIG = {
    "enable_external_access": False,
    "lock_configuration": True,
    "memory_limit": "512MB",
    "temp_directory": "",       # nothing spills to disk
    "max_temp_directory_size": "0B",
    "threads": 2,
}
_HEADER = struct.Struct("<Q")


def write_frame(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next frame from a blocking stream, or None at its end (the other side has gone)."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fetch(result: duckdb.DuckDBPyConnection, *, row_limit: int, byte_limit: int) -> tuple[list[tuple], str | None, int]:
    """Rows of a running query up to both limits: (rows, what cut them: None, 'rows' or 'bytes', bytes)."""
    rows: list[tuple] = []
    size, biggest, cut = 0, byte_limit, None      # one row first, then as many as surely fit
    while cut is None:
        # Few rows at a time while rows are big, so one fetch never holds much more than the limit.
        room = max(byte_limit - size, 0)
        batch = result.fetchmany(max(1, min(2048, row_limit + 1 - len(rows), room // (2 * biggest))))
        if not batch:
            break
        for row in batch:
            if len(rows) >= row_limit:
                cut = "rows"
                break
            n = len(pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL))
            if size + n > byte_limit:
                cut = "bytes"
                break
            rows.append(row)
            size += n
            biggest = n if len(rows) == 1 else max(biggest, n)
    return rows, cut, size


def run_one(con: duckdb.DuckDBPyConnection, request: dict) -> tuple:
    """('ok', names, rows, cut, bytes) or ('error', DuckDB's exception class name, its first line)."""
    cur = con.cursor()   # a connection of its own: PIVOT's temporary types go with it
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = int(_cpu_seconds() + request["cpu_s"]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    timer = threading.Timer(request["timeout_s"], cur.interrupt)
    timer.start()
    try:
        result = cur.execute(request["sql"])
        names = [d[0] for d in (result.description or [])]
        rows, cut, size = fetch(result, row_limit=request["row_limit"], byte_limit=request["byte_limit"])
        return ("ok", names, rows, cut, size)
    except duckdb.Error as exc:
        text = str(exc).strip()
        return ("error", type(exc).__name__, text.splitlines()[0] if text else type(exc).__name__)
    except MemoryError:
        return ("error", "OutOfMemoryException", "out of memory")
    finally:
        timer.cancel()
        cur.close()


def main(argv: list[str]) -> int:
    path, address_space = argv[0], int(argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr   # nothing else may write into the frames
    con = duckdb.connect(path, read_only=True, config=SAFE_CONFIG)
    write_frame(stdout, ("ready",))
    while True:
        request = read_frame(stdin)
        if request is None:          # the app closed the pipe, or has gone
            return 0
        try:
            answer = run_one(con, request)
        except MemoryError:
            answer = ("error", "OutOfMemoryException", "out of memory")
        try:
            write_frame(stdout, answer)
        except MemoryError:
            write_frame(stdout, ("error", "OutOfMemoryException", "out of memory"))
        except BrokenPipeError:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
