"""Print a PDF's tag tree (its logical structure) and count its tags, as an accessibility auditor reads it.

    python -m tools.pdf_tags FILE.pdf [--depth N] [--width N] [--counts]

What it shows, from the PDF itself (read with pypdf, nothing guessed):
- the document: /Lang, its title (/Title and whether viewers show it: /ViewerPreferences /DisplayDocTitle),
  /MarkInfo /Marked, author and subject, the number of pages and bookmarks;
- the structure tree: one line per element (H1, P, Table, TH, Figure ...) with its attributes (a TH's /Scope, a
  Figure's /Alt) and the text of the marked content it owns, in the tree's order, which is the reading order a
  screen reader follows;
- counts of each tag, figures without /Alt, and text on the pages that belongs to no tag (neither tagged nor
  marked as an /Artifact such as a running header or page number).

`tags(path)` returns the same as data, for tests.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject


@dataclass
class Element:
    tag: str
    depth: int
    page: int | None
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""


@dataclass
class Tags:
    lang: str
    title: str
    display_title: bool
    marked: bool
    author: str
    subject: str
    pages: int
    outline: list[tuple[int, str]]          # (level, title), in order
    elements: list[Element]                # the structure tree, depth first (reading order)
    untagged_text: dict[int, str]          # page index -> text in no tag and not an artifact
    artifact_text: dict[int, str]          # page index -> text marked as an artifact (headers, page numbers)

    @property
    def counts(self) -> Counter:
        return Counter(e.tag for e in self.elements)

    @property
    def figures_without_alt(self) -> list[Element]:
        return [e for e in self.elements if e.tag == "Figure" and not e.attrs.get("Alt", "").strip()]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _page_text(page) -> tuple[dict[int, str], str, str]:
    """(text of each MCID, text outside any marked content, text inside /Artifact) of one page."""
    by_mcid: dict[int, list[str]] = {}
    loose: list[str] = []
    artifact: list[str] = []
    stack: list[tuple[str, int | None]] = []

    def before(op, args, cm, tm):
        if op in (b"BDC", b"BMC"):
            tag = str(args[0]) if args else ""
            props = args[1] if op == b"BDC" and len(args) > 1 else None
            mcid = None
            if isinstance(props, DictionaryObject) and "/MCID" in props:
                mcid = int(props["/MCID"])
            stack.append((tag, mcid))
        elif op == b"EMC" and stack:
            stack.pop()

    def text(t, cm, tm, font, size):
        if not t:
            return
        if any(tag == "/Artifact" for tag, _ in stack):
            artifact.append(t)
            return
        mcid = next((m for _, m in reversed(stack) if m is not None), None)
        (by_mcid.setdefault(mcid, []) if mcid is not None else loose).append(t)

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    return ({k: "".join(v) for k, v in by_mcid.items()}, _clean("".join(loose)), _clean("".join(artifact)))


def _attrs(node: DictionaryObject) -> dict[str, str]:
    out = {}
    for key in ("/Alt", "/ActualText", "/Lang", "/T", "/E"):
        if key in node:
            out[key[1:]] = str(node[key])
    attributes = node.get("/A")
    for a in (attributes if isinstance(attributes, ArrayObject) else [attributes] if attributes else []):
        a = a.get_object()
        if isinstance(a, DictionaryObject):
            for key in ("/Scope", "/ColSpan", "/RowSpan", "/Headers", "/ListNumbering", "/Summary"):
                if key in a:
                    out[key[1:]] = str(a[key]).lstrip("/")
    return out


def tags(path: str | Path) -> Tags:
    """The tag tree and document properties of the PDF at `path`."""
    reader = PdfReader(str(path))
    root = reader.trailer["/Root"]
    page_index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    texts, loose, artifacts = {}, {}, {}
    for i, page in enumerate(reader.pages):
        texts[i], untagged, artifact = _page_text(page)
        if untagged:
            loose[i] = untagged
        if artifact:
            artifacts[i] = artifact

    role_map = {}
    tree = root.get("/StructTreeRoot")
    tree = tree.get_object() if tree is not None else None
    if tree is not None and "/RoleMap" in tree:
        role_map = {str(k).lstrip("/"): str(v).lstrip("/") for k, v in tree["/RoleMap"].get_object().items()}
    elements: list[Element] = []

    def page_of(node, inherited):
        pg = node.get("/Pg") if isinstance(node, DictionaryObject) else None
        return page_index.get(pg.idnum) if isinstance(pg, IndirectObject) else inherited

    def own_text(kids, page) -> str:
        parts = []
        for kid in kids:
            if isinstance(kid, IndirectObject):
                kid = kid.get_object()
            if isinstance(kid, (int, NumberObject)) and page is not None:
                parts.append(texts[page].get(int(kid), ""))
            elif isinstance(kid, DictionaryObject) and kid.get("/Type") == "/MCR":
                p = page_of(kid, page)
                if p is not None:
                    parts.append(texts[p].get(int(kid["/MCID"]), ""))
        return _clean(" ".join(parts))

    def walk(node, depth: int, page: int | None) -> None:
        node = node.get_object()
        if not isinstance(node, DictionaryObject) or "/S" not in node:
            return
        tag = str(node["/S"]).lstrip("/")
        tag = role_map.get(tag, tag)
        page = page_of(node, page)
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, ArrayObject) else ([] if kids is None else [kids])
        elements.append(Element(tag, depth, page, _attrs(node), own_text(kids, page)))
        for kid in kids:
            obj = kid.get_object() if isinstance(kid, IndirectObject) else kid
            if isinstance(obj, DictionaryObject) and "/S" in obj:
                walk(obj, depth + 1, page)

    if tree is not None:
        kids = tree.get("/K")
        for kid in (kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []):
            walk(kid, 0, None)

    outline: list[tuple[int, str]] = []

    def walk_outline(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk_outline(item, level + 1)
            else:
                outline.append((level, str(item.title)))

    walk_outline(reader.outline, 0)
    meta = reader.metadata or {}
    prefs = root.get("/ViewerPreferences")
    prefs = prefs.get_object() if prefs is not None else {}
    mark = root.get("/MarkInfo")
    mark = mark.get_object() if mark is not None else {}
    return Tags(lang=str(root.get("/Lang", "")), title=str(meta.get("/Title", "") or ""),
                display_title=bool(prefs.get("/DisplayDocTitle", False)), marked=bool(mark.get("/Marked", False)),
                author=str(meta.get("/Author", "") or ""), subject=str(meta.get("/Subject", "") or ""),
                pages=len(reader.pages), outline=outline, elements=elements, untagged_text=loose,
                artifact_text=artifacts)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def report(t: Tags, *, depth: int | None = None, width: int = 90, counts_only: bool = False) -> str:
    lines = [f"Title: {t.title or '(none)'}" + ("" if t.display_title else "  (viewers show the file name: "
                                                                           "no /DisplayDocTitle)"),
             f"Language: {t.lang or '(none)'}    Tagged (/MarkInfo /Marked): {'yes' if t.marked else 'NO'}",
             f"Author: {t.author or '(none)'}    Subject: {t.subject or '(none)'}",
             f"Pages: {t.pages}    Bookmarks: {len(t.outline)}"]
    if not counts_only:
        lines += ["", "Bookmarks:"] + [f"  {'  ' * level}{title}" for level, title in t.outline]
        lines += ["", "Tag tree (reading order):"]
        for e in t.elements:
            if depth is not None and e.depth > depth:
                continue
            attrs = " ".join(f"{k}={_short(v, width)!r}" for k, v in e.attrs.items())
            where = f" p{e.page + 1}" if e.page is not None else ""
            text = f' "{_short(e.text, width)}"' if e.text else ""
            lines.append(f"  {'  ' * e.depth}{e.tag}{where}{(' ' + attrs) if attrs else ''}{text}")
    lines += ["", "Counts: " + ", ".join(f"{tag} {n}" for tag, n in sorted(t.counts.items()))]
    figures = t.counts.get("Figure", 0)
    lines.append(f"Figures: {figures}, without /Alt: {len(t.figures_without_alt)}")
    lines.append(f"Pages with text marked as artifact (running headers, page numbers): {len(t.artifact_text)}")
    if t.untagged_text:
        lines.append(f"Untagged text (in no tag, not an artifact) on {len(t.untagged_text)} page(s):")
        lines += [f"  p{page + 1}: {_short(text, width)}" for page, text in sorted(t.untagged_text.items())]
    else:
        lines.append("Untagged text: none")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--depth", type=int, help="show the tree down to this depth only (0 is the top)")
    parser.add_argument("--width", type=int, default=90, help="cut text and attributes to this many characters")
    parser.add_argument("--counts", action="store_true", help="the document's properties and the counts only")
    args = parser.parse_args(argv)
    if not args.pdf.is_file():
        print(f"{args.pdf} is not a file.", file=sys.stderr)
        return 2
    try:
        t = tags(args.pdf)
    except Exception as exc:
        print(f"{args.pdf} could not be read as a PDF: {exc}", file=sys.stderr)
        return 2
    print(report(t, depth=args.depth, width=args.width, counts_only=args.counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
