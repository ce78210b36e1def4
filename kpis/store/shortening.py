"""Long free text shortened as it is read, in SQL: only the first characters ever leave the database."""
from __future__ import annotations

from kpis.core.text import COMMENTARY_MAX_CHARS, SHORTENED


def shortened_sql(column: str, limit: int = COMMENTARY_MAX_CHARS) -> str:
    """SQL (DuckDB) for `shortened(column, limit)`: only the first `limit` characters ever leave the database."""
    head, tail = SHORTENED.split("{total}")
    return (f"CASE WHEN length({column}) > {int(limit)} THEN left({column}, {int(limit)}) || '{head}' || "
            f"format('{{:,}}', length({column})) || '{tail}' ELSE {column} END")


def shortened_from(relation: str, columns: tuple[str, ...] = ("status_note", "commentary"),
                   limit: int = COMMENTARY_MAX_CHARS) -> str:
    """SQL for `relation` (a table, view or query) with these text columns shortened, to use in a FROM.

    Shortening right where the rows are read matters: a long text carried through joins, windows and sorts
    and cut only at the end costs seconds and hundreds of MB (a 19.9M-character commentary: 4 s against 0.4 s).
    """
    source = relation if relation.replace("_", "").isalnum() else f"({relation})"
    replaced = ", ".join(f"{shortened_sql(c, limit)} AS {c}" for c in columns)
    return f"(SELECT * REPLACE ({replaced}) FROM {source})"
