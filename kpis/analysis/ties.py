"""Ranks that many councils share (issue 21): 98 councils with a count of 0 were each "rank 1, quartile A (best
quarter)", though most of them fill the first two quarters at least. A quartile is only given where the tied
councils all fall in one quarter; otherwise the table and the sentence say how many share the value.
"""
from __future__ import annotations

import math

import pandas as pd


def quartile_of(position: int, n: int) -> int:
    """The quarter (1-4) a 1-based position among n falls in, as `kpis.analysis.across_areas.quartile_label` bands
    it."""
    return min(4, max(1, math.ceil(4 * position / n)))


def shared_quartiles(df: pd.DataFrame) -> pd.DataFrame:
    """`across_areas.compare_areas` rows with the quartile of a tie that spans more than one quarter replaced by
    'none: N councils share this value' (the rank stays the tie's best, as `method="min"` gives it)."""
    if df.empty or "rank" not in df or "of_councils" not in df:
        return df
    out = df.copy()
    ranked = out["rank"].notna() & out["value"].notna()
    if not ranked.any():
        return out
    sizes = out[ranked].groupby("value")["rank"].transform("size")
    for i in sizes[sizes > 1].index:
        first, size, n = int(out.at[i, "rank"]), int(sizes[i]), int(out.at[i, "of_councils"])
        if n and quartile_of(first, n) != quartile_of(first + size - 1, n):
            out.at[i, "quartile"] = f"none: {size:,} councils share this value"
    return out
