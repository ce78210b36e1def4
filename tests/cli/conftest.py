"""Fixtures of the command-line tests."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.returns import new_store


@pytest.fixture(scope="session")
def cli_db_master(tmp_path_factory) -> Path:
    """The empty database `db` copies: made once per session, as `init` makes it (schema and framework)."""
    path = tmp_path_factory.mktemp("cli-master") / "cli.duckdb"
    new_store(path).close()
    assert not Path(f"{path}.wal").exists()      # closed whole: the file is the whole database
    return path


@pytest.fixture
def db(cli_db_master, tmp_path):
    """An empty database with the schema and the framework, made as `init` makes it (a private copy)."""
    path = tmp_path / "cli.duckdb"
    shutil.copy(cli_db_master, path)
    return path


@pytest.fixture
def kpis_run(capsys):
    """`kpis_run(*args)`: `python -m kpis ARGS` in this process, as a `subprocess.run` result (exit code, stdout,
    stderr), without the two seconds of a fresh interpreter's imports. It calls what `python -m kpis` calls,
    `kpis.cli.main.run`, and takes argparse's exit as the exit code, as the interpreter would. An exception it
    does not catch fails the test (a real process would print a traceback). Each command family keeps a test of
    the real process (exit codes, pipes, stdin) in its own file."""
    from kpis.cli.main import run

    def kpis(*args: object) -> subprocess.CompletedProcess:
        capsys.readouterr()                       # only this command's output
        argv = [str(a) for a in args]
        try:
            code = run(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["python", "-m", "kpis", *argv], code, out, err)
    return kpis
