"""The shape of a quarterly return: sheets, columns, breakdown labels, status words.

Shared by the template writer (`templates`), the reader (`returns`) and the
checks (`validation`), so the three always agree. Headers and words are
matched loosely (case, spacing and punctuation ignored) because leads rename
columns and type markers in many ways.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kpis.core.framework import Framework, breakdown_label
from kpis.core.kpi import Kpi
from kpis.core.units import STATUS_LABELS

INSTRUCTIONS_SHEET, DATA_SHEET, NARRATIVE_SHEET, LISTS_SHEET = "Instructions", "Data", "Narrative", "Lists"

# Columns of the data sheet, in template order: (key, header).
COLUMNS = [
    ("kpi_id", "KPI id"), ("title", "KPI title"), ("breakdown", "Breakdown"), ("period", "Period"),
    ("unit", "Unit"), ("value", "Value"), ("numerator", "Numerator"), ("denominator", "Denominator"),
    ("status", "Status"), ("commentary", "Commentary"),
]
HEADERS = dict(COLUMNS)
REFERENCE_HEADERS = ("Last quarter: value", "Last quarter: status")  # shown for reference, never read
READ_COLUMNS = ("kpi_id", "breakdown", "period", "value", "numerator", "denominator", "status", "commentary")
REQUIRED_COLUMNS = ("kpi_id", "value")

_ALIASES = {
    "kpi_id": ["kpi id", "kpiid", "kpi", "id", "kpi ref", "kpi reference", "kpi code", "indicator id", "ref"],
    "title": ["kpi title", "title", "kpi name", "indicator", "indicator name", "description", "measure"],
    "breakdown": ["breakdown", "breakdowns", "group", "cohort group", "population group", "subgroup of children",
                  "breakdown group", "category"],
    "period": ["period", "quarter", "reporting period", "time period", "period label", "date", "month"],
    "unit": ["unit", "units", "measure type"],
    "value": ["value", "result", "figure", "actual", "percentage", "percent", "rate", "count", "number"],
    "numerator": ["numerator", "num", "numerator count"],
    "denominator": ["denominator", "denom", "den", "denominator count", "base", "cohort"],
    "status": ["status", "data status", "marker", "flag", "value status"],
    "commentary": ["commentary", "comment", "comments", "notes", "note", "narrative", "explanation"],
}


def normalise(text: object) -> str:
    """'  KPI_Id ' -> 'kpi id'; '65.0 %' -> '65 0'. For loose matching of headers and words."""
    return re.sub(r"[^0-9a-z<>]+", " ", str(text or "").lower()).strip()


HEADER_KEYS = {alias: key for key, names in _ALIASES.items() for alias in names}


def column_key(header: object) -> str | None:
    """Which column a header names, or None. 'Value (%)', 'VALUE', 'value ' all name 'value'."""
    text = normalise(header)
    if text in HEADER_KEYS:
        return HEADER_KEYS[text]
    if text.startswith("last quarter") or text.startswith("previous"):
        return None
    # "Value 2025/26 Q2", "Numerator (children)": the first words decide
    for n in (2, 1):
        head = " ".join(text.split()[:n])
        if head in HEADER_KEYS and HEADER_KEYS[head] in ("value", "numerator", "denominator", "commentary"):
            return HEADER_KEYS[head]
    return None


# -- statuses and markers ----------------------------------------------------------
# What leads type in a value cell instead of a number, and the status each means.
MARKERS = {
    "*": "suppressed", "**": "suppressed", "c": "suppressed", "supp": "suppressed", "suppressed": "suppressed",
    "-": "not_available", "–": "not_available", "—": "not_available", "n/a": "not_available",
    "na": "not_available", "n.a.": "not_available", "n a": "not_available", "not available": "not_available",
    "x": "not_available", "..": "not_available", ":": "not_available", "not known": "not_available",
    "z": "not_applicable", "not applicable": "not_applicable", "u": "low_reliability",
}
_SUPPRESSION = re.compile(r"^<\s*\d+$")
MARKER_MAX_CHARS = 30  # the longest marker, 'not applicable', is 14: longer text is not a marker (nor a status note)


def marker_status(text: str) -> str | None:
    """The status a marker such as '<5', '*', 'c', '-' or 'n/a' stands for, or None if it is not one."""
    t = text.strip().lower()
    if len(t) > MARKER_MAX_CHARS:
        return None
    if _SUPPRESSION.match(t):
        return "suppressed"
    return MARKERS.get(t) or MARKERS.get(normalise(t)) if t else None


_STATUS_WORDS = {normalise(label): code for code, label in STATUS_LABELS.items()}
_STATUS_WORDS.update({normalise(code): code for code in STATUS_LABELS})
_STATUS_WORDS.update({"ok": "published", "final": "published", "actual": "published", "suppressed": "suppressed",
                      "confidential": "suppressed", "missing": "not_available", "unavailable": "not_available"})


def parse_status(text: object) -> str | None:
    """Status column text -> status code; None for an unknown word (blank is handled by the caller)."""
    t = str(text).strip()
    if len(t) > MARKER_MAX_CHARS:
        return None
    return _STATUS_WORDS.get(normalise(t)) or marker_status(t)


# -- breakdowns --------------------------------------------------------------------
@dataclass(frozen=True)
class BreakdownOption:
    label: str          # what the lead sees and picks, e.g. "District: <a district name>"
    type: str           # stored breakdown_type, e.g. "district"
    value: str          # stored breakdown_value, e.g. a district's ONS code


def breakdown_options(framework: Framework, kpi: Kpi) -> list[BreakdownOption]:
    """Every breakdown a KPI accepts, 'all' first, in the framework's order."""
    out = [BreakdownOption(breakdown_label(framework, "all", "all"), "all", "all")]
    for btype in kpi.breakdowns:
        if btype != "all":
            out += [BreakdownOption(breakdown_label(framework, btype, v), btype, v)
                    for v in framework.breakdown_values.get(btype, ())]
    return out


_ALL_WORDS = {"", "all", "all children", "all children and young people", "all cyp", "total", "overall",
              "whole population", "everyone", "all all"}


def breakdown_lookup(framework: Framework, kpi: Kpi) -> dict[str, BreakdownOption]:
    """Every spelling of each of the KPI's breakdowns, normalised, mapped to the option."""
    table: dict[str, BreakdownOption] = {}
    clashes: set[str] = set()
    for opt in breakdown_options(framework, kpi):
        if opt.type == "all":
            names = _ALL_WORDS | {normalise(opt.label)}
        else:
            type_names = {opt.type, framework.breakdowns.get(opt.type, opt.type)}
            value_names = {opt.value, framework.group_name(opt.type, opt.value)}
            names = {normalise(opt.label)} | {normalise(f"{t}: {v}") for t in type_names for v in value_names}
            if len(framework.breakdown_values.get(opt.type, ())) == 1:
                names |= {normalise(t) for t in type_names}
            for v in value_names:
                key = normalise(v)
                if key in table and table[key] != opt:
                    clashes.add(key)
                names.add(key)
        for n in names:
            table.setdefault(n, opt)
    for key in clashes:
        table.pop(key, None)
    return table


def free_breakdown(framework: Framework, kpi: Kpi, text: str) -> BreakdownOption | None:
    """'Type: value' for a breakdown type the KPI allows but for which no values are listed."""
    if ":" not in text:
        return None
    head, _, value = text.partition(":")
    for btype in kpi.breakdowns:
        if btype != "all" and not framework.breakdown_values.get(btype) and normalise(head) in (
                normalise(btype), normalise(framework.breakdowns.get(btype, btype))) and value.strip():
            return BreakdownOption(f"{framework.breakdowns.get(btype, btype)}: {value.strip()}", btype, value.strip())
    return None


NARRATIVE_FIELDS = [("progress", "Progress"), ("risks_barriers", "Risks and barriers"),
                    ("service_user_feedback", "Service user feedback")]
PUBLISHABLE_LABEL = "Can this narrative be published?"
_NARRATIVE_ALIASES = {
    "progress": ["progress", "progress and activity", "activity", "activity and progress", "update"],
    "risks_barriers": ["risks and barriers", "risks barriers", "risks", "barriers", "risks and issues"],
    "service_user_feedback": ["service user feedback", "feedback", "voice of the child", "user feedback",
                              "service user voice"],
    "publishable": [normalise(PUBLISHABLE_LABEL), "publishable", "can be published", "publish"],
}
NARRATIVE_KEYS = {alias: key for key, names in _NARRATIVE_ALIASES.items() for alias in names}
RETURN_PERIOD_LABEL, RETURN_AREA_LABEL = "Return period", "Sub-group id"
