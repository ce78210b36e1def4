"""`make lint`: dashboard.py, the app's entry script, keeps the pages' import contract.

import-linter checks packages, and dashboard.py is a script outside them, so this applies the contract that covers
`app_pages` (".importlinter", contract `pages-only-arrange`: its forbidden modules, read from there, so the rule has
one home) to dashboard.py's own imports: it may import streamlit, the pages and what kpis offers pages, but not
duckdb, the command line, install-time setup, the backup or the SQL console's sandbox.

    python -m tools.entry_contract [SCRIPT ...]     # default: dashboard.py; exit 1 listing file:line
"""
from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "importlinter:contract:pages-only-arrange"


def forbidden_modules(config: Path = ROOT / ".importlinter") -> list[str]:
    """The modules the pages' contract forbids, as .importlinter lists them."""
    parser = configparser.ConfigParser()
    parser.read(config)
    return [m.strip() for m in parser[CONTRACT]["forbidden_modules"].splitlines() if m.strip()]


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a script, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def breaches(path: Path, forbidden: list[str]) -> list[str]:
    """One line per import statement and forbidden module it reaches."""
    found: dict[tuple[int, str], str] = {}
    for line, name in imported(path):
        for bad in forbidden:
            if name == bad or name.startswith(f"{bad}."):
                found.setdefault((line, bad), f"{path}:{line}: imports {name}, which the pages' contract forbids")
    return [found[k] for k in sorted(found)]


def main(argv: list[str] | None = None) -> int:
    scripts = [Path(p) for p in (argv if argv else [str(ROOT / "dashboard.py")])]
    forbidden = forbidden_modules()
    found = [b for s in scripts for b in breaches(s, forbidden)]
    for line in found:
        print(line)
    print(f"entry contract: {len(scripts)} script(s), {len(found)} breach(es) of {CONTRACT.split(':')[-1]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
