"""Quarterly returns on the command line: template, validate, submit, history, export.

Exit codes: 0 valid / stored; 1 the return has problems (all listed); 2 the file
cannot be read, or the arguments cannot be used. Messages are plain English;
there is never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from kpis.access.permissions import PermissionDenied, check_submitter, normalise_email
from kpis.cli.errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, CliError
from kpis.core.framework import load_framework
from kpis.core.periods import PeriodError, parse_period
from kpis.store.database import Store, StoreError, db_path

MAX_LISTED = 200   # problems printed as text; --json always has them all
MAX_LINE_CHARS = 2_000  # any one line printed about a return (a problem is bounded already; this is the last word)


def _line(text: object) -> str:
    """A line to print, at most MAX_LINE_CHARS long whatever the file held."""
    text = str(text)
    return text if len(text) <= MAX_LINE_CHARS else f"{text[:MAX_LINE_CHARS - 40]}… ({len(text):,} characters)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("template", help="write a sub-group's quarterly return workbook (.xlsx)",
                       description="Write the return workbook for a sub-group: instructions, one data row per KPI "
                                   "and breakdown with last quarter's values for reference, and a narrative sheet.")
    p.add_argument("area", help="sub-group (outcome area) id, e.g. safeguarding")
    p.add_argument("--period", help='the quarter, e.g. "2025/26 Q2" (default: the latest quarter that has ended)')
    p.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
    p.set_defaults(handler=run_template)

    for name, helptext in (("validate", "check a return and list every problem, storing nothing"),
                           ("submit", "check a return and, if it has no problems, store it")):
        p = sub.add_parser(name, help=helptext,
                           description=f"{helptext[0].upper()}{helptext[1:]}. Exit code 0: valid"
                                       f"{' and stored' if name == 'submit' else ''}; 1: problems found (listed); "
                                       "2: the file cannot be read.")
        p.add_argument("file", help="the return: .xlsx or .csv (checked by content, not by name)")
        p.add_argument("--area", required=True, help="sub-group (outcome area) id, e.g. safeguarding")
        if name == "submit":
            p.add_argument("--by", required=True, help="email address of the person submitting")
            p.add_argument("--revise", action="store_true", help="confirm that this return revises figures "
                           "stored for an earlier period (without it such a return is refused, with them listed)")
        p.add_argument("--period",
                       help='the quarter the return is for, e.g. "2025/26 Q2" (default: read from the file)')
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--today", help=argparse.SUPPRESS)  # tests: judge 'the future' against a fixed date
        p.set_defaults(handler=run_validate if name == "validate" else run_submit)

    p = sub.add_parser("history", help="every version of a KPI's values, with submission ids and times",
                       description="List every version ever stored of a KPI's values: current ones and the ones "
                                   "later corrected, each with the submission (batch) that brought it.")
    p.add_argument("kpi_id", help="KPI id, e.g. SG01")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=run_history)

    p = sub.add_parser("export", help="write all current values with their provenance (.csv or .xlsx)",
                       description="Write every current value with where it came from (submission or import, who, "
                                   "when, file and its sha256). Text is written so it can never run as a formula.")
    p.add_argument("-o", "--output", required=True, help="FILE.csv or FILE.xlsx")
    p.add_argument("--kpi", action="append", help="only this indicator (repeatable)")
    p.add_argument("--public", action="store_true",
                   help="only published figures, with small numbers suppressed (safe to publish)")
    p.set_defaults(handler=run_export)


# -- helpers ---------------------------------------------------------------------------------
def _framework_and_area(args):
    framework = load_framework(args.framework)
    area = getattr(args, "area", None)
    if area is not None and area not in [a.id for a in framework.areas]:
        raise CliError(f"There is no sub-group '{area}'. Choose one of: {', '.join(a.id for a in framework.areas)}.",
                       EXIT_UNUSABLE)
    return framework


def _period(text: str | None):
    if text is None:
        return None
    try:
        period = parse_period(text)
    except PeriodError:
        raise CliError(f"--period '{text}' is not a quarter; write it like \"2025/26 Q2\".", EXIT_UNUSABLE) from None
    if period.type != "financial_quarter":
        raise CliError(f"--period '{text}' is a {period.type.replace('_', ' ')}, not a quarter; write it like "
                       "\"2025/26 Q2\".", EXIT_UNUSABLE)
    return period


def _today(args) -> date | None:
    if not getattr(args, "today", None):
        return None
    try:
        return date.fromisoformat(args.today)
    except ValueError:
        raise CliError(f"--today '{args.today}' should be a date such as 2025-11-20.", EXIT_UNUSABLE) from None


def _read_file(path: str) -> bytes:
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise CliError(f"There is no file {p}.", EXIT_UNUSABLE) from None
    except IsADirectoryError:
        raise CliError(f"{p} is a folder, not a file.", EXIT_UNUSABLE) from None
    except OSError as exc:
        raise CliError(f"{p} could not be read: {exc.strerror}.", EXIT_UNUSABLE) from None


def _optional_store(args) -> Store | None:
    """The database read-only if it exists and is free; None otherwise (checks then skip history)."""
    if not db_path(args.db).exists():
        return None
    try:
        return Store(args.db, read_only=True)
    except StoreError:
        return None


def _store(args) -> Store:
    try:
        return Store(args.db, create=False)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None


def _unreadable(args, name: str, exc: Exception) -> int:
    message = _line(exc)
    if "Nothing was stored" not in message:
        message += " Nothing was stored."
    if getattr(args, "json", False):
        print(json.dumps({"file": name, "valid": False, "readable": False, "message": message}, indent=2))
    else:
        print(f"error: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def _print_problems(checked) -> None:
    errors, warnings = checked.errors, checked.warnings
    if errors:
        print(f"{len(errors)} problem(s) must be fixed before this return can be submitted:")
        for i, p in enumerate(errors[:MAX_LISTED], start=1):
            print(_line(f"  {i}. {p.where}: {p.message}"))
            print(_line(f"     found: {p.found}; expected: {p.expected}"))
        if len(errors) > MAX_LISTED:
            print(f"  ... and {len(errors) - MAX_LISTED} more (use --json to see them all)")
    if warnings:
        print(f"{len(warnings)} thing(s) to check (these do not stop the return):")
        for p in warnings[:MAX_LISTED]:
            print(_line(f"  - {p.where}: {p.message}"))


def _print_preview(pv) -> None:
    c = pv.counts
    if not any(c.values()):
        print("No figures: a narrative only.")
        return
    print(f"{c['new']} new value(s), {c['changed']} changed, {c['unchanged']} unchanged.")
    for r in pv.changed.head(MAX_LISTED).itertuples(index=False):
        print(f"  changed: {r.indicator_id}, {r.breakdown_label}, {r.period_label}: {r.old} -> {r.new}")


def _preview_dict(pv) -> dict:
    return {**pv.counts, "changes": json.loads(pv.changed.to_json(orient="records")),
            "revised": json.loads(pv.revised.to_json(orient="records"))}


# -- commands --------------------------------------------------------------------------------
def run_template(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.returns.templates import (
        build_template,
        default_period,
    )
    framework = _framework_and_area(args)
    period = _period(args.period) or default_period(date.today())
    out = Path(args.output)
    if out.suffix.lower() != ".xlsx":
        raise CliError(f"The template is an Excel workbook: give a file name ending .xlsx, not '{out.name}'.",
                       EXIT_UNUSABLE)
    with _optional_store(args) or contextlib.nullcontext() as store:
        data = build_template(store, framework, args.area, period)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise CliError(f"{out} could not be written: {exc.strerror}.", EXIT_UNUSABLE) from None
    print(f"Wrote the {framework.area(args.area).label} return template for {period.label} to {out}"
          + ("" if store is not None else " (no database found, so last quarter's values are not shown)."))
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.returns.filesafety import UnreadableFile
    from kpis.returns.submission import (
        check_return,
        preview,
    )
    framework = _framework_and_area(args)
    period, today = _period(args.period), _today(args)
    data = _read_file(args.file)
    with _optional_store(args) or contextlib.nullcontext() as store:
        try:
            checked = check_return(store, framework, name=Path(args.file).name, data=data, area_id=args.area,
                                   today=today, period=period)
        except UnreadableFile as exc:
            return _unreadable(args, Path(args.file).name, exc)
        pv = preview(store, framework, checked, today) if store is not None and checked.ok else None
    if args.json:
        print(json.dumps({**checked.to_dict(), "preview": _preview_dict(pv) if pv else None}, indent=2, default=str))
    else:
        _summary(checked)
        if store is None:
            print("(No database could be opened, so the checks against earlier values were skipped.)")
        _print_problems(checked)
        if checked.ok:
            print("The return is valid.", end=" ")
            if pv:
                print("If submitted now:", end=" ")
                _print_preview(pv)
                if len(pv.revised):
                    print(f"{len(pv.revised)} of the changes revise figures for an earlier period: send with --revise.")
            else:
                print()
    return EXIT_OK if checked.ok else EXIT_INVALID


def _summary(checked) -> None:
    period = getattr(checked.period, "label", "an unknown quarter")
    print(_line(f"{checked.name}: {checked.area_id} return for {period}; {len(checked.parsed.rows)} row(s) read "
                f"from '{checked.parsed.sheet}'."))


def run_submit(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.returns.filesafety import UnreadableFile
    from kpis.returns.revisions import RevisionNotConfirmed
    from kpis.returns.submission import ReturnRejected, check_return, preview, sha256, submit
    from kpis.store.returns import duplicate_batch_id
    framework = _framework_and_area(args)
    period, today = _period(args.period), _today(args)
    args.by = normalise_email(args.by)
    if "@" not in args.by:
        raise CliError(f"--by should be the submitter's email address, not '{args.by}'.", EXIT_UNUSABLE)
    data = _read_file(args.file)
    name = Path(args.file).name
    with _store(args) as store:
        _may_submit(store, args.by, args.area)
        pv = None
        if duplicate_batch_id(store, args.area, sha256(data)) is None:
            try:
                checked = check_return(store, framework, name=name, data=data, area_id=args.area, today=today,
                                       period=period)
            except UnreadableFile as exc:
                return _unreadable(args, name, exc)
            if not checked.ok:
                return _rejected(args, checked)
            pv = preview(store, framework, checked, today)
            if len(pv.revised) and not args.revise:
                return _unconfirmed_revision(args, checked, pv.revised)
        try:
            receipt = submit(store, framework, name=name, data=data, area_id=args.area, by=args.by, today=today,
                             period=period, revise=args.revise)
        except UnreadableFile as exc:
            return _unreadable(args, name, exc)
        except ReturnRejected as exc:
            return _rejected(args, exc.checked)
        except RevisionNotConfirmed as exc:   # the stored figures changed between the preview and the write
            return _unconfirmed_revision(args, checked, exc.revised)
    if args.json:
        print(json.dumps({**receipt.to_dict(), "submission_id": receipt.batch_id,
                          "preview": _preview_dict(pv) if pv else None}, indent=2, default=str))
    elif receipt.duplicate_of is not None:
        print(f"Nothing stored: this file was already submitted as submission {receipt.duplicate_of} "
              f"({receipt.area_id}, {receipt.period_label}).")
    else:
        print(f"Submission {receipt.batch_id} stored: {receipt.area_id} return for {receipt.period_label}, "
              f"by {receipt.submitted_by}.")
        if pv is not None:
            _print_preview(pv)
        if receipt.narrative_stored:
            print("The narrative was stored.")
        for w in receipt.warnings:
            print(_line(f"  check: {w.where}: {w.message}"))
    return EXIT_OK


def _may_submit(store: Store, email: str, area: str) -> None:
    try:
        check_submitter(store, email, area)
    except PermissionDenied as exc:
        raise CliError(f"{exc} Nothing was stored.", EXIT_INVALID) from None


def _unconfirmed_revision(args, checked, revised) -> int:
    from kpis.returns.revisions import RevisionNotConfirmed, revision_lines
    message = str(RevisionNotConfirmed(revised))
    if args.json:
        print(json.dumps({**checked.to_dict(), "submission_id": None, "message": message,
                          "revised": json.loads(revised.to_json(orient="records"))}, indent=2, default=str))
    else:
        _summary(checked)
        print(_line(message.replace("confirm the revision separately", "send it again with --revise")))
        print(f"The {len(revised)} figure(s) it would change (old -> new):")
        print("\n".join(_line(f"  {line}") for line in revision_lines(revised.head(MAX_LISTED)))
              + (f"\n  ... and {len(revised) - MAX_LISTED} more (use --json to see them all)"
                 if len(revised) > MAX_LISTED else ""))
    return EXIT_INVALID


def _rejected(args, checked) -> int:
    if args.json:
        print(json.dumps({**checked.to_dict(), "submission_id": None}, indent=2, default=str))
    else:
        _summary(checked)
        _print_problems(checked)
        print("Nothing was stored.")
    return EXIT_INVALID


def run_history(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.returns.submission import history
    framework = load_framework(args.framework)
    kpi_id = args.kpi_id.strip().upper()
    with _store(args) as store:
        df = history(store, kpi_id, framework if kpi_id in framework.kpi_ids else None)
    if df.empty and kpi_id not in framework.kpi_ids:
        raise CliError(f"'{args.kpi_id}' is not a KPI id. Known ids: {', '.join(framework.kpi_ids)}.", EXIT_UNUSABLE)
    if args.json:
        print(df.to_json(orient="records", date_format="iso", indent=2))
        return EXIT_OK
    if df.empty:
        print(f"{kpi_id} has no values yet.")
        return EXIT_OK
    kpi = framework.kpi(kpi_id)
    print(f"{kpi.id} {kpi.short_title}: {len(df)} version(s) of {df['is_current'].sum()} current value(s)")
    for r in df.itertuples(index=False):
        shown = kpi.format_value(r.value) if pd.notna(r.value) else f"{r.status} ({r.status_note or 'no value'})"
        state = "current" if r.is_current else f"replaced {r.valid_to:%Y-%m-%d %H:%M}"
        print(f"  {r.period_label:11} {getattr(r, 'breakdown', r.breakdown_value)[:34]:34} v{r.version} "
              f"{shown:>14}  submission {r.batch_id} ({r.kind}) by {r.submitted_by or '-'} at "
              f"{r.valid_from:%Y-%m-%d %H:%M}; {state}")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.returns.submission import write_export
    from kpis.store.observations import export_frame
    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise CliError(f"Export to a file ending .csv or .xlsx, not '{out.name}'.", EXIT_UNUSABLE)
    if getattr(args, "public", False):
        # imported here, not at the top: `python -m kpis` loads only the command it runs
        from kpis.cli.users import run_public_export
        return run_public_export(args, out)
    # Read, let go of the database, then write: writing 126,000 rows as Excel took minutes, and while the file
    # was held every page of the app said the database was busy.
    with _store(args) as store:
        df = export_frame(store, kpi_ids=[k.strip().upper() for k in args.kpi] if args.kpi else None)
    try:
        n = write_export(df, out)
    except OSError as exc:
        raise CliError(f"{out} could not be written: {exc.strerror}.", EXIT_UNUSABLE) from None
    print(f"Wrote {n} current value(s) with their provenance to {out}.")
    return EXIT_OK
