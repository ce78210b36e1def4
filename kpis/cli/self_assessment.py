"""The annual self-assessment on the command line: rate a statement for a year, and read a year back.

    python -m kpis self-assessment rate --year 2025/26 --statement GG1 --rating Amber \
        --evidence EH02 --evidence "action A4" --action "Publish the minutes within 10 days" --by name@council.gov.uk
    python -m kpis self-assessment show --year 2025/26 [--history] [--json]
"""
from __future__ import annotations

import argparse
import json

from kpis.access.permissions import PermissionDenied, actor_for, normalise_email, users_exist
from kpis.cli.errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, CliError
from kpis.core.dates import short_date_time
from kpis.core.framework import load_framework
from kpis.store.database import Store, StoreError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("self-assessment", help="the annual self-assessment: rate a statement, or read a year",
                       description="Rate the framework's self-assessment statements Red, Amber or Green for a year, "
                                   "with evidence and agreed improvement actions; read any year back.")
    what = p.add_subparsers(dest="what", metavar="rate|show")
    r = what.add_parser("rate", help="record a statement's rating for a year (earlier ratings are kept)")
    r.add_argument("--year", required=True, help='the year, e.g. "2025/26" (financial or academic, as the '
                                                 'framework says)')
    r.add_argument("--statement", required=True, help="the statement's id in the framework file")
    r.add_argument("--rating", choices=["Red", "Amber", "Green", "none"], required=True,
                   help="Red (not met), Amber (partly met), Green (met), or none (not yet rated)")
    r.add_argument("--evidence", action="append", default=[], help="a KPI id, an action id or a narrative "
                                                                   "reference (repeatable)")
    r.add_argument("--action", action="append", default=[], dest="actions",
                   help="an agreed improvement action (repeatable)")
    r.add_argument("--by", required=True, help="email address of the person recording it")
    r.set_defaults(handler=run_rate)
    s = what.add_parser("show", help="the ratings of a year (default: the current one)")
    s.add_argument("--year", help='the year, e.g. "2025/26"')
    s.add_argument("--history", action="store_true", help="every version, not only the current ratings")
    s.add_argument("--json", action="store_true", help="print as JSON")
    s.set_defaults(handler=run_show)
    p.set_defaults(handler=lambda args: (p.print_help(), EXIT_UNUSABLE)[1])


def _open(args, *, read_only: bool) -> Store:
    try:
        return Store(args.db, read_only=read_only, create=False)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None


def run_rate(args: argparse.Namespace) -> int:
    from kpis.governance.self_assessment import RATING_WORDS, AssessmentError, record, year_label
    framework = load_framework(args.framework)
    by = normalise_email(args.by)
    if "@" not in by:
        raise CliError(f"--by should be an email address, not '{args.by}'.", EXIT_UNUSABLE)
    with _open(args, read_only=False) as store:
        actor = actor_for(store, by) if users_exist(store) else by   # once accounts exist: an editor's account
        if actor is None:
            raise CliError(f"{by} has no account here. Nothing was stored.", EXIT_INVALID)
        try:
            version = record(store, framework, year=args.year, statement_id=args.statement,
                             rating=None if args.rating == "none" else args.rating, evidence=args.evidence,
                             actions=args.actions, actor=actor)
            label = year_label(framework, args.year)
        except (AssessmentError, PermissionDenied) as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    words = RATING_WORDS.get(args.rating, "not rated")
    if version is None:
        print(f"Nothing stored: {args.statement} for {label} is already rated so, with the same evidence and actions.")
    else:
        print(f"Stored {args.statement} for {label}: {words} (version {version}, by {by}).")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from kpis.governance.self_assessment import AssessmentError, current_year, history, year_assessment, years
    framework = load_framework(args.framework)
    with _open(args, read_only=True) as store:
        try:
            year = args.year or current_year(framework)
            assessment = year_assessment(store, framework, year)
            versions = history(store, framework, year) if args.history else None
        except AssessmentError as exc:
            raise CliError(str(exc), EXIT_UNUSABLE) from None
        recorded = years(store)
    if args.json:
        out = {"year": assessment.year, "rows": [
            {"statement_id": r.statement.id, "statement": r.statement.text, "rating": r.rating,
             "evidence": r.evidence, "actions": r.actions, "version": r.version, "recorded_by": r.recorded_by,
             "recorded_at": str(r.recorded_at)} for r in assessment.rows]}
        if versions is not None:
            out["history"] = json.loads(versions.to_json(orient="records", date_format="iso"))
        print(json.dumps(out, indent=2))
        return EXIT_OK
    print(f"{framework.short_name}: self-assessment for {assessment.year}.")
    if not assessment.rows:
        print("Nothing is recorded for this year." + (f" Years recorded: {', '.join(recorded)}." if recorded else ""))
        return EXIT_OK
    for r in assessment.rows:
        print(f"- {r.statement.id}: {r.statement.text}")
        print(f"  {r.rating_words} (version {r.version}, {r.recorded_by}, {short_date_time(r.recorded_at)} UTC)")
        for e in r.evidence:
            print(f"  evidence: {e}")
        for a in r.actions:
            print(f"  action: {a}")
    if versions is not None:
        print(f"Every version ({len(versions)}):")
        for v in versions.itertuples(index=False):
            print(f"  {v.Version}. {v.Statement[:60]}: {v.Rating} ({v._5}, {short_date_time(v._6)})")
    return EXIT_OK
