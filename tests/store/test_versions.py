"""The cheap version keys the app caches views on (issue 25): each changes whenever what it stands for does,
without new data, and stays put otherwise."""
from __future__ import annotations

from datetime import date, datetime

from kpis.store.governance import delete_meeting, insert_meeting, meeting_records_version, write_record
from kpis.store.rebases import close_rebase, insert_rebase, rebases_version

AT = datetime(2026, 3, 1, 10)


def test_the_rebases_version_changes_when_a_rebase_is_recorded_or_removed(store):
    versions = [rebases_version(store)]
    with store.transaction() as cur:
        rebase_id = insert_rebase(cur, kpi_id="SG02", rebase_date=date(2025, 4, 1), reason="New definition",
                                  recorded_by="admin@example.org", at=AT)
    versions.append(rebases_version(store))
    assert rebases_version(store) == versions[-1]          # read again, nothing changed: the same key
    with store.transaction() as cur:
        close_rebase(cur, rebase_id=rebase_id, removed_by="admin@example.org", reason="Recorded in error", at=AT)
    versions.append(rebases_version(store))
    assert len(set(versions)) == 3


def test_the_meeting_records_version_changes_with_meetings_and_their_decisions_and_actions(store):
    versions = [meeting_records_version(store)]
    with store.transaction() as cur:
        insert_meeting(cur, date(2026, 3, 11), "Board")
    versions.append(meeting_records_version(store))
    with store.transaction() as cur:
        record_id, _ = write_record(cur, "item", meeting_date=date(2026, 3, 11), actor="lead@example.org", at=AT,
                                    values={"kind": "action", "text": "Review the audit", "status": "open",
                                            "published": False})
    versions.append(meeting_records_version(store))
    with store.transaction() as cur:   # an edit at the same moment still adds a version
        write_record(cur, "item", meeting_date=date(2026, 3, 11), actor="lead@example.org", at=AT,
                     record_id=record_id, values={"status": "done"})
    versions.append(meeting_records_version(store))
    assert meeting_records_version(store) == versions[-1]
    with store.transaction() as cur:   # a meeting moved: one deleted, another added
        delete_meeting(cur, date(2026, 3, 11))
        insert_meeting(cur, date(2026, 3, 18), "Board")
    versions.append(meeting_records_version(store))
    assert len(set(versions)) == 5
