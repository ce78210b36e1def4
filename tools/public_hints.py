"""`make lint`: every public function of kpis/ has type hints on its arguments and its return.

Public means a module-level function, or a method of a public class, whose name does not start with an
underscore (dunder methods count; `__init__` needs no return hint). ruff's ANN rules would ask the same of
private helpers too; this asks it of what other modules call.

    python -m tools.public_hints [PATH ...]     # default: kpis; exit 1 listing each gap
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(node)
        elif isinstance(node, ast.ClassDef) and _is_public(node.name):
            found += [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return [f for f in found if _is_public(f.name)]


def gaps(path: Path) -> list[str]:
    """One line per public function of `path` that lacks a hint: where, which function, what is missing."""
    out = []
    for fn in _functions(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
        missing = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
        missing += [f"*{a.arg}" for a in (fn.args.vararg, fn.args.kwarg) if a is not None and a.annotation is None]
        if fn.returns is None and fn.name != "__init__":
            missing.append("return")
        if missing:
            out.append(f"{path.relative_to(ROOT)}:{fn.lineno}: {fn.name}() has no type hint for {', '.join(missing)}")
    return out


def main(argv: list[str]) -> int:
    roots = [Path(a).resolve() for a in argv] or [ROOT / "kpis"]
    files = sorted(f for r in roots for f in ([r] if r.is_file() else r.rglob("*.py")))
    found = [line for f in files for line in gaps(f)]
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} public functions without type hints", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
