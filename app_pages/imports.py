"""Admin: import a published benchmark file (Fingertips, DfE open data, LAIT) and see past imports."""
import tempfile
from pathlib import Path

import streamlit as st

from app_pages._auth import require_page
from app_pages._common import data_table, framework, site_notice, store
from kpis.access.permissions import PermissionDenied
from kpis.analysis.comparisons import import_history
from kpis.analysis.quality import imports_on_screen
from kpis.core import exports
from kpis.published.common import BenchmarkError
from kpis.published.importer import FORMATS, detect_format, import_benchmarks

actor = require_page("admin")  # first, before anything is read: this page checks its own permission

fw = framework()
s = store()
st.title("Import published figures")
site_notice()
open_mode = actor is None  # require_page lets nobody in signed out unless no account exists yet
who = actor.email if actor is not None else "open demo mode (no accounts yet)"

st.markdown(
    "Upload a file of England, regional and council figures as published. The format is recognised from the "
    "file's columns, not its name:\n\n" + "\n".join(f"- {text}" for text in FORMATS.values()) +
    "\n\nThe import is all or nothing. Every row read is either imported or skipped with a reason; a value "
    "already held is left alone, and a changed one is kept as a new version (the old one stays for 'as at' views). "
    "The same import is on the command line: `python -m kpis import-benchmarks FILE`.")
if open_mode:
    st.caption("No accounts are set up, so anyone can import here; once accounts exist only administrators can.")

uploaded = st.file_uploader("Benchmark file (CSV or Parquet)", type=["csv", "parquet"], key="imports_file")
if st.button("Import", type="primary", icon=":material/upload:", key="imports_run", disabled=uploaded is None):
    progress = st.progress(0.0, text=f"Saving {uploaded.name}…")
    with tempfile.TemporaryDirectory(prefix="kpis-import-") as folder:
        path = Path(folder) / (Path(uploaded.name).name or "upload.csv")
        path.write_bytes(uploaded.getvalue())
        try:
            progress.progress(0.2, text="Recognising the format from the file's columns…")
            fmt = detect_format(path)
            progress.progress(0.4, text=f"Reading and importing ({FORMATS[fmt].split(' (')[0]})…")
            report = import_benchmarks(s, path, framework=fw, actor=actor if actor is not None else who)
        except (BenchmarkError, PermissionDenied) as exc:
            progress.empty()
            st.session_state.pop("imports_report", None)
            st.session_state["imports_error"] = str(exc)
        else:
            progress.progress(1.0, text="Import finished.")
            st.session_state.pop("imports_error", None)
            st.session_state["imports_report"] = report.to_dict()

if st.session_state.get("imports_error"):
    st.error(st.session_state["imports_error"], icon=":material/error:")
report = st.session_state.get("imports_report")
if report:
    st.success(f"Imported {report['file_name']} ({report['source_name']}): {report['rows_imported']:,} of "
               f"{report['rows_read']:,} rows; {report['rows_skipped']:,} skipped.", icon=":material/check_circle:")
    st.header("This import")
    read, imported, skipped = st.columns(3)
    read.metric("Rows read", f"{report['rows_read']:,}")
    imported.metric("Rows imported", f"{report['rows_imported']:,}")
    skipped.metric("Rows skipped", f"{report['rows_skipped']:,}")
    st.caption(f"Values: {report['new']:,} new, {report['changed']:,} changed, {report['unchanged']:,} unchanged. "
               f"Indicators: {', '.join(report['indicators']) or 'none'}. Batch {report['batch_id']}, "
               f"{report['seconds']:.1f} s.")
    if report["skipped_reasons"]:
        st.markdown("**Why rows were skipped**")
        st.dataframe({"Reason": list(report["skipped_reasons"]), "Rows": list(report["skipped_reasons"].values())},
                     hide_index=True, width="stretch", placeholder="–")
    else:
        st.caption("No row was skipped.")
    if report.get("notes"):
        st.markdown("**What the import noticed**")
        st.caption("The choices the import made and why: former council codes stored under the current code, "
                   "versions, several measures in one column, when a Reporting year's census was taken, which "
                   "column the publisher's labels came from (against England and the region), intervals worked "
                   "out from a row's own counts; unexpected symbols; where each indicator's unit and polarity "
                   "came from.")
        # a list, not a table: each note is a sentence or two, read whole (a table cell cuts it at one line)
        st.markdown("\n".join("- " + n.replace("*", "\\*").replace("[", "\\[") for n in report["notes"]))

st.header("Past imports")
history = import_history(s)
if history.empty:
    st.caption("Nothing has been imported yet.")
else:
    st.caption(f"{len(history)} import(s), newest first. Times are UTC. The download has every column, one count "
               "each, with the file's format and who imported it.")
    data_table(imports_on_screen(history), wrap=("Received (UTC)", "Source", "File", "Rows", "Values"),
               floors={"Received (UTC)": 140, "Source": 160, "File": 140, "Rows": 150, "Values": 120})
    every = history.rename(columns={
        "batch_id": "Batch", "submitted_at": "When", "file_name": "File", "source": "Source", "format": "Format",
        "submitted_by": "Imported by", "rows_read": "Rows read", "rows_imported": "Imported",
        "rows_skipped": "Skipped", "skipped_reasons": "Why skipped", "new_values": "New values",
        "changed_values": "Changed", "unchanged_values": "Unchanged"})
    st.download_button("Download every import (CSV)", lambda: exports.to_csv_bytes(every), file_name="imports.csv",
                       mime=exports.CSV_MIME, icon=":material/download:", key="imports_csv")
