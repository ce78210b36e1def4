"""One uploaded file, read once and checked once, as the upload page shows it: the checked rows, the preview of what
would be stored, and a copy of the lead's own file with the problems marked; or the plain reason it could not be
read. The page keeps one `FileCheck` per sub-group and file and arranges what it holds.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kpis.core.framework import Framework
from kpis.returns.annotate import marked_copy
from kpis.returns.check import CheckedReturn
from kpis.returns.filesafety import UnreadableFile
from kpis.returns.reader import read_return
from kpis.returns.submission import Preview, check_read, preview
from kpis.store.database import Store


@dataclass
class FileCheck:
    """What checking one file found. `error` is set, and nothing else, when the file could not be read."""
    name: str
    area: str
    checked: CheckedReturn | None = None
    preview: Preview | None = None
    annotated: bytes | None = None        # the lead's file with the problems marked, when there are problems
    no_marked_copy: str | None = None     # why no marked copy could be made, when there is none
    error: str | None = None


def check_file(store: Store, framework: Framework, name: str, data: bytes, area_id: str, *,
               today: date | None = None, progress: Callable[[int, str], None] = lambda _pct, _text: None) -> FileCheck:
    """Read and check a file once (the check runs on what was read), preview it against the stored figures, and
    mark any problems on a copy. A file that cannot be read gives a FileCheck with its plain reason; any other
    failure is the caller's to report. `progress(percent, text)` is told each step."""
    result = FileCheck(name=name, area=area_id)
    progress(0, "Reading the file")
    try:
        parsed = read_return(name, data, framework)
        progress(35, f"Checking {len(parsed.rows):,} rows")
        checked = check_read(store, framework, parsed, area_id=area_id)
        progress(70, "Comparing with the figures already stored")
        result.checked, result.preview = checked, preview(store, framework, checked, today or date.today())
        if checked.problems:
            progress(90, "Marking the problems on a copy of your file")
            result.annotated, result.no_marked_copy = marked_copy(data, checked.problems, name=name)
    except UnreadableFile as exc:
        return FileCheck(name=name, area=area_id, error=str(exc))
    return result
