"""The command-line interface: `python -m kpis [--db PATH] [--framework FILE] COMMAND ...`.

Exit codes: 0 success; 1 the input was understood but is invalid; 2 unusable
arguments or an unreadable file. Each command lives in `kpis/cli/` and
registers itself; this module only parses, dispatches and turns errors into
plain-English messages (never a traceback).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from kpis.core.framework import FrameworkError

COMMAND_MODULES = ["database", "comparators", "returns", "sql", "packs", "users", "maintenance"]
EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


class CliError(Exception):
    """A failure the user can act on. `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_INVALID):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exit code is 2 already; keep wording plain
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNUSABLE, f"error: {message}\nRun with --help to see the options.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m kpis", description="KPI outcomes dashboard: build, fill and query the KPI store.")
    parser.add_argument("--db", help="DuckDB file (default: $KPIS_DB, else data/kpis.duckdb)")
    parser.add_argument("--framework", help="KPI framework TOML file (default: $KPIS_FRAMEWORK, else the shipped default, data/frameworks/worcestershire.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"kpis.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kpis.cli.{name}":
                continue  # that capability is not built yet
            raise
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
    except FrameworkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("Interrupted; nothing was half-written.", file=sys.stderr)
        return 130
