"""Letting others have the database file while the app's store lingers on it: a note beside the file that says
another process is waiting for it, and this process's own lingering stores.

The app keeps the file open for a moment after a page run (`Store(linger_s=...)`), so that the next run need not
open it again. A process that finds the file taken (`database.connect`) leaves this note, renewed at each retry, and
takes it away when it gets in or gives up; while the note is fresh, the app closes the file as soon as its page
runs end, as it did before it lingered, so a steady stream of visitors cannot keep an import or a backup out.
In this process, DuckDB refuses a second connection to the file with other settings (a read-only one) while the
app's store lingers on it: opening one first closes the lingering file (`let_go_here`).
"""
from __future__ import annotations

import atexit
import time
import weakref
from pathlib import Path
from typing import Any

LINGERING: weakref.WeakSet[Any] = weakref.WeakSet()  # this process's stores whose file lingers now
WAITING_FRESH_S = 3.0  # a waiting note this recent means someone is waiting (the waiter renews it every second)


def waiting_note(path: Path) -> Path:
    """The note a process waiting for the file leaves beside it, so that the app does not keep the file lingering
    (`Store(linger_s=...)`) while someone waits for it."""
    return path.with_name(path.name + ".waiting")


def someone_waiting(path: Path) -> bool:
    """Whether another process is waiting for the file now (its note is fresh; a crashed waiter's goes stale)."""
    try:
        return waiting_note(path).stat().st_mtime > time.time() - WAITING_FRESH_S
    except OSError:
        return False


def note_waiting(note: Path, *, done: bool = False) -> None:
    """Leave (or renew) the note, or take it away when `done`."""
    try:
        if done:
            note.unlink(missing_ok=True)
        else:
            note.touch()
    except OSError:  # a folder we may not write to: waiting works as before, only without the note
        pass


def let_go_here(path: Path) -> bool:
    """Close the file wherever one of this process's stores lingers on it, unless a session uses it. Whether any
    did (the caller may then open it with its own settings)."""
    closed = False
    for store in list(LINGERING):
        try:
            same = Path(store.path).resolve() == Path(path).resolve()
        except OSError:
            continue
        if same and store.stop_lingering():
            closed = True
    return closed


@atexit.register
def _let_go_at_exit() -> None:
    """As the process ends, close any file still lingering, as the timer would have (a writable connection folds
    its log into the file as it closes), rather than leave it to the interpreter's teardown, which does not."""
    for store in list(LINGERING):
        store.stop_lingering()
