"""Many visitors at once on one store: each thread's work, and the count of the writes they made."""
from __future__ import annotations

import threading
from collections.abc import Callable

COUNT_A_VISIT = ("INSERT INTO settings VALUES ('visits', '1') ON CONFLICT (key) DO UPDATE SET "
                 "value = CAST(CAST(settings.value AS INTEGER) + 1 AS VARCHAR)")


def run_visitors(visitor: Callable[[int], None], n: int = 6) -> None:
    """Run `visitor(i)` on `n` threads at once and wait for them all; fail with whatever any of them raised."""
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            visitor(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def visits(store) -> str | None:
    """How many visits the visitors counted (COUNT_A_VISIT), as stored."""
    return store.scalar("SELECT value FROM settings WHERE key = 'visits'")
