"""`backup` and `restore`: the whole database to one file and back.

Exit codes: 0 done; 2 the database or the backup file cannot be used (the message says why,
and nothing was changed).
"""
from __future__ import annotations

import argparse
import json

from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_UNUSABLE, CliError
from kpis.store.backup import BackupError, backup, restore
from kpis.store.database import StoreError, db_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="write a consistent backup of the whole database to one file",
                       description="Write the whole database (values, every version, returns as uploaded, audit "
                                   "log) to one .zip file with a manifest. Run it while the app is stopped, or "
                                   "from the app's own process: DuckDB lets one program open the file at a time.")
    p.add_argument("-o", "--output", required=True, help="the backup file to write, e.g. kpis-2025-11-22.zip")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_backup)

    p = sub.add_parser("restore", help="replace the database with a backup (the current one is kept aside)",
                       description="Check a backup file through and through, then replace the database with it. "
                                   "The current database is kept as <db>.before-restore-<time>. A file that is not "
                                   "a backup, or a damaged one, is refused and nothing is changed.")
    p.add_argument("file", help="a backup made by `python -m kpis backup`")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    store = open_store(args, create=False)
    try:
        report = backup(store, args.output, overwrite=args.force)
    except (BackupError, StoreError, OSError) as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    finally:
        store.close()
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    else:
        rows = sum(report.tables.values())
        print(f"Backed up {db_path(args.db)} to {report.path}: {len(report.tables)} tables, {rows:,} rows, "
              f"{report.size_bytes / 2**20:.1f} MB (schema version {report.schema_version}).")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    try:
        report = restore(args.file, db_path(args.db))
    except (BackupError, StoreError, OSError) as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"Restored {report.database} from {report.path} (made {report.created_at[:19]}): "
              f"{len(report.tables)} tables, {sum(report.tables.values()):,} rows.")
        for kept in report.set_aside:
            print(f"  the database it replaced is kept as {kept}")
    return 0
