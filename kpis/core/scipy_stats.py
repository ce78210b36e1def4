"""`scipy.stats`, imported when first used (`from kpis.core import scipy_stats as _st`, then `_st.norm`).

Importing scipy.stats takes one to four seconds. Every command, page start and test process that imports the
statistics modules paid it, though most of them never work out an interval or a test.
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from scipy import stats
    return getattr(stats, name)
