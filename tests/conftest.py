"""Shared fixtures: a real demo database built once per test session by the real CLI."""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `make test-fast` leaves out: tests that drive a real browser (Chromium, also behind chart images), time the
# whole app, take every framework through the whole path, or kill and cap child processes. `make test` runs them.
SLOW_FOLDERS = {"browser": ("slow", "browser"), "tooling": ("slow",), "journeys": ("slow",)}
SLOW_FILES = {"packs/test_packs.py": ("slow", "browser"), "packs/test_tagged_pdf.py": ("slow", "browser"),
              "app/test_pages_pack.py": ("slow", "browser"),
              "store/test_faults.py": ("slow",), "store/test_store_sharing.py": ("slow",),
              "returns/test_read_budget.py": ("slow",), "access/test_page_access_server.py": ("slow",),
              "governance/test_report_files.py": ("slow", "browser")}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(ROOT / "tests")
        for mark in SLOW_FOLDERS.get(where.parts[0], ()) + SLOW_FILES.get(where.as_posix(), ()):
            item.add_marker(getattr(pytest.mark, mark))
    # The slow files first (a stable sort: each file's tests stay together and in order). xdist hands out the work
    # in this order, so the longest files start at once and the short ones fill in at the end, keeping both
    # workers busy to the last test instead of one finishing a long browser file alone.
    items.sort(key=lambda item: (item.get_closest_marker("browser") is None, item.get_closest_marker("slow") is None))


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once() -> None:
    """Installed packages are searched for Streamlit components once per process, not once per AppTest (every
    folder's AppTest tests: pages, governance, returns, store, journeys)."""
    from tests.support.apptest import scan_components_once
    scan_components_once()


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory, worker_id):
    """`demo_master(framework_file)`: that framework's demo database, built by the real CLI (`init --demo`) once per
    test session, not once per test file. Read it in place (read-only), or copy it to change it.

    Under xdist the first worker to ask builds it in the run's shared temporary folder (the others wait on a lock),
    and each worker reads its own copy, so no two processes ever open the same file."""
    from kpis.cli.main import main
    own = tmp_path_factory.getbasetemp()
    shared = own.parent if worker_id != "master" else own   # the run's folder, shared by its workers
    made: dict[Path, Path] = {}

    def master(framework: Path) -> Path:
        framework = Path(framework).resolve()
        if framework not in made:
            name = f"demo-{framework.stem}-{hashlib.sha256(str(framework).encode()).hexdigest()[:12]}"
            built = shared / name / "demo.duckdb"
            built.parent.mkdir(exist_ok=True)
            with open(shared / f"{name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)                 # one builder; the others wait, then copy
                if not built.exists():
                    making = built.with_name("building.duckdb")
                    making.unlink(missing_ok=True)               # what a builder that failed left
                    assert main(["--framework", str(framework), "--db", str(making), "init", "--demo"]) == 0
                    assert not Path(f"{making}.wal").exists()    # the CLI closed it: the file is the whole database
                    making.rename(built)
            if built.parent == own / name:
                made[framework] = built
            else:
                made[framework] = tmp_path_factory.mktemp(name) / "demo.duckdb"
                shutil.copy(built, made[framework])
        return made[framework]
    return master


@pytest.fixture(scope="session")
def demo_db_master(demo_master) -> Path:
    """The shipped default framework's demo database (see demo_master). Copy it to change it (demo_db)."""
    from kpis.core.framework import DEFAULT_FRAMEWORK
    return demo_master(DEFAULT_FRAMEWORK)


@pytest.fixture
def store(tmp_path):
    """An empty store (schema only), closed afterwards. Test modules with a store of their own override it."""
    from kpis.store.database import Store
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()


@pytest.fixture
def demo_db(demo_db_master, tmp_path) -> Path:
    """A private copy of the demo database, so a test may change it."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_master, path)
    return path


@pytest.fixture
def app_env(monkeypatch):
    """Point the app at a database for AppTest, and clear Streamlit's resource caches."""
    def use(db: Path):
        monkeypatch.setenv("KPIS_DB", str(db))
        monkeypatch.chdir(ROOT)
        import streamlit as st
        st.cache_resource.clear()
        st.cache_data.clear()
        return db
    yield use
    import streamlit as st
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def built_once(tmp_path_factory):
    """`built_once(name, build)`: a database `build(path)` makes, made once per session (per worker) rather than
    once per test. Tests copy it to change it; its file is the whole database (nothing left in a WAL)."""
    made: dict[str, Path] = {}

    def master(name: str, build) -> Path:
        if name not in made:
            path = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
            build(path)
            assert not Path(f"{path}.wal").exists(), f"{name}: close the store before copying it"
            made[name] = path
        return made[name]
    return master
