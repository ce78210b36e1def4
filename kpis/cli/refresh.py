"""`refresh`: fetch every comparator of the framework from the publishers' APIs and import it as one batch."""
from __future__ import annotations

import argparse
import json
import sys

from kpis.access.permissions import command_line_actor
from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_INVALID, EXIT_UNUSABLE, CliError
from kpis.core.framework import load_framework


def register(sub: argparse._SubParsersAction) -> None:
    # the addresses only, from a module of constants: `python -m kpis` loads only the command it runs
    from kpis.published.apis import EES_API, FINGERTIPS_API, TIMEOUT_SECONDS
    p = sub.add_parser(
        "refresh", help="fetch every comparator from the Fingertips and DfE APIs (needs the internet)",
        description="Fetch the England, regional and council figures of every comparator the framework names, from "
                    "the OHID Fingertips API and the DfE explore education statistics API, and import them as one "
                    "batch (all or nothing), as if the files had been downloaded and imported. A progress bar goes "
                    "to stderr. Comparators that cannot be fetched (LAIT has no API; a DfE comparator needs the "
                    "option api_data_set) are listed with why. Without a network it says so at once and changes "
                    "nothing (exit code 2). The dashboard never needs this: it runs on the shipped extracts.")
    p.add_argument("--json", action="store_true", help="print what was fetched and imported as JSON")
    p.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, metavar="SECONDS",
                   help=f"give up on a publisher after this many seconds (default {TIMEOUT_SECONDS:g})")
    p.add_argument("--fingertips-api", default=FINGERTIPS_API, metavar="URL",
                   help=f"the Fingertips API's address (default {FINGERTIPS_API}; a mirror or a test server)")
    p.add_argument("--ees-api", default=EES_API, metavar="URL",
                   help=f"the explore education statistics API's address (default {EES_API})")
    p.add_argument("--dry-run", action="store_true", help="list what would be fetched, fetch nothing")
    p.set_defaults(handler=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.published.refresh import (
        NetworkUnreachable,
        RefreshError,
        plan,
        refresh,
    )
    framework = load_framework(args.framework)
    if args.dry_run:
        requests, skipped = plan(framework, fingertips_api=args.fingertips_api, ees_api=args.ees_api)
        for r in requests:
            print(f"fetch  {', '.join(r.kpi_ids):<10} {r.label}: {r.url}")
        for s in skipped:
            print(f"skip   {', '.join(s.kpi_ids):<10} {s.indicator_id}: {s.reason}")
        return 0
    with open_store(args) as store:
        try:
            result = refresh(store, framework, actor=command_line_actor().email,
                             fingertips_api=args.fingertips_api, ees_api=args.ees_api, timeout=args.timeout,
                             progress=sys.stderr)
        except NetworkUnreachable as exc:
            raise CliError(str(exc), EXIT_UNUSABLE) from None
        except RefreshError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    if args.json:
        print(json.dumps(result.to_dict(), default=str, indent=2))
        return 0
    report = result.report
    if report:
        print(f"Refreshed {len(result.fetched)} response(s) as batch {report.batch_id}: {report.rows_imported:,} of "
              f"{report.rows_read:,} rows imported; values {report.new:,} new, {report.changed:,} changed, "
              f"{report.unchanged:,} unchanged.")
        for reason, n in report.skipped_reasons.items():
            print(f"  skipped {n:,}: {reason}")
    for s in result.not_fetched:
        print(f"Not fetched ({', '.join(s.kpi_ids)}, {s.indicator_id}): {s.reason}")
    return 0
