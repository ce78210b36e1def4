from datetime import datetime, timedelta

import duckdb
import pytest

from kpis.store import (SCHEMA_VERSION, Store, StoreError, audit, finish_batch, normalise_rows, observations_as_at,
                        start_batch, write_observations)

T0 = datetime(2025, 5, 1, 9, 0)


def row(value, **extra):
    base = dict(indicator_id="SG02", area_code="E10000034", period_label="2024/25 Q4", period_type="financial_quarter",
                period_start="2025-01-01", period_end="2025-03-31", value=value, numerator=None, denominator=None)
    base.update(extra)
    return base


def submit(store, rows, at):
    with store.transaction() as cur:
        bid = start_batch(cur, kind="submission", at=at, submitted_by="lead@example.org")
        counts = write_observations(cur, batch_id=bid, rows=rows, at=at)
        finish_batch(cur, bid, rows_read=len(rows), rows_imported=len(rows), counts=counts)
        audit(cur, actor="lead@example.org", action="submission", at=at, detail={"batch_id": bid})
    return bid, counts


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


def test_schema_is_migrated_once_and_reopens(tmp_path):
    s = Store(tmp_path / "m.duckdb")
    assert s.schema_version() == SCHEMA_VERSION
    s.close()
    s = Store(tmp_path / "m.duckdb")
    assert s.schema_version() == SCHEMA_VERSION
    assert s.scalar("SELECT count(*) FROM schema_migrations") == SCHEMA_VERSION
    s.close()


def test_versions_are_kept_and_current_view_shows_latest(store):
    _, c1 = submit(store, [row(20.0)], T0)
    _, c2 = submit(store, [row(20.0)], T0 + timedelta(days=1))
    _, c3 = submit(store, [row(22.5)], T0 + timedelta(days=2))
    assert c1 == {"new": 1, "changed": 0, "unchanged": 0}
    assert c2 == {"new": 0, "changed": 0, "unchanged": 1}
    assert c3 == {"new": 0, "changed": 1, "unchanged": 0}
    versions = store.df("SELECT value, version, valid_to FROM observations ORDER BY version")
    assert versions["value"].tolist() == [20.0, 22.5]
    assert versions["version"].tolist() == [1, 2]
    assert store.df("SELECT value FROM current_observations")["value"].tolist() == [22.5]
    # "as at" a moment between the two versions shows the first
    as_at = store.df(observations_as_at(T0 + timedelta(days=1)))
    assert as_at["value"].tolist() == [20.0]
    assert store.df(observations_as_at(T0 - timedelta(days=1))).empty


def test_a_failed_write_rolls_back_everything(store):
    submit(store, [row(20.0)], T0)
    before = store.df("SELECT * FROM observations ORDER BY obs_id")
    batches = store.scalar("SELECT count(*) FROM batches")
    with pytest.raises(RuntimeError, match="power cut"):
        with store.transaction() as cur:
            bid = start_batch(cur, kind="submission", at=T0 + timedelta(days=1))
            write_observations(cur, batch_id=bid, rows=[row(99.0), row(5.0, period_label="2025/26 Q1",
                               period_start="2025-04-01", period_end="2025-06-30")], at=T0 + timedelta(days=1))
            raise RuntimeError("power cut half-way")
    after = store.df("SELECT * FROM observations ORDER BY obs_id")
    assert after.equals(before)
    assert store.scalar("SELECT count(*) FROM batches") == batches


def test_a_constraint_failure_inside_sql_rolls_back(store):
    with pytest.raises(duckdb.Error):
        with store.transaction() as cur:
            start_batch(cur, kind="import", at=T0)
            cur.execute("INSERT INTO areas (area_code, name, area_type) VALUES ('E1', NULL, 'x')")
    assert store.scalar("SELECT count(*) FROM batches") == 0


def test_statuses_are_stored_not_turned_into_zero(store):
    submit(store, [row(None, status="suppressed", status_note="<5")], T0)
    got = store.df("SELECT value, status, status_note FROM current_observations").iloc[0]
    assert got["status"] == "suppressed" and got["status_note"] == "<5"
    assert got["value"] != got["value"]  # NaN: no number stored


def test_bad_rows_are_refused_before_writing():
    with pytest.raises(ValueError, match="Unknown status"):
        normalise_rows([row(1.0, status="maybe")])
    with pytest.raises(ValueError, match="share a key"):
        normalise_rows([row(1.0), row(2.0)])


def test_read_only_store_refuses_writes_and_missing_file_is_explained(tmp_path):
    Store(tmp_path / "r.duckdb").close()
    ro = Store(tmp_path / "r.duckdb", read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        with ro.transaction():
            pass
    ro.close()
    with pytest.raises(StoreError, match="init --demo"):
        Store(tmp_path / "missing.duckdb", read_only=True)
