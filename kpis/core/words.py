"""The words for a KPI's standing against England and for its polarity: one table of each, which every page,
pack and chart reads (the board's badges, the KPI page, the explorer's legend and sentences, the data dictionary).

A comparison result is one of `RESULTS` (`kpis.core.stats.compare_with_benchmark`): better / similar / worse
where the KPI has a polarity, higher / lower where it has none.
"""
from __future__ import annotations

RESULTS = ("better", "similar", "worse", "higher", "lower")
# The board's badge and the KPI page's sentence: 'Better than England'.
COMPARISON_WORDS = {"better": "Better than England", "similar": "Similar to England", "worse": "Worse than England",
                    "higher": "Higher than England", "lower": "Lower than England"}
# The explorer's legend, where the benchmark may be another area: 'Significantly better'.
SIGNIFICANCE_WORDS = {result: "Similar" if result == "similar" else f"Significantly {result}" for result in RESULTS}

# Inside a sentence or a bracket: 'higher is better', 'no polarity'.
POLARITY_SHORT = {"higher_is_better": "higher is better", "lower_is_better": "lower is better",
                  "no_polarity": "no polarity"}
# A label of its own (the KPI page, the packs, the data dictionary): 'Higher is better'.
POLARITY_WORDS = {**{p: words.capitalize() for p, words in POLARITY_SHORT.items()},
                  "no_polarity": "Neither higher nor lower is better (no polarity)"}


def tested_words(result: str) -> str:
    """'Significantly better than England', 'Similar to England': a tested result, whole."""
    words = COMPARISON_WORDS[result]
    return words if result == "similar" else f"Significantly {words[0].lower()}{words[1:]}"
