"""CSV records cut from the original bytes (quoting, line endings and byte-order mark kept), and the check that
stops the extract."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd


class ExtractError(RuntimeError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ExtractError(message)


# ---------------------------------------------------------------- raw CSV records

def raw_records(text: str) -> list[str]:
    """Split CSV text into records, each exactly as in the file (line ending included).

    A newline inside a quoted field does not end a record.
    """
    records: list[str] = []
    pending: list[str] = []
    quotes = 0
    for line in text.split("\n"):
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2 == 0:
            records.append("\n".join(pending) + "\n")
            pending, quotes = [], 0
    check(not pending or pending == [""], "a CSV file ends inside a quoted field")
    if records and records[-1] == "\n":   # the split after the final newline
        records.pop()
    if records and not text.endswith("\n"):
        records[-1] = records[-1][:-1]
    return records


def parse_record(record: str) -> list[str]:
    return next(csv.reader(io.StringIO(record, newline="")))


def filter_csv(src: Path, dst: Path, keep) -> tuple[int, int]:
    """Copy the header and the records for which keep(row: dict) is true, byte for byte."""
    text = src.read_bytes().decode("utf-8")
    records = raw_records(text)
    header = [h.lstrip("\ufeff") for h in parse_record(records[0])]
    kept = [records[0]]
    for record in records[1:]:
        values = parse_record(record)
        # Fingertips' 26-column export writes 25 fields per record (no trailing
        # "Compared to goal"), which readers treat as empty: allow short records.
        check(len(values) <= len(header), f"{src.name}: a record has {len(values)} fields, the header {len(header)}")
        values += [""] * (len(header) - len(values))
        if keep(dict(zip(header, values, strict=False))):
            kept.append(record)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes("".join(kept).encode("utf-8"))
    return len(records) - 1, len(kept) - 1


def read_dfe(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
