import json
import subprocess
import sys

import pytest

from kpis.cli.main import main
from tests.conftest import ROOT


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "kpis", *args], capture_output=True, text=True, cwd=ROOT, env=env)


def test_init_demo_then_info_json_lists_4_areas_and_16_kpis(demo_db, capsys):
    assert main(["--db", str(demo_db), "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [a["id"] for a in info["areas"]] == ["early_help", "ewmh", "send", "safeguarding"]
    assert len(info["kpis"]) == 16
    assert info["demo_data"] is True
    rows = {k["id"]: k["rows"] for k in info["kpis"]}
    assert all(n > 0 for k, n in rows.items() if k not in ("EH03",)), rows


def test_info_text_output(demo_db, capsys):
    assert main(["--db", str(demo_db), "info"]) == 0
    out = capsys.readouterr().out
    assert "SG02" in out and "includes DEMO DATA" in out


def test_help_on_every_command():
    top = run("--help")
    assert top.returncode == 0 and "init" in top.stdout and "info" in top.stdout
    commands = [c for c in ("init", "info", "import-benchmarks", "template", "validate", "submit", "history", "export")
                if c in top.stdout]
    for command in commands:
        result = run(command, "--help")
        assert result.returncode == 0, command
        assert "usage:" in result.stdout


def test_exit_codes_for_unusable_arguments(tmp_path):
    assert run("no-such-command").returncode == 2
    assert run().returncode == 2
    missing = run("--db", str(tmp_path / "nothing.duckdb"), "info")
    assert missing.returncode == 2
    assert "init --demo" in missing.stderr and "Traceback" not in missing.stderr


def test_a_broken_framework_is_reported_without_traceback(tmp_path):
    result = run("--framework", str(ROOT / "tests/fixtures/frameworks/broken.toml"), "--db", str(tmp_path / "x.duckdb"),
                 "init")
    assert result.returncode == 2
    assert "problem(s)" in result.stderr and "Traceback" not in result.stderr


def test_init_without_demo_creates_an_empty_store(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["observations"] == 0 and info["demo_data"] is False
