"""Meeting dates and the audit log: administrators only, every change logged with who and when."""
from datetime import date, datetime

import pytest

from kpis.access.audit import audit_entries
from kpis.access.permissions import Actor, PermissionDenied
from kpis.board.meetings import add_meeting, remove_meeting
from kpis.board.scorecard import meetings
from kpis.store.database import Store

ADMIN = Actor("admin@example.org", "admin")
ANALYST = Actor("analyst@example.org", "analyst")
AT = datetime(2026, 1, 5, 10, 0)


def test_only_admins_change_meeting_dates_and_each_change_is_audited(store):
    with pytest.raises(PermissionDenied, match=r"analyst@example.org"):
        add_meeting(store, actor=ANALYST, meeting_date=date(2026, 3, 11))
    add_meeting(store, actor=ADMIN, meeting_date=date(2026, 3, 11), title="  ", at=AT)
    assert meetings(store) == [date(2026, 3, 11)]
    assert store.scalar("SELECT title FROM meetings") == "Partnership board"
    with pytest.raises(ValueError, match="already a meeting date"):
        add_meeting(store, actor=ADMIN, meeting_date=date(2026, 3, 11))
    with pytest.raises(PermissionDenied):
        remove_meeting(store, actor=ANALYST, meeting_date=date(2026, 3, 11))
    remove_meeting(store, actor=ADMIN, meeting_date=date(2026, 3, 11), at=AT)
    with pytest.raises(ValueError, match="not a meeting date"):
        remove_meeting(store, actor=ADMIN, meeting_date=date(2026, 3, 11))
    log = audit_entries(store)
    assert list(log["what"]) == ["Meeting date removed", "Meeting date added"]
    assert set(log["actor"]) == {"admin@example.org"} and "2026-03-11" in log["detail"].iloc[0]


def test_the_audit_log_filters_by_kind_and_person(store):
    add_meeting(store, actor=ADMIN, meeting_date=date(2026, 6, 10), at=AT)
    with store.transaction() as cur:
        cur.execute("INSERT INTO audit_log (logged_at, actor, action, detail) VALUES (?, 'x@y.org', 'sign_in', '{}')",
                    [AT])
    assert list(audit_entries(store, actions=["sign_in"])["actor"]) == ["x@y.org"]
    assert list(audit_entries(store, actor="ADMIN@")["action"]) == ["meeting_added"]
    assert audit_entries(store, since=datetime(2027, 1, 1)).empty


def test_loading_the_framework_is_audited_once_per_change(tmp_path):
    from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
    from kpis.setup.bootstrap import register_framework
    store = Store(tmp_path / "f.duckdb")
    register_framework(store, load_framework())
    register_framework(store, load_framework())
    assert len(audit_entries(store, actions=["framework"])) == 1
    changed = tmp_path / "fw.toml"
    changed.write_text(DEFAULT_FRAMEWORK.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    register_framework(store, load_framework(changed))
    log = audit_entries(store, actions=["framework"])
    assert len(log) == 2 and '"changed": true' in log.iloc[0]["detail"]
    store.close()
