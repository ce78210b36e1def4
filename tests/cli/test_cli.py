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


def test_help_on_every_command(kpis_run):
    top = kpis_run("--help")
    assert top.returncode == 0 and "init" in top.stdout and "info" in top.stdout
    commands = [c for c in ("init", "info", "import-benchmarks", "template", "validate", "submit", "history", "export")
                if c in top.stdout]
    for command in commands:
        result = kpis_run(command, "--help")
        assert result.returncode == 0, command
        assert "usage:" in result.stdout


def test_exit_codes_for_unusable_arguments(tmp_path):
    assert run("no-such-command").returncode == 2
    assert run().returncode == 2
    missing = run("--db", str(tmp_path / "nothing.duckdb"), "info")
    assert missing.returncode == 2
    assert "init --demo" in missing.stderr and "Traceback" not in missing.stderr


def test_a_broken_framework_is_reported_without_traceback(tmp_path, kpis_run):
    result = kpis_run("--framework", str(ROOT / "tests/fixtures/frameworks/broken.toml"),
                      "--db", str(tmp_path / "x.duckdb"), "init")
    assert result.returncode == 2
    assert "problem(s)" in result.stderr and "Traceback" not in result.stderr


def test_init_without_demo_creates_an_empty_store(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["observations"] == 0 and info["demo_data"] is False


def test_backup_waits_out_a_long_page_run_and_says_so(demo_db, tmp_path, monkeypatch, capsys):
    """The app holds the database for each page run; a run longer than the command line's usual wait (30 s)
    made `backup` fail. It now waits (up to --wait, 600 s by default) and says it is waiting."""
    import time

    import kpis.store.database as database
    from tests.support.locks import held_for
    monkeypatch.delenv("KPIS_DB_WAIT", raising=False)
    monkeypatch.setattr(database, "CLI_WAIT_S", 0.5)      # the usual wait, made a quarter of this "page run"
    out = tmp_path / "b.zip"
    started = time.monotonic()
    with held_for(demo_db, 2.0):
        code = main(["--db", str(demo_db), "backup", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert time.monotonic() - started >= 1.75 and out.exists()
    assert "The database is in use" in captured.err and "waiting for it" in captured.err
    assert "Backed up" in captured.out


def test_backup_gives_up_after_its_wait_in_plain_words(demo_db, tmp_path, monkeypatch, capsys):
    from tests.support.locks import held_by_another_process
    monkeypatch.delenv("KPIS_DB_WAIT", raising=False)
    with held_by_another_process(demo_db):
        assert main(["--db", str(demo_db), "backup", "-o", str(tmp_path / "b.zip"), "--wait", "1"]) == 2
    err = capsys.readouterr().err
    assert "error: The database is busy" in err and "Traceback" not in err
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("args,read", [
    (["info"], False),                                       # closed before anything is written: fails at exit
    (["history", "SG02"], False),
    (["sql", "SELECT range AS n FROM range(100000)", "--limit", "100000"], True),   # a megabyte: fails mid-way
    (["sql", "SELECT repeat('x', 200) AS t FROM range(5000)", "--limit", "5000", "--json"], True),
])
def test_a_reader_that_stops_early_ends_the_command_quietly(demo_db, args, read):
    """`python -m kpis submit ... | head` printed a BrokenPipeError traceback. Now: no traceback, exit 141."""
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "kpis", "--db", str(demo_db), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, env=env)
    if read:
        assert proc.stdout.readline()        # as `head -1` does: one line, then the pipe is closed
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
    assert code == 141, (code, err)
