from datetime import datetime, timedelta

import duckdb
import pytest

from kpis.store.audit import audit
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store, StoreError
from kpis.store.observations import observations_as_at, write_observations
from kpis.store.schema import SCHEMA_VERSION

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
    with pytest.raises(RuntimeError, match="power cut"), store.transaction() as cur:
        bid = start_batch(cur, kind="submission", at=T0 + timedelta(days=1))
        write_observations(cur, batch_id=bid, rows=[row(99.0), row(5.0, period_label="2025/26 Q1",
                           period_start="2025-04-01", period_end="2025-06-30")], at=T0 + timedelta(days=1))
        raise RuntimeError("power cut half-way")
    after = store.df("SELECT * FROM observations ORDER BY obs_id")
    assert after.equals(before)
    assert store.scalar("SELECT count(*) FROM batches") == batches


def test_a_constraint_failure_inside_sql_rolls_back(store):
    with pytest.raises(duckdb.Error), store.transaction() as cur:
        start_batch(cur, kind="import", at=T0)
        cur.execute("INSERT INTO areas (area_code, name, area_type) VALUES ('E1', NULL, 'x')")
    assert store.scalar("SELECT count(*) FROM batches") == 0


def test_statuses_are_stored_not_turned_into_zero(store):
    submit(store, [row(None, status="suppressed", status_note="<5")], T0)
    got = store.df("SELECT value, status, status_note FROM current_observations").iloc[0]
    assert got["status"] == "suppressed" and got["status_note"] == "<5"
    assert got["value"] != got["value"]  # NaN: no number stored


def test_bad_rows_are_refused_before_writing(store):
    with pytest.raises(ValueError, match="Unknown status"):
        submit(store, [row(1.0, status="maybe")], T0)
    with pytest.raises(ValueError, match="share a key"):
        submit(store, [row(1.0), row(2.0)], T0)
    assert store.scalar("SELECT count(*) FROM observations") == 0


def test_read_only_store_refuses_writes_and_missing_file_is_explained(tmp_path):
    Store(tmp_path / "r.duckdb").close()
    ro = Store(tmp_path / "r.duckdb", read_only=True)
    with pytest.raises(StoreError, match="read-only"), ro.transaction():
        pass
    ro.close()
    with pytest.raises(StoreError, match="init --demo"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def version_2_database(path) -> duckdb.DuckDBPyConnection:
    """A database as version 2 made it (observations with an id index), open, with one batch."""
    from kpis.store.schema import MIGRATIONS
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    for version, name, sql in MIGRATIONS[:2]:
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, T0])
    con.execute("INSERT INTO batches (kind, submitted_at) VALUES ('submission', ?)", [T0])
    return con


SHAPE = {
    "columns": "SELECT table_name, column_index, column_name, data_type, column_default, is_nullable "
               "FROM duckdb_columns() WHERE NOT internal ORDER BY ALL",
    "constraints": "SELECT table_name, constraint_type, constraint_text, constraint_column_names "
                   "FROM duckdb_constraints() ORDER BY ALL",
    "indexes": "SELECT table_name, index_name, sql FROM duckdb_indexes() ORDER BY ALL",
    "sequences": "SELECT sequence_name FROM duckdb_sequences() ORDER BY ALL",
    "views": "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
}


def test_a_migrated_database_has_the_shape_of_a_new_one(tmp_path):
    """Every column (type, default, NOT NULL), constraint, index, sequence and view: observations with no index
    to keep up to date on import, in a database migrated from version 2 as in one made now."""
    version_2_database(tmp_path / "old.duckdb").close()
    shapes = []
    for name in ("old.duckdb", "new.duckdb"):
        s = Store(tmp_path / name)
        try:
            shapes.append({k: s.con.execute(sql).fetchall() for k, sql in SHAPE.items()})
        finally:
            s.close()
    old, new = shapes
    assert old == new
    assert not [i for i in new["indexes"] if i[0] == "observations"]
    assert not [c for c in new["constraints"] if c[0] == "observations" and c[1] != "NOT NULL"]


def test_a_version_2_database_is_migrated_with_every_value_and_ids_stay_unique(tmp_path):
    """Migration 3 rebuilds observations without the id index; nothing is lost and new ids follow on."""
    path = tmp_path / "v2.duckdb"
    con = version_2_database(path)
    for period, value in (("2024/25 Q3", 18.0), ("2024/25 Q4", 20.0)):  # ids from the old sequence: 1, 2
        con.execute("INSERT INTO observations (indicator_id, area_code, period_label, period_type, period_start, "
                    "period_end, value, batch_id, version, valid_from) VALUES ('SG02', 'E10000034', ?, "
                    "'financial_quarter', DATE '2025-01-01', DATE '2025-03-31', ?, 1, 1, ?)", [period, value, T0])
    before = con.execute("SELECT * FROM observations ORDER BY obs_id").fetchall()
    con.close()

    s = Store(path)
    try:
        assert s.schema_version() == SCHEMA_VERSION >= 3
        assert s.con.execute("SELECT * FROM observations ORDER BY obs_id").fetchall() == before
        assert s.scalar("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'observations'") == 0
        _, counts = submit(s, [row(20.0), row(21.0, period_label="2025/26 Q1")], T0 + timedelta(days=1))
        _, changed = submit(s, [row(25.0)], T0 + timedelta(days=2))
        assert counts == {"new": 1, "changed": 0, "unchanged": 1}
        assert changed == {"new": 0, "changed": 1, "unchanged": 0}
        ids = [r[0] for r in s.con.execute("SELECT obs_id FROM observations ORDER BY obs_id").fetchall()]
        assert len(ids) == len(set(ids)) == 4
        assert min(ids[2:]) > 2  # new values follow the migrated ones
        assert s.df("SELECT value FROM current_observations ORDER BY period_label")["value"].tolist() == [18.0, 25.0,
                                                                                                         21.0]
    finally:
        s.close()


def test_a_session_can_let_go_of_the_file_for_slow_work_and_read_again_after(tmp_path):
    from kpis.store.database import Store
    from tests.support.locks import free_for_another_process
    path = tmp_path / "released.duckdb"
    store = Store(path, hold=False)
    with store.session():
        assert store.scalar("SELECT 1") == 1
        assert not free_for_another_process(path)
        with store.released():
            assert free_for_another_process(path)      # a backup could run now
            assert store.scalar("SELECT 2") == 2       # a read in the body opens it for itself, and closes it
            assert free_for_another_process(path)
        assert store.scalar("SELECT 3") == 3           # the session reads again after
        assert not free_for_another_process(path)      # and holds the file until it ends
    assert free_for_another_process(path)
    with store.released():                             # outside a session: nothing to let go of
        assert store.scalar("SELECT 4") == 4
