"""Helpers shared by the AppTest page tests: no exception raised, and the text a page shows."""
from __future__ import annotations

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
