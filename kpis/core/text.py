"""How long a lead's text may be, and how text too long to show is quoted and shortened.

A return's free text (commentary, a narrative) has a limit a board reader can live with; a cell that
should hold a short word (a KPI id, a period, a breakdown, a status, a number or a marker) has a much
smaller one. A return over a limit is refused (`kpis.returns.rules`). Text stored before there were
limits is shortened where a page or a pack reads it (`kpis.store.shortening`), so no stored text can make a page
slow or huge; the store itself keeps every character.
"""
from __future__ import annotations

COMMENTARY_MAX_CHARS = 2_000       # a row's commentary: a few sentences for the board
NARRATIVE_MAX_CHARS = 10_000       # each part of a sub-group's narrative
CELL_MAX_CHARS = 200               # a cell holding a KPI id, breakdown, period, status, number or marker
QUOTE_CHARS = 60                   # how much of an over-long text a message quotes
SHORTENED = " … [shortened: {total} characters in all]"


def text_length(value: object) -> int:
    """How many characters a text really had, before it was cut when read (`kpis.returns.budget.clip` keeps it
    as `length`); 0 for anything but text."""
    if not isinstance(value, str):
        return 0
    return max(getattr(value, "length", 0), len(value))


def quote(value: object, limit: int = QUOTE_CHARS, *, length: int | None = None) -> str:
    """`value` for a message: whole when short, else its first `limit` characters, '…' and its real length:
    'aaaa…aaa… (19,900,000 characters)'. The real length is `length`, or what a text cut when read remembers."""
    text = str(value)
    real = max(length or 0, text_length(value), len(text))
    if real == len(text) and real <= limit + len(" … (0,000 characters)"):
        return text
    return f"{text[:limit]}… ({real:,} characters)"


def too_long(text: object, limit: int) -> bool:
    return isinstance(text, str) and len(text) > limit


def shortened(text: str | None, limit: int = COMMENTARY_MAX_CHARS) -> str | None:
    """`text` cut to `limit` characters with a note saying it was shortened; short text unchanged."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + SHORTENED.format(total=f"{len(text):,}")
