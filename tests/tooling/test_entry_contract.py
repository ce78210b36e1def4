"""tools.entry_contract: dashboard.py keeps the import contract of the pages (make lint)."""
from __future__ import annotations

from tools import entry_contract


def test_dashboard_keeps_the_pages_contract(capsys):
    assert entry_contract.main([]) == 0
    assert "1 script(s), 0 breach(es)" in capsys.readouterr().out


def test_the_forbidden_modules_come_from_the_import_linter_contract():
    assert {"duckdb", "kpis.cli", "kpis.setup", "kpis.store.backup"} <= set(entry_contract.forbidden_modules())


def test_a_script_that_opens_duckdb_or_runs_the_cli_is_caught(tmp_path, capsys):
    script = tmp_path / "entry.py"
    script.write_text("import streamlit as st\nimport duckdb\nfrom kpis.cli.main import main\n"
                      "from kpis.store.database import StoreBusy\n\ndef f():\n    from kpis.setup import demo\n")
    assert entry_contract.main([str(script)]) == 1
    out = capsys.readouterr().out
    assert f"{script}:2: imports duckdb" in out and f"{script}:3: imports kpis.cli.main" in out
    assert f"{script}:7: imports kpis.setup" in out and "StoreBusy" not in out
    assert "1 script(s), 3 breach(es)" in out
