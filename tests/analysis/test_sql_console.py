"""The read-only SQL console: hostile statements are refused with a clear message and change nothing."""
import json
from pathlib import Path

import duckdb
import pytest

from kpis.analysis import sql_console as console
from kpis.cli.main import main
from kpis.store.database import Store, finish_batch, now, start_batch, write_observations


@pytest.fixture
def small_db(tmp_path) -> Path:
    """A store with a few real rows, made by the store's own write path."""
    path = tmp_path / "small.duckdb"
    store = Store(path)
    with store.transaction() as cur:
        cur.execute("INSERT INTO areas VALUES ('E10000034', '885', 'Worcestershire', 'county_ua', 'E12000005', "
                    "'West Midlands', NULL, NULL, NULL), ('E92000001', '970', 'England', 'country', NULL, NULL, "
                    "NULL, NULL, NULL)")
        cur.execute("INSERT INTO indicators (indicator_id, source, source_code, name, unit, polarity) VALUES "
                    "('SG02', 'framework', 'SG02', 'Repeat child protection plans', 'percentage', 'lower_is_better')")
        batch = start_batch(cur, kind="import", at=now(), source="test")
        rows = [dict(indicator_id="SG02", area_code=code, period_label="2024/25", period_type="financial_year",
                     period_start="2024-04-01", period_end="2025-03-31", value=value, numerator=num, denominator=den)
                for code, value, num, den in (("E10000034", 31.4, 223, 711), ("E92000001", 24.5, 15130, 61840))]
        rows.append(dict(indicator_id="SG02", area_code="E10000034", breakdown_type="age_band", breakdown_value="0-4",
                         period_label="2024/25", period_type="financial_year", period_start="2024-04-01",
                         period_end="2025-03-31", value=None, numerator=3, denominator=40, status="suppressed"))
        write_observations(cur, batch_id=batch, rows=rows, at=now())
        finish_batch(cur, batch, rows_read=3, rows_imported=3)
    store.checkpoint()
    store.close()
    return path


@pytest.fixture
def store(small_db):
    s = Store(small_db)
    yield s
    s.close()


def fingerprint(store: Store) -> dict:
    """Every table's row count and content hash, and the database's object list."""
    tables = [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    out = {t: store.con.execute(f"SELECT count(*), sum(hash(t::VARCHAR)) FROM {t} t").fetchone() for t in tables}
    out["__objects__"] = store.con.execute("SELECT list(table_name ORDER BY table_name) FROM duckdb_tables()").fetchone()
    out["__views__"] = store.con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()
    out["__attached__"] = store.con.execute("SELECT count(*) FROM duckdb_databases()").fetchone()
    return out


def hostile(tmp: Path) -> list[tuple[str, str]]:
    """(statement, a phrase the refusal must contain)."""
    return [
        ("DROP TABLE observations", "this is a DROP statement"),
        ("DELETE FROM observations", "this is a DELETE statement"),
        ("UPDATE observations SET value = 0", "this is an UPDATE statement"),
        ("INSERT INTO areas (area_code, name) VALUES ('X', 'x')", "this is an INSERT statement"),
        ("CREATE TABLE x AS SELECT * FROM observations", "this is a CREATE statement"),
        ("CREATE VIEW v AS SELECT 1", "this is a CREATE statement"),
        ("ALTER TABLE areas ADD COLUMN x INTEGER", "this is an ALTER statement"),
        (f"COPY observations TO '{tmp / 'x.csv'}'", "this is a COPY statement"),
        (f"COPY (SELECT 1) TO '{tmp / 'y.csv'}'", "this is a COPY statement"),
        (f"ATTACH '{tmp / 'y.duckdb'}' AS y", "this is an ATTACH statement"),
        ("DETACH snapshot", "this is a DETACH statement"),
        ("INSTALL httpfs", "this is a LOAD statement"),
        ("LOAD httpfs", "this is a LOAD statement"),
        ("SET threads = 1", "this is a SET statement"),
        ("RESET threads", "this is a SET statement"),
        ("SET enable_external_access = true", "this is a SET statement"),
        ("USE memory", "this is a SET statement"),
        ("PRAGMA database_list", "this is a PRAGMA statement"),
        ("CALL pragma_version()", "this is a CALL statement"),
        ("CHECKPOINT", "this is a CALL statement"),
        (f"EXPORT DATABASE '{tmp / 'export'}'", "this is an EXPORT statement"),
        (f"IMPORT DATABASE '{tmp / 'export'}'", "statement"),
        ("VACUUM", "this is a VACUUM statement"),
        ("BEGIN TRANSACTION", "this is a TRANSACTION statement"),
        ("EXPLAIN SELECT 1", "this is an EXPLAIN statement"),
        ("CREATE SECRET s (TYPE s3)", "this is a CREATE statement"),
        ("SELECT 1; DROP TABLE areas", "Only one statement can run at a time; this text holds 2"),
        ("SELECT 1; SELECT 2", "Only one statement can run at a time"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read or write a file, a URL or a database outside"),
        ("SELECT * FROM read_text('/etc/hostname')", "read or write a file"),
        ("SELECT * FROM read_blob('/etc/hostname')", "read or write a file"),
        ("SELECT * FROM read_parquet('/tmp/anything.parquet')", "read or write a file"),
        ("SELECT * FROM read_json('/etc/passwd')", "read or write a file"),
        ("SELECT * FROM glob('/*')", "read or write a file"),
        ("SELECT * FROM sniff_csv('/etc/passwd')", "read or write a file"),
        ("SELECT * FROM 'https://example.com/x.csv'", "read or write a file"),
        ("SELECT * FROM '/etc/passwd'", "does not exist"),
        ("SELECT * FROM query('DROP TABLE areas')", "could not run the query"),
        ("SELECT getenv('HOME')", "does not exist"),
        ("SELECT * FROM main.observations_secret", "does not exist"),
        ("SELECT ?", "parameters"),
        ("selec 1", "DuckDB could not read the query"),
        ("", "Type a query"),
        ("  -- only a comment\n", "no statement"),
    ]


def test_every_hostile_statement_is_refused_with_a_clear_message_and_nothing_changes(store, tmp_path):
    before = fingerprint(store)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    for statement, phrase in hostile(tmp_path):
        with pytest.raises(console.SqlError) as caught:
            console.run_query(store, statement, timeout_s=5)
        message = str(caught.value)
        assert phrase in message, (statement, message)
        assert "Traceback" not in message and len(message) < 400, statement
    assert fingerprint(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before   # no file written, no export, no attach
    assert console.run_query(store, "SELECT count(*) AS n FROM observations").data["n"].iloc[0] == 3


def test_statement_types_are_checked_by_duckdbs_parser_not_by_text():
    con = duckdb.connect()
    # A SELECT that merely mentions forbidden words is fine; a DROP in disguise is not.
    assert console.check_statement(con, "SELECT 'DROP TABLE observations; COPY' AS s").type == \
        duckdb.StatementType.SELECT
    with pytest.raises(console.QueryRefused):
        console.check_statement(con, "/* SELECT */ DROP TABLE observations")
    with pytest.raises(console.QueryRefused):
        console.check_statement(con, "WITH x AS (SELECT 1) DELETE FROM observations")


def test_a_long_query_is_stopped_by_the_time_limit(store):
    with pytest.raises(console.QueryFailed, match="stopped after 1 seconds"):
        console.run_query(store, "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
                          timeout_s=1)
    assert console.run_query(store, "SELECT 1 AS ok").data["ok"].iloc[0] == 1   # the console still works


def test_rows_are_limited_and_the_cut_is_said(store):
    result = console.run_query(store, "SELECT range AS n FROM range(5000)", row_limit=100)
    assert len(result.data) == 100 and result.truncated
    assert "first 100 rows" in result.notes[0]
    whole = console.run_query(store, "SELECT range AS n FROM range(50)", row_limit=100)
    assert len(whole.data) == 50 and not whole.truncated
    with pytest.raises(console.QueryRefused):
        console.run_query(store, "SELECT 1", row_limit=console.MAX_ROW_LIMIT + 1)


def test_the_snapshot_itself_is_read_only_and_locked_down(store):
    snap = console.snapshot(store)
    with pytest.raises(duckdb.Error):
        snap.con.execute("CREATE TABLE x (a INTEGER)")
    with pytest.raises(duckdb.Error):
        snap.con.execute("SET enable_external_access = true")
    settings = dict(snap.con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                     "('enable_external_access', 'lock_configuration')").fetchall())
    assert settings == {"enable_external_access": "false", "lock_configuration": "true"}
    assert snap.con.execute("SELECT bool_and(readonly) FROM duckdb_databases() WHERE NOT internal").fetchone()[0]


def test_the_snapshot_follows_new_data(store):
    assert console.run_query(store, "SELECT count(*) AS n FROM observations").data["n"].iloc[0] == 3
    with store.transaction() as cur:
        batch = start_batch(cur, kind="import", at=now(), source="test")
        write_observations(cur, batch_id=batch, rows=[dict(
            indicator_id="SG02", area_code="E92000001", period_label="2023/24", period_type="financial_year",
            period_start="2023-04-01", period_end="2024-03-31", value=24.7)], at=now())
    assert console.run_query(store, "SELECT count(*) AS n FROM observations").data["n"].iloc[0] == 4


def test_views_are_documented_with_their_columns(store):
    views = {v["name"]: v for v in console.describe_views(store)}
    assert set(views) == {"observations", "observation_history", "kpis", "areas", "statistical_neighbours",
                          "periods", "submissions"}
    obs = {c["name"]: c for c in views["observations"]["columns"]}
    assert obs["value"]["type"] == "DOUBLE" and obs["value"]["description"]
    assert obs["period_end"]["type"] == "DATE"
    assert views["observations"]["rows"] == 3
    for v in views.values():                                   # every documented column exists, with a type
        assert all(c["type"] for c in v["columns"]), v["name"]
    table = console.views_table(store)
    assert list(table.columns) == ["View", "Column", "Type", "Description"]


def test_suppressed_counts_stay_hidden_in_the_console(store):
    df = console.run_query(store, "SELECT numerator, denominator, status FROM observations "
                                  "WHERE status = 'suppressed'").data
    assert df["numerator"].isna().all() and df["denominator"].isna().all()


def test_the_sg02_example_answers_the_neighbours_question(demo_db):
    store = Store(demo_db, read_only=True)
    try:
        query = console.example_queries()[next(k for k in console.EXAMPLES if "Repeat child protection" in k)]
        df = console.run_query(store, query).data
    finally:
        store.close()
    home = df[df["area_name"] == "Worcestershire"].set_index("period_label")["repeat_plans_pct"]
    assert home.to_dict() == {"2020/21": 24.7, "2021/22": 29.2, "2022/23": 29.8, "2023/24": 26.8, "2024/25": 31.4}
    assert df["area_name"].nunique() == 11                       # Worcestershire and its 10 neighbours


# -- the command line uses the same path --------------------------------------------------------
def test_cli_sql_json(small_db, capsys):
    assert main(["--db", str(small_db), "sql", "SELECT area_code, value FROM observations WHERE "
                 "breakdown_type = 'all' ORDER BY value", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["columns"] == ["area_code", "value"]
    assert out["rows"] == [{"area_code": "E92000001", "value": 24.5}, {"area_code": "E10000034", "value": 31.4}]
    assert out["truncated"] is False


def test_cli_sql_table_and_limit(small_db, capsys):
    assert main(["--db", str(small_db), "sql", "SELECT range AS n FROM range(10)", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 row(s)" in out and "cut at the row limit" in out


@pytest.mark.parametrize("statement", ["DROP TABLE observations", "SELECT * FROM read_csv('/etc/passwd')",
                                       "SELECT 1; DELETE FROM areas", "ATTACH '/tmp/evil.duckdb'"])
def test_cli_refuses_with_a_plain_message_and_exit_1(small_db, capsys, statement):
    assert main(["--db", str(small_db), "sql", statement]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    assert captured.out == ""


def test_cli_views_and_usage(small_db, capsys):
    assert main(["--db", str(small_db), "sql", "--views", "--json"]) == 0
    names = [v["name"] for v in json.loads(capsys.readouterr().out)]
    assert names[0] == "observations" and "submissions" in names
    assert main(["--db", str(small_db), "sql"]) == 2
    assert "give a query" in capsys.readouterr().err


def test_cli_missing_database_is_a_plain_error(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb"), "sql", "SELECT 1"]) == 2
    assert "There is no database" in capsys.readouterr().err
