"""Rows of indicators the store does not hold yet are written in one statement (`write_observations_from` with
`checked` and `indicators`), apart from those compared with stored values; ids stay unique throughout."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kpis.store import observations
from kpis.store.batches import start_batch
from kpis.store.database import Store
from kpis.store.observations import incoming_table, write_observations_from
from tests.support.plans import Explaining

T0 = datetime(2025, 5, 1, 9, 0)


def row(indicator: str, value: float) -> dict:
    return dict(indicator_id=indicator, area_code="E10000034", period_label="2024/25", period_type="financial_year",
                period_start="2024-04-01", period_end="2025-03-31", value=value)


def write(store: Store, rows: list[dict], at: datetime) -> tuple[dict, list[str]]:
    """Write checked rows (each with its number, `_row`) as an import does; the counts and the plans."""
    table, present = incoming_table(rows)
    with store.transaction() as cur:
        bid = start_batch(cur, kind="import", at=at, submitted_by="test")
        cur.register("incoming_rows", table)
        cur.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT *, row_number() OVER () AS _row "
                    "FROM incoming_rows")
        cur.unregister("incoming_rows")
        explaining = Explaining(cur)
        counts = write_observations_from(explaining, batch_id=bid, relation="incoming", columns=present, at=at,
                                         checked=True, indicators=sorted({r["indicator_id"] for r in rows}),
                                         row_column="_row")
        cur.execute("DROP TABLE incoming")
    return counts, explaining.plans


@pytest.mark.parametrize(("held", "fresh", "short_list", "how"), [
    (2, 4, 64, "held listed"),        # fewer held than fresh: the held are searched for
    (4, 2, 64, "fresh listed"),       # fewer fresh: the fresh are
    (2, 4, 1, "joined"),              # both lists long: joined
])
def test_fresh_and_held_indicators_are_told_apart_however_they_are_picked_out(store, monkeypatch, held, fresh,
                                                                              short_list, how):
    monkeypatch.setattr(observations, "SHORT_LIST", short_list)
    old = [f"H{i}" for i in range(held)]
    new = [f"F{i}" for i in range(fresh)]
    first, _ = write(store, [row(i, 1.0) for i in old], T0)
    assert first == {"new": held, "changed": 0, "unchanged": 0}
    where, _ = observations._fresh_filter(old, new)
    assert {"held listed": "IS NULL", "fresh listed": "IS NOT NULL", "joined": "unnest"}[how] in where

    rows = [row(old[0], 2.0)] + [row(i, 1.0) for i in old[1:]] + [row(i, 5.0) for i in new]
    counts, plans = write(store, rows, T0 + timedelta(days=1))
    assert counts == {"new": fresh, "changed": 1, "unchanged": held - 1}
    if how != "joined":  # no join in the fresh rows' write: DuckDB may write them on every core, in order
        assert plans[0] == "Batch Insert"
    current = dict(store.con.execute("SELECT indicator_id, value FROM current_observations").fetchall())
    assert current == {old[0]: 2.0, **{i: 1.0 for i in old[1:]}, **{i: 5.0 for i in new}}
    ids = [r[0] for r in store.con.execute("SELECT obs_id FROM observations").fetchall()]
    assert len(ids) == len(set(ids)) == held + fresh + 1


def test_every_row_fresh_is_written_without_a_filter(store):
    counts, plans = write(store, [row("F1", 1.0), row("F2", 2.0)], T0)
    assert counts == {"new": 2, "changed": 0, "unchanged": 0}
    assert plans == ["Batch Insert"]
    assert observations._fresh_filter([], ["F1", "F2"]) == ("", [])
