"""Data quality: returns in on time and complete, unusual values, gaps, and what imports skipped."""
import streamlit as st

from app_pages._auth import require_page
from app_pages._common import data_table, framework, site_notice, store
from kpis.analysis import quality
from kpis.core import exports
from kpis.core.dates import RETURN_DUE, RETURN_DUE_WORDS
from kpis.store.series import is_demo_database

require_page("explore")  # first, before anything is read: this page checks its own permission

fw = framework()
s = store()
st.title("Data quality")
st.markdown(f"Whether each sub-group's quarterly return came in, on time (by quarter end plus {RETURN_DUE_WORDS}) and "
            "complete; values that look unusual; suppressed and unavailable values; and what each import skipped.")
site_notice()

comp = quality.completeness(s, fw)
grid = quality.completeness_grid(comp)
unusual = quality.unusual_values(s, fw)
counts = quality.status_counts(s, fw)
imports = quality.imports(s)
skipped = quality.skipped_reasons(s)
comp_t, unusual_t, counts_t, imports_t, skipped_t = (quality.readable(d) for d in
                                                      (comp, unusual, counts, imports, skipped))
# In the downloads every column, the internal code as "Source id"; on screen, names and counts in words
counts_t, unusual_t = (d.rename(columns={"Indicator": "Source id"}) for d in (counts_t, unusual_t))
skipped_t = skipped_t.rename(columns={"Why flagged": "Why rows were skipped"})
names = quality.indicator_names(s, fw)


def show(df) -> None:
    formats = exports.number_formats(df)
    data_table(df, wrap=tuple(c for c in ("Indicator", "Name", "Source", "File", "Group", "Why skipped", "Reason",
                                          "Sub-group", "Not given as a number", "With a caveat", "Home area", "Rows",
                                          "Values", "Why flagged", "Why rows were skipped", "Value", "Sent", "KPIs")
                            if c in df.columns),
               floors={"Name": 220, "Sub-group": 200, "Indicator": 200, "Not given as a number": 150,
                       "Home area": 130, "Rows": 150, "Values": 120, "With a caveat": 110, "Sent": 170,
                       "KPIs": 110},
               column_config={c: st.column_config.NumberColumn(format=f) for c, f in formats.items()})

st.header("Returns by quarter")
if comp.empty:
    st.info("No sub-group has sent a return yet.", icon=":material/inbox:")
else:
    summary = quality.completeness_summary(comp)
    cols = st.columns(5)
    for col, status in zip(cols, ["On time", "Late", "Partial", "Missing", "Not yet due"], strict=False):
        n = summary.get(status, 0) + (summary.get("Partial and late", 0) if status in ("Late", "Partial") else 0)
        col.metric(status, n)
    st.caption("Each cell is one sub-group's return for one quarter, the latest six quarters, latest first (every "
               "quarter is in the detail below and in the downloads). *Partial* means fewer of the sub-group's "
               "quarterly KPIs than it reports; the days say how late the first version came.")
    # the latest six quarters fit the screen whole; every quarter is in the detail below and in the downloads
    data_table(grid.iloc[:, :7], wrap=("Sub-group",), floors={"Sub-group": 230})
    with st.expander("Every return, in detail"):
        show(quality.returns_on_screen(comp))

st.header("Unusual values")
st.caption(f"Home-area values that cannot be right (a percentage outside 0-100, a numerator above its denominator, "
           f"a value that does not match its counts), or more than {quality.Z_LIMIT:g} standard deviations from the "
           f"average of the rest of their own series (at least {quality.MIN_HISTORY} other values). A flag asks for "
           "a check; it does not mean the value is wrong.")
if unusual.empty:
    st.success("No value is flagged.", icon=":material/check_circle:")
else:
    show(quality.unusual_on_screen(unusual, names, fw))

st.header("Suppressed and not available")
st.caption("Current values by status, per indicator, across all areas, then the home area's. Every count, one "
           "column each, is in the Excel download.")
show(quality.status_counts_on_screen(counts, names))

st.header("Imports and skipped rows")
show(quality.imports_on_screen(imports))
if not skipped.empty:
    st.subheader("Why rows were skipped")
    show(skipped_t)

st.header("Download")
meta = exports.export_metadata(
    title="Data quality", view="Returns by quarter, unusual values, status counts, imports",
    definitions=[f"On time: first return by quarter end plus {RETURN_DUE.days // 7} weeks.",
                 "Partial: fewer of the sub-group's quarterly KPIs than it reports.",
                 f"Unusual: |z| > {quality.Z_LIMIT:g} against the rest of the series, or an impossible value."],
    sources=["Sub-group returns and data imports recorded in the database"],
    periods=exports.describe_periods(comp.sort_values("quarter_end")["quarter"]) if not comp.empty else "–",
    demo=is_demo_database(s))
sheets = {"Returns by quarter": grid, "Returns in detail": comp_t, "Unusual values": unusual_t,
          "Status counts": counts_t, "Imports": imports_t, "Skipped rows": skipped_t}
left, right = st.columns(2)       # wide enough for both labels whole at 1366 x 768
left.download_button("Download CSV (returns by quarter)", exports.to_csv_bytes(comp_t),
                     file_name="returns-by-quarter.csv",
                     mime=exports.CSV_MIME, icon=":material/download:", key="dq_csv")
# The workbook is written when someone clicks (a callable), not on every visit to the page.
right.download_button("Download Excel (every table)", lambda: exports.to_excel_bytes(sheets, meta),
                      file_name="data-quality.xlsx", mime=exports.XLSX_MIME, icon=":material/download:", key="dq_xlsx")
