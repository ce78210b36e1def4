"""Time the board pack and the HWBB report in every format, in one fresh process (so the first
PDF includes starting Chromium). The target: a full board pack (16 KPIs) in under 30 seconds.

    python tools/bench/pack.py [--db data/kpis.duckdb]      # default: a new demo database in a temp folder
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from kpis.cli.main import main as cli
from kpis.core.framework import load_framework
from kpis.packs.build import FORMATS, build_pack
from kpis.packs.content import board_pack_content
from kpis.packs.images import stop as stop_renderer
from kpis.packs.pdf import build_pdf
from kpis.store.database import Store

TARGET_S = 30.0


def bench_board_pack_pdf(db_path: str | Path) -> float:
    """Seconds to build the full board pack PDF (every KPI, charts drawn, printed by Chromium) from a database."""
    store = Store(db_path, read_only=True)
    try:
        started = time.perf_counter()
        build_pdf(board_pack_content(store, load_framework(), report="board"))
        return time.perf_counter() - started
    finally:
        store.close()


def run(db: Path) -> int:
    first = bench_board_pack_pdf(db)  # includes Chromium's start
    print(f"board pdf  (first, with browser start) {first:6.2f} s")
    store = Store(db, read_only=True)
    worst = first
    try:
        for report in ("board", "hwbb"):
            for fmt in FORMATS:
                started = time.perf_counter()
                pack = build_pack(store, load_framework(), report=report, fmt=fmt)
                seconds = time.perf_counter() - started
                worst = max(worst, seconds)
                print(f"{report:<5} {fmt:<5} {seconds:6.2f} s  {len(pack.data) / 1024:8,.0f} KB")
    finally:
        store.close()
        stop_renderer()
    print(f"slowest {worst:.2f} s; target under {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'NOT MET'}")
    return 0 if worst < TARGET_S else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing database (default: build the demo database)")
    args = parser.parse_args()
    if args.db:
        return run(args.db)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        if cli(["--db", str(db), "init", "--demo"]) != 0:
            return 2
        return run(db)


if __name__ == "__main__":
    sys.exit(main())
