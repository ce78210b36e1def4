"""tools.sql_home: the lint check that SQL is written only in kpis/store/ and kpis/analysis/sql_*."""
from __future__ import annotations

import textwrap

import pytest

from tools import sql_home


def _run(tmp_path, source: str, capsys) -> tuple[int, str]:
    path = tmp_path / "module.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    code = sql_home.main([str(path)])
    return code, capsys.readouterr().out


def test_flags_sql_strings_with_file_and_line(tmp_path, capsys):
    code, out = _run(tmp_path, '''\
        """A module."""
        def rows(store, area):
            return store.df("SELECT area_code, name FROM areas WHERE area_code = ?", [area])


        def change(cur, table):
            cur.execute(f"""
                UPDATE {table} SET valid_to = ? WHERE valid_to IS NULL""", [1])
            cur.execute("INSERT INTO audit_log (actor) " + "VALUES (?)", ["x"])
    ''', capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{tmp_path / 'module.py'}:3: ")
    assert lines[1].startswith(f"{tmp_path / 'module.py'}:7: ")
    assert lines[2].startswith(f"{tmp_path / 'module.py'}:9: ")


def test_passes_prose_docstrings_and_help_text(tmp_path, capsys):
    code, out = _run(tmp_path, '''\
        """SELECT statements only: the console runs one SELECT * FROM a view at a time."""
        def help_text():
            """INSERT INTO is refused."""
            return ["Select an area from the list, then update the figures.",
                    "SELECT and WITH queries only, read-only.",
                    'the query, in quotes: "SELECT * FROM kpis"',
                    "Create table of contents", "With the partnership's agreement", "Update"]
    ''', capsys)
    assert (code, out) == (0, "")


@pytest.mark.parametrize("sql", [
    "SELECT 1", "SELECT count(*) FROM current_observations", "  (SELECT x FROM t)",
    "WITH n AS (SELECT 1) SELECT * FROM n", "INSERT INTO batches VALUES (?)", "DELETE FROM users WHERE email = ?",
    "UPDATE users SET role = ? WHERE email = ?", "CREATE OR REPLACE TEMP TABLE obs_diff AS SELECT 1",
    "CREATE TABLE x (a INTEGER)", "DROP TABLE obs_diff", "ALTER TABLE a RENAME TO b", "CHECKPOINT",
    "COPY t TO 'f.csv'", "PRAGMA database_size", "ATTACH 'x.duckdb' AS src", "EXPORT DATABASE 'dir'",
    "BEGIN TRANSACTION", "COMMIT", "ROLLBACK", "CREATE OR REPLACE TEMP {x} src AS SELECT {x} FROM {x}"])
def test_each_statement_kind_is_sql(sql):
    assert sql_home.is_sql(sql)


@pytest.mark.parametrize("text", [
    "Select the quarter", "SELECT and WITH queries only", "CHECKPOINT reached on the road",
    "With thanks", "DROP us a line", "COMMIT to the plan", "UPDATE: the figures changed", "", "SQL"])
def test_prose_is_not_sql(text):
    assert not sql_home.is_sql(text)


def test_the_store_and_the_sql_console_may_hold_sql():
    root = sql_home.ROOT
    assert sql_home.allowed(root / "kpis/store/database.py")
    assert sql_home.allowed(root / "kpis/analysis/sql_console.py")
    assert not sql_home.allowed(root / "kpis/analysis/explore.py")
    assert not sql_home.allowed(root / "kpis/board/detail.py")
    assert not sql_home.allowed(root / "app_pages/sql.py")
