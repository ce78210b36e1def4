"""Run the command line in-process, as `python -m kpis --db DB ...` would."""
from __future__ import annotations

from pathlib import Path

from kpis.cli.main import main


def cli(db: Path, *args: object) -> int:
    return main(["--db", str(db), *map(str, args)])
