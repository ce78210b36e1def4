"""Is an uploaded file safe to open, and what is it? Checked by content, never by name.

A return is accepted as an Excel workbook (.xlsx: a zip holding the right
parts) or as CSV text. Everything else is refused with a message that tells
the lead what to do instead. The checks run before openpyxl sees the file:

- size: at most ``MAX_BYTES``; an empty file is refused;
- zip: entry count, total uncompressed size and per-entry compression ratio
  are read from the zip directory before anything is decompressed (a zip
  bomb declares its sizes there; reading never goes past a declared size);
- XML: no DOCTYPE in any part (real workbooks never have one; entity tricks
  such as "billion laughs" need one). openpyxl also parses through
  defusedxml, which refuses entity declarations: a second line of defence;
- refused outright: macro-enabled workbooks, encrypted workbooks (an OLE
  compound file with an EncryptionInfo stream), legacy .xls (OLE2/BIFF),
  OpenDocument spreadsheets, pictures, PDFs and other binary files.

The other direction, text written out to CSV or Excel that must never turn
into a formula, is `kpis.core.exports.safe_cell_text`.
"""
from __future__ import annotations

import io
import re
import zipfile

MAX_BYTES = 10 * 1024 * 1024            # uploaded file
MAX_ENTRIES = 1000                      # parts inside an xlsx
MAX_UNCOMPRESSED = 200 * 1024 * 1024    # all parts together, once unzipped
MAX_RATIO = 200                         # uncompressed / compressed size of any one part over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024               # small parts may compress very well; only big ones are checked
XML_HEAD_BYTES = 4096                   # a DOCTYPE must come before the root element

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
SAVE_AS_XLSX = "Open it in Excel and use File > Save As > Excel Workbook (.xlsx), then upload that file."
MACRO_CONTENT_TYPES = ("macroenabled", "vbaproject")

_BINARY_KINDS = [
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"), (b"\xff\xd8\xff", "a JPEG picture"), (b"GIF8", "a GIF picture"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"{\\rtf", "a Rich Text (RTF) document"),
]


class UnreadableFile(ValueError):
    """The file cannot be read as a return. The message says why and what to do instead."""


def check_upload(name: str, data: bytes) -> str:
    """Return 'xlsx' or 'csv' after checking the content; raise UnreadableFile otherwise."""
    label = f"'{name}'" if name else "The file"
    if not data:
        raise UnreadableFile(f"{label} is empty (0 bytes). Save the return again and upload the saved file.")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"{label} is {len(data) / 1048576:.1f} MB; the limit is {MAX_BYTES // 1048576} MB. "
                             "A return should be far smaller: remove pictures and extra sheets, or send it as CSV.")
    if data.startswith(OLE_SIGNATURE):
        _refuse_ole(label, data)
    if data.startswith(ZIP_SIGNATURES):
        check_xlsx_zip(label, data)
        return "xlsx"
    for magic, kind in _BINARY_KINDS:
        if data.startswith(magic):
            raise UnreadableFile(f"{label} is {kind}, not a spreadsheet. Upload the return as an Excel Workbook "
                                 "(.xlsx) or a CSV file.")
    decode_text(data, label=label)  # raises if it is not text
    return "csv"


def _refuse_ole(label: str, data: bytes) -> None:
    # An encrypted .xlsx is an OLE compound file whose directory names an EncryptionInfo stream
    # (stored as UTF-16LE), next to an EncryptedPackage.
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        raise UnreadableFile(f"{label} is password-protected (encrypted), so it cannot be read. Open it in Excel, "
                             "remove the password (File > Info > Protect Workbook > Encrypt with Password, clear "
                             "the box), save it as an Excel Workbook (.xlsx) and upload it again.")
    raise UnreadableFile(f"{label} is an old-style Excel 97-2003 workbook (.xls) or another legacy Office file. "
                         + SAVE_AS_XLSX)


def check_xlsx_zip(label: str, data: bytes) -> None:
    """Check a zip's directory and parts before any spreadsheet library opens it."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise UnreadableFile(f"{label} is damaged or incomplete (it looks like a cut-off Excel file). Save the "
                             "workbook again in Excel and upload the new copy.") from None
    with zf:
        names = {i.filename for i in infos}
        if len(infos) > MAX_ENTRIES:
            raise UnreadableFile(f"{label} holds {len(infos)} parts; a return workbook has far fewer (limit "
                                 f"{MAX_ENTRIES}). Copy the data into a fresh return template and upload that.")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED:
            raise UnreadableFile(f"{label} would unpack to {total / 1048576:,.0f} MB, over the "
                                 f"{MAX_UNCOMPRESSED // 1048576} MB limit; it is not a normal workbook "
                                 "(possibly a 'zip bomb'). Copy the data into a fresh return template.")
        for i in infos:
            if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                raise UnreadableFile(f"{label} contains a part ('{i.filename}') that is compressed "
                                     f"{i.file_size // max(i.compress_size, 1):,} times over; real workbooks never "
                                     "are (this is how 'zip bombs' work). Copy the data into a fresh return "
                                     "template.")
        if "mimetype" in names and b"opendocument" in _read(zf, "mimetype", 200):
            raise UnreadableFile(f"{label} is an OpenDocument spreadsheet (.ods). Save it as an Excel Workbook "
                                 "(.xlsx) or as CSV, then upload that file.")
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise UnreadableFile(f"{label} is a zip file but not an Excel workbook. Upload the return as an Excel "
                                 "Workbook (.xlsx) or a CSV file.")
        types = _read(zf, "[Content_Types].xml", MAX_UNCOMPRESSED).lower()
        if any(n.lower().endswith("vbaproject.bin") for n in names) or any(m.encode() in types
                                                                           for m in MACRO_CONTENT_TYPES):
            raise UnreadableFile(f"{label} is a macro-enabled workbook (.xlsm); macros are not accepted. In "
                                 "Excel use File > Save As > Excel Workbook (.xlsx) (the macros are left out), "
                                 "then upload that file.")
        if "xl/workbook.xml" not in names:
            raise UnreadableFile(f"{label} is not a usual Excel workbook (it has no xl/workbook.xml). "
                                 + SAVE_AS_XLSX)
        for i in infos:
            if i.filename.endswith((".xml", ".rels")) and _has_doctype(zf, i):
                raise UnreadableFile(f"{label} contains XML with a document type declaration ('{i.filename}'). "
                                     "Excel never writes one; it is a known way to attack XML readers. Copy the "
                                     "data into a fresh return template.")


def _read(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with zf.open(name) as fh:
            return fh.read(limit)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise UnreadableFile("The workbook is damaged or incomplete (a part could not be unpacked). Save it "
                             "again in Excel and upload the new copy.") from None


def _has_doctype(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    head = _read(zf, info.filename, XML_HEAD_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    return b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper()


# -- text ---------------------------------------------------------------------------
def decode_text(data: bytes, *, label: str = "The file") -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Returns (text, encoding name). Raises UnreadableFile for binary content.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or _control_share(text) > 0.01:
            break
        return text, enc
    raise UnreadableFile(f"{label} is neither an Excel workbook (.xlsx) nor a CSV text file. Upload the return "
                         "as an Excel Workbook (.xlsx), or save it from Excel as 'CSV UTF-8'.")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_share(text: str) -> float:
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) / max(len(sample), 1)


# -- text that could run as a formula --------------------------------------------------
# After a leading + or -, what makes text a formula rather than prose: a function call (HYPERLINK(, SUM(),
# a DDE link (cmd|' /C calc'), or a reference to another sheet or workbook (Sheet1!A1).
_FORMULA_BODY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\(|\||!")


def formula_risk(text: str | None) -> str | None:
    """Why a lead's text (commentary, narrative) could run as a spreadsheet formula, or None.

    The six characters a spreadsheet may read as the start of a formula (= + - @ tab, carriage return) are
    treated alike in every download: ``kpis.core.exports.safe_cell_text`` neutralises all of them.
    On the way in, text is
    refused only when it could really run: anything starting with = or @ (tab and carriage return are
    trimmed away with the other outer spaces, so what follows them is what counts), and + or - followed by a
    function call, a DDE link (|) or a sheet reference (!): ``+HYPERLINK(...)``, ``-2+3+cmd|' /C calc'!A0``.
    What a lead really types stays valid: "- fewer referrals", "+3 on last quarter", "-5% since Q1".
    """
    body = (text or "").strip(" \t\r\n")
    if not body:
        return None
    if body[0] in "=@":
        return f"it starts with '{body[0]}'"
    if body[0] in "+-" and _FORMULA_BODY.search(body):
        return f"it starts with '{body[0]}' and holds a function call, a '|' or a '!'"
    return None
