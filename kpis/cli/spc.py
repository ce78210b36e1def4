"""`spc`: a statistical process control (XmR) chart of a CSV of date,value, as NHS "Making Data Count" draws it.

The calculations are kpis.core.spc's, which follow the R package NHSRplotthedots; the words printed are the
package's own (special-cause types, point types, icon names).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
from datetime import date

from kpis.cli.errors import EXIT_INVALID, EXIT_UNUSABLE, CliError
from kpis.core.words import POLARITY_SHORT

MIN_ROWS = 2  # one moving range: the fewest points that give limits at all


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "spc", help="an SPC (XmR) chart of a CSV of date,value: limits, special causes and icons",
        description="Read a CSV with columns date (YYYY-MM-DD) and value, one row per month, quarter or any other "
                    "period, and print each point's mean and process limits, its special-cause type and point type, "
                    "and the variation and assurance icons, as NHS England's 'Making Data Count' (and the R "
                    "package NHSRplotthedots) define them. Limits from fewer than 13 points are trial limits. "
                    "Exit code 2 if the file cannot be read or a row is not a date and a number.")
    p.add_argument("file", nargs="?", help="CSV file with a header row naming the columns date and value")
    p.add_argument("--kpi", metavar="ID",
                   help="instead of a file, chart a KPI of the framework from the database (--db), as the board's "
                        "pages do: its polarity as the direction, its target, its rebases (the framework file's and "
                        "those recorded with `rebase add`), monthly or quarterly")
    p.add_argument("--direction", choices=["increase", "decrease", "neutral"], default="increase",
                   help="which way is improvement: increase (the default, as in the package), decrease or neutral")
    p.add_argument("--target", type=float, help="a target value, for the assurance icon")
    p.add_argument("--rebase", nargs="+", action="extend", default=[], metavar="DATE",
                   help="dates (YYYY-MM-DD) of the series on which the limits restart (give FILE before "
                        "--rebase)")
    p.add_argument("--no-screen", dest="screen", action="store_false",
                   help="keep large moving ranges in the limits (as the Making Data Count Excel tool does)")
    p.add_argument("--json", action="store_true", help="print the chart as JSON")
    p.set_defaults(handler=run_spc)


def _read(path: str) -> tuple[list[date], list[float]]:
    """The file's dates and values, or a CliError naming the row and column at fault."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header:
                raise CliError(f"{path} is empty: it needs a header row naming the columns date and value.",
                               EXIT_UNUSABLE)
            names = [h.strip().lower() for h in header]
            for needed in ("date", "value"):
                if needed not in names:
                    raise CliError(f"{path} has no column '{needed}' (its columns are: {', '.join(header)}).",
                                   EXIT_UNUSABLE)
            rows = [(n, r) for n, r in enumerate(reader, start=1) if any(c.strip() for c in r)]
    except OSError as exc:
        raise CliError(f"Could not read {path}: {exc.strerror or exc}", EXIT_UNUSABLE) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CliError(f"{path} is not a readable CSV text file ({exc}).", EXIT_UNUSABLE) from None
    di, vi = names.index("date"), names.index("value")
    dates: list[date] = []
    values: list[float] = []
    first_row: dict[date, int] = {}
    for n, r in rows:
        cells = {"date": r[di].strip() if di < len(r) else "", "value": r[vi].strip() if vi < len(r) else ""}
        where = f"Row {n} of {path} (line {n + 1}), column '%s'"
        try:
            d = date.fromisoformat(cells["date"])
        except ValueError:
            raise CliError(f"{where % 'date'}: '{cells['date']}' is not a date as YYYY-MM-DD.", EXIT_UNUSABLE) from None
        try:
            v = float(cells["value"])
        except ValueError:
            raise CliError(f"{where % 'value'}: '{cells['value']}' is not a number.", EXIT_UNUSABLE) from None
        if not math.isfinite(v):
            raise CliError(f"{where % 'value'}: '{cells['value']}' is not a finite number.", EXIT_UNUSABLE)
        if d in first_row:
            raise CliError(f"{where % 'date'}: {d} is already the date of row {first_row[d]}; each date may have "
                           "one value.", EXIT_UNUSABLE)
        first_row[d] = n
        dates.append(d)
        values.append(v)
    if len(values) < MIN_ROWS:
        raise CliError(f"{path} has {len(values)} row{'s' if len(values) != 1 else ''} of data; an XmR chart needs "
                       f"at least {MIN_ROWS} (and 13 for limits that are not trial limits).", EXIT_UNUSABLE)
    return dates, values


def _rebase_dates(texts: list[str]) -> list[date]:
    out = []
    for t in texts:
        try:
            out.append(date.fromisoformat(t))
        except ValueError:
            raise CliError(f"--rebase needs dates as YYYY-MM-DD, such as 2024-04-01, not '{t}'.",
                           EXIT_UNUSABLE) from None
    return out


def run_spc(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    import sys

    from kpis.core.spc import SHORT_GROUP_WARNING, SpcError, calculate_spc
    if args.kpi:
        return _run_kpi(args, SHORT_GROUP_WARNING)
    if not args.file:
        raise CliError("Give a CSV file of date,value, or --kpi ID to chart a KPI from the database.", EXIT_UNUSABLE)
    dates, values = _read(args.file)
    rebase = _rebase_dates(args.rebase)
    for d in rebase:
        if d not in dates:
            print(f"note: --rebase {d} is not a date of {args.file}, so it changes nothing (as in NHSRplotthedots).",
                  file=sys.stderr)
    try:
        result = calculate_spc(dates, values, improvement_direction=args.direction, target=args.target,
                               rebase=rebase, screen_outliers=args.screen)
    except SpcError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    if args.json:
        out = {"file": args.file, **result.to_dict(),
               "trial_limits_warning": SHORT_GROUP_WARNING if result.trial_limits else None}
        print(json.dumps(out, indent=2))
        return 0
    _print_table(args.file, result, SHORT_GROUP_WARNING)
    return 0


def _num(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.6g}"


def _print_table(path: str, result, warning: str) -> None:
    better = {"increase": POLARITY_SHORT["higher_is_better"], "decrease": POLARITY_SHORT["lower_is_better"],
              "neutral": "neither direction is better"}[result.improvement_direction]
    print(f"SPC (XmR) chart of {path}: {len(result.points)} points; {better}; "
          + ("large moving ranges screened out of the limits." if result.screen_outliers
             else "no screening of moving ranges (as the Excel tool)."))
    header = (f"{'Date':<10}  {'Value':>10}  {'Mean':>10}  {'Lower':>10}  {'Upper':>10}  {'Special cause':<26}  "
              "Point type")
    print(header)
    print("-" * len(header))
    group = 0
    for p in result.points:
        if p.rebase_group != group:
            group = p.rebase_group
            print(f"-- rebased on {p.date}: the limits restart --")
        print(f"{p.date.isoformat():<10}  {_num(p.value):>10}  {_num(p.mean):>10}  {_num(p.lpl):>10}  "
              f"{_num(p.upl):>10}  {p.special_cause_type:<26}  {p.point_type}")
    print(f"\nVariation icon: {result.variation_icon} (the last point's point type: {result.variation_type}).")
    if result.target is None:
        print("Assurance icon: none (no --target).")
    elif result.assurance_icon is None:
        print(f"Assurance icon: none (target {_num(result.target)}, but neither direction is better).")
    else:
        print(f"Assurance icon: {result.assurance_icon} ({result.assurance_type}: target {_num(result.target)} "
              "against the latest limits).")
    short = [g for g in result.groups if g.trial_limits]
    if short:
        which = ", ".join(f"{g.start} to {g.end} ({g.n} points)" for g in short)
        print(f"Trial limits: {which}. {warning}")


def _run_kpi(args: argparse.Namespace, warning: str) -> int:
    """`spc --kpi ID`: the chart the scorecard and the KPI page draw, from the database."""
    from kpis.board.scorecard import scorecard_rows
    from kpis.core.framework import load_framework
    from kpis.store.database import Store, StoreError
    framework = load_framework(args.framework)
    if args.kpi not in framework.kpi_ids:
        raise CliError(f"There is no KPI '{args.kpi}' in the framework; known ids: {', '.join(framework.kpi_ids)}.",
                       EXIT_UNUSABLE)
    if args.file or args.target is not None or args.rebase or not args.screen or args.direction != "increase":
        raise CliError("--kpi takes its direction, target and rebases from the framework and the database; give "
                       "either a FILE with those options or --kpi alone.", EXIT_UNUSABLE)
    kpi = framework.kpi(args.kpi)
    try:
        store = Store(args.db, create=False, hold=False, read_only=True)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    with store:
        (line,) = scorecard_rows(store, framework, kpi_ids=[kpi.id])
        signal = line.variation
    name = f"{kpi.id} {kpi.short_title} ({kpi.frequency}, {framework.short_name})"
    if signal.result is None:
        raise CliError(f"{name}: {signal.words}.", EXIT_INVALID)
    rebases = [{"date": r.date.isoformat(), "reason": r.reason, "source": r.source} for r in signal.rebases]
    if args.json:
        out = {"kpi": kpi.id, "frequency": kpi.frequency, "rebases": rebases, **signal.result.to_dict(),
               "verdict": signal.short, "words": signal.words,
               "trial_limits_warning": warning if signal.result.trial_limits else None}
        print(json.dumps(out, indent=2))
        return 0
    _print_table(name, signal.result, warning)
    for r in signal.rebases:
        where = "framework file" if r.source == "framework" else "recorded with `rebase add`"
        print(f"Limits restart at {r.date}: {r.reason} ({where}).")
    print(f"Verdict: {signal.short}. {signal.words}.")
    return 0
