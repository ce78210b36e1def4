"""`Store` is a context manager: the block's end closes it, also when the block raises."""
from __future__ import annotations

import pytest

from kpis.store.database import Store, StoreError


def test_a_with_block_closes_the_store_even_when_it_raises(tmp_path):
    path = tmp_path / "ctx.duckdb"
    with Store(path) as store:
        assert store.scalar("SELECT 41 + 1") == 42
    with pytest.raises(StoreError, match="not open"):
        _ = store.con
    with pytest.raises(ZeroDivisionError), Store(path) as again:
        raise ZeroDivisionError
    with pytest.raises(StoreError, match="not open"):
        _ = again.con
    with Store(path, read_only=True) as reader:   # the file was let go: another store may open it
        assert reader.scalar("SELECT 1") == 1


def test_every_connection_caps_duckdbs_memory_and_the_cap_can_be_set(tmp_path, monkeypatch):
    """A national import or page spills to disk rather than taking the server's memory (issue 25: < 1 GB)."""
    from kpis.store.database import MEMORY_LIMIT_ENV
    with Store(tmp_path / "m.duckdb") as store:
        assert store.scalar("SELECT current_setting('memory_limit')") == "572.2 MiB"      # 600 MB, as DuckDB says it
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "2GB")
    with Store(tmp_path / "m.duckdb") as store:
        assert store.scalar("SELECT current_setting('memory_limit')") == "1.8 GiB"
