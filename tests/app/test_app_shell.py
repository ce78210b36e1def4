"""AppTest of the shell and the home page, on the demo database and on an empty one."""
from streamlit.testing.v1 import AppTest

from kpis.cli.main import main
from tests.conftest import ROOT
from tests.support.apptest import texts


def test_home_on_demo_database(demo_db, app_env):
    app_env(demo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()
    assert not at.exception, at.exception
    body = texts(at)
    assert "Worcestershire Children and Young People's Strategic Partnership" in body
    for area in ("Early help", "Emotional wellbeing and mental health", "SEND", "Safeguarding"):
        assert area in [s.value for s in at.header]  # h2 under the page's h1 (WCAG 1.3.1)
    assert "Demo data" in body                     # the notice on the page
    assert "Data as at" in body                    # the sidebar
    tables = [t.value for t in at.table]
    assert len(tables) == 4
    ids = " ".join(" ".join(map(str, t.index)) for t in tables)
    for kpi in ("EH01", "EH04", "MH02", "SD04", "SG02", "SG03"):
        assert kpi in ids
    safeguarding = tables[3]
    sg02 = safeguarding.loc[next(i for i in safeguarding.index if i.startswith("SG02"))]
    assert sg02["Latest period"] == "2026/27 Q2"
    assert sg02["Latest value"].endswith("(demo)")
    assert "24.5%" in sg02["Compared with England"]   # DfE: England 2024/25, 24.5%


def test_home_on_empty_database(readers_empty_db, reader_env):
    reader_env(readers_empty_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()
    assert not at.exception, at.exception
    body = texts(at)
    assert "no figures in the database yet" in body
    assert "Demo data" not in body
    assert "No data loaded yet" in body


def test_app_creates_schema_when_database_is_missing(tmp_path, app_env):
    app_env(tmp_path / "new.duckdb")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()
    assert not at.exception, at.exception
    assert "no figures in the database yet" in texts(at)


def test_the_sidebar_and_notice_follow_new_figures_reading_them_once_per_data_version(tmp_path, app_env,
                                                                                      monkeypatch):
    from datetime import datetime

    from kpis.store.database import Store
    from tests.support.board import obs, submit

    db = tmp_path / "empty.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    app_env(db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()
    assert "No data loaded yet" in texts(at) and "Demo data" not in texts(at)
    store = Store(db, hold=False)
    submit(store, [{**obs("SG02", "2024/25 Q1", 20.0), "is_demo": True}], datetime(2026, 1, 5, 9))
    store.close()

    asked = []
    scalar = Store.scalar
    monkeypatch.setattr(Store, "scalar", lambda self, sql, params=None: asked.append(sql) or scalar(self, sql, params))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()   # new figures: shown at once
    assert not at.exception, at.exception
    assert "Data as at 5 January 2026" in texts(at) and "Demo data" in texts(at)
    assert any("FROM observations" in sql for sql in asked)
    asked.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()   # another visitor, same figures
    assert "Data as at 5 January 2026" in texts(at) and "Demo data" in texts(at)
    assert not [sql for sql in asked if "FROM observations" in sql]             # read once for this data version


def test_the_overview_is_worked_out_once_per_data_version(demo_db, app_env, monkeypatch):
    app_env(demo_db)
    first = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()
    assert not first.exception, first.exception

    def again(row):
        raise AssertionError("the Overview was worked out again for the same figures")

    monkeypatch.setattr("app_pages._home_view.variation_cell", again)
    second = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=30).run()   # another reader
    assert not second.exception, second.exception
    assert len(first.table) == len(second.table) == 4
    assert all(a.value.equals(b.value) for a, b in zip(first.table, second.table, strict=True))


def test_installed_components_are_looked_for_once_per_process(monkeypatch):
    """tests/conftest.py: Streamlit's search of the installed packages for components is made once per process
    (tests.support.apptest.scan_components_once), not again by every AppTest, and gives what a fresh search gives."""
    import importlib.metadata

    from streamlit.components.v2 import manifest_scanner

    script = "import streamlit as st\nst.write('hello')"
    first = AppTest.from_string(script).run()
    searched = []
    distributions = importlib.metadata.distributions
    monkeypatch.setattr(importlib.metadata, "distributions", lambda **kw: searched.append(kw) or distributions(**kw))
    second = AppTest.from_string(script).run()
    assert not first.exception and not second.exception
    assert searched == []                                              # the second AppTest searched nothing
    assert second._bidi_component_manager is not first._bidi_component_manager
    monkeypatch.undo()
    assert manifest_scanner.scan_component_manifests() == manifest_scanner.scan_component_manifests.fresh()
