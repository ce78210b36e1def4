"""`backup` and `restore`: the whole database to one file and back.

Exit codes: 0 done; 2 the database or the backup file cannot be used (the message says why,
and nothing was changed).
"""
from __future__ import annotations

import argparse
import json
import sys

from kpis.cli.errors import EXIT_UNUSABLE, CliError
from kpis.store.backup import BackupError, backup, restore
from kpis.store.database import BACKUP_WAIT_S, Store, StoreError, db_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="write a consistent backup of the whole database to one file",
                       description="Write the whole database (values, every version, returns as uploaded, audit "
                                   "log) to one .zip file with a manifest. It can run while the app is running: DuckDB "
                                   "lets one program open the file at a time, so it waits (up to --wait seconds) "
                                   "for a page or an import to finish, and says so.")
    p.add_argument("-o", "--output", required=True, help="the backup file to write, e.g. kpis-2025-11-22.zip")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.add_argument("--wait", type=float, default=BACKUP_WAIT_S, metavar="SECONDS",
                   help=f"how long to wait for the database while the app or another command is using it "
                        f"(default {BACKUP_WAIT_S:g})")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_backup)

    p = sub.add_parser("restore", help="replace the database with a backup (the current one is kept aside)",
                       description="Check a backup file through and through, then replace the database with it. "
                                   "The current database is kept as <db>.before-restore-<time>. A file that is not "
                                   "a backup, or a damaged one, is refused and nothing is changed.")
    p.add_argument("file", help="a backup made by `python -m kpis backup`")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=run_restore)


def _say_waiting(wait_s: float) -> None:
    print(f"The database is in use (by a page of the app, an import or another command); waiting for it, for up "
          f"to {wait_s:g} seconds...", file=sys.stderr, flush=True)


def run_backup(args: argparse.Namespace) -> int:
    if args.wait < 0:
        raise CliError("--wait is a number of seconds, 0 or more.", EXIT_UNUSABLE)
    # The file is opened only while it is read (hold=False): not while the copy is zipped. The app holds it for
    # each page run, so the backup waits its turn (up to --wait) rather than failing after the usual 30 s.
    try:
        store = Store(args.db, create=False, hold=False, wait_s=args.wait, on_busy=_say_waiting)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    with store:
        try:
            report = backup(store, args.output, overwrite=args.force)
        except (BackupError, StoreError, OSError) as exc:
            raise CliError(str(exc), EXIT_UNUSABLE) from None
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
