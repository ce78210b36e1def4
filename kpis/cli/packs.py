"""`board-pack`: the board pack or the HWBB report as PDF, PowerPoint or Excel, in one command."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from kpis.cli.database import open_store
from kpis.cli.errors import EXIT_INVALID, EXIT_UNUSABLE, CliError
from kpis.core.dates import long_date
from kpis.core.framework import load_framework


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "board-pack", help="build the board pack or the HWBB report as PDF, PowerPoint or Excel",
        description="Build the board pack for a board meeting (cover, summary scorecard, what changed since the "
                    "last meeting, one section per sub-group with each KPI's chart against England, its numbers "
                    "and words, the narratives, and an appendix of definitions, methods and sources), or the "
                    "six-monthly report to the Health and Wellbeing Board (--report hwbb). The format follows the "
                    "output file's extension: .pdf, .pptx or .xlsx. The PDF is tagged for screen readers "
                    "(headings, tables, charts with alt text) and printed by Debian's Chromium, which also draws the "
                    "PDF and PowerPoint charts (apt-get install chromium); Excel needs no browser.")
    p.add_argument("--meeting", metavar="YYYY-MM-DD",
                   help="the board meeting (default: the next meeting, else the latest one)")
    p.add_argument("--report", choices=["board", "hwbb"], default="board",
                   help="board: the board pack (default); hwbb: the Health and Wellbeing Board report")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="where to write the file: a name ending in .pdf, .pptx or .xlsx")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=run_board_pack)


def _meeting(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--meeting '{text}' is not a date written YYYY-MM-DD, such as 2026-12-09.",
                       EXIT_UNUSABLE) from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it: never a half-written pack."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_board_pack(args: argparse.Namespace) -> int:
    # imported here, not at the top: `python -m kpis` loads only the command it runs
    from kpis.packs.build import FORMATS, build_pack, format_from_path
    from kpis.packs.images import ChartRendererUnavailable
    from kpis.packs.images import stop as stop_renderer
    from kpis.packs.pdf import PdfFontsMissing
    from kpis.packs.words import PackError

    out = Path(args.output)
    try:
        fmt = format_from_path(out)
    except PackError as exc:
        raise CliError(str(exc), EXIT_UNUSABLE) from None
    if not out.parent.is_dir():
        raise CliError(f"The folder {out.parent} does not exist.", EXIT_UNUSABLE)
    meeting = _meeting(args.meeting)
    framework = load_framework(args.framework)

    def progress(fraction: float, message: str) -> None:
        if not args.quiet and sys.stderr.isatty():
            print(f"\r{fraction:4.0%}  {message:<60}", end="", file=sys.stderr, flush=True)

    with open_store(args, read_only=True) as store:
        try:
            pack = build_pack(store, framework, meeting=meeting, report=args.report, fmt=fmt, progress=progress,
                              read_done=store.close)   # read, let go of the database, then draw and write
        except PackError as exc:
            raise CliError(str(exc), EXIT_UNUSABLE) from None
        except (ChartRendererUnavailable, PdfFontsMissing) as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
        finally:
            stop_renderer()  # close Chromium now, not in the interpreter's exit handlers
            if not args.quiet and sys.stderr.isatty():
                print("\r" + " " * 68 + "\r", end="", file=sys.stderr)
    try:
        _write_atomically(out, pack.data)
    except OSError as exc:
        raise CliError(f"Could not write {out}: {exc.strerror or exc}", EXIT_UNUSABLE) from None
    if not args.quiet:
        what = "Board pack" if args.report == "board" else "HWBB report"
        print(f"{what} for the meeting of {long_date(pack.meeting)} written to {out} "
              f"({FORMATS[fmt]}, {len(pack.data) / 1024:,.0f} KB) in {pack.seconds:.1f} s.")
    return 0
