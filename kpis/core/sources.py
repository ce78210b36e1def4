"""The publishers of the figures, by the names people know them by."""
from __future__ import annotations

from kpis.core.framework import Kpi

SOURCE_NAMES = {"framework": "Sub-group return (local)", "dfe_ees": "DfE Explore education statistics",
                "lait": "DfE Local Authority Interactive Tool (LAIT)", "fingertips": "OHID Fingertips"}


def comparator_label(kpi: Kpi | None, series_id: str) -> str:
    """A KPI's published comparator as a person reads it: its name and publisher, the code after them for
    analysts ('Good level of development (DfE Local Authority Interactive Tool (LAIT), code lait:FSP_NEW_GOODDEV)')."""
    c = kpi.comparator if kpi is not None else None
    if c is None:
        return series_id
    return f"{c.name or c.code} ({SOURCE_NAMES.get(c.source, c.source)}, code {series_id})"
