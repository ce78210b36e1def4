"""Units and statuses of a value: the one table of each, which every other module reads.

A unit says how a value is scaled from its counts (a percentage is numerator / denominator x 100, a
rate per 10,000 is x 10,000, a count is the count itself) and how it is labelled. A status says what
a cell holds: a published number, a provisional or low-reliability one, or no number and why
(suppressed, not available, not applicable).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    code: str             # as the framework file writes it
    label: str            # short, after a number: "%", "per 10,000"
    axis_title: str       # a chart axis or a table heading
    scale: float | None   # value = numerator / denominator x scale; None for a count (no denominator)


UNITS: dict[str, Unit] = {u.code: u for u in (
    Unit("percentage", "%", "Percentage (%)", 100.0),
    Unit("count", "count", "Number", None),
    Unit("rate_per_10000", "per 10,000", "Rate per 10,000", 10_000.0),
    Unit("rate_per_100000", "per 100,000", "Rate per 100,000", 100_000.0),
)}
UNIT_LABELS = {code: u.label for code, u in UNITS.items()}
AXIS_TITLES = {code: u.axis_title for code, u in UNITS.items()}
# value = numerator / denominator x SCALE[unit], for the units that have a denominator
SCALE = {code: u.scale for code, u in UNITS.items() if u.scale is not None}
RATE_SCALE = {code: scale for code, scale in SCALE.items() if code.startswith("rate_per_")}

STATUS_LABELS = {
    "published": "Published", "provisional": "Provisional", "suppressed": "Suppressed (small number)",
    "not_available": "Not available", "not_applicable": "Not applicable", "low_reliability": "Low reliability",
    # DfE's `low` and `k` (and the older `~`): a count that rounds to 0 but is not 0; no figure is published
    "rounds_to_zero": "Rounds to 0 (not 0)",
}
STATUSES = tuple(STATUS_LABELS)
VALUE_STATUSES = ("published", "provisional", "low_reliability")    # a number goes with these
GAP_STATUSES = ("suppressed", "not_available", "not_applicable", "rounds_to_zero")    # no number goes with these
GAP_LABELS = {code: STATUS_LABELS[code] for code in GAP_STATUSES}
