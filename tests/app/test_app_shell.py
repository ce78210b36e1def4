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


def test_home_on_empty_database(tmp_path, app_env):
    db = tmp_path / "empty.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    app_env(db)
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
