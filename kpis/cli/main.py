"""The command-line interface: `python -m kpis [--db PATH] [--framework FILE] COMMAND ...`.

Exit codes: 0 success; 1 the input was understood but is invalid; 2 unusable
arguments or an unreadable file; 141 the output was closed early (`python -m kpis ... | head`), quietly,
as other command-line tools end on SIGPIPE. Each group of commands is a module of
`kpis.cli` with `register(subparsers)`; this module only parses, dispatches and turns errors into
plain-English messages (never a traceback).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kpis.cli import (
    benchmarks,
    database,
    governance,
    maintenance,
    packs,
    rebases,
    refresh,
    returns,
    self_assessment,
    spc,
    sql,
    users,
)
from kpis.cli.errors import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, CliError  # noqa: F401 (the CLI's public names)
from kpis.core.framework import FrameworkError
from kpis.store.database import StoreError

COMMAND_MODULES = [database, benchmarks, refresh, returns, sql, packs, governance, users, maintenance, spc,
                   rebases, self_assessment]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exit code is 2 already; keep wording plain
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNUSABLE, f"error: {message}\nRun with --help to see the options.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m kpis", description="KPI outcomes dashboard: build, fill and query the KPI store.")
    parser.add_argument("--db", help="DuckDB file (default: $KPIS_DB, else data/kpis.duckdb)")
    parser.add_argument("--framework", help="KPI framework TOML file (default: $KPIS_FRAMEWORK, else the shipped "
                                            "default, data/frameworks/worcestershire.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_UNUSABLE
    try:
        return int(args.handler(args) or EXIT_OK)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except (FrameworkError, StoreError) as exc:  # StoreError: the database is busy, damaged or missing
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except MemoryError:     # the last word: a file that is far bigger inside than it looks, never a traceback
        print("error: this needs more memory than a return can have, so it was stopped. Nothing was stored. "
              "Copy the return's own rows into a fresh return template and try again.", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("Interrupted; nothing was half-written.", file=sys.stderr)
        return 130


EXIT_PIPE_CLOSED = 141   # 128 + SIGPIPE: what a shell reports for a tool whose reader went away


def run(argv: Sequence[str] | None = None) -> int:
    """`main` for a real process (`python -m kpis`): a reader that stops early (`| head`) ends it quietly.

    Python's own recipe (the signal module's note on SIGPIPE): flush inside the try, and on BrokenPipeError
    point stdout at /dev/null so the flush at exit cannot fail again and print a traceback.
    """
    try:
        code = main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
