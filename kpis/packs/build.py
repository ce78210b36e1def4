"""Build a board pack or HWBB report in one call, for the command line and the page alike.

`build_pack(store, framework, meeting=..., report='board'|'hwbb', fmt='pdf'|'pptx'|'xlsx')`
returns the file's bytes with a suggested file name and how long it took.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kpis.core.exports import XLSX_MIME, file_stem
from kpis.core.framework import Framework
from kpis.packs.content import REPORTS, board_pack_content, pack_meetings, resolve_meeting
from kpis.packs.images import find_browser
from kpis.packs.pdf import build_pdf
from kpis.packs.pptx import build_pptx
from kpis.packs.words import PackError
from kpis.packs.xlsx import build_xlsx
from kpis.store.database import Store

FORMATS = {"pdf": "PDF", "pptx": "PowerPoint", "xlsx": "Excel"}
MIME = {"pdf": "application/pdf", "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xlsx": XLSX_MIME}
NEEDS_CHARTS = {"pdf", "pptx"}

__all__ = ["FORMATS", "MIME", "REPORTS", "PackError", "PackFile", "build_pack", "format_from_path",
           "pack_meetings", "resolve_meeting"]


@dataclass(frozen=True)
class PackFile:
    data: bytes
    file_name: str
    mime: str
    seconds: float
    meeting: date
    report: str
    fmt: str


def format_from_path(path: str | Path) -> str:
    """'pdf', 'pptx' or 'xlsx' from a file name; PackError for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise PackError(f"The output file must end in .pdf, .pptx or .xlsx (found '{Path(path).name}').")
    return suffix


def _writer(fmt: str):
    if fmt == "pdf":
        return build_pdf
    if fmt == "pptx":
        return build_pptx
    if fmt == "xlsx":
        return build_xlsx
    raise PackError(f"Unknown format '{fmt}'. Choose one of: {', '.join(FORMATS)}.")


def build_pack(store: Store, framework: Framework, *, meeting: date | None = None, report: str = "board",
               fmt: str = "pdf", progress: Callable[[float, str], None] | None = None,
               read_done: Callable[[], None] | None = None) -> PackFile:
    """Gather the pack's content and write it in one format. Raises PackError for a bad request and
    `kpis.packs.images.ChartRendererUnavailable` when a PDF or PowerPoint needs charts and no browser is found.

    `read_done` is called once everything has been read, before the slow writing (charts, PDF): the command
    line closes the database there, so the app and a backup can use it meanwhile."""
    say = progress or (lambda fraction, message: None)
    write = _writer(fmt)
    if fmt in NEEDS_CHARTS:  # fail before the slow part when no browser is installed
        find_browser()
    started = time.perf_counter()
    content = board_pack_content(store, framework, meeting=meeting, report=report, progress=say)
    if read_done is not None:
        read_done()
    data = write(content, progress=say)
    say(1.0, "Done")
    name = file_stem(framework.short_name, "board-pack" if report == "board" else "hwbb-report",
                     content.meeting.isoformat())
    return PackFile(data, f"{name}.{fmt}", MIME[fmt], time.perf_counter() - started, content.meeting, report, fmt)
