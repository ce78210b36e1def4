"""Import every real published file of the shared reference folder that is not already in data/ into a scratch
database, and say what happened to each (issue 14's closing note): rows read, imported, skipped; files refused
and why; and, for Fingertips, whether the explorer reproduces the published "Compared to England" labels.

    python tools/check_real_imports.py --shared ../shared/reference [--db /tmp/scratch.duckdb]

Never run by the tests (they have no shared folder); it prints a Markdown table.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpis.analysis import explore  # noqa: E402
from kpis.published.comparators import REFERENCE_DIR, BenchmarkError, import_benchmarks, load_areas_table  # noqa: E402
from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework  # noqa: E402
from kpis.store.database import Store  # noqa: E402

IN_DATA = {"dfe/d3_cpps_subsequent_plan_2013_to_2025.csv", "trafford/obese_reception.csv",
           "trafford/school_readiness.csv", "trafford/neet.csv", "trafford/cla_health_assessment.csv"}
HOME = "E10000034"


def reproduced(store: Store, framework, indicator_id: str) -> tuple[int, int]:
    """(headline values with a published label, how many of them the explorer's comparison matches)."""
    published = store.df("SELECT area_code, period_label, label FROM current_published_comparisons "
                         "WHERE versus = 'England' AND breakdown_type = 'all' AND indicator_id = ?", [indicator_id])
    ind = explore.indicator(store, framework, indicator_id)
    total = same = 0
    for period in explore.periods(store, indicator_id)["period_label"]:
        df = explore.compare_areas(store, ind, home=HOME, period_label=period)
        df = df[df["area_code"] != explore.ENGLAND].merge(published, on=["area_code", "period_label"])
        total += len(df)
        same += int((df["significance"].str.capitalize() == df["label"]).sum())
    return total, same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, required=True)
    ap.add_argument("--db", type=Path, default=Path(tempfile.mkdtemp(prefix="kpis-check-")) / "scratch.duckdb")
    args = ap.parse_args(argv)
    args.db.unlink(missing_ok=True)
    store = Store(args.db)
    load_areas_table(store, REFERENCE_DIR)
    framework = load_framework(DEFAULT_FRAMEWORK)
    print("| file | outcome | rows read | imported | skipped (why) | published labels reproduced |")
    print("|---|---|---|---|---|---|")
    for path in sorted(args.shared.rglob("*")):
        rel = path.relative_to(args.shared).as_posix()
        if not path.is_file() or rel in IN_DATA or path.suffix in (".md", ".tsv"):
            continue
        try:
            r = import_benchmarks(store, path, framework=framework, actor="check_real_imports")
        except BenchmarkError as exc:
            print(f"| `{rel}` | refused: {str(exc).splitlines()[0][:110]} | – | – | – | – |")
            continue
        why = "; ".join(f"{n:,} {reason}" for reason, n in list(r.skipped_reasons.items())[:2])
        more = len(r.skipped_reasons) - 2
        why += f"; and {more} more reasons" if more > 0 else ""
        labels = "–"
        if r.format == "fingertips":
            labels = "; ".join(f"{iid}: {same:,} of {total:,}" for iid in r.indicators
                               for total, same in [reproduced(store, framework, iid)])
        print(f"| `{rel}` | imported ({r.format}, {len(r.indicators)} indicators) | {r.rows_read:,} | "
              f"{r.rows_imported:,} | {r.rows_skipped:,}{f' ({why})' if why else ''} | {labels} |")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
