"""The settings table: one value per key (framework, partnership, home_area, demo, framework_sha256)."""
from __future__ import annotations

from kpis.store.database import Store


def setting(store: Store, key: str) -> str | None:
    """The value of one setting, or None if it was never set."""
    return store.scalar("SELECT value FROM settings WHERE key = ?", [key])
