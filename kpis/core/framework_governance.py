"""The parts of a framework file about how the partnership governs itself, parsed for `kpis.core.framework`:

- each priority's (outcome area's) framing: `framing = "upstream"` or `"downstream"` (or `"both"`) with a
  sentence, `framing_note`, saying why;
- the annual self-assessment: `[self_assessment]` with `year` (`"financial"`, the default, or `"academic"`)
  and `[[self_assessment.statements]]`, each with an `id` and the statement's `text`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FRAMINGS = ("upstream", "downstream", "both")
FRAMING_WORDS = {"upstream": "Upstream (prevention across the population)",
                 "downstream": "Downstream (services for children already in need)",
                 "both": "Upstream and downstream"}
YEAR_TYPES = ("financial", "academic")
STATEMENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")


@dataclass(frozen=True)
class Statement:
    id: str
    text: str

    def __str__(self) -> str:      # a report that prints a statement prints its words
        return self.text


@dataclass(frozen=True)
class SelfAssessmentSpec:
    """What the partnership rates itself against each year, and which kind of year it counts in."""
    year_type: str = "financial"
    statements: tuple[Statement, ...] = ()


def parse_framing(area: dict, problems: list[str]) -> tuple[str, str]:
    """(framing, framing_note) of one [[areas]] entry; ("", "") when it gives none."""
    framing, note = str(area.get("framing", "") or ""), str(area.get("framing_note", "") or "").strip()
    if framing and framing not in FRAMINGS:
        problems.append(f"[[areas]] '{area.get('id')}': framing '{framing}' should be one of {', '.join(FRAMINGS)}")
    if note and not framing:
        problems.append(f"[[areas]] '{area.get('id')}': framing_note needs a framing (upstream or downstream)")
    return framing, note


def framing_text(framing: str, note: str) -> str:
    """The framing as a reader sees it: 'Upstream (prevention across the population): <sentence>'."""
    if not framing:
        return ""
    return f"{FRAMING_WORDS.get(framing, framing)}: {note}" if note else FRAMING_WORDS.get(framing, framing)


def parse_self_assessment(raw: Any, problems: list[str]) -> SelfAssessmentSpec:
    """The [self_assessment] table; an empty spec (financial year, no statements) when there is none."""
    if raw is None:
        return SelfAssessmentSpec()
    if not isinstance(raw, dict):
        problems.append("[self_assessment] should be a table")
        return SelfAssessmentSpec()
    year = str(raw.get("year", "financial"))
    if year not in YEAR_TYPES:
        problems.append(f"[self_assessment] year '{year}' should be 'financial' or 'academic'")
    statements, seen = [], set()
    for i, item in enumerate(raw.get("statements") or [], start=1):
        sid, text = str(item.get("id", "")).strip(), str(item.get("text", "")).strip()
        if not sid or not text:
            problems.append(f"[[self_assessment.statements]] number {i} needs an id and a text")
            continue
        if not STATEMENT_ID.match(sid) or sid in seen:
            problems.append(f"[[self_assessment.statements]] id '{sid}' should be short (letters, digits, . _ -) "
                            "and appear once")
        seen.add(sid)
        statements.append(Statement(sid, text))
    return SelfAssessmentSpec(year if year in YEAR_TYPES else "financial", tuple(statements))
