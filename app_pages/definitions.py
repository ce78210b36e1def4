"""Definitions: the data dictionary of every KPI and every imported source indicator."""
import streamlit as st

from app_pages._auth import require_page
from app_pages._common import BLANK, data_table, framework, site_notice, store
from kpis.analysis import dictionary
from kpis.board.tables import md_escape
from kpis.core import exports

require_page("explore")  # first, before anything is read: this page checks its own permission

fw = framework()
st.title("Definitions")
site_notice()
st.markdown("The data dictionary: every framework KPI and every imported source indicator, with its definition "
            "and polarity, unit and source, when it was last updated and is next due, and methodology notes.")

full = dictionary.data_dictionary(store(), fw)
c1, c2 = st.columns([2, 1])
text = c1.text_input("Search ids, names, definitions and methods", key="def_search",
                     placeholder="e.g. child protection")
kind = c2.radio("Show", ["All", "Framework KPI", "Source indicator"], horizontal=True, key="def_kind")
rows = dictionary.search(full, text, None if kind == "All" else kind)
st.caption(f"{len(rows)} of {len(full)} indicators.")

# On screen: names, never internal codes (a KPI keeps its id, as the board knows it). The code is the "Source id"
# of the downloads and of "In full". The next update and every other field are under "In full" and in the downloads.
shown = rows.assign(Name=[f"{i} {n}" if k == "Framework KPI" else n
                          for i, n, k in zip(rows["Id"], rows["Name"], rows["Kind"], strict=False)])
data_table(shown[["Name", "Kind", "Polarity", "Unit", "Source", "Last updated", "Periods held", "Areas"]],
           wrap=("Name", "Source", "Polarity", "Last updated", "Kind", "Periods held", "Unit"),
           floors={"Name": 220, "Source": 110, "Polarity": 100, "Periods held": 100, "Unit": 80, "Kind": 90,
                   "Last updated": 100})
rows = rows.rename(columns={"Id": "Source id"})

left, right = st.columns(2)
meta = exports.export_metadata(
    title="Data dictionary", view=f"Definitions ({kind.lower()}{', matching ' + text if text else ''})",
    definitions=["One row per framework KPI and per imported source indicator."],
    sources=[f"KPI framework: {fw.name}", "Indicator descriptions as published by DfE, OHID Fingertips and LAIT"])
left.download_button("Download CSV", exports.to_csv_bytes(rows), file_name="data-dictionary.csv",
                     mime=exports.CSV_MIME, icon=":material/download:", key="def_csv")
# The workbook is written when someone clicks (a callable), not on every visit to the page.
right.download_button("Download Excel", lambda: exports.to_excel_bytes({"Data dictionary": rows}, meta),
                      file_name="data-dictionary.xlsx", mime=exports.XLSX_MIME, icon=":material/download:",
                      key="def_xlsx")

st.header("In full")
if not rows.empty:
    labels = {(f"{r['Source id']}: {r['Name']}" if r["Kind"] == "Framework KPI" else f"{r['Name']} ({r['Source']})"):
              i for i, r in rows.iterrows()}
    chosen = st.selectbox("Indicator", list(labels), key="def_one",
                          help="Every field held for one indicator, including its methodology notes.")
    one = rows.loc[labels[chosen]].rename("Details")    # the Source id last, for analysts and the SQL console
    one = one.reindex([*[k for k in one.index if k != "Source id"], "Source id"])
    st.table(one.map(lambda v: BLANK if v is None or v != v or str(v).strip() in ("", "None") else str(v)).to_frame())
if rows.empty:
    st.info(f"No indicator matches '{md_escape(text)}'.", icon=":material/search_off:")
