"""`user add | list | remove`: manage accounts; and the work behind `export --public`.

Whoever runs the command line can open the database file, so they act as an administrator
(the audit log records them as "command line (their login name)"). The first administrator
is created this way; after that, administrators can also manage accounts in the app.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import pandas as pd

from kpis.access.accounts import AuthError, add_user, list_users, remove_user
from kpis.access.permissions import ROLES, command_line_actor, normalise_email
from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, CliError
from kpis.core.framework import load_framework

PROMPT = object()  # --password given without a value: ask for it


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="add, list or remove user accounts",
                       description="Manage who may sign in. Roles: " + "; ".join(f"{k}: {v}" for k, v in ROLES.items())
                                   + ". Once any account exists, everyone signs in to the app and `submit --by` "
                                     "must name a lead for that area (or an administrator).")
    actions = p.add_subparsers(dest="user_command", metavar="ACTION", parser_class=type(p))

    a = actions.add_parser("add", help="add an account", description="Add an account. The first must be an admin.")
    a.add_argument("email", help="the person's email address (also their single sign-on identity)")
    a.add_argument("--role", required=True, choices=list(ROLES), help="what they may do")
    a.add_argument("--area", action="extend", nargs="+", default=[], metavar="AREA",
                   help="outcome area(s) a sub-group lead submits for (repeatable)")
    a.add_argument("--password", nargs="?", const=PROMPT, default=None,
                   help="give the account a local password; with no value you are asked for it (safer than "
                        "typing it on the command line, where shell history keeps it). Without --password the "
                        "account can only sign in through single sign-on.")
    a.set_defaults(handler=run_add)

    ls = actions.add_parser("list", help="list accounts (never passwords)")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    ls.set_defaults(handler=run_list)

    r = actions.add_parser("remove", help="remove an account")
    r.add_argument("email")
    r.set_defaults(handler=run_remove)
    p.set_defaults(handler=lambda args: (p.print_help(), EXIT_UNUSABLE)[1])


def _ask_password() -> str:
    if not sys.stdin.isatty():  # piped in, e.g. from a secrets manager
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise CliError("The two passwords differ; nothing was changed.", EXIT_INVALID)
    return first


def run_add(args: argparse.Namespace) -> int:
    framework = load_framework(args.framework)
    password = _ask_password() if args.password is PROMPT else args.password
    with open_store(args) as store:
        try:
            user = add_user(store, actor=command_line_actor(), email=args.email, role=args.role, areas=args.area,
                            password=password, known_areas=[a.id for a in framework.areas])
        except AuthError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    areas = f" for {', '.join(user.areas)}" if user.areas else ""
    how = "a local password" if password is not None else "single sign-on only (no local password)"
    print(f"Added {user.email}: {ROLES[user.role].lower()}{areas}; signs in with {how}.")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        df = list_users(store)
    if args.json:
        print(df.to_json(orient="records", date_format="iso", indent=2))
        return EXIT_OK
    if df.empty:
        print("No accounts yet: the app is in open demo mode. Add the first administrator with:\n"
              "  python -m kpis user add EMAIL --role admin --password")
        return EXIT_OK
    print(f"{len(df)} account(s):")
    for r in df.itertuples(index=False):
        flags = ["password" if r.local_password else "single sign-on only"] + (["LOCKED"] if r.locked else [])
        last = f"last signed in {r.last_sign_in:%Y-%m-%d %H:%M}" if pd.notna(r.last_sign_in) else "never signed in"
        print(f"  {r.email:40} {r.role_name:24} {r.areas or '-':30} {', '.join(flags)}; {last}")
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        try:
            remove_user(store, actor=command_line_actor(), email=args.email)
        except AuthError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
    print(f"Removed {normalise_email(args.email)}.")
    return EXIT_OK


def run_public_export(args: argparse.Namespace, out: Path) -> int:
    """`export --public`: published figures only, small numbers suppressed; safe to publish."""
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.access.disclosure import public_export
    if args.kpi:
        raise CliError("--public exports every KPI; leave out --kpi.", EXIT_UNUSABLE)
    framework = load_framework(args.framework)
    # Held only while reading (each read opens and closes the file), never while the file is written.
    with open_store(args, hold=False) as store:
        try:
            rows, hidden = public_export(store, framework, out)
        except OSError as exc:
            raise CliError(f"{out} could not be written: {exc.strerror}.", EXIT_UNUSABLE) from None
    extra = " and the publishable narratives" if out.suffix.lower() == ".xlsx" else ""
    print(f"Wrote {rows} published value(s){extra} to {out}; {hidden} suppressed to protect small numbers. "
          f"Stored values are unchanged.")
    return EXIT_OK

