"""AppTest of the analysis pages: explorer, definitions, data quality and the SQL console."""
import json
from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

from kpis.cli.main import main
from kpis.store.database import Store
from tests.conftest import ROOT
from tests.support.apptest import texts

PAGES = ["app_pages/explorer.py", "app_pages/definitions.py", "app_pages/data_quality.py", "app_pages/sql.py"]




# A test that only reads opens the pages on the demo database the reading tests share (`reader_env`, with what the
# app cached for it: tests/app/conftest.py); one that writes, or counts what is worked out, has its own copy.
def open_page(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def downloads(at) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


EXPLORER_TABS = ("Compare areas", "Over time", "Breakdowns")


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open one of the explorer's tabs, as clicking it does: only the open tab is drawn."""
    at.session_state["view"] = label
    at.run()
    assert not at.exception, at.exception
    return at


@dataclass
class EveryTab:
    """What the explorer draws in each of its tabs, opened in turn, together."""
    body: str
    tables: list
    figures: list[dict]
    downloads: list[str]


def every_tab(at: AppTest) -> EveryTab:
    """Open each explorer tab in turn and gather its words, tables, charts and download buttons; the first tab is
    open again afterwards."""
    body, tables, figs, files = [], [], [], []
    for label in EXPLORER_TABS:
        open_tab(at, label)
        body.append(texts(at))
        tables += [d.value for d in at.dataframe]
        figs += figures(at)
        files += downloads(at)
    open_tab(at, EXPLORER_TABS[0])
    return EveryTab("\n".join(body), tables, figs, files)


# -- explorer ---------------------------------------------------------------------------------------------
def test_explorer_answers_the_sg02_neighbours_question(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="SG02")
    assert at.selectbox(key="ex_indicator").value == "SG02"
    seen = every_tab(at)
    body = seen.body
    assert "Demo data" in body
    assert "Worcestershire: 31.4% in 2024/25. Significantly worse than England. Rank " in body
    assert "Worcestershire against its statistical neighbours" in body
    assert "Over 5 periods from 2020/21 to 2024/25, Worcestershire was above" in body
    tables = seen.tables
    against = next(t for t in tables if "Neighbours' average" in t.columns)
    assert against["Period"].tolist() == ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25"]
    assert against["Worcestershire"].tolist() == [24.7, 29.2, 29.8, 26.8, 31.4]
    compare = next(t for t in tables if "Compared with England" in t.columns and "Area" in t.columns)
    assert "Significantly worse than England" in compare["Compared with England"].tolist()
    figs = seen.figures
    titles = [f["layout"]["title"]["text"] for f in figs]
    assert "SG02 Repeat child protection plans, 2024/25" in titles
    assert any(t.startswith("Where Worcestershire sits among") for t in titles)
    assert "SG02 Repeat child protection plans: last 5 years" in titles
    bars = figs[titles.index("SG02 Repeat child protection plans, 2024/25")]
    legend = {t.get("name") for t in bars["data"] if t.get("showlegend", True) is not False}
    assert {"Significantly worse", "Similar"} <= legend                # colour is named in words
    # compare areas, compared with region (SG02 has no groups across councils), over time, breakdowns
    assert len(seen.downloads) == 8 and seen.downloads.count("Download Excel") == 4


def test_explorer_compare_with_all_councils_and_another_period(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="SG02")
    at.radio(key="ex_group").set_value("all_councils").run()
    at.selectbox(key="ex_period").select("2020/21").run()
    assert not at.exception
    bars = figures(at)[0]
    areas = [y for t in bars["data"] if t["type"] == "bar" for y in t["y"]]
    assert len(areas) > 140
    assert "in 2020/21" in texts(at)


def test_explorer_source_indicator_with_breakdowns_and_years(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="fingertips:90284")
    assert not at.exception
    open_tab(at, "Over time")
    at.select_slider(key="ex_years").set_value(10).run()
    open_tab(at, "Breakdowns")
    at.selectbox(key="ex_bd_area").select("E92000001").run()
    assert not at.exception
    assert any(o.startswith("Deprivation decile of counties") for o in at.selectbox(key="ex_bd_type").options)
    at.selectbox(key="ex_bd_type").select(
        "fingertips:90284|county_ua_deprivation_deciles_in_england_imd2019_4_23_geography").run()
    assert not at.exception
    groups = next(d.value for d in at.dataframe if {"Group", "Breakdown"} <= set(d.value.columns))["Group"].tolist()
    assert groups[0] == "All children and young people" and groups[1].startswith("Most deprived")


def test_explorer_local_only_kpi(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="MH01")
    assert "No other area publishes this indicator" in texts(at)


def test_explorer_unknown_indicator_in_the_url_falls_back(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="<script>")
    assert at.selectbox(key="ex_indicator").value != "<script>"


def test_explorer_draws_only_the_open_tab_and_keeps_the_hidden_tabs_choices(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="SG02")
    keys = {w.key for w in at.selectbox} | {w.key for w in at.select_slider}
    assert "ex_period" in keys and "ex_years" not in keys and "ex_bd_area" not in keys    # only Compare areas
    assert [c.proto.id for c in at.get("plotly_chart")] and len(figures(at)) == 2      # its bars and its spine
    at.selectbox(key="ex_period").select("2020/21").run()
    open_tab(at, "Over time")
    assert not [s for s in at.selectbox if s.key == "ex_period"] and len(figures(at)) == 1
    at.select_slider(key="ex_years").set_value(10).run()
    open_tab(at, "Compare areas")
    assert at.selectbox(key="ex_period").value == "2020/21"             # kept while its tab was hidden
    assert "in 2020/21" in texts(at)
    open_tab(at, "Over time")
    assert at.select_slider(key="ex_years").value == 10


def test_explorer_opens_the_tab_named_in_the_address(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/explorer.py", indicator="SG02", view="Over time")
    assert at.select_slider(key="ex_years").value == 5
    assert not [s for s in at.selectbox if s.key == "ex_period"]
    assert "Worcestershire against its statistical neighbours" in texts(at)


def test_explorer_views_are_shared_and_a_choice_works_out_only_what_it_changes(demo_db, app_env, monkeypatch):
    from kpis.analysis import across_areas, charts, timeseries
    calls: dict[str, int] = {}

    def counted(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    for module, name in [(across_areas, "compare_areas"), (charts, "compare_figure"), (timeseries, "trends"),
                         (timeseries, "neighbour_comparison"), (charts, "trend_figure")]:
        counted(module, name)
    app_env(demo_db)
    open_page("app_pages/explorer.py", indicator="SG02")
    first = dict(calls)
    assert first == {"compare_areas": 1, "compare_figure": 1}
    at = open_page("app_pages/explorer.py", indicator="SG02")          # another reader: nothing worked out again
    assert calls == first
    at.radio(key="ex_group").set_value("all_councils").run()            # the comparison group picks rows only
    assert calls == {**first, "compare_figure": 2}
    open_tab(at, "Over time")
    assert calls == {**first, "compare_figure": 2, "trends": 1, "neighbour_comparison": 1, "trend_figure": 1}
    at.checkbox(key="ex_ci").uncheck().run()                            # the chart again, not the figures behind it
    assert (calls["trends"], calls["neighbour_comparison"], calls["trend_figure"]) == (1, 1, 2)
    at.checkbox(key="ex_each").check().run()                            # more lines: their values, not the table
    assert (calls["trends"], calls["neighbour_comparison"], calls["trend_figure"]) == (2, 1, 3)
    open_tab(at, "Compare areas")
    assert calls["compare_areas"] == 1 and calls["compare_figure"] == 2


# -- definitions --------------------------------------------------------------------------------------------
def test_definitions_page_lists_and_searches(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/definitions.py")
    table = at.dataframe[0].value
    assert "Id" not in table.columns and "Source id" not in table.columns        # no internal code on screen
    assert not table.astype(str).apply(lambda c: c.str.contains(r"\b(?:lait|fingertips|dfe_ees):")).any().any()
    names = table["Name"].tolist()
    assert any(n.startswith("SG02 ") for n in names) and "Good level of development" in " ".join(names)
    n = len(table)
    at.text_input(key="def_search").input("second or subsequent").run()
    hits = at.dataframe[0].value["Name"].tolist()
    assert any(h.startswith("SG02 ") for h in hits) and len(hits) < n
    at.radio(key="def_kind").set_value("Source indicator").run()
    assert not any(h.startswith("SG02 ") for h in at.dataframe[0].value["Name"].tolist())
    assert downloads(at) == ["Download CSV", "Download Excel"]
    at.radio(key="def_kind").set_value("Framework KPI").run()
    at.selectbox(key="def_one").select(next(o for o in at.selectbox(key="def_one").options
                                            if o.startswith("SG02: "))).run()
    details = at.table[0].value
    assert "Child protection plans starting in the period" in " ".join(details.iloc[:, 0].astype(str))


# -- data quality -----------------------------------------------------------------------------------------
def test_data_quality_page(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/data_quality.py")
    body = texts(at)
    for heading in ("Returns by quarter", "Unusual values", "Suppressed and not available", "Imports and skipped rows"):
        assert heading in body
    grid = at.dataframe[0].value
    assert grid.columns[0] == "Sub-group"
    assert "Missing" in grid.iloc[:, 1].tolist()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Missing"] == "1" and metrics["On time"] != "0"
    frames = [d.value for d in at.dataframe]
    assert any("Why rows were skipped" in f.columns for f in frames)
    assert len(downloads(at)) == 2


# -- SQL console ------------------------------------------------------------------------------------------
def result_table(at):
    """The query result: the first table (the views' column lists come after it, in the side column)."""
    return at.dataframe[0].value


def fingerprint(db) -> tuple:
    s = Store(db)
    try:
        return tuple(s.con.execute(f"SELECT count(*), sum(hash(t::VARCHAR)) FROM {t} t").fetchone()
                     for t in ("observations", "areas", "indicators", "batches", "audit_log"))
    finally:
        s.close()


def test_sql_console_runs_the_example_and_refuses_hostile_statements(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/sql.py")
    body = texts(at)
    assert "read-only snapshot" in body
    assert len(at.expander) >= 7                                     # the documented views
    at.button(key="sql_run").click().run()
    assert not at.exception and not at.error
    result = result_table(at)
    assert {"area_name", "period_label", "repeat_plans_pct"} <= set(result.columns)
    assert result["area_name"].nunique() == 11 and result["period_label"].nunique() == 5
    assert downloads(at) == ["Download CSV", "Download Excel"]
    for hostile, phrase in [("DROP TABLE observations", "DROP statement"),
                            ("SELECT * FROM read_csv('/etc/passwd')", "read or write a file"),
                            ("SELECT 1; DELETE FROM areas", "Only one statement"),
                            ("COPY observations TO '/tmp/stolen.csv'", "COPY statement")]:
        at.text_area(key="sql_query").input(hostile).run()
        at.button(key="sql_run").click().run()
        assert not at.exception
        assert phrase in at.error[0].value, hostile
        assert not downloads(at)
    st_cache_clear()
    before = fingerprint(readers_demo_db)
    assert before[0][0] > 20000


def st_cache_clear() -> None:
    import streamlit as st
    st.cache_resource.clear()


def test_sql_console_does_not_change_the_database(demo_db, app_env):
    before = fingerprint(demo_db)
    app_env(demo_db)
    at = open_page("app_pages/sql.py")
    for hostile in ("DELETE FROM observations", "UPDATE areas SET name = 'x'", "INSERT INTO areas VALUES ('x')",
                    "CREATE TABLE t AS SELECT 1", "ATTACH '/tmp/a.duckdb'", "SET threads = 1"):
        at.text_area(key="sql_query").input(hostile).run()
        at.button(key="sql_run").click().run()
        assert at.error, hostile
    st_cache_clear()
    assert fingerprint(demo_db) == before


def test_sql_console_example_picker(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/sql.py")
    index = next(i for i, o in enumerate(at.selectbox(key="sql_example").options) if "skipped" in o)
    at.selectbox(key="sql_example").select_index(index).run()
    assert "FROM submissions" in at.text_area(key="sql_query").value
    at.button(key="sql_run").click().run()
    assert not at.error and "rows_skipped" in result_table(at).columns


# -- every page on an empty database -------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_pages_on_an_empty_database(readers_empty_db, reader_env, page):
    reader_env(readers_empty_db)
    at = open_page(page)
    assert not at.exception


def test_sql_console_page_stops_a_memory_hungry_query_and_keeps_serving(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page("app_pages/sql.py")
    at.text_area(key="sql_query").input("SELECT list(range(300000000)) AS l").run()
    at.button(key="sql_run").click().run()
    assert not at.exception
    assert "needed more memory than the console allows" in at.error[0].value and not downloads(at)
    at.text_area(key="sql_query").input("PIVOT observations ON status USING count(*) GROUP BY area_type").run()
    at.button(key="sql_run").click().run()
    assert not at.exception and not at.error
    assert {"area_type", "published"} <= set(result_table(at).columns)
    st_cache_clear()


def test_wide_tables_fit_and_blanks_are_dashes(readers_demo_db, reader_env):
    """Issue 16: SQL results showed about 5 columns (in a side-by-side layout); definitions printed 'None'."""
    reader_env(readers_demo_db)
    at = open_page("app_pages/sql.py")
    at.text_area(key="sql_query").input("SELECT indicator_id, area_code, breakdown_type, breakdown_value, "
                                        "period_label, value, lower_ci, upper_ci, numerator, denominator, status "
                                        "FROM observations LIMIT 20").run()
    at.button(key="sql_run").click().run()
    grid = at.dataframe[0]
    columns = {k: v for k, v in json.loads(grid.proto.columns).items() if k != "_index"}   # the hidden index
    assert len(columns) == 11 and grid.proto.placeholder == "–"
    widths = [c["width"] for c in columns.values()]
    assert sum(widths[:9]) <= 906     # 9 of the 11 in the 906 px main area at 1366 px (5 were, beside the views)
    at = open_page("app_pages/definitions.py")
    details = at.table[0].value
    assert "None" not in details.to_string()
    names = at.dataframe[0]
    assert list(names.value.columns)[:2] == ["Name", "Kind"]              # the name first; no code on screen


def test_sql_downloads_are_written_on_click_from_the_result_with_the_database_free(demo_db, app_env, monkeypatch):
    """The Excel file of a large result took 166 s and 3.1 GB on every rerun, holding the database meanwhile.
    Now nothing is written during the page run; a click writes the file from the result already read, and
    it does so while another process holds the database (the page run has let it go)."""
    import io

    import openpyxl
    from streamlit.elements.widgets.button import ButtonMixin

    from kpis.core import exports
    from tests.support.locks import held_by_another_process
    written, given = [], {}
    for name in ("to_csv_bytes", "to_excel_bytes"):
        real = getattr(exports, name)
        monkeypatch.setattr(exports, name, lambda *a, _real=real, _name=name, **k: written.append(_name) or
                            _real(*a, **k))
    real_button = ButtonMixin.download_button

    def spy(self, label, data, *args, **kwargs):   # AppTest has no runtime to keep the callable: keep it here
        given[label] = data
        return real_button(self, label, data, *args, **kwargs)
    monkeypatch.setattr(ButtonMixin, "download_button", spy)
    app_env(demo_db)
    at = open_page("app_pages/sql.py")
    at.text_area(key="sql_query").input("SELECT indicator_id, round(value, 1)::DECIMAL(9, 1) AS value "
                                        "FROM observations WHERE value IS NOT NULL LIMIT 500").run()
    at.button(key="sql_run").click().run()
    assert not at.exception and not at.error and len(result_table(at)) == 500
    assert written == []                                            # not on the run
    assert set(given) == {"Download CSV", "Download Excel"} and all(map(callable, given.values()))
    st_cache_clear()
    with held_by_another_process(demo_db):                        # the click comes after the page run
        xlsx = given["Download Excel"]()
        csv = given["Download CSV"]()
    assert written == ["to_excel_bytes", "to_csv_bytes"]
    ws = openpyxl.load_workbook(io.BytesIO(xlsx))["Result"]
    assert ws.max_row == 501 and ws["B2"].data_type == "n" and isinstance(ws["B2"].value, float)  # DECIMAL
    assert csv.decode("utf-8-sig").count("\r\n") == 501


def test_sql_excel_download_is_offered_up_to_a_size(readers_demo_db, reader_env, monkeypatch):
    from kpis.analysis import sql_checks
    monkeypatch.setattr(sql_checks, "MAX_EXCEL_CELLS", 100)
    reader_env(readers_demo_db)
    at = open_page("app_pages/sql.py")
    at.text_area(key="sql_query").input("SELECT range AS n, range * 2 AS m FROM range(51)").run()
    at.button(key="sql_run").click().run()
    assert downloads(at) == ["Download CSV"]
    assert "102 cells" in texts(at) and "download the CSV" in texts(at)
