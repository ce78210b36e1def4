"""The store's named queries, each against a fresh database: what other packages call instead of writing SQL."""
from datetime import date, datetime, timedelta

import pytest

from kpis.store import accounts, governance
from kpis.store.audit import audit, audit_log_entries
from kpis.store.batches import finish_batch, imported_sources, start_batch, store_raw_file
from kpis.store.database import Store
from kpis.store.observations import (
    count_current_values,
    current_figures_of_periods,
    last_recorded_at,
    write_observations,
)
from kpis.store.returns import batch_period_label, duplicate_batch_id, first_submissions, raw_file
from kpis.store.settings import setting
from kpis.store.versions import changed_value_versions, revised_figures

T0 = datetime(2025, 5, 1, 9, 0)
AREA = "E10000034"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "q.duckdb") as s:
        yield s


def _row(value, period="2024/25 Q4", end="2025-03-31"):
    return dict(indicator_id="SG02", area_code=AREA, period_label=period, period_type="financial_quarter",
                period_start="2025-01-01", period_end=end, value=value)


def _submit(store, rows, at, *, digest="abc", kind="submission", source=None):
    with store.transaction() as cur:
        bid = start_batch(cur, kind=kind, at=at, source=source, submitted_by="lead@example.org",
                          outcome_area="safeguarding", period_label="2024/25 Q4", file_name="q4.xlsx", sha256=digest)
        counts = write_observations(cur, batch_id=bid, rows=rows, at=at)
        if kind == "submission":
            store_raw_file(cur, batch_id=bid, raw_name=f"return-{bid}", file_name="q4.xlsx", sha256=digest,
                           content=b"bytes")
        finish_batch(cur, bid, rows_read=len(rows), rows_imported=len(rows), counts=counts)
    return bid


def test_accounts_count_claim_lock_and_delete(store):
    with store.transaction() as cur:
        accounts.insert_user(cur, email="admin@example.org", role="admin", areas=[], password_hash="h", at=T0,
                             created_by=None)
        accounts.insert_user(cur, email="lead@example.org", role="lead", areas=["safeguarding"],
                             password_hash=None, at=T0, created_by="admin@example.org")
    assert (accounts.count_users(store), accounts.count_admins(store), accounts.count_non_admins(store)) == (2, 1, 1)
    assert accounts.user_by_email(store, "lead@example.org").to_dict("records")[0]["areas"] == ["safeguarding"]
    assert accounts.users_table(store, T0)["email"].to_list() == ["admin@example.org", "lead@example.org"]
    with store.transaction() as cur:
        assert accounts.claim_sign_in_attempt(cur, "admin@example.org", T0)[:2] == ("h", 1)
        assert accounts.claim_sign_in_attempt(cur, "admin@example.org", T0)[1] == 2
        assert accounts.claim_sign_in_attempt(cur, "nobody@example.org", T0) is None
        accounts.lock_user(cur, "admin@example.org", T0 + timedelta(minutes=15))
        _hash, attempts, until = accounts.claim_sign_in_attempt(cur, "admin@example.org", T0)
    assert attempts == 0 and until == T0 + timedelta(minutes=15)   # a locked account's attempts are not counted
    assert bool(accounts.users_table(store, T0).set_index("email").at["admin@example.org", "locked"])
    with store.transaction() as cur:
        accounts.record_password_sign_in(cur, "admin@example.org", T0, new_hash="h2")
        accounts.delete_user(cur, "lead@example.org")
    assert accounts.claim_sign_in_attempt(store.cursor(), "admin@example.org", T0)[:2] == ("h2", 1)
    assert accounts.count_users(store) == 1


def test_audit_entries_are_filtered_and_newest_first(store):
    with store.transaction() as cur:
        audit(cur, actor="Admin@example.org", action="user_added", at=T0)
        audit(cur, actor="lead@example.org", action="sign_in", at=T0 + timedelta(hours=1))
        audit(cur, actor=None, action="sign_in", at=T0 + timedelta(hours=2))
    assert audit_log_entries(store)["action"].to_list() == ["sign_in", "sign_in", "user_added"]
    assert audit_log_entries(store, actions=["sign_in"], actor_contains="lead")["actor"].to_list() == [
        "lead@example.org"]
    assert audit_log_entries(store, actor_contains="admin")["action"].to_list() == ["user_added"]
    assert len(audit_log_entries(store, since=T0 + timedelta(minutes=30), limit=1)) == 1


def test_meeting_dates_are_added_read_in_order_and_removed(store):
    with store.transaction() as cur:
        governance.insert_meeting(cur, date(2025, 12, 9), "Partnership board")
        governance.insert_meeting(cur, date(2025, 9, 9), "Partnership board")
    assert governance.meeting_dates(store) == [date(2025, 9, 9), date(2025, 12, 9)]
    with store.transaction() as cur:
        governance.delete_meeting(cur, date(2025, 9, 9))
    assert governance.meeting_dates(store) == [date(2025, 12, 9)]
    assert setting(store, "demo") is None


def test_submissions_and_versions_are_read_back(store):
    first = _submit(store, [_row(10.0)], T0, digest="one")
    second = _submit(store, [_row(12.0)], T0 + timedelta(days=1), digest="two")
    _submit(store, [_row(5.0, "2024/25 Q3", "2024-12-31")], T0 + timedelta(days=2), kind="import", source="DfE")
    assert duplicate_batch_id(store, "safeguarding", "two") == second
    assert duplicate_batch_id(store.cursor(), "safeguarding", "one") == first
    assert duplicate_batch_id(store, "safeguarding", "three") is None
    assert batch_period_label(store, first) == "2024/25 Q4"
    assert raw_file(store, first) == ("q4.xlsx", b"bytes")
    assert raw_file(store, 999) is None
    assert first_submissions(store, T0 + timedelta(days=5)).to_dict("records") == [
        {"outcome_area": "safeguarding", "period_label": "2024/25 Q4", "first_at": T0}]
    assert imported_sources(store)["source"].to_list() == ["DfE"]
    assert count_current_values(store) == 2
    assert last_recorded_at(store, T0 + timedelta(hours=1)) == T0
    assert current_figures_of_periods(store, AREA, ["2024/25 Q4"], ["SG02"])["value"].to_list() == [12.0]
    revised = revised_figures(store, since=T0, until=T0 + timedelta(days=5), area_codes=(AREA, "E92000001"),
                              indicator_ids=["SG02"])
    assert revised[["old_value", "new_value"]].to_dict("records") == [{"old_value": 10.0, "new_value": 12.0}]
    versions = changed_value_versions(store, ["SG02"], (AREA, "E92000001"))
    assert versions["value"].to_list() == [10.0, 12.0] and versions["version"].to_list() == [1, 2]
