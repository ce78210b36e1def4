"""The parts of an .xlsx workbook around its sheets, streamed in bounded memory (`kpis.returns.workbook_reader`).

Every XML part but the sheets and the shared strings is streamed once before openpyxl reads any of them whole
(`_scan_parts`): its depth and size are bounded, its cell formats and defined names counted, and the cells
under its cell notes counted (`_count_notes`). The shared-strings table is streamed entry by entry
(`shared_strings`), each text cut to `MAX_CELL_CHARS`.
"""
from __future__ import annotations

from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import range_boundaries
from openpyxl.xml.constants import COMMENTS_NS, SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from kpis.returns.budget import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_DEFINED_NAMES,
    MAX_PART_ELEMENTS,
    MAX_STYLES,
    MAX_TEXT_CHARS,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    Bound,
    clip,
    too_big_part,
    too_deep,
    too_many_names,
    too_many_styles,
    too_much_text,
)

MAX_ROW, MAX_COLUMN = 1_048_576, 16_384      # Excel's own sheet size
_NS = f"{{{SHEET_MAIN_NS}}}"
ROW, SHEET_DATA, MERGE_CELL, FORMULA, SI, T, RUN = (_NS + t for t in ("row", "sheetData", "mergeCell", "f", "si", "t",
                                                                      "r"))
HYPERLINK, VALIDATION, CF_RULE, COL, XF, CELL_XFS, DEFINED_NAME, COMMENT = (
    _NS + t for t in ("hyperlink", "dataValidation", "cfRule", "col", "xf", "cellXfs", "definedName", "comment"))


def _scan_parts(reader: ExcelReader, label: str, bound: Bound) -> dict[str, list[tuple[str, int]]]:
    """Stream every XML part but the sheets and the shared strings (streamed as they are read), once.

    Each is at most MAX_XML_DEPTH deep and MAX_PART_ELEMENTS big; the workbook's cell formats and defined
    names are counted into `bound` (and refused past their limits). Returns each notes part's (range, cells).
    """
    notes: dict[str, list[tuple[str, int]]] = {}
    for info in reader.archive.infolist():
        name = info.filename
        streamed = name.startswith("xl/worksheets/") and "/_rels/" not in name     # a sheet: read as it streams
        if not name.endswith((".xml", ".rels", ".vml")) or streamed or name.endswith("sharedStrings.xml"):
            continue
        refs: list[tuple[str, int]] = []
        stack: list = []
        elements = 0
        with reader.archive.open(info) as src:
            for event, el in iterparse(src, events=("start", "end")):
                if event == "end":
                    stack.pop()
                    if stack:
                        stack[-1].clear()           # drop what has been read from the tree
                    continue
                stack.append(el)
                elements += 1
                if len(stack) > MAX_XML_DEPTH:
                    raise too_deep(label, name)
                if elements > MAX_PART_ELEMENTS:
                    raise too_big_part(label, name)
                if el.tag == XF and len(stack) > 1 and stack[-2].tag == CELL_XFS:
                    bound.styles += 1
                    if bound.styles > MAX_STYLES:
                        raise too_many_styles(label, MAX_STYLES)
                elif el.tag == DEFINED_NAME:
                    bound.defined_names += 1
                    if bound.defined_names > MAX_DEFINED_NAMES:
                        raise too_many_names(label, MAX_DEFINED_NAMES)
                elif el.tag == COMMENT:
                    ref = el.get("ref") or ""
                    refs.append((ref, _range_cells(ref)))
        if refs:
            notes[name] = refs
    return notes


def _count_notes(reader: ExcelReader, sheet_path: str, title: str, notes: dict, bound: Bound) -> None:
    """The cells under the cell notes of one sheet: openpyxl makes each of them to hang its note on."""
    if not notes:
        return
    rels_path = get_rels_path(sheet_path)
    if rels_path not in reader.valid_files:
        return
    for rel in get_dependents(reader.archive, rels_path).find(COMMENTS_NS):
        for ref, cells in notes.get(rel.target, ()):
            bound.covers(title, "cell note", ref, cells)


def _range_cells(ref: str) -> int:
    """How many cells a range such as A1:XFD1048576 covers (1 for one cell, 0 when it cannot be read)."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return 0
    if None in (min_col, min_row, max_col, max_row):     # a whole row or column: A:A, 1:1
        min_col, min_row = min_col or 1, min_row or 1
        max_col, max_row = max_col or MAX_COLUMN, max_row or MAX_ROW
    return (max_row - min_row + 1) * (max_col - min_col + 1)


def shared_strings(reader: ExcelReader, label: str, bound: Bound | None = None) -> list[str]:
    """The shared-strings table, streamed: at most one entry per cell of the budget, MAX_TEXT_CHARS in all."""
    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    strings: list[str] = []
    chars, root, elements, depth = 0, None, 0, 0
    with reader.archive.open(part.PartName[1:]) as src:
        for event, node in iterparse(src, events=("start", "end")):
            if root is None:
                root = node
                declared = node.get("uniqueCount") or ""
                if declared.isdigit() and int(declared) > MAX_CELLS:    # said at the top: no need to read on
                    raise too_much_text(label, MAX_CELLS, chars)
            if event == "start":
                elements, depth = elements + 1, depth + 1
                if elements > MAX_XML_ELEMENTS:
                    raise too_much_text(label, len(strings), chars)
                if depth > MAX_XML_DEPTH:
                    raise too_deep(label, part.PartName[1:])
                continue
            depth -= 1
            if node.tag != SI:
                continue
            text = _si_text(node).replace("x005F_", "")   # as openpyxl reads it
            chars += len(text)
            strings.append(clip(text, MAX_CELL_CHARS))    # each cell's text at most Excel's own limit
            if bound is not None and len(text) > bound.longest_text:
                bound.longest_text = len(text)
            root.clear()                    # drop the entries read so far from the tree
            if len(strings) > MAX_CELLS or chars > MAX_TEXT_CHARS:
                raise too_much_text(label, len(strings) - 1, chars)
    return strings


def _si_text(node) -> str:
    """A shared string's text: its plain text, or its rich-text runs joined (phonetic runs left out).

    What openpyxl's Text.content gives, without building its objects (ten times faster).
    """
    parts = []
    for child in node:
        if child.tag == T:
            parts.append(child.text or "")
        elif child.tag == RUN:
            t = child.find(T)
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)
