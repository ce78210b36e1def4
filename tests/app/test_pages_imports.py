"""AppTest of the Admin imports page on a copy of the demo database."""
from __future__ import annotations

import warnings

from streamlit.testing.v1 import AppTest

from kpis.published.importer import REFERENCE_FILES, RELATED_FILES
from kpis.store.database import Store
from tests.conftest import ROOT
from tests.support.apptest import ok, texts

warnings.filterwarnings("ignore", category=DeprecationWarning)
FIXTURES = ROOT / "tests" / "fixtures" / "benchmarks"
TIMEOUT = 60


def open_page() -> AppTest:
    return ok(AppTest.from_file(str(ROOT / "app_pages" / "imports.py"), default_timeout=TIMEOUT).run())


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    at = ok(at.file_uploader(key="imports_file").set_value((name, data, mime)).run())
    return ok(at.button(key="imports_run").click().run())


def imports_in(db) -> int:
    store = Store(db)  # the app's own connection may be open in this process: the same (read-write) settings
    try:
        return int(store.scalar("SELECT count(*) FROM batches WHERE kind = 'import'"))
    finally:
        store.close()


# The demo imports each shipped reference file, and (since the England comparisons of issue 14) the extracts
# of national measures related to KPIs, and (issue 23) the further LAIT measures Blackpool's KPIs use: 7 + 2.
DEMO_IMPORTS = len(REFERENCE_FILES) + len(RELATED_FILES)
assert DEMO_IMPORTS == 9


def test_page_lists_past_imports(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_page()
    assert at.title[0].value == "Import published figures"
    assert at.button(key="imports_run").disabled  # nothing chosen yet
    history = at.dataframe[-1].value
    assert len(history) == imports_in(readers_demo_db) == DEMO_IMPORTS
    assert "d3_cpps_subsequent_plan_2013_to_2025.csv" in set(history["File"])
    assert list(history.columns) == ["Batch", "Received (UTC)", "Source", "File", "Rows", "Values"]   # fits 1366 px
    assert "Past imports" in texts(at)


def test_upload_a_fingertips_file_shows_the_summary(demo_db, app_env):
    app_env(demo_db)
    at = upload(open_page(), "fingertips_27col.csv", (FIXTURES / "fingertips_27col.csv").read_bytes())
    words = texts(at)
    assert "Imported fingertips_27col.csv" in words and "13 of 16 rows; 3 skipped" in words
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Rows read": "16", "Rows imported": "13", "Rows skipped": "3"}
    reasons = at.dataframe[0].value
    assert reasons.to_dict("records") == [{"Reason": "duplicate of an earlier row", "Rows": 3}]
    history = at.dataframe[-1].value
    assert history.iloc[0]["File"] == "fingertips_27col.csv"
    assert history.iloc[0]["Rows"] == "16 read; 13 imported; 3 skipped"
    assert ", by open demo mode" in history.iloc[0]["Received (UTC)"]
    assert imports_in(demo_db) == DEMO_IMPORTS + 1


def test_upload_a_tidy_file_lists_skip_reasons(demo_db, app_env):
    app_env(demo_db)
    at = upload(open_page(), "tidy_obese_reception.csv", (FIXTURES / "tidy_obese_reception.csv").read_bytes())
    reasons = at.dataframe[0].value.to_dict("records")
    assert reasons == [{"Reason": "period not understood: '2020/21 - 24/25'", "Rows": 5}]


def test_an_unexpected_symbol_is_shown_in_what_the_import_noticed(demo_db, app_env):
    app_env(demo_db)
    name = "dfe_c1_referrals_k.csv"
    data = (ROOT / "tests" / "fixtures" / "imports" / name).read_bytes().replace(b",k,", b",?,")  # k is DfE's own
    at = upload(open_page(), "c1_symbol.csv", data)
    assert "What the import noticed" in texts(at)
    notes = " ".join(m.value for m in at.markdown)  # a list, each note whole
    assert "- column rereferral_percent: unexpected symbol(s) '?' (1 cell), not a number and not a published " \
           "marker; stored as 'not available' with the symbol as the status note" in notes


def test_an_unrecognised_file_is_refused_in_plain_words(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = upload(open_page(), "budget.csv", b"Service,Budget,Spend\nEarly help,100,95\n")
    assert at.error and "budget.csv is not in a format this tool recognises" in at.error[0].value
    assert not at.metric
    assert imports_in(readers_demo_db) == DEMO_IMPORTS


def test_only_administrators_may_import_once_accounts_exist(demo_db, app_env):
    from kpis.access.accounts import add_user
    from kpis.access.permissions import command_line_actor
    store = Store(demo_db)
    try:
        add_user(store, actor=command_line_actor(), email="admin@example.org", role="admin", password="x" * 16)
    finally:
        store.close()
    app_env(demo_db)
    at = open_page()  # nobody signed in
    assert at.error and "Please sign in to see this page." in at.error[0].value
    assert not at.file_uploader
