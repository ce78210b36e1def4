"""AppTest: an administrator records an SPC rebase on the Users and audit page; the KPI page then restarts the
limits there, says why in words, and its table names each point's limit period (issue 21)."""
from __future__ import annotations

import warnings
from datetime import date

from streamlit.testing.v1 import AppTest

from app_pages._auth import SESSION_KEY
from app_pages._common import store as app_store
from kpis.access.audit import audit_entries
from tests.app.test_pages_roles import app, button, session, texts
from tests.conftest import ROOT

warnings.filterwarnings("ignore", category=DeprecationWarning)
REASON = "Repeat plans counted within 2 years, the new national definition"


def test_an_administrator_records_a_rebase_and_the_kpi_page_restarts_its_limits(accounts_db, app_env):
    at = app(accounts_db, app_env, "admin")
    at.switch_page("app_pages/admin.py").run()
    assert "No KPI has a rebase" in texts(at)
    at.selectbox(key="rebase_kpi").select("SG02")
    at.date_input(key="rebase_date").set_value(date(2025, 4, 1))
    at.text_area(key="rebase_reason").input(REASON)
    button(at, "Record rebase").click().run()
    assert not at.exception, at.exception
    assert "Recorded a rebase of SG02 on 1 April 2025." in [s.value for s in at.success]
    in_force = next(d.value for d in at.dataframe if "Reason" in d.value.columns and "Recorded" in d.value.columns)
    assert list(in_force["Reason"]) == [REASON] and in_force["Date"].iloc[0] == "1 April 2025"
    log = audit_entries(app_store(), actions=["rebase_added"])
    assert len(log) == 1 and "SG02" in log["detail"].iloc[0]

    at.switch_page("app_pages/kpi.py")
    at.query_params["kpi"] = "SG02"
    at.run()
    assert not at.exception, at.exception
    assert f"The limits restart at June 2025:** {REASON} (recorded by an administrator)" in texts(at)
    table = next(t.value for t in at.table if "Limit period" in t.value.columns).map(lambda c: c.replace("\\", ""))
    assert table["Limit period"].iloc[-1].startswith("Jun 2025 to ")
    assert table["Limit period"].iloc[-1].endswith(f"(limits restarted: {REASON})")
    assert table["Limit period"].iloc[0].startswith("Jun 2023 to Mar 2025")


def test_a_viewer_cannot_record_a_rebase_even_running_the_admin_page_on_its_own(readers_accounts_db, reader_env):
    reader_env(readers_accounts_db)
    for role in ("viewer", "analyst"):
        at = AppTest.from_file(str(ROOT / "app_pages" / "admin.py"), default_timeout=60)
        at.session_state[SESSION_KEY] = session(role)
        at.run()
        assert "this page is not open to that role" in at.error[0].value
        assert not at.date_input and not at.text_area and "Record rebase" not in [b.label for b in at.button]
    assert app_store().scalar("SELECT count(*) FROM rebases") == 0


def sg02_variation(at) -> str:
    at.switch_page("app_pages/scorecard.py").run()
    assert not at.exception, at.exception
    (card,) = at.table
    return card.value.loc[next(i for i in card.value.index if "**SG02**" in i), "Variation"].replace("\\", "")


def test_a_rebase_changes_the_scorecard_verdict_at_once_without_new_data(accounts_db, app_env):
    """The scorecard is kept for every reader per data version; a rebase brings no new data, and the verdict
    it changes shows at once all the same."""
    at = app(accounts_db, app_env, "admin")
    assert sg02_variation(at).endswith("No signal")   # seen once: the scorecard is now kept for every reader
    at.switch_page("app_pages/admin.py").run()
    at.selectbox(key="rebase_kpi").select("SG02")
    at.date_input(key="rebase_date").set_value(date(2025, 4, 1))
    at.text_area(key="rebase_reason").input(REASON)
    button(at, "Record rebase").click().run()
    assert not at.exception, at.exception
    assert sg02_variation(at).endswith("No signal (trial)")
