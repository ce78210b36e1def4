"""Make the annual report file: Word (.docx) or PDF, one call for the command line and the app."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from kpis.core.framework import Framework
from kpis.governance.annual_report import ReportError, ReportYear, annual_report, report_year
from kpis.governance.report_blocks import report_blocks
from kpis.store.database import Store

FORMATS = {"docx": "Word document (.docx), to edit", "pdf": "PDF, accessible (tagged), to publish"}
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


@dataclass(frozen=True)
class ReportFile:
    data: bytes
    file_name: str
    mime: str
    fmt: str
    year: ReportYear
    seconds: float
    is_demo: bool


def build_annual_report(store: Store, framework: Framework, year: str, fmt: str, *,
                        progress: Callable[[str], None] | None = None,
                        read_done: Callable[[], None] | None = None) -> ReportFile:
    """The annual report for `year` ("2025/26") as `fmt` ("docx" or "pdf"). `read_done` is called once everything
    is read from the store (the app lets go of the database file then, while the charts and the file are made)."""
    if fmt not in FORMATS:
        raise ReportError(f"The format '{fmt}' is not one the annual report is made in; choose docx or pdf.")
    say = progress or (lambda _message: None)
    started = time.monotonic()
    the_year = report_year(framework, year)
    say("Reading the year's figures and meeting records")
    report = annual_report(store, framework, the_year)
    if read_done is not None:
        read_done()
    blocks = report_blocks(report, progress=say)
    say("Writing the Word document" if fmt == "docx" else "Printing the PDF")
    if fmt == "docx":
        from kpis.governance.report_docx import build_docx
        data = build_docx(report, blocks=blocks)
    else:
        from kpis.governance.report_html import build_pdf
        data = build_pdf(report, blocks=blocks)
    slug = re.sub(r"[^a-z0-9]+", "-", framework.short_name.lower()).strip("-")
    name = f"{slug}-annual-report-{the_year.label.replace('/', '-')}{'-demo' if report.is_demo else ''}.{fmt}"
    return ReportFile(data, name, MIME[fmt], fmt, the_year, time.monotonic() - started, report.is_demo)
