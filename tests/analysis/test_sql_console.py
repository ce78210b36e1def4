"""The read-only SQL console: hostile statements are refused with a clear message and change nothing."""
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from kpis.analysis import sql_checks, sql_console, sql_views
from kpis.cli.main import main
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store, now
from kpis.store.observations import write_observations
from tests.conftest import ROOT


def a_few_rows(path: Path) -> None:
    """A store with a few real rows, made by the store's own write path."""
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


@pytest.fixture
def small_db(built_once, tmp_path) -> Path:
    """A private copy of a store with a few real rows (a_few_rows, made once)."""
    path = tmp_path / "small.duckdb"
    shutil.copy(built_once("a-few-rows", a_few_rows), path)
    return path


@pytest.fixture
def store(small_db):
    s = Store(small_db)
    yield s
    s.close()


@pytest.fixture(scope="module")
def query_only_store(built_once, tmp_path_factory):
    """One store for the tests that only query it through the console (refused or read-only statements, which
    change nothing: see the hostile-statement test), so its snapshot and query process are made once for them
    all rather than once per query."""
    path = tmp_path_factory.mktemp("query-only") / "small.duckdb"
    shutil.copy(built_once("a-few-rows", a_few_rows), path)
    s = Store(path)
    yield s
    s.close()


def fingerprint(store: Store) -> dict:
    """Every table's row count and content hash, and the database's object list."""
    tables = [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    out = {t: store.con.execute(f"SELECT count(*), sum(hash(t::VARCHAR)) FROM {t} t").fetchone() for t in tables}
    out["__objects__"] = store.con.execute(
        "SELECT list(table_name ORDER BY table_name) FROM duckdb_tables()").fetchone()
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
        ("INSTALL httpfs", "this is an INSTALL statement, which the console does not run"),
        ("FORCE INSTALL httpfs", "this is an INSTALL statement"),
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
        ("SELECT * FROM query('DROP TABLE areas')", "DuckDB's own system information"),
        ("SELECT getenv('HOME')", "DuckDB's own system information"),
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
        with pytest.raises(sql_checks.SqlError) as caught:
            sql_console.run_query(store, statement, timeout_s=5)
        message = str(caught.value)
        assert phrase in message, (statement, message)
        assert "Traceback" not in message and len(message) < 400, statement
    assert fingerprint(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before   # no file written, no export, no attach
    assert sql_console.run_query(store, "SELECT count(*) AS n FROM observations").data["n"].iloc[0] == 3


# Each of these showed the snapshot's path (/tmp/kpis-sql-PID-.../snapshot.duckdb: the app's process id), the
# user's home (/root/.duckdb/stored_secrets: the app runs as root) or other server details.
LEAKS = [
    "SELECT * FROM duckdb_settings()",
    "SELECT name, value FROM duckdb_settings() WHERE name IN ('allowed_paths', 'secret_directory')",
    "SELECT path FROM duckdb_databases()",
    "SELECT * FROM pragma_database_list",
    "SELECT file FROM main.pragma_database_list",
    "SELECT current_setting('secret_directory') AS s",
    "SELECT current_setting('allowed_paths')::VARCHAR AS s",
    "SHOW secret_directory",
    "SHOW allowed_paths",
    "SUMMARIZE pragma_database_list",
    "SELECT * FROM (SUMMARIZE duckdb_databases)",
    "SELECT setting FROM pg_settings WHERE name = 'secret_directory'",
    "SELECT setting FROM pg_catalog.pg_settings",
    "SELECT * FROM information_schema.schemata",
    "SELECT * FROM duckdb_extensions()",
    "SELECT * FROM duckdb_temporary_files()",
    "SELECT * FROM duckdb_memory()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM which_secret('s3://bucket/x', 's3')",
    "SELECT * FROM pragma_version()",
    "SELECT * FROM pragma_user_agent()",
    "SELECT * FROM system.main.duckdb_databases()",
    "SELECT * FROM query('SELECT path FROM duckdb_databases()')",
    "SELECT * FROM query_table('pragma_database_list')",
    "WITH d AS (SELECT * FROM duckdb_databases()) SELECT path FROM d",
    "SELECT (SELECT max(file) FROM pragma_database_list) AS f",
    "SELECT * FROM areas, LATERAL (SELECT value FROM duckdb_settings() WHERE name = 'secret_directory')",
    "SELECT * FROM (WITH pragma_database_list AS (SELECT 1) SELECT 1), pragma_database_list",  # the WITH is inside
    "WITH pragma_database_list AS (SELECT * FROM pragma_database_list) SELECT * FROM pragma_database_list",
    'SELECT * FROM "PRAGMA_DATABASE_LIST"',
    "PIVOT (SELECT * FROM pragma_database_list) ON name USING first(file)",
    "PIVOT (SELECT name, value FROM duckdb_settings()) ON name USING first(value)",
    "SELECT get_block_size('snapshot') AS b",
]


@pytest.mark.parametrize("query", LEAKS)
def test_the_console_shows_no_server_path_process_or_user(query_only_store, query):
    store = query_only_store
    snap = sql_console.snapshot(store)
    secrets = [str(snap.dir), str(Path.home()), f"-{os.getpid()}-", "stored_secrets"]
    with pytest.raises(sql_checks.QueryRefused) as caught:
        result = sql_console.run_query(store, query, timeout_s=5)
        shown = result.data.to_csv()
        assert not [s for s in secrets if s in shown], shown   # (what the old console showed)
    message = str(caught.value)
    assert "DuckDB's own system information" in message and "Traceback" not in message and len(message) < 400
    assert not [s for s in secrets if s in message]


def test_the_snapshot_path_is_there_to_hide(store):
    """The leak tests above test something: DuckDB itself, as the console opens the snapshot, shows its path."""
    snap = sql_console.snapshot(store)
    assert str(snap.dir) in snap.con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchone()[0]
    assert f"-{os.getpid()}-" in str(snap.dir)


@pytest.mark.parametrize("query", [
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT count(*) AS c FROM r",
    "WITH pragma_database_list AS (SELECT 3 AS c) SELECT c FROM pragma_database_list",   # a WITH of that name
    "SELECT count(*) AS c FROM generate_series(1, 3)", "SELECT count(*) AS c FROM (SELECT unnest([1, 2, 3]))",
    "SELECT count(*) AS c FROM json_each('{\"a\": 1, \"b\": 2, \"c\": 3}')",
    "SELECT count(*) AS c FROM (DESCRIBE observations) WHERE column_name IN ('value', 'numerator', 'status')",
    "SELECT count(*) AS c FROM (SHOW TABLES) WHERE name IN ('kpis', 'areas', 'periods')",
    "SELECT 3 AS c FROM (SUMMARIZE observations) LIMIT 1",
    "SELECT count(*) AS c FROM snapshot.main.observations",
])
def test_ordinary_queries_still_run(query_only_store, query):
    store = query_only_store
    assert sql_console.run_query(store, query).data["c"].iloc[0] == 3


def test_statement_types_are_checked_by_duckdbs_parser_not_by_text():
    con = duckdb.connect()
    # A SELECT that merely mentions forbidden words is fine; a DROP in disguise is not.
    assert sql_checks.check_statement(con, "SELECT 'DROP TABLE observations; COPY' AS s").type == \
        duckdb.StatementType.SELECT
    with pytest.raises(sql_checks.QueryRefused):
        sql_checks.check_statement(con, "/* SELECT */ DROP TABLE observations")
    with pytest.raises(sql_checks.QueryRefused):
        sql_checks.check_statement(con, "WITH x AS (SELECT 1) DELETE FROM observations")


def test_a_long_query_is_stopped_by_the_time_limit(store):
    with pytest.raises(sql_checks.QueryFailed, match="stopped after 1 seconds"):
        sql_console.run_query(store, "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
                          timeout_s=1)
    assert sql_console.run_query(store, "SELECT 1 AS ok").data["ok"].iloc[0] == 1   # the console still works


def test_rows_are_limited_and_the_cut_is_said(store):
    result = sql_console.run_query(store, "SELECT range AS n FROM range(5000)", row_limit=100)
    assert len(result.data) == 100 and result.truncated
    assert "first 100 rows" in result.notes[0]
    whole = sql_console.run_query(store, "SELECT range AS n FROM range(50)", row_limit=100)
    assert len(whole.data) == 50 and not whole.truncated
    with pytest.raises(sql_checks.QueryRefused):
        sql_console.run_query(store, "SELECT 1", row_limit=sql_checks.MAX_ROW_LIMIT + 1)


def test_the_snapshot_itself_is_read_only_and_locked_down(store):
    snap = sql_console.snapshot(store)
    with pytest.raises(duckdb.Error):
        snap.con.execute("CREATE TABLE x (a INTEGER)")
    with pytest.raises(duckdb.Error):
        snap.con.execute("SET enable_external_access = true")
    settings = dict(snap.con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                     "('enable_external_access', 'lock_configuration')").fetchall())
    assert settings == {"enable_external_access": "false", "lock_configuration": "true"}
    assert snap.con.execute("SELECT bool_and(readonly) FROM duckdb_databases() WHERE NOT internal").fetchone()[0]


def test_the_snapshot_follows_new_data(store):
    assert sql_console.run_query(store, "SELECT count(*) AS n FROM observations").data["n"].iloc[0] == 3
    with store.transaction() as cur:
        batch = start_batch(cur, kind="import", at=now(), source="test")
        write_observations(cur, batch_id=batch, rows=[dict(
            indicator_id="SG02", area_code="E92000001", period_label="2023/24", period_type="financial_year",
            period_start="2023-04-01", period_end="2024-03-31", value=24.7)], at=now())
    assert sql_console.run_query(store, "SELECT count(*) AS n FROM observations").data["n"].iloc[0] == 4


def test_views_are_documented_with_their_columns(store):
    views = {v["name"]: v for v in sql_views.describe_views(store)}
    assert set(views) == {"observations", "observation_history", "kpis", "areas", "statistical_neighbours",
                          "periods", "submissions"}
    obs = {c["name"]: c for c in views["observations"]["columns"]}
    assert obs["value"]["type"] == "DOUBLE" and obs["value"]["description"]
    assert obs["period_end"]["type"] == "DATE"
    assert views["observations"]["rows"] == 3
    for v in views.values():                                   # every documented column exists, with a type
        assert all(c["type"] for c in v["columns"]), v["name"]
    table = sql_views.views_table(store)
    assert list(table.columns) == ["View", "Column", "Type", "Description"]


def test_suppressed_counts_stay_hidden_in_the_console(store):
    df = sql_console.run_query(store, "SELECT numerator, denominator, status FROM observations "
                                  "WHERE status = 'suppressed'").data
    assert df["numerator"].isna().all() and df["denominator"].isna().all()


def test_the_sg02_example_answers_the_neighbours_question(demo_db):
    store = Store(demo_db, read_only=True)
    try:
        query = sql_views.example_queries()[next(k for k in sql_views.EXAMPLES if "Repeat child protection" in k)]
        df = sql_console.run_query(store, query).data
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


# -- limits that hold for every type (issue 15) ------------------------------------------------
HOSTILE_MEMORY = ["SELECT repeat('x', 10000000) FROM range(1000)",
                  "SELECT length(repeat('x', 1000000000))",
                  "SELECT list(range(300000000))"]
APP_PROCESS = r'''
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))   # a safety net for the test machine
from kpis.store.database import Store
from kpis.analysis import sql_checks, sql_console
store = Store(sys.argv[1], read_only=True)
out = []
for q in json.loads(sys.argv[2]):
    try:
        sql_console.run_query(store, q)
        out.append([q, "ran"])
    except sql_checks.SqlError as exc:
        out.append([q, str(exc)])
out.append(["after", int(sql_console.run_query(store, "SELECT 42 AS n").data["n"].iloc[0])])
sql_console._remove_snapshots()          # ends (and reaps) the query processes, so their peak is counted below
out.append(["children_peak_mb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024])
# VmHWM, this process's own peak: ru_maxrss would carry over the parent's (a long pytest run) through fork and exec
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out.append(["app_peak_mb", int(hwm.split()[1]) / 1024])
print(json.dumps(out))
'''


def test_strings_and_lists_cannot_exhaust_memory_and_the_app_keeps_serving(small_db):
    """The three queries that passed 2-8 GB: each is stopped with a plain message, in bounded memory."""
    import subprocess
    import sys
    root = ROOT
    proc = subprocess.Popen([sys.executable, "-c", APP_PROCESS, str(small_db), json.dumps(HOSTILE_MEMORY)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-2000:]
    results = json.loads(out)
    assert results[5][1] < 600, results                            # the app's own process stayed small
    for query, message in results[:3]:   # stopped by the memory cap, or (a busy machine) by the time limit
        assert ("needed more memory" in message or "time limit" in message) and "Traceback" not in message, \
            (query, message)
    assert results[3] == ["after", 42]                             # the app still answers
    assert results[4][1] < sql_checks.ADDRESS_SPACE_BYTES / 2**20     # no query process passed its cap


def test_results_are_cut_by_bytes_as_well_as_rows_whatever_the_type(store):
    texts = sql_console.run_query(store, "SELECT repeat('x', 1000000) AS t FROM range(100)", byte_limit=8 * 2**20)
    assert 1 <= len(texts.data) < 10 and texts.truncated
    assert "8 MB limit" in texts.notes[0]
    lists = sql_console.run_query(store, "SELECT range(100000) AS l FROM range(100)", byte_limit=8 * 2**20)
    assert 1 <= len(lists.data) < 100 and lists.truncated
    with pytest.raises(sql_checks.QueryFailed, match="first row of the result alone is larger"):
        sql_console.run_query(store, "SELECT repeat('x', 10000000) AS t", byte_limit=8 * 2**20)
    small = sql_console.run_query(store, "SELECT repeat('x', 10) AS t FROM range(5)")
    assert len(small.data) == 5 and not small.truncated and small.notes == []


def test_pivot_is_a_read_and_runs(store):
    df = sql_console.run_query(store, "PIVOT observations ON breakdown_type USING count(*) GROUP BY area_code "
                                  "ORDER BY area_code").data
    assert list(df.columns) == ["area_code", "age_band", "all"]
    assert df.set_index("area_code")["all"].to_dict() == {"E10000034": 1, "E92000001": 1}
    nested = sql_console.run_query(store, "SELECT * FROM (PIVOT observations ON status USING count(*))").data
    assert {"published", "suppressed"} <= set(nested.columns)
    again = sql_console.run_query(store, "PIVOT observations ON breakdown_type USING count(*) GROUP BY status")
    assert len(again.data) == 2                               # reruns cleanly: published, suppressed
    with pytest.raises(sql_checks.QueryRefused):   # a MULTI statement that is not a PIVOT is still refused
        sql_console.run_query(store, "ALTER TABLE areas ADD COLUMN x INTEGER DEFAULT 1")
    with pytest.raises(sql_checks.QueryRefused, match="Only one statement"):
        sql_console.run_query(store, "PIVOT observations ON status USING count(*); DROP TABLE areas")


SNAPSHOT_THEN_KILLED = r'''
import os, signal, sys
from kpis.store.database import Store
from kpis.analysis import sql_console
snap = sql_console.snapshot(Store(sys.argv[1], read_only=True))
print(snap.dir, flush=True)
os.kill(os.getpid(), signal.SIGKILL)         # no atexit, no clean-up
'''


def test_snapshots_left_by_a_killed_process_are_removed_when_the_next_is_made(small_db, tmp_path):
    import shutil
    import subprocess
    import sys
    root = ROOT
    proc = subprocess.run([sys.executable, "-c", SNAPSHOT_THEN_KILLED, str(small_db)], capture_output=True,
                          text=True, cwd=root, timeout=120)
    assert proc.returncode == -9
    left = Path(proc.stdout.strip())
    assert left.is_dir() and (left / "snapshot.duckdb").exists()
    other = tmp_path / "other.duckdb"                  # a second database, so a new snapshot is made here
    shutil.copy(small_db, other)
    s = Store(other, read_only=True)
    try:
        sql_console.snapshot(s)
    finally:
        s.close()
    assert not left.exists()
    ours = [d for d in Path(left.parent).glob("kpis-sql-*")
            if d.name.startswith(f"kpis-sql-{__import__('os').getpid()}-")]
    assert ours, "this process's own snapshot is kept"


def test_cli_sql_stops_a_memory_hungry_query_with_a_plain_message(small_db, capsys):
    assert main(["--db", str(small_db), "sql", "SELECT length(repeat('x', 1500000000)) AS n"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: The query needed more memory than the console allows")
    assert "Traceback" not in captured.err and captured.out == ""
    assert main(["--db", str(small_db), "sql", "PIVOT observations ON status USING count(*) GROUP BY area_code",
                 "--json"]) == 0
    assert {"area_code", "published", "suppressed"} <= set(json.loads(capsys.readouterr().out)["columns"])


def test_idle_query_processes_are_few_however_many_databases_are_queried(small_db, tmp_path):
    import shutil
    stores = []
    try:
        for i in range(4):
            path = tmp_path / f"copy{i}.duckdb"
            shutil.copy(small_db, path)
            stores.append(Store(path, read_only=True))
            assert sql_console.run_query(stores[-1], "SELECT 1 AS n").data["n"].iloc[0] == 1
        alive = [w for w in sql_console._ALL_WORKERS if w.alive()]
        assert len(alive) <= sql_console.MAX_IDLE_WORKERS
    finally:
        for s in stores:
            s.close()
