"""A LAIT file's values are written without a join (view `final_obs`), so DuckDB can write them on every core;
and the ids of values stay unique across imports and submissions."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from kpis.published import comparators as benchmarks
from kpis.published.comparators import import_benchmarks
from kpis.store.batches import start_batch
from kpis.store.observations import write_observations
from tests.support.plans import Explaining
from tests.support.published import one

FIXTURES = Path(__file__).parent.parent / "fixtures" / "benchmarks"
WORCS = "E10000034"


def planned(monkeypatch) -> list[str]:
    """The plans of the imports' writes to observations, in order."""
    plans: list[str] = []
    real = benchmarks.write_observations_from

    def explained(cur, **kwargs):
        cursor = Explaining(cur)
        try:
            return real(cursor, **kwargs)
        finally:
            plans.extend(cursor.plans)

    monkeypatch.setattr(benchmarks, "write_observations_from", explained)
    return plans


def test_lait_values_are_written_as_a_batch_beside_a_held_measure_and_ids_stay_unique(tmp_path, store, framework,
                                                                                     monkeypatch):
    plans = planned(monkeypatch)
    sample = pd.read_csv(FIXTURES / "lait_sample.csv", dtype=str, keep_default_na=False)
    first = tmp_path / "first.parquet"
    sample[sample["Short Desc"] == "FSP_NEW_GOODDEV"].to_parquet(first, index=False)
    assert import_benchmarks(store, first, framework=framework).new == 40
    assert plans == ["Batch Insert"]  # every measure new

    update = sample.copy()
    revised = (update["Short Desc"] == "FSP_NEW_GOODDEV") & (update["LA and Regions"] == "Worcestershire") \
        & (update["Years"] == "2016")
    update.loc[revised, "Values"] = "69.5"
    second = tmp_path / "second.parquet"
    update.to_parquet(second, index=False)
    report = import_benchmarks(store, second, framework=framework)
    assert (report.new, report.changed, report.unchanged) == (4, 1, 39)
    assert plans[1] == "Batch Insert"  # the new measures' values, picked out from the held one's
    assert one(store, "lait:FSP_NEW_GOODDEV", WORCS, "AY 2015/16")["value"] == 69.5
    assert one(store, "lait:16-17 NEET", WORCS, "2024/25")["value"] == 3.9

    at = datetime(2026, 1, 5, 9, 0)
    neet = one(store, "lait:16-17 NEET", WORCS, "2024/25")
    with store.transaction() as cur:  # a value written as a submission would write it, after the imports
        bid = start_batch(cur, kind="submission", at=at, submitted_by="lead@example.org")
        counts = write_observations(cur, batch_id=bid, at=at, rows=[{
            **{k: neet[k] for k in ("indicator_id", "area_code", "period_label", "period_type", "period_start",
                                    "period_end")}, "value": 4.2}])
    assert counts == {"new": 0, "changed": 1, "unchanged": 0}
    ids = store.df("SELECT obs_id FROM observations ORDER BY obs_id")["obs_id"].tolist()
    assert len(ids) == len(set(ids)) == 40 + 5 + 1
