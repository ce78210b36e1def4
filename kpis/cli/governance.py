"""`annual-report` and `meeting`: the partnership's year from the command line.

`annual-report --year 2025/26 --format docx|pdf --out FILE` writes the annual report. `meeting show DATE` prints
what was recorded at a meeting; `meeting attend|decision|action|update|escalate|outcome|remove|history` record
and correct it, as the board's secretary would on the meeting page. Whoever runs the command line administers the
database, so the changes are theirs in the audit log.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_INVALID, EXIT_UNUSABLE, CliError
from kpis.core.dates import long_date
from kpis.core.framework import load_framework

KINDS = {"attendance": "attendance", "decision": "item", "action": "item", "escalation": "escalation"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "annual-report", help="write the annual report for a year as Word (.docx) or PDF",
        description="Write the partnership's annual report for a financial or academic year (as the framework's "
                    "[annual_report] year says): each outcome area's KPIs against England with their SPC signals, "
                    "what changed, the sub-groups' narratives, the attendance record, actions and escalations. "
                    "Charts and the PDF are drawn with Debian's Chromium (apt-get install chromium).")
    p.add_argument("--year", required=True, metavar="YYYY/YY", help="the year, such as 2025/26")
    p.add_argument("--format", choices=["docx", "pdf"], help="docx (Word, to edit) or pdf (accessible, to "
                                                             "publish); default: from the --out file's extension")
    p.add_argument("--out", "-o", required=True, metavar="FILE", help="where to write the report")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=run_annual_report)

    m = sub.add_parser("meeting", help="show or record a meeting's attendance, decisions, actions and escalations",
                       description="Show or record what happened at a board meeting. Every change is kept as a new "
                                   "version, with who made it and when, and written to the audit log.")
    msub = m.add_subparsers(dest="meeting_command", metavar="ACTION", required=True)
    show = msub.add_parser("show", help="print a meeting's records")
    show.add_argument("date", metavar="YYYY-MM-DD")
    show.set_defaults(handler=run_show)
    a = msub.add_parser("attend", help="record a member's attendance")
    a.add_argument("date", metavar="YYYY-MM-DD")
    a.add_argument("--member", required=True)
    a.add_argument("--organisation", default="", help="organisation or role")
    a.add_argument("--status", choices=["present", "substitute", "apologies", "absent"], default="present")
    a.add_argument("--for", dest="substitute_for", help="whom a substitute stood in for")
    a.set_defaults(handler=run_attend)
    d = msub.add_parser("decision", help="record a decision")
    d.add_argument("date", metavar="YYYY-MM-DD")
    d.add_argument("--text", required=True)
    d.add_argument("--publish", action="store_true", help="show it in the public view")
    d.set_defaults(handler=run_decision)
    ac = msub.add_parser("action", help="record an action with its owner and due date")
    ac.add_argument("date", metavar="YYYY-MM-DD")
    ac.add_argument("--text", required=True)
    ac.add_argument("--owner", required=True)
    ac.add_argument("--due", required=True, metavar="YYYY-MM-DD")
    ac.add_argument("--publish", action="store_true", help="show it in the public view")
    ac.set_defaults(handler=run_action)
    u = msub.add_parser("update", help="change an action's status, due date, owner or published flag")
    u.add_argument("record", type=int, help="the action's number (meeting show lists them)")
    u.add_argument("--status", choices=["open", "in_progress", "done", "dropped"])
    u.add_argument("--due", metavar="YYYY-MM-DD")
    u.add_argument("--owner")
    u.add_argument("--publish", choices=["yes", "no"])
    u.set_defaults(handler=run_update)
    e = msub.add_parser("escalate", help="record an escalation to another board")
    e.add_argument("date", metavar="YYYY-MM-DD", help="the meeting that escalated it")
    e.add_argument("--to", required=True, help="the body, such as the Health and Wellbeing Board")
    e.add_argument("--reason", required=True)
    e.add_argument("--on", metavar="YYYY-MM-DD", help="the date it was escalated (default: the meeting's)")
    e.set_defaults(handler=run_escalate)
    o = msub.add_parser("outcome", help="record an escalation's outcome")
    o.add_argument("record", type=int)
    o.add_argument("--outcome", required=True)
    o.add_argument("--on", metavar="YYYY-MM-DD")
    o.set_defaults(handler=run_outcome)
    r = msub.add_parser("remove", help="take a record off a meeting (its earlier versions are kept)")
    r.add_argument("kind", choices=list(KINDS))
    r.add_argument("record", type=int)
    r.set_defaults(handler=run_remove)
    h = msub.add_parser("history", help="every version of a record, with who and when")
    h.add_argument("kind", choices=list(KINDS))
    h.add_argument("record", type=int)
    h.set_defaults(handler=run_history)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"'{text}' is not a date written YYYY-MM-DD, such as 2026-03-11.", EXIT_UNUSABLE) from None


def run_annual_report(args: argparse.Namespace) -> int:
    from kpis.cli.packs import _write_atomically
    from kpis.core.chromium import ChromiumNotFound
    from kpis.governance.annual_report import ReportError
    from kpis.governance.report_file import FORMATS, build_annual_report
    from kpis.packs.images import ChartRendererUnavailable
    from kpis.packs.images import stop as stop_renderer

    out = Path(args.out)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise CliError(f"Say --format docx or --format pdf, or end the file name in .docx or .pdf (found "
                       f"'{out.name}').", EXIT_UNUSABLE)
    if not out.parent.is_dir():
        raise CliError(f"The folder {out.parent} does not exist.", EXIT_UNUSABLE)
    framework = load_framework(args.framework)
    with open_store(args) as store:
        try:
            report = build_annual_report(store, framework, args.year, fmt, read_done=store.close)
        except ReportError as exc:
            raise CliError(str(exc), EXIT_UNUSABLE) from None
        except (ChartRendererUnavailable, ChromiumNotFound) as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
        finally:
            stop_renderer()
    try:
        _write_atomically(out, report.data)
    except OSError as exc:
        raise CliError(f"Could not write {out}: {exc.strerror or exc}", EXIT_UNUSABLE) from None
    if not args.quiet:
        demo = " It is built from demo data and says so." if report.is_demo else ""
        print(f"Annual report for {report.year.words} written to {out} ({FORMATS[fmt]}, "
              f"{len(report.data) / 1024:,.0f} KB) in {report.seconds:.1f} s.{demo}")
    return 0


def _write(args: argparse.Namespace, fn, **kwargs) -> int:
    from kpis.access.permissions import command_line_actor
    with open_store(args) as store:
        try:
            rid = fn(store, actor=command_line_actor(), **kwargs)
        except ValueError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    print(f"Recorded (number {rid}).")
    return 0


def run_attend(args: argparse.Namespace) -> int:
    from kpis.governance.meetings import record_attendance
    return _write(args, record_attendance, meeting_date=_date(args.date), member=args.member,
                  organisation=args.organisation, status=args.status, substitute_for=args.substitute_for)


def run_decision(args: argparse.Namespace) -> int:
    from kpis.governance.actions import record_decision
    return _write(args, record_decision, meeting_date=_date(args.date), text=args.text, published=args.publish)


def run_action(args: argparse.Namespace) -> int:
    from kpis.governance.actions import record_action
    return _write(args, record_action, meeting_date=_date(args.date), text=args.text, owner=args.owner,
                  due_date=args.due, published=args.publish)


def run_update(args: argparse.Namespace) -> int:
    from kpis.governance.actions import update_action
    published = None if args.publish is None else args.publish == "yes"
    return _write(args, update_action, record_id=args.record, status=args.status, due_date=args.due,
                  owner=args.owner, published=published)


def run_escalate(args: argparse.Namespace) -> int:
    from kpis.governance.escalations import record_escalation
    meeting = _date(args.date)
    return _write(args, record_escalation, meeting_date=meeting, escalated_on=args.on or meeting, body=args.to,
                  reason=args.reason)


def run_outcome(args: argparse.Namespace) -> int:
    from kpis.governance.escalations import record_outcome
    return _write(args, record_outcome, record_id=args.record, outcome=args.outcome, outcome_on=args.on)


def run_remove(args: argparse.Namespace) -> int:
    from kpis.governance.meetings import remove_record
    return _write(args, lambda store, **kw: remove_record(store, KINDS[args.kind], **kw), record_id=args.record)


def _print(title: str, frame) -> None:
    print(f"\n{title}")
    if frame.empty:
        print("  none recorded")
        return
    frame = frame.rename(columns={"record_id": "Number"})
    print(frame.to_string(index=False))


def run_show(args: argparse.Namespace) -> int:
    from kpis.board.meetings import attendance_table, escalations_table, items_table
    from kpis.board.scorecard import meetings
    day = _date(args.date)
    with open_store(args) as store:
        if day not in meetings(store):
            raise CliError(f"There was no board meeting on {long_date(day)}.", EXIT_INVALID)
        print(f"Board meeting, {long_date(day)}")
        _print("Attendance", attendance_table(store, day))
        _print("Decisions", items_table(store, meeting_date=day, kind="decision").drop(columns="Meeting"))
        _print("Actions", items_table(store, meeting_date=day).drop(columns="Meeting"))
        _print("Escalations", escalations_table(store, meeting_date=day))
    sys.stdout.flush()
    return 0


def run_history(args: argparse.Namespace) -> int:
    from kpis.governance.meetings import history
    with open_store(args) as store:
        df = history(store, KINDS[args.kind], args.record)
    if df.empty:
        raise CliError(f"There is no {args.kind} number {args.record}.", EXIT_INVALID)
    shown = df.drop(columns=["record_id", "valid_to", "is_demo"]).rename(
        columns={"valid_from": "recorded_at"})
    print(shown.to_string(index=False))
    return 0
