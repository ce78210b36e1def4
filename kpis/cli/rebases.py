"""`rebase add | list | remove`: changes of definition or of service after which a KPI's SPC limits restart.

Whoever runs the command line can open the database file, so they act as an administrator (the audit log records
them as "command line (their login name)"), as with `user`. Rebases declared in the framework file are listed too;
they are changed by editing the file.
"""
from __future__ import annotations

import argparse
import json
from datetime import date

from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, CliError
from kpis.core.dates import long_date


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rebase", help="record, list or remove SPC rebases (where a KPI's limits restart)",
                       description="A rebase records a change of definition or of service on a date: a KPI's "
                                   "statistical process control limits restart with the first period ending on or "
                                   "after it, on every page, in the board pack and in `spc --kpi`. Each is audited; "
                                   "a removed one is kept in the history.")
    actions = p.add_subparsers(dest="rebase_command", metavar="ACTION", parser_class=type(p))
    a = actions.add_parser("add", help="record a rebase")
    a.add_argument("kpi", help="the KPI's id, such as SG02")
    a.add_argument("date", help="the date the change took effect, YYYY-MM-DD")
    a.add_argument("--reason", required=True, help="what changed, in words the board can read")
    a.set_defaults(handler=run_add)
    ls = actions.add_parser("list", help="list the rebases in force (and, with --all, removed ones)")
    ls.add_argument("kpi", nargs="?", help="only this KPI")
    ls.add_argument("--all", action="store_true", help="also every removed rebase, with who removed it and why")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    ls.set_defaults(handler=run_list)
    r = actions.add_parser("remove", help="remove a stored rebase (it is kept in the history)")
    r.add_argument("id", type=int, help="the rebase's number, as `rebase list` shows it")
    r.add_argument("--reason", required=True, help="why it is removed")
    r.set_defaults(handler=run_remove)
    p.set_defaults(handler=lambda args: (p.print_help(), EXIT_UNUSABLE)[1])


def run_add(args: argparse.Namespace) -> int:
    from kpis.access.permissions import command_line_actor
    from kpis.board.rebases import add_rebase
    from kpis.core.framework import load_framework
    framework = load_framework(args.framework)
    try:
        on = date.fromisoformat(args.date)
    except ValueError:
        raise CliError(f"The date should be YYYY-MM-DD, such as 2025-04-01, not '{args.date}'.",
                       EXIT_UNUSABLE) from None
    with open_store(args) as store:
        try:
            rid = add_rebase(store, framework, actor=command_line_actor(), kpi_id=args.kpi, on=on, reason=args.reason)
        except ValueError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    print(f"Recorded rebase {rid}: {args.kpi}'s limits restart with the first period ending on or after "
          f"{long_date(on)}.")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from kpis.board.rebases import all_rebases
    from kpis.core.framework import load_framework
    from kpis.store.rebases import rebase_history
    framework = load_framework(args.framework)
    with open_store(args, hold=False) as store:
        in_force = all_rebases(store, framework)
        history = rebase_history(store, args.kpi)
    rows = [{"id": r.rebase_id, "kpi": k, "date": r.date.isoformat(), "reason": r.reason,
             "recorded": "framework file" if r.source == "framework" else r.recorded_by, "in_force": True}
            for k, rs in in_force.items() if args.kpi in (None, k) for r in rs]
    if args.all:
        removed = history[history["valid_to"].notna()]
        rows += [{"id": int(h.rebase_id), "kpi": h.kpi_id, "date": str(h.rebase_date)[:10], "reason": h.reason,
                  "recorded": h.recorded_by, "in_force": False, "removed_by": h.removed_by,
                  "removed_at": str(h.valid_to)[:19], "why_removed": h.removal_reason}
                 for h in removed.itertuples(index=False)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("No rebases" + (f" for {args.kpi}." if args.kpi else "."))
        return EXIT_OK
    for r in rows:
        number = f"{r['id']:>4}" if r["id"] is not None else "   -"
        state = "" if r["in_force"] else f"  REMOVED {r['removed_at']} by {r['removed_by']}: {r['why_removed']}"
        print(f"{number}  {r['kpi']:6} {r['date']}  {r['reason']}  ({r['recorded']}){state}")
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    from kpis.access.permissions import command_line_actor
    from kpis.board.rebases import remove_rebase
    with open_store(args) as store:
        try:
            remove_rebase(store, actor=command_line_actor(), rebase_id=args.id, reason=args.reason)
        except ValueError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    print(f"Removed rebase {args.id}; it is kept in the history (`rebase list --all`).")
    return EXIT_OK
