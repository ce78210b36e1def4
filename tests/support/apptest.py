"""Helpers shared by the AppTest page tests: no exception raised, and the text a page shows."""
from __future__ import annotations

from functools import cache

from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest


def ok(at: AppTest) -> AppTest:
    """The run raised nothing; returns the AppTest for chaining."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Markdown, captions, the title, headers, subheaders and every alert a run drew, as one string: the one helper
    every AppTest reads a page's words with."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [s.value for s in at.header] + [s.value for s in at.subheader]
    parts += [x.value for x in at.info] + [x.value for x in at.warning] + [x.value for x in at.error]
    parts += [x.value for x in at.success]
    return "\n".join(str(p) for p in parts)


def scan_components_once() -> None:
    """Streamlit looks through every installed package for custom components (`scan_component_manifests`) once when
    a server starts, but AppTest does it again for each new AppTest: 0.08 s of CPU each, some 200 times in tests/app.
    The packages installed cannot change during a test session, so the answer is found once per process and each
    AppTest registers the same components from it (a copy, so no AppTest can change another's list)."""
    scan = manifest_scanner.scan_component_manifests
    if getattr(scan, "found_once", False):
        return
    found = cache(scan)

    def scan_once(max_workers: int | None = None) -> list:
        return list(found(max_workers))

    scan_once.found_once = True  # type: ignore[attr-defined]
    scan_once.fresh = scan  # type: ignore[attr-defined]  # a search made afresh, for the test of this
    manifest_scanner.scan_component_manifests = scan_once
