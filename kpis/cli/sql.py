"""`sql`: the analysts' read-only SQL console on the command line (the same path as the app's console)."""
from __future__ import annotations

import argparse
import json
import math

from kpis.analysis import sql_checks, sql_console, sql_views
from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_UNUSABLE, CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql", help="run one read-only SELECT over the documented views (observations, kpis, areas, ...)",
        description="Run one read-only SELECT statement over the documented views: "
                    f"{', '.join(sql_views.VIEW_NAMES)}. The query runs on a read-only snapshot with no file or "
                    "network access; anything but a single SELECT is refused. Use --views to list the views "
                    "and their columns.")
    p.add_argument("query", nargs="?", help='the query, in quotes: "SELECT * FROM kpis"')
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--limit", type=int, default=sql_checks.DEFAULT_ROW_LIMIT,
                   help=f"most rows to return (default {sql_checks.DEFAULT_ROW_LIMIT}, "
                        f"at most {sql_checks.MAX_ROW_LIMIT})")
    p.add_argument("--timeout", type=float, default=sql_checks.DEFAULT_TIMEOUT_S,
                   help=f"seconds before the query is stopped (default {sql_checks.DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--views", action="store_true", help="list the views and their columns")
    p.set_defaults(handler=run_sql)


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run_sql(args: argparse.Namespace) -> int:
    if not args.views and not args.query:
        raise CliError('give a query in quotes, such as: python -m kpis sql "SELECT * FROM kpis", '
                       "or --views to list what can be queried", EXIT_UNUSABLE)
    if args.timeout <= 0 or args.timeout > 300:
        raise CliError("--timeout must be more than 0 and at most 300 seconds", EXIT_UNUSABLE)
    with open_store(args, read_only=True) as store:
        if args.views:
            views = sql_views.describe_views(store)
            if args.json:
                print(json.dumps(views, indent=2))
            else:
                for v in views:
                    print(f"{v['name']} ({v['rows']:,} rows): {v['description']}")
                    for c in v["columns"]:
                        print(f"  {c['name']:<22} {c['type']:<12} {c['description']}")
            return 0
        try:
            result = sql_console.run_query(store, args.query, row_limit=args.limit, timeout_s=args.timeout)
        except sql_checks.SqlError as exc:
            raise CliError(str(exc)) from None
    df = result.data
    if args.json:
        rows = [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]
        print(json.dumps({"columns": list(df.columns), "rows": rows, "row_count": len(rows),
                          "truncated": result.truncated, "row_limit": result.row_limit,
                          "snapshot_at": result.snapshot_at}, default=str, indent=2))
        return 0
    if df.empty:
        print("(no rows)" if len(df.columns) else "(no result)")
    else:
        print(df.to_string(index=False, max_colwidth=60))
    print(f"\n{len(df):,} row(s) in {result.seconds:.2f} s" + (" (cut at the row limit)" if result.truncated else ""))
    for note in result.notes:
        print(note)
    return 0
