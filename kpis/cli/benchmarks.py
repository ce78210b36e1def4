"""`import-benchmarks` and `scorecard`: load a published file; every KPI against its benchmarks."""
from __future__ import annotations

import argparse
import json
import math
from datetime import date
from pathlib import Path

from kpis.access.permissions import command_line_actor
from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_INVALID, EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE, CliError
from kpis.core.framework import load_framework

REPORT_KEYS = ["file_name", "format", "source_name", "rows_read", "rows_imported", "rows_skipped",
               "skipped_reasons", "batch_id", "indicators", "new", "changed", "unchanged", "observations", "seconds",
               "notes"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-benchmarks", help="import a published benchmark file (Fingertips, DfE open data, LAIT, tidy CSV)",
        description="Import one published file of England, regional and council figures. The format is recognised "
                    "from the header: OHID Fingertips 'download data' CSV, DfE Explore education statistics open "
                    "data CSV, DfE LAIT long format (CSV or Parquet), or a tidy Fingertips CSV. All or nothing: "
                    "every row read is imported or skipped with a reason. Exit codes: 0 every row imported; 3 the "
                    "file was understood and imported, but some rows were skipped (each reason is printed); 1 the "
                    "file was understood but none of its rows could be imported (nothing stored); 2 the file "
                    "could not be read or is not a recognised format (nothing stored).")
    p.add_argument("file", help="the file to import")
    p.add_argument("--json", action="store_true", help="print the import's summary as JSON")
    p.set_defaults(handler=run_import)

    p = sub.add_parser(
        "scorecard", help="every KPI against England, the region, the neighbours and all councils",
        description="One row per KPI: the home area's latest value and 95%% limits, England's latest value for a "
                    "period ending on or before it and the Fingertips comparison, the recent trend, the change "
                    "from the previous period, the region's value, the statistical neighbours' pooled rate (or "
                    "mean), and the LAIT quartile (A = best) and rank among all councils.")
    p.add_argument("--area", help="only the KPIs of this outcome area (an area id of the framework, e.g. safeguarding)")
    p.add_argument("--as-at", dest="as_at", metavar="YYYY-MM-DD",
                   help="use only what had been submitted or imported by the end of this day")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(handler=run_scorecard)


def run_import(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.published.common import BenchmarkError, BenchmarkFormatError
    from kpis.published.importer import import_benchmarks
    framework = load_framework(args.framework)
    with open_store(args) as store:
        try:
            report = import_benchmarks(store, args.file, framework=framework, actor=command_line_actor().email)
        except BenchmarkFormatError as exc:  # unreadable or unrecognised: the plain message, no traceback
            raise CliError(str(exc), EXIT_UNUSABLE) from None
        except BenchmarkError as exc:  # no such file (unreadable), or understood but no row could be imported
            missing = not Path(args.file).is_file()
            raise CliError(str(exc), EXIT_UNUSABLE if missing else EXIT_INVALID) from None
        except OSError as exc:
            raise CliError(f"Could not read {args.file}: {exc.strerror or exc}", EXIT_UNUSABLE) from None
    summary = report.to_dict()
    code = EXIT_PARTIAL if report.rows_skipped else EXIT_OK
    if args.json:
        print(json.dumps({k: summary[k] for k in REPORT_KEYS}, default=str, indent=2))
        return code
    print(f"Imported {report.file_name} ({report.source_name}): {report.rows_imported:,} of {report.rows_read:,} "
          f"rows; {report.rows_skipped:,} skipped.")
    for reason, n in report.skipped_reasons.items():
        print(f"  skipped {n:,}: {reason}")
    print(f"Values: {report.new:,} new, {report.changed:,} changed, {report.unchanged:,} unchanged "
          f"(batch {report.batch_id}, {report.seconds:.1f} s).")
    for note in report.notes:
        print(f"  note: {note}")
    if code == EXIT_PARTIAL:
        print(f"Exit code {EXIT_PARTIAL}: imported, but {report.rows_skipped:,} row(s) were skipped (reasons above).")
    return code


def run_scorecard(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.analysis.comparisons import (
        as_at_end_of,
        kpi_benchmarks,
    )
    framework = load_framework(args.framework)
    areas = [a.id for a in framework.areas]
    if args.area and args.area not in areas:
        raise CliError(f"There is no outcome area '{args.area}'. Use one of: {', '.join(areas)}.", EXIT_UNUSABLE)
    as_at = None
    if args.as_at:
        try:
            as_at = as_at_end_of(date.fromisoformat(args.as_at))
        except ValueError:
            raise CliError(f"--as-at needs a date as YYYY-MM-DD, such as 2025-06-11, not '{args.as_at}'.",
                           EXIT_UNUSABLE) from None
    with open_store(args, read_only=True) as store:
        rows = kpi_benchmarks(store, framework, as_at=as_at)
    if args.area:
        rows = [r for r in rows if r["area"] == args.area]
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    _print_table(framework, rows, args.as_at)
    return 0


def _fmt(value, unit: str | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.0f}" if unit == "count" else f"{value:,.1f}"
    return f"{text}%" if unit == "percentage" else text


def _print_table(framework, rows: list[dict], as_at: str | None) -> None:
    print(f"{framework.short_name}: KPIs against their benchmarks"
          + (f", as known at the end of {as_at}" if as_at else "") + ".")
    print("Neighbours: pooled rate where counts are published, else the mean. Quartile: A = best quarter of all "
          "councils (LAIT's method); rank 1 = best.\n")
    header = (f"{'KPI':<5} {'Period':<11} {'Value':>8} {'England':>19} {'Compared':<12} {'Change':>7} "
              f"{'Region':>7} {'Neighb.':>8} {'Q':>1} {'Rank':>8}  Trend")
    print(header)
    print("-" * len(header))
    for r in rows:
        unit = r["unit"]
        eng = f"{_fmt(r['england_value'], unit)} ({r['england_period']})" if r["england_period"] else "–"
        change = "–" if r["change"] is None else f"{r['change']:+,.1f}"
        rank = f"{r['rank']}/{r['rank_of']}" if r["rank"] is not None else "–"
        print(f"{r['kpi_id']:<5} {(r['period'] or '–'):<11} {_fmt(r['value'], unit):>8} {eng:>19} "
              f"{r['comparison']:<12} {change:>7} {_fmt(r['region_value'], unit):>7} "
              f"{_fmt(r['neighbours_value'], unit):>8} {(r['quartile'] or '–'):>1} {rank:>8}  {r['trend']}")
        if r.get("england_relation"):  # the board's words about England (kpis.published.relation), on every row
            print(f"      England: {r['england_relation']}")
