"""The publishers of the figures, by the names people know them by."""
from __future__ import annotations

from kpis.core.kpi import Kpi

SOURCE_NAMES = {"framework": "Sub-group return (local)", "dfe_ees": "DfE Explore education statistics",
                "lait": "DfE Local Authority Interactive Tool (LAIT)", "fingertips": "OHID Fingertips"}
# Why there is no England figure to compare, in one vocabulary. `kpis.published.relation` owns the words about
# England and uses these; they live here so that the layers below it (the store, the public view) say the same.
NO_NATIONAL_FIGURE = "No national figure of this definition"
NOT_LOADED = "Published, but not loaded here: run python -m kpis refresh (or import-benchmarks)"
SUPPRESSED = "Suppressed"


def comparator_label(kpi: Kpi | None, series_id: str) -> str:
    """A KPI's published comparator as a person reads it: its name and publisher ('Good level of development (DfE
    Local Authority Interactive Tool (LAIT))'). Never the internal code ('lait:FSP_NEW_GOODDEV'): that is the
    downloads' Source id, for analysts."""
    c = kpi.comparator if kpi is not None else None
    if c is None:
        return "the published figures"
    return f"{c.name or 'the published figure'} ({SOURCE_NAMES.get(c.source, c.source)})"


def no_comparator_words(kpi: Kpi, *, short: bool = False) -> str:
    """Why there is no England figure of this KPI, naming its related national measure if it has one.

    Short: 'No national figure of this definition', or the same with '(related measure: persistent absence)'. Long:
    'None: a local measure with no national figure', or the related measure named whole, with its publisher,
    and that it is not compared with the KPI's own value."""
    rel = kpi.related
    if rel is None:
        return NO_NATIONAL_FIGURE if short else f"{NO_NATIONAL_FIGURE}: a local measure"
    if short:
        return f"{NO_NATIONAL_FIGURE} (related measure: {rel.options.get('short_name') or rel.name or rel.code})"
    return (f"{NO_NATIONAL_FIGURE}. Related national measure: {rel.name or rel.code} "
            f"({SOURCE_NAMES.get(rel.source, rel.source)}); its standing against England "
            "is shown, never compared with this KPI's own value")
