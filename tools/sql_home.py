"""`make lint`: SQL statements are written only in the store (kpis/store/) and the SQL console (kpis/analysis/sql_*).

Every other module asks the store for what it needs by calling a function with a name. This parses each .py
file under kpis/ and app_pages/, and dashboard.py, and looks at every string literal that is not a docstring:
plain strings, f-strings (their constant parts, with a placeholder for each `{...}`) and strings joined with `+`.
A literal is SQL when it starts (after blanks and an opening bracket) with a statement keyword in capitals and
goes on in the shape of that statement: `SELECT ... FROM`, `INSERT INTO`, `UPDATE t SET`, `CREATE TABLE`,
`WITH x AS (`, `CHECKPOINT` and so on. English prose and lower-case words do not match.

    python -m tools.sql_home [PATH ...]     # default: kpis app_pages dashboard.py; exit 1 listing file:line
"""
from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = ("kpis", "app_pages", "dashboard.py")
PLACEHOLDER = "{x}"  # stands for each replacement field of an f-string

_NAME = r"[\w.\"{}]+"
# Each statement keyword (in capitals, as SQL is written here) and the shape that must follow it.
SHAPES: dict[str, re.Pattern[str]] = {k: re.compile(v, re.DOTALL) for k, v in {
    "SELECT": r"SELECT\s+(DISTINCT\s+)?\S.*",     # and see `_prose`: a SELECT must have FROM or no prose
    "WITH": rf"WITH\s+(RECURSIVE\s+)?{_NAME}\s*(\([^)]*\)\s*)?AS\s*(NOT\s+)?(MATERIALIZED\s+)?\(.*",
    "INSERT": rf"INSERT\s+(OR\s+(REPLACE|IGNORE)\s+)?INTO\s+{_NAME}.*",
    "UPDATE": rf"UPDATE\s+{_NAME}(\s+\w+)?\s+SET\s.*",
    "DELETE": rf"DELETE\s+FROM\s+{_NAME}.*",
    "CREATE": r"CREATE\s+(OR\s+REPLACE\s+)?((TEMP|TEMPORARY)\s+)?(UNIQUE\s+)?"
              r"(TABLE|VIEW|SEQUENCE|INDEX|SCHEMA|MACRO|TYPE|FUNCTION|\{x\})\s.*",  # {x}: an f-string's field
    "DROP": r"DROP\s+(TABLE|VIEW|SEQUENCE|INDEX|SCHEMA|MACRO|TYPE|FUNCTION|\{x\})\s.*",
    "ALTER": r"ALTER\s+(TABLE|VIEW|SEQUENCE)\s.*",
    "COPY": rf"COPY\s+(\(.*\)|{_NAME})\s+(TO|FROM)\b.*",
    "PRAGMA": r"PRAGMA\s+\w+.*",
    "CHECKPOINT": rf"CHECKPOINT(\s+{_NAME})?\s*;?\s*",
    "FORCE": r"FORCE\s+CHECKPOINT\b.*",
    "ATTACH": r"ATTACH\s+(DATABASE\s+)?(IF\s+NOT\s+EXISTS\s+)?['\"{].*",
    "DETACH": rf"DETACH\s+(DATABASE\s+)?{_NAME}\s*;?\s*",
    "EXPORT": r"EXPORT\s+DATABASE\b.*",
    "IMPORT": r"IMPORT\s+DATABASE\b.*",
    "BEGIN": r"BEGIN(\s+TRANSACTION)?\s*;?\s*",
    "COMMIT": r"COMMIT\s*;?\s*",
    "ROLLBACK": r"ROLLBACK\s*;?\s*",
    "SET": r"SET\s+\w+\s*(=|TO)\s*\S.*",
    "DESCRIBE": rf"DESCRIBE\s+{_NAME}.*",
    "SUMMARIZE": rf"SUMMARIZE\s+{_NAME}.*",
    "VACUUM": r"VACUUM\b.*",
}.items()}
_TWO_WORDS = re.compile(r"(?<![\w'\"])[a-z]+ [a-z]+(?![\w(])")  # "queries only": prose, not SQL


def _prose(rest: str) -> bool:
    """After SELECT: prose (two plain lower-case words in a row) unless there is a FROM clause."""
    return not re.search(r"\bFROM\b", rest) and bool(_TWO_WORDS.search(rest))


def is_sql(text: str) -> bool:
    """Whether `text` is an SQL statement (see the module's docstring)."""
    body = text.lstrip(" \t\r\n(")
    keyword = re.match(r"[A-Z]+", body)
    if keyword is None or keyword.group() not in SHAPES:
        return False
    if not SHAPES[keyword.group()].fullmatch(body):
        return False
    return not (keyword.group() == "SELECT" and _prose(body[len("SELECT"):]))


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes of the module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                found.add(id(first.value))
    return found


def _text(node: ast.expr) -> str | None:
    """The text of a string literal, an f-string (a placeholder per field) or strings joined with `+`."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else PLACEHOLDER
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is not None and right is not None:
            return left + right
        return left  # "SELECT ..." + name: judge the literal on the left
    return None


def _is_string(node: ast.expr) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_string(node.left) or _is_string(node.right)
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def literals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal of `tree` that is not a docstring; the parts of an f-string or of
    strings joined with `+` are judged together, once."""
    skip = _docstrings(tree)

    def visit(node: ast.AST) -> Iterator[tuple[int, str]]:
        if isinstance(node, ast.expr) and _is_string(node):
            text = _text(node)
            if text is not None and id(node) not in skip:
                yield node.lineno, text
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(tree)


def allowed(path: Path) -> bool:
    """The store and the SQL console may hold SQL."""
    parts = path.resolve().relative_to(ROOT).parts
    return parts[:2] == ("kpis", "store") or (parts[:2] == ("kpis", "analysis") and parts[-1].startswith("sql_"))


def findings(path: Path) -> list[str]:
    """One `file:line: ...` per SQL literal in `path` (whether or not the file may hold SQL)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    try:
        name = path.resolve().relative_to(ROOT)
    except ValueError:
        name = path
    out = []
    for line, text in literals(tree):
        if is_sql(text):
            first = " ".join(text.split())[:60]
            out.append(f"{name}:{line}: SQL outside kpis/store/: {first}")
    return out


def files(paths: list[str]) -> list[Path]:
    out = []
    for p in paths:
        path = Path(p) if Path(p).is_absolute() else ROOT / p
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def main(argv: list[str] | None = None) -> int:
    paths = list(argv if argv is not None else sys.argv[1:]) or list(DEFAULT_PATHS)
    problems = []
    for path in files(paths):
        try:
            if allowed(path):
                continue
        except ValueError:  # outside the project (a test's temporary file): judge it
            pass
        problems += findings(path)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} SQL statement(s) outside kpis/store/ and kpis/analysis/sql_*: move each into a "
              "named function of a store query module (kpis/store/...).", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
