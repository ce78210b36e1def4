"""A problem found in a return: where it is, what was found, what was expected, in plain English."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from kpis.core.text import quote

ERROR, WARNING = "error", "warning"
MAX_FOUND_CHARS = 300       # a problem's `found`, whatever made it: a last bound (`kpis.core.text.quote` each value)
MAX_MESSAGE_CHARS = 4_000   # a problem's `expected` and `message`


@dataclass(frozen=True)
class Problem:
    sheet: str                  # sheet name, or the CSV file's name
    row: int | None             # the row number the lead sees in Excel (1 = the first row)
    column: str | None          # the column as the lead sees it, e.g. "F (Value)"
    found: str                  # what the cell holds, e.g. "0.65"
    expected: str               # what would have been accepted, e.g. "a percentage from 0 to 100, such as 65"
    message: str                # the whole story in one or two plain sentences
    severity: str = ERROR       # error (blocks the return) | warning (worth a look; does not block)
    count: int = 1              # problems this line stands for: more than 1 on the "… and N more" line of a cap

    def __post_init__(self) -> None:
        # a last bound on what a problem can carry: a hostile cell must not be copied whole into every problem
        for name, limit in (("found", MAX_FOUND_CHARS), ("expected", MAX_MESSAGE_CHARS),
                            ("message", MAX_MESSAGE_CHARS), ("sheet", MAX_FOUND_CHARS),
                            ("column", MAX_FOUND_CHARS)):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                object.__setattr__(self, name, quote(value, limit - 40))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def where(self) -> str:
        parts = [f"sheet '{self.sheet}'"] if self.sheet else []
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts) or "the file"

    def __str__(self) -> str:
        label = "Error" if self.is_error else "Check"
        return f"{label}: {self.where}: {self.message}"

    def to_dict(self) -> dict:
        d = {**asdict(self), "where": self.where}
        if self.count == 1:
            del d["count"]          # only the "… and N more" line of a capped list stands for several
        return d


def total(problems: list[Problem]) -> int:
    """How many problems a list stands for, counting those left off a capped list (`return_budget`)."""
    return sum(p.count for p in problems)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.is_error]
