"""Preview, submission, duplicates, history, export, concurrency and a crash part-way through."""
import csv
import hashlib
import io
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpis.returns.filesafety import UnreadableFile
from kpis.returns.submission import ReturnRejected, check_return, export, history, preview, submit
from kpis.store.returns import raw_file
from tests.support.returns import (
    FIXTURES,
    PERIOD,
    TODAY,
    fw,
    new_store,
    simple_return,
    snapshot,
    to_bytes,
)
from tools.sample_returns import filled_template

ROOT = Path(__file__).resolve().parent.parent.parent
ALL = "All children and young people"
BY = "lead@example.org"


def send(store, fw, data, name="r.xlsx", area="safeguarding", **kw):
    return submit(store, fw, name=name, data=data, area_id=area, by=BY, today=TODAY, **kw)


def edited(data: bytes, cells: dict[str, object]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        sheet, _, cell = ref.rpartition("!")
        wb[sheet or "Data"][cell] = value
    return to_bytes(wb)


def test_preview_shows_new_changed_and_unchanged(fw, store):
    send(store, fw, simple_return([["SG01", ALL, PERIOD, 60], ["SG02", ALL, PERIOD, 20]]))
    checked = check_return(store, fw, name="r2.xlsx", area_id="safeguarding", today=TODAY,
                           data=simple_return([["SG01", ALL, PERIOD, 62], ["SG02", ALL, PERIOD, 20],
                                               ["SG03", ALL, PERIOD, "<5"]]))
    pv = preview(store, fw, checked)
    assert pv.counts == {"new": 1, "changed": 1, "unchanged": 1}
    change = pv.changed.iloc[0]
    assert (change["indicator_id"], change["old"], change["new"]) == ("SG01", "60.0%", "62.0%")
    assert change["what_changed"] == "value" and change["row"] == 2
    assert pv.new.iloc[0]["new"] == "Suppressed (small number) (<5)"


def test_a_submission_records_everything_in_one_go(fw, store):
    data = filled_template(fw, "safeguarding")
    receipt = send(store, fw, data, name="../../Safeguarding Q2 final.xlsx")
    assert receipt.stored and receipt.duplicate_of is None
    batch = store.df("SELECT * FROM batches").iloc[0]
    assert batch["kind"] == "submission" and batch["submitted_by"] == BY and batch["outcome_area"] == "safeguarding"
    assert batch["file_name"] == "Safeguarding Q2 final.xlsx" and batch["period_label"] == PERIOD
    assert batch["sha256"] == hashlib.sha256(data).hexdigest() == receipt.sha256
    assert batch["new_values"] == receipt.counts["new"] == len(store.df("SELECT * FROM current_observations"))
    raw = store.df("SELECT * FROM raw_files").iloc[0]
    assert bytes(raw["content"]) == data and raw["sha256"] == receipt.sha256
    assert raw["raw_name"] == receipt.raw_name == batch["raw_name"]
    assert "Safeguarding" not in raw["raw_name"] and "/" not in raw["raw_name"]
    assert raw_file(store, receipt.batch_id) == ("Safeguarding Q2 final.xlsx", data)
    nar = store.df("SELECT * FROM current_narratives").iloc[0]
    assert nar["progress"].startswith("Training") and nar["period_label"] == PERIOD and not nar["publishable"]
    obs = store.df("SELECT * FROM current_observations")
    assert set(obs["area_code"]) == {fw.home_area} and not obs["is_demo"].any()
    assert obs["lower_ci"].notna().all() and (obs["lower_ci"] <= obs["value"]).all()
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'submission'") == 1


def test_the_same_file_twice_stores_nothing_and_names_the_first(fw, store):
    data = filled_template(fw, "safeguarding")
    first = send(store, fw, data)
    before = snapshot(store)
    again = send(store, fw, data, name="copy of return.xlsx")
    assert not again.stored and again.duplicate_of == first.batch_id and again.period_label == PERIOD
    assert snapshot(store) == before
    _name, replay = raw_file(store, first.batch_id)
    assert send(store, fw, replay).duplicate_of == first.batch_id


def test_a_resubmission_keeps_the_earlier_values_as_history(fw, store):
    data = filled_template(fw, "safeguarding")
    first = send(store, fw, data)
    second = send(store, fw, edited(data, {"F2": 70, "G2": None, "H2": None}))
    assert second.counts == {"new": 0, "changed": 1, "unchanged": first.counts["new"] - 1}
    h = history(store, "SG01", fw)
    versions = h[(h["breakdown_type"] == "all") & (h["period_label"] == PERIOD)]
    assert versions["version"].tolist() == [1, 2]
    assert versions["batch_id"].tolist() == [first.batch_id, second.batch_id]
    assert versions["value"].tolist()[1] == 70 and versions["is_current"].tolist() == [False, True]
    assert versions["valid_to"].iloc[0] == versions["valid_from"].iloc[1]
    assert versions["breakdown"].iloc[0] == ALL and versions["submitted_by"].tolist() == [BY, BY]


def test_a_return_with_problems_stores_nothing(fw, store):
    before = snapshot(store)
    with pytest.raises(ReturnRejected) as err:
        send(store, fw, simple_return([["SG01", ALL, PERIOD, 0.65]]))
    assert err.value.problems[0].row == 2
    with pytest.raises(UnreadableFile):
        send(store, fw, (FIXTURES / "macro_workbook.xlsx").read_bytes())
    assert snapshot(store) == before


def test_who_submits_is_required(fw, store):
    with pytest.raises(ValueError, match="email"):
        submit(store, fw, name="r.xlsx", data=simple_return([["SG01", ALL, PERIOD, 60]]), area_id="safeguarding",
               by="", today=TODAY)


def test_two_different_returns_at_once_from_threads_are_both_kept(fw, store):
    base = filled_template(fw, "safeguarding")
    files = [edited(base, {"F2": 70, "G2": None, "H2": None}), edited(base, {"F2": 71, "G2": None, "H2": None})]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def go(data):
        barrier.wait()
        try:
            results.append(send(store, fw, data))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(d,)) for d in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(r.stored for r in results)
    assert store.scalar("SELECT count(*) FROM batches") == 2
    versions = store.df("SELECT value, version, valid_to FROM observations WHERE indicator_id = 'SG01' AND "
                        "breakdown_type = 'all' ORDER BY version")
    assert versions["version"].tolist() == [1, 2] and sorted(versions["value"]) == [70, 71]
    assert versions["valid_to"].isna().tolist() == [False, True]
    current = store.scalar("SELECT count(*) FROM current_observations")
    assert current == len(load_workbook(io.BytesIO(base))["Data"]["A"]) - 1 - _blank_rows(base)


def _blank_rows(data):
    return sum(1 for c in load_workbook(io.BytesIO(data))["Data"]["A"][1:] if not c.value)


def test_the_same_return_twice_at_once_is_stored_once(fw, store):
    data = filled_template(fw, "safeguarding")
    results = []
    barrier = threading.Barrier(2)

    def go():
        barrier.wait()
        results.append(send(store, fw, data))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = [r for r in results if r.stored]
    refused = [r for r in results if not r.stored]
    assert len(stored) == 1 and len(refused) == 1 and refused[0].duplicate_of == stored[0].batch_id
    assert store.scalar("SELECT count(*) FROM batches") == 1


KILLER = r"""
import os, signal, sys
from datetime import date
sys.path.insert(0, sys.argv[1])
from kpis.core.framework import load_framework
from kpis.store.database import Store
import kpis.returns.submission as submission
real = submission.finish_batch
def finish_then_die(*args, **kwargs):
    real(*args, **kwargs)              # everything is written, nothing is committed yet
    print("inside the transaction", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
submission.finish_batch = finish_then_die
store = Store(sys.argv[2])
data = open(sys.argv[3], "rb").read()
submission.submit(store, load_framework(), name="q2.xlsx", data=data, area_id="safeguarding",
                  by="lead@example.org", today=date(2025, 11, 20))
print("not reached", flush=True)
"""


def test_a_submission_killed_part_way_leaves_the_database_as_it_was(fw, tmp_path):
    db = tmp_path / "crash.duckdb"
    store = new_store(db, fw)
    send(store, fw, filled_template(fw, "safeguarding", "2025/26 Q1"))
    before = snapshot(store)
    store.close()
    second = tmp_path / "q2.xlsx"
    second.write_bytes(filled_template(fw, "safeguarding", PERIOD))
    result = subprocess.run([sys.executable, "-c", KILLER, str(ROOT), str(db), str(second)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == -9, result.stderr
    assert "inside the transaction" in result.stdout and "not reached" not in result.stdout
    store = new_store(db, fw)
    try:
        assert snapshot(store) == before
        receipt = send(store, fw, second.read_bytes())  # and the same return goes in cleanly afterwards
        assert receipt.stored and receipt.counts["new"] > 0
    finally:
        store.close()


def test_export_csv_and_xlsx_with_provenance_and_formula_safe_text(fw, store, tmp_path):
    receipt = send(store, fw, simple_return([["SG01", ALL, PERIOD, 60, None, None, None, "-5 on last quarter"],
                                             ["SG02", ALL, PERIOD, 20, None, None, None, "+ see note"]]))
    n = export(store, tmp_path / "all.csv")
    assert n == 2
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["commentary"] == "'-5 on last quarter" and rows[1]["commentary"] == "'+ see note"
    assert rows[0]["batch_id"] == str(receipt.batch_id) and rows[0]["submitted_by"] == BY
    assert rows[0]["sha256"] == receipt.sha256 and rows[0]["file_name"] == "r.xlsx"
    assert export(store, tmp_path / "all.xlsx") == 2
    ws = load_workbook(tmp_path / "all.xlsx")["Values"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(2, header.index("commentary") + 1)
    assert cell.data_type == "s" and cell.value == "'-5 on last quarter"
    with pytest.raises(ValueError, match=r".csv or .xlsx"):
        export(store, tmp_path / "all.json")


def _load_bench():
    from tools.bench import returns
    return returns


def test_the_5000_row_benchmark_stores_every_row(tmp_path):
    """The benchmark itself runs and stores a whole 5,000-row return; its time is reported by `make bench`,
    never asserted here (timings belong in the benchmark, not in tests)."""
    seconds = _load_bench().bench_submit_5000(tmp_path)
    assert seconds > 0
