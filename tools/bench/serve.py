"""The app served for the load tests and the page tests: `streamlit run dashboard.py` on 127.0.0.1 at a free port
(`serve_app`), the errors its log holds, and the CPU and memory of its processes (Linux, read from /proc)."""
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"


class LoadTestError(RuntimeError):
    """The load test could not be run (no browser, the app did not start, the return is not valid...)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _process_tree(root: int) -> list[int]:
    """`root` and every process below it, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still running (Linux)."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return out


def peak_rss_mb(pid: int) -> float | None:
    """A running process's peak resident set (VmHWM), Linux only."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return round(int(m.group(1)) / 1024, 1) if m else None


@dataclass
class AppServer:
    url: str
    host: str
    port: int
    pid: int
    log: Path


@contextlib.contextmanager
def serve_app(db: str | Path, *, env: dict | None = None, timeout: float = 90, log: Path | None = None,
              info: dict | None = None, launcher: list[str] | None = None) -> Iterator[AppServer]:
    """Start `streamlit run dashboard.py` on 127.0.0.1 at a free port; stop it on leaving.

    `info`, if given, gets the server's peak resident set (`server_peak_rss_mb`) just before it stops.
    `launcher` runs Streamlit's command line instead of `python -m streamlit` (`pageprofile` profiles the server)."""
    port = free_port()
    log = log or Path(tempfile.gettempdir()) / f"kpis-loadtest-streamlit-{port}.log"
    full_env = {**os.environ, "KPIS_DB": str(db), **(env or {})}
    out = open(log, "wb")  # noqa: SIM115 - the server writes to it until it stops; closed in the finally below
    proc = subprocess.Popen(
        [*(launcher or [sys.executable, "-m", "streamlit"]), "run", "dashboard.py", "--server.headless", "true",
         "--server.address", HOST, "--server.port", str(port), "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
            if proc.poll() is not None:
                raise LoadTestError(f"streamlit exited early (exit {proc.returncode}); see {log}")
            if time.monotonic() > deadline:
                raise LoadTestError(f"streamlit did not become healthy in {timeout:.0f} s; see {log}")
        yield AppServer(url=url, host=HOST, port=port, pid=proc.pid, log=log)
    finally:
        if info is not None:
            info["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def log_errors(log: Path) -> list[str]:
    """The errors the server wrote to its log: each traceback's last line (the exception), and ERROR lines."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    found, in_traceback = [], False
    for line in lines:
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "\t")):
            found.append(line[:300])   # "SomeError: message", the traceback's last line
            in_traceback = False
        elif re.search(r"\bERROR\b", line):
            found.append(line[:300])
    return found
