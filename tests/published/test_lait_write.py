"""Value ids stay unique however values arrive: a LAIT file's new measures (written in one statement, numbered by
source row), its held ones (compared with stored values), another format (numbered as written) and a submission
changing a value after them. Ids are given by the writer (the largest so far plus a row number): there is no
index on observations to refuse a repeated one."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from kpis.published.importer import REFERENCE_DIR, import_benchmarks
from kpis.store.batches import start_batch
from kpis.store.observations import write_observations
from tests.support.published import one

FIXTURES = Path(__file__).parent.parent / "fixtures" / "benchmarks"
D3 = REFERENCE_DIR / "dfe" / "d3_cpps_subsequent_plan_2013_to_2025.csv"
WORCS = "E10000034"


def ids(store) -> list[int]:
    return store.df("SELECT obs_id FROM observations ORDER BY obs_id")["obs_id"].tolist()


def test_value_ids_stay_unique_across_imports_and_a_submission(tmp_path, store, framework):
    sample = pd.read_csv(FIXTURES / "lait_sample.csv", dtype=str, keep_default_na=False)
    first = tmp_path / "first.parquet"
    sample[sample["Short Desc"] == "FSP_NEW_GOODDEV"].to_parquet(first, index=False)
    assert import_benchmarks(store, first, framework=framework).new == 40

    update = sample.copy()
    revised = (update["Short Desc"] == "FSP_NEW_GOODDEV") & (update["LA and Regions"] == "Worcestershire") \
        & (update["Years"] == "2016")
    update.loc[revised, "Values"] = "69.5"
    second = tmp_path / "second.parquet"
    update.to_parquet(second, index=False)
    report = import_benchmarks(store, second, framework=framework)  # new measures beside a held one
    assert (report.new, report.changed, report.unchanged) == (4, 1, 39)
    assert one(store, "lait:FSP_NEW_GOODDEV", WORCS, "AY 2015/16")["value"] == 69.5
    after_lait = ids(store)
    assert len(after_lait) == len(set(after_lait)) == 40 + 5

    dfe = import_benchmarks(store, D3, framework=framework)
    assert dfe.new > 0
    after_dfe = ids(store)
    assert len(after_dfe) == len(set(after_dfe)) == len(after_lait) + dfe.new
    assert min(set(after_dfe) - set(after_lait)) > max(after_lait)  # new ids follow on

    at = datetime(2026, 1, 5, 9, 0)
    neet = one(store, "lait:16-17 NEET", WORCS, "2024/25")
    with store.transaction() as cur:  # a value changed by a submission after the imports
        bid = start_batch(cur, kind="submission", at=at, submitted_by="lead@example.org")
        counts = write_observations(cur, batch_id=bid, at=at, rows=[{
            **{k: neet[k] for k in ("indicator_id", "area_code", "period_label", "period_type", "period_start",
                                    "period_end")}, "value": 4.2}])
    assert counts == {"new": 0, "changed": 1, "unchanged": 0}
    final = ids(store)
    assert len(final) == len(set(final)) == len(after_dfe) + 1 and final[-1] > max(after_dfe)
    assert one(store, "lait:16-17 NEET", WORCS, "2024/25")["value"] == 4.2
