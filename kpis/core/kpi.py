"""A KPI as the framework file declares it (`[[kpis]]`): its comparator, target and rebases, and the
check of one `[[kpis]]` entry (`_parse_kpi`, called by `kpis.core.framework.parse_framework`)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kpis.core.units import UNIT_LABELS

DEFAULT_SUPPRESSION_THRESHOLD = 7       # a KPI's public counts from 1 to this are suppressed (kpis.access.disclosure)

UNITS = UNIT_LABELS  # the unit codes a framework may use, with their labels (kpis.core.units)
POLARITIES = ("higher_is_better", "lower_is_better", "no_polarity")
FREQUENCIES = ("quarterly", "annual", "monthly")
SOURCES = ("fingertips", "dfe_ees", "lait")
KPI_ID = re.compile(r"^[A-Z]{1,4}[0-9]{2,3}$")


@dataclass(frozen=True)
class Comparator:
    source: str
    code: str
    name: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def indicator_id(self) -> str:
        """The id under which imported values of this source indicator are stored."""
        return f"{self.source}:{self.code}"


@dataclass(frozen=True)
class Target:
    value: float
    note: str = ""


@dataclass(frozen=True)
class Rebase:
    """A change of definition or of service on a date, after which a KPI's SPC limits restart (issue 21).

    ``source`` says where it was recorded: "framework" (declared in the framework file) or "admin" (recorded by an
    administrator in the app or on the command line, stored and audited; ``rebase_id`` is its stored id).
    """
    date: date
    reason: str
    source: str = "framework"
    rebase_id: int | None = None
    recorded_by: str | None = None


@dataclass(frozen=True)
class Kpi:
    id: str
    area: str
    outcome: str
    title: str
    short_title: str
    definition: str
    unit: str
    decimals: int
    polarity: str
    frequency: str
    breakdowns: tuple[str, ...]
    methodology: str = ""
    owner: str = ""
    next_update: str = ""
    comparator: Comparator | None = None
    target: Target | None = None
    # A published national measure close to the KPI but not the same definition: the home area's standing on it
    # against England is stated, the KPI's own value is never compared with it.
    related: Comparator | None = None
    # Changes of definition or of service declared in the framework file: the SPC limits restart at each.
    rebases: tuple[Rebase, ...] = ()
    # Public counts from 1 to this are suppressed (`suppression_threshold` in the framework file).
    suppression_threshold: int = DEFAULT_SUPPRESSION_THRESHOLD

    @property
    def unit_label(self) -> str:
        return UNITS[self.unit]

    @property
    def is_local_only(self) -> bool:
        return self.comparator is None

    def format_value(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "–"
        text = f"{value:,.{self.decimals}f}"
        return f"{text}%" if self.unit == "percentage" else text


def _parse_kpi(item: dict, i: int, area_ids: set[str], outcome_ids: set[str],
               breakdown_ids: set[str], seen: set[str], problems: list[str]) -> Kpi | None:
    kid = str(item.get("id", ""))
    where = f"KPI {kid}" if kid else f"[[kpis]] number {i}"
    before = len(problems)
    if not KPI_ID.match(kid):
        problems.append(f"{where}: id '{kid}' should be letters then digits, such as SG02")
    elif kid in seen:
        problems.append(f"{where}: the id is used twice")
    seen.add(kid)
    for key in ("title", "definition"):
        if not item.get(key):
            problems.append(f"{where}: '{key}' is missing")
    _check_choice(item, "area", area_ids, where, problems)
    _check_choice(item, "outcome", outcome_ids, where, problems)
    _check_choice(item, "unit", UNITS, where, problems)
    _check_choice(item, "polarity", POLARITIES, where, problems)
    _check_choice(item, "frequency", FREQUENCIES, where, problems)
    decimals = item.get("decimals", 1)
    if not isinstance(decimals, int) or not 0 <= decimals <= 4:
        problems.append(f"{where}: decimals should be a whole number from 0 to 4, found {decimals!r}")
    bds = item.get("breakdowns", ["all"])
    unknown = [b for b in bds if b not in breakdown_ids]
    if unknown:
        problems.append(f"{where}: breakdown(s) {', '.join(unknown)} are not listed in [breakdowns]")
    if "all" not in bds:
        problems.append(f"{where}: breakdowns must include 'all'")
    comparator = _parse_comparator(item.get("comparator"), where, problems)
    related = _parse_comparator(item.get("related_comparator"), f"{where} (related_comparator)", problems)
    target = None
    if "target" in item:
        t = item["target"]
        if not isinstance(t, dict) or not isinstance(t.get("value"), (int, float)):
            problems.append(f"{where}: target should be {{ value = number, note = \"...\" }}")
        else:
            target = Target(value=float(t["value"]), note=t.get("note", ""))
    rebases = _parse_rebases(item.get("rebase"), where, problems)
    threshold = item.get("suppression_threshold", DEFAULT_SUPPRESSION_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        problems.append(f"{where}: suppression_threshold should be a whole number of 1 or more, found {threshold!r}")
    if len(problems) > before:
        return None
    return Kpi(
        id=kid, area=item["area"], outcome=item["outcome"], title=item["title"],
        short_title=item.get("short_title", item["title"]), definition=item["definition"],
        unit=item["unit"], decimals=decimals, polarity=item["polarity"], frequency=item["frequency"],
        breakdowns=tuple(bds), methodology=item.get("methodology", ""), owner=item.get("owner", ""),
        next_update=item.get("next_update", ""), comparator=comparator, target=target, related=related,
        rebases=rebases, suppression_threshold=threshold,
    )


def _parse_rebases(raw: Any, where: str, problems: list[str]) -> tuple[Rebase, ...]:
    """``rebase = [{date = "2025-04-01", reason = "..."}]``: each a date (YYYY-MM-DD) and a reason in words."""
    if raw is None:
        return ()
    shape = 'rebase = [{ date = "2025-04-01", reason = "what changed" }]'
    if not isinstance(raw, list):
        problems.append(f"{where}: rebase should be a list, such as {shape}")
        return ()
    out: list[Rebase] = []
    for n, r in enumerate(raw, start=1):
        if not isinstance(r, dict):
            problems.append(f"{where}: rebase number {n} should be {{ date = ..., reason = ... }}, found {r!r}")
            continue
        d = r.get("date")
        if isinstance(d, str):
            try:
                d = date.fromisoformat(d.strip())
            except ValueError:
                problems.append(f"{where}: rebase number {n} has the date '{d}'; expected YYYY-MM-DD, such as "
                                "2025-04-01")
                continue
        if not isinstance(d, date):
            problems.append(f"{where}: rebase number {n} needs a date (YYYY-MM-DD), such as {shape}")
            continue
        reason = r.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: rebase number {n} ({d.isoformat()}) needs a reason: what changed on that "
                            "date")
            continue
        if any(x.date == d for x in out):
            problems.append(f"{where}: rebase date {d.isoformat()} is given twice")
            continue
        out.append(Rebase(date=d, reason=reason.strip(), source="framework"))
    return tuple(sorted(out, key=lambda x: x.date))


def _check_choice(item: dict, key: str, allowed, where: str, problems: list[str]) -> None:
    value = item.get(key)
    if value is None:
        problems.append(f"{where}: '{key}' is missing (one of {', '.join(sorted(allowed))})")
    elif value not in allowed:
        problems.append(f"{where}: {key} '{value}' is not one of {', '.join(sorted(allowed))}")


def _parse_comparator(c: Any, where: str, problems: list[str]) -> Comparator | None:
    if c is None:
        return None
    if not isinstance(c, dict) or not c.get("source") or not c.get("code"):
        problems.append(f"{where}: comparator needs a source and a code")
        return None
    if c["source"] not in SOURCES:
        problems.append(f"{where}: comparator source '{c['source']}' is not one of {', '.join(SOURCES)}")
        return None
    options = {k: v for k, v in c.items() if k not in ("source", "code", "name")}
    return Comparator(source=c["source"], code=str(c["code"]), name=c.get("name", ""), options=options)
