"""`init` and `info`: create the database and describe what it holds."""
from __future__ import annotations

import argparse
import json

from kpis.cli.errors import EXIT_UNUSABLE, CliError
from kpis.core.framework import load_framework
from kpis.store.database import Store, StoreError, db_path
from kpis.store.observations import count_current_values
from kpis.store.series import data_as_at, is_demo_database, row_counts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create the database (with --demo: real published figures plus demo local data)",
                       description="Create or upgrade the database schema, load areas and the KPI framework. "
                                   "With --demo, also import the real published figures shipped in data/reference "
                                   "and add seeded synthetic quarterly returns, labelled as demo data.")
    p.add_argument("--demo", action="store_true", help="add the embedded demo data")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_init)

    p = sub.add_parser("info", help="list the framework's areas and KPIs with their row counts",
                       description="List the partnership's outcome areas and KPIs with ids and current row counts.")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=run_info)


def open_store(args: argparse.Namespace, *, create: bool = False, read_only: bool = False,
               hold: bool = True) -> Store:
    """The database a command works on, or a plain-English CliError (exit 2) when it cannot be opened.
    `hold=False`: held only while reading, so a long write elsewhere (an export) does not keep it."""
    try:
        return Store(args.db, create=create, read_only=read_only, hold=hold)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None


def run_init(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.setup.bootstrap import initialise
    framework = load_framework(args.framework)
    with open_store(args, create=True) as store:
        report = initialise(store, framework, with_demo=args.demo)
    if args.json:
        print(json.dumps(report.__dict__, default=str, indent=2))
    else:
        print(f"Database {db_path(args.db)} ready (schema version {report.schema_version}).")
        print(f"Framework: {framework.name}: {len(framework.areas)} areas, {report.kpis} KPIs; {report.areas} places.")
        for imp in report.imports:
            print(f"  imported {imp.get('source_name') or imp.get('format')}: {imp['rows_imported']} of "
                  f"{imp['rows_read']} rows ({imp['rows_skipped']} skipped)")
        if args.demo:
            print(f"  demo data: {report.demo_batches} synthetic quarterly returns, {report.demo_values} values, "
                  f"{report.demo_meeting_records} meeting records")
    return 0


def run_info(args: argparse.Namespace) -> int:
    framework = load_framework(args.framework)
    with open_store(args, read_only=True) as store:
        counts = row_counts(store, framework)
        info = {
            "database": str(db_path(args.db)),
            "schema_version": store.schema_version(),
            "partnership": framework.name,
            "home_area": framework.home_area,
            "demo_data": is_demo_database(store),
            "data_as_at": data_as_at(store),
            "observations": count_current_values(store),
            "areas": [{"id": a.id, "name": a.name, "sub_group": a.sub_group,
                       "kpis": [k.id for k in framework.kpis_in_area(a.id)]} for a in framework.areas],
            "kpis": [{"id": k.id, "area": k.area, "title": k.title, "unit": k.unit, "polarity": k.polarity,
                      "comparator": k.comparator.indicator_id if k.comparator else None, "rows": counts[k.id]}
                     for k in framework.kpis],
        }
    if args.json:
        print(json.dumps(info, default=str, indent=2))
        return 0
    print(f"{info['partnership']} (home area {info['home_area']})")
    print(f"Database {info['database']}: {info['observations']} current values; data as at {info['data_as_at']}"
          + ("; includes DEMO DATA" if info["demo_data"] else ""))
    for a in info["areas"]:
        print(f"\n{a['name']} ({a['id']}): {a['sub_group']}")
        for k in (k for k in info["kpis"] if k["area"] == a["id"]):
            print(f"  {k['id']}  {k['title'][:70]:<70}  {k['rows']:>6} rows")
    return 0
