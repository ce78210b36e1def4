"""SQL console: one read-only SELECT at a time over documented views, with downloads."""
import pandas as pd
import streamlit as st

from app_pages._auth import require_page
from app_pages._common import data_table, framework, site_notice, store
from kpis.analysis import sql_checks, sql_console, sql_views
from kpis.core import exports

require_page("sql")  # first, before anything is read: this page checks its own permission

fw = framework()
s = store()
st.title("SQL console")
site_notice()
st.markdown(
    f"Ask your own questions in SQL (DuckDB dialect). Queries run on a **read-only snapshot** of the documented "
    f"views below, with no access to files or the network; only a single `SELECT` runs, for at most "
    f"{sql_checks.DEFAULT_TIMEOUT_S:g} seconds and within a fixed amount of memory, and a result is cut at the row "
    f"limit or at {sql_checks.MAX_RESULT_BYTES // 2**20} MB. The same console is on the command line: "
    f"`python -m kpis sql \"SELECT ...\" --json`.")

examples = sql_views.example_queries(fw)
if "sql_query" not in st.session_state:
    st.session_state["sql_query"] = next(iter(examples.values()))


def use_example() -> None:
    st.session_state["sql_query"] = examples[st.session_state["sql_example"]]


st.selectbox("Start from an example", list(examples), key="sql_example", on_change=use_example, index=None,
             placeholder="Choose an example query")
st.text_area("Query", key="sql_query", height=220)
c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
limit = c1.number_input("Row limit", min_value=1, max_value=sql_checks.MAX_ROW_LIMIT,
                        value=sql_checks.DEFAULT_ROW_LIMIT, step=100, key="sql_limit")
if c2.button("Run query", type="primary", icon=":material/play_arrow:", key="sql_run"):
    try:
        st.session_state["sql_result"] = (st.session_state["sql_query"],
                                          sql_console.run_query(s, st.session_state["sql_query"], row_limit=int(limit)))
        st.session_state.pop("sql_error", None)
    except sql_checks.SqlError as exc:
        st.session_state["sql_error"] = str(exc)
        st.session_state.pop("sql_result", None)


# The result spans the whole page, so wide results keep their columns; the views' reference comes after it.
if st.session_state.get("sql_error"):
    st.error(st.session_state["sql_error"], icon=":material/block:")
elif st.session_state.get("sql_result"):
    query, result = st.session_state["sql_result"]
    st.caption(f"{len(result.data):,} row(s) in {result.seconds:.2f} s; snapshot of the data taken "
               f"{result.snapshot_at}.")
    for note in result.notes:
        st.warning(note, icon=":material/content_cut:")
    data_table(result.data, wrap=tuple(c for c in result.data.columns if result.data[c].dtype == object
                                       or str(result.data[c].dtype).startswith("str")), budget=900)
    meta = exports.export_metadata(
        title="SQL console result", view="Read-only SQL query", definitions=[f"Query: {query}"],
        sources=["Snapshot of the documented views of the KPI database"], periods="As selected by the query",
        notes=[f"Rows: {len(result.data):,}" + (" (cut at the row limit)" if result.truncated else ""),
               f"Snapshot taken {result.snapshot_at}"],
        demo=bool("is_demo" in result.data and result.data["is_demo"].fillna(False).astype(bool).any()))
    # Both files are written only when someone clicks (callables, run by Streamlit after this page run, when the
    # database is no longer held), from the result already read: never on every rerun.
    data = result.data
    left, right = st.columns(2)
    left.download_button("Download CSV", lambda: exports.to_csv_bytes(data), file_name="query-result.csv",
                         mime=exports.CSV_MIME, icon=":material/download:", key="sql_csv")
    cells = data.shape[0] * max(data.shape[1], 1)
    if cells <= sql_checks.MAX_EXCEL_CELLS:
        right.download_button("Download Excel", lambda: exports.to_excel_bytes({"Result": data}, meta),
                              file_name="query-result.xlsx", mime=exports.XLSX_MIME, icon=":material/download:",
                              key="sql_xlsx")
    else:
        right.caption(f"This result has {cells:,} cells, more than the {sql_checks.MAX_EXCEL_CELLS:,} an Excel "
                      "download is made for here; download the CSV, or select fewer rows or columns.")


st.subheader("Views")
st.caption("The documented views a query can read, with their columns.")
for view in sql_views.describe_views(s):
    with st.expander(f"{view['name']} ({view['rows']:,} rows)"):
        st.caption(view["description"])
        data_table(pd.DataFrame([{"Column": c["name"], "Type": c["type"], "Description": c["description"]}
                                 for c in view["columns"]]), wrap=("Description",))
