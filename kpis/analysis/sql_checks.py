"""What the SQL console allows, and its refusals in plain words: its limits, and the checks a query passes before it
runs (exactly one SELECT, reading nothing but the documented views and a few harmless table functions).

DuckDB's own parser reads the statement and its syntax tree (see `kpis.analysis.sql_console` for the snapshot and
the query process that enforce the rest).
"""
from __future__ import annotations

import json
import re

import duckdb

from kpis.analysis import sql_sandbox as sandbox
from kpis.analysis.sql_views import VIEW_NAMES

DEFAULT_ROW_LIMIT = 1000
MAX_ROW_LIMIT = 100_000
DEFAULT_TIMEOUT_S = 10.0
MEMORY_LIMIT = sandbox.SAFE_CONFIG["memory_limit"]
MAX_RESULT_BYTES = 32 * 2**20           # the most a result may hold, whatever its types
MAX_EXCEL_CELLS = 1_000_000             # rows x columns the app writes as Excel (each cell costs ~20 µs of CPU)
ADDRESS_SPACE_BYTES = 2 * 2**30         # the query process's whole address space (DuckDB alone maps ~0.8 GB)


# -- errors -------------------------------------------------------------------------------
class SqlError(ValueError):
    """A query that did not run, with a plain-English reason."""


class QueryRefused(SqlError):
    """Refused before running: not exactly one SELECT statement."""


class QueryFailed(SqlError):
    """Refused or stopped by DuckDB while running (file access, unknown table, time limit ...)."""


# -- checking -----------------------------------------------------------------------------------
def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """DuckDB's parser must find exactly one SELECT statement that reads nothing but the documented views and
    harmless table functions (see `check_sources`); return it, or raise QueryRefused."""
    if not sql or not sql.strip():
        raise QueryRefused("Type a query: one SELECT statement, such as SELECT * FROM kpis.")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"DuckDB could not read the query: {_first_line(exc)}") from None
    if not statements:
        raise QueryRefused("There is no statement to run (only comments or semicolons).")
    if len(statements) > 1:
        raise QueryRefused(f"Only one statement can run at a time; this text holds {len(statements)}. "
                           "Remove everything after the first semicolon.")
    statement = statements[0]
    if statement.type == duckdb.StatementType.MULTI and _is_pivot(sql):
        check_pivot_names(con, sql)
        return statement
    if statement.type != duckdb.StatementType.SELECT:
        if statement.type == duckdb.StatementType.LOAD and _first_word(sql) in ("INSTALL", "FORCE"):
            raise QueryRefused("Only SELECT queries can run here; this is an INSTALL statement, which the console "
                               "does not run. The console is read-only: it cannot change data, settings, "
                               "extensions or files.")
        kind = statement.type.name.replace("_", " ")
        article = "an" if kind[0] in "AEIOU" else "a"
        raise QueryRefused(f"Only SELECT queries can run here; this is {article} {kind} statement. The console is "
                           "read-only: it cannot change data, settings, extensions or files.")
    if statement.named_parameters:
        raise QueryRefused("The query has parameters ($name or ?); write the values into the query instead.")
    check_sources(con, statement.query)
    return statement


def _first_word(sql: str) -> str:
    for start, kind in duckdb.tokenize(sql):
        if kind != duckdb.token_type.comment:
            word = _WORD.match(sql, start)
            return word.group(0).upper() if word else ""
    return ""


# What a query may read besides the views. DuckDB's own system tables and functions (duckdb_settings(),
# duckdb_databases(), pragma_database_list, current_setting(...), SHOW <setting> ...) would show the server's
# file paths, the snapshot's folder (which holds the app's process id) and the user it runs as.
SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "repeat", "repeat_row", "json_each",
                                  "json_tree"})
FILE_FUNCTION_PREFIXES = ("read_", "parquet_", "sniff_", "glob")   # refused for file access, as DuckDB would
DENIED_FUNCTIONS = frozenset({"current_setting", "getenv", "get_block_size", "which_secret"})
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
SYSTEM_CATALOGS = frozenset({"system", "temp"})
SHOW_LISTS = frozenset({'"databases"', '"tables"', "__show_tables_expanded"})  # names only: SHOW TABLES ...


def _system_refusal(name: str) -> QueryRefused:
    views = ", ".join(VIEW_NAMES)
    return QueryRefused(f"The console reads the documented views only ({views}). {name} is part of DuckDB's own "
                        "system information (its settings, files and databases), which the console does not show.")


def _file_refusal() -> QueryRefused:
    return QueryRefused(explain("PermissionException", "", DEFAULT_TIMEOUT_S))


def _system_views(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """DuckDB's built-in views (duckdb_tables, pragma_database_list, sqlite_master, pg_settings ...)."""
    return frozenset(r[0].lower() for r in con.execute("SELECT view_name FROM duckdb_views() WHERE internal")
                     .fetchall())


def check_sources(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse a SELECT that reads DuckDB's system tables, settings or functions rather than the views.

    DuckDB's parser gives the statement's syntax tree (json_serialize_sql); every table, table function,
    function and SHOW in it is checked, with the names a WITH clause defines in scope where they are.
    """
    tree = json.loads(con.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise QueryRefused(f"DuckDB could not read the query: {tree.get('error_message', '')}")
    system_views = _system_views(con)

    def table(name: str, schema: str, catalog: str, ctes: frozenset[str]) -> None:
        low = name.lower()
        if schema.lower() in SYSTEM_SCHEMAS or catalog.lower() in SYSTEM_CATALOGS:
            raise _system_refusal(f"{schema or catalog}.{name}")
        if low in ctes and not schema and not catalog:
            return
        if low in system_views:
            raise _system_refusal(name)

    def walk(node, ctes: frozenset[str]) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, ctes)
            return
        if not isinstance(node, dict):
            return
        entries = (node.get("cte_map") or {}).get("map") or []
        names = [str(e["key"]).lower() for e in entries]
        for i, entry in enumerate(entries):   # a WITH's query sees the ones before it (and itself, if recursive)
            query = (entry.get("value") or {}).get("query_node") or {}
            own = {names[i]} if query.get("type") == "RECURSIVE_CTE_NODE" else set()
            walk(entry.get("value"), ctes | set(names[:i]) | own)
        ctes = ctes | set(names)
        kind = node.get("type")
        if kind == "BASE_TABLE":
            table(node.get("table_name", ""), node.get("schema_name", ""), node.get("catalog_name", ""), ctes)
        elif kind == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name not in SAFE_TABLE_FUNCTIONS:
                raise _file_refusal() if name.startswith(FILE_FUNCTION_PREFIXES) else _system_refusal(f"{name}()")
        elif kind == "SHOW_REF" and node.get("show_type") != "SUMMARY" and node.get("table_name") \
                and node.get("table_name") not in SHOW_LISTS:
            name = node["table_name"]      # SHOW x shows the setting x, if there is one, else the table x
            if name.strip('"').lower() not in VIEW_NAMES and name.strip('"').lower() not in ctes:
                raise _system_refusal(f"SHOW {name}")
        if str(node.get("function_name", "")).lower() in DENIED_FUNCTIONS:
            raise _system_refusal(f"{node['function_name']}()")
        for key, value in node.items():
            if key != "cte_map":
                walk(value, ctes)

    walk(tree.get("statements", []), frozenset())


def check_pivot_names(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """A PIVOT whose columns come from the data has no syntax tree to read (json_serialize_sql takes one
    SELECT), so its names are checked instead: no DuckDB system view, table function or setting function."""
    system_views = _system_views(con)
    functions = {r[0].lower() for r in con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')")
        .fetchall()} - SAFE_TABLE_FUNCTIONS
    for start, kind in duckdb.tokenize(sql):
        if kind not in (duckdb.token_type.identifier, duckdb.token_type.keyword):
            continue
        word = _NAME.match(sql, start)
        name = word.group(0).strip('"').lower() if word else ""
        if name in SYSTEM_SCHEMAS or (name in SYSTEM_CATALOGS and kind == duckdb.token_type.identifier) \
                or name in system_views or name in functions or name in DENIED_FUNCTIONS:
            raise _file_refusal() if name.startswith(FILE_FUNCTION_PREFIXES) else _system_refusal(name)
        if kind == duckdb.token_type.keyword and name in ("show", "describe", "summarize"):
            raise QueryRefused("A PIVOT here reads the documented views; SHOW, DESCRIBE and SUMMARIZE are not "
                               "allowed inside it.")


_READ_STARTS = {"SELECT", "WITH", "FROM", "PIVOT", "PIVOT_WIDER", "VALUES", "TABLE", "("}
_WORD = re.compile(r"[A-Za-z_]+|\S")
_NAME = re.compile(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*')


def _is_pivot(sql: str) -> bool:
    """A PIVOT whose columns come from the data, which DuckDB parses as one MULTI statement (a temporary
    ENUM type of the values, then a SELECT). Other MULTI statements (ALTER ... DEFAULT, TRUNCATE a, b)
    write, and are refused here; the read-only snapshot would refuse them too."""
    words = [(_WORD.match(sql, start).group(0).upper(), kind) for start, kind in duckdb.tokenize(sql)
             if kind in (duckdb.token_type.keyword, duckdb.token_type.operator) and _WORD.match(sql, start)]
    return bool(words) and words[0][0] in _READ_STARTS and any(
        kind == duckdb.token_type.keyword and word in ("PIVOT", "PIVOT_WIDER") for word, kind in words)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def explain(kind: str, message: str, timeout_s: float) -> str:
    """A plain message for DuckDB's error `kind` (its exception class name) and `message` (first line)."""
    views = ", ".join(VIEW_NAMES)
    if kind == "InterruptException":
        return (f"The query was stopped after {timeout_s:g} seconds, the console's time limit. Narrow it down: "
                "a WHERE clause, fewer columns, no cross joins.")
    if kind == "PermissionException":
        return ("The query tries to read or write a file, a URL or a database outside the console, which is not "
                f"allowed. Query the documented views instead: {views}.")
    if kind == "OutOfMemoryException":
        return (f"The query needed more memory than the console allows ({MEMORY_LIMIT} for DuckDB, "
                f"{ADDRESS_SPACE_BYTES // 2**20:,} MB in all), so it was stopped. Aggregate or filter first, "
                "select fewer rows, or build shorter texts and lists.")
    if kind == "CatalogException":
        return f"{message} The console can read these views only: {views}."
    if kind == "InvalidInputException" and "read-only" in message:
        return "The console is read-only: the query would have changed data."
    return f"DuckDB could not run the query: {message}"
