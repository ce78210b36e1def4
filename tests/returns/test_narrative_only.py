"""A return with a narrative and no figures (check and submit, on a real DuckDB file, real openpyxl workbooks):
stored with its receipt and audit; its quarter must be known; neither figures nor narrative is refused."""
from __future__ import annotations

from datetime import date

import pytest

from kpis.returns.submission import ReturnRejected, check_return, submit
from tests.support.returns import fw, to_bytes, workbook

TODAY = date(2025, 11, 20)


def narrative_only(progress: str | None, *, quarter: str | None) -> bytes:
    wb = workbook([])                                   # the Data sheet: a header, no rows
    if quarter:
        ins = wb.create_sheet("Instructions", 0)
        ins.append(["Return period", quarter])
    nar = wb.create_sheet("Narrative")
    nar.append(["Progress", progress])
    nar.append(["Risks and barriers", None])
    return to_bytes(wb)


def test_a_narrative_alone_is_stored_with_a_receipt(store, fw):
    data = narrative_only("Two family hubs opened.", quarter="2025/26 Q2")
    checked = check_return(store, fw, name="n.xlsx", data=data, area_id="early_help", today=TODAY)
    assert checked.ok and checked.rows.empty and checked.narrative["progress"] == "Two family hubs opened."
    receipt = submit(store, fw, name="n.xlsx", data=data, area_id="early_help", by="lead@example.org", today=TODAY)
    assert receipt.stored and receipt.narrative_stored and receipt.period_label == "2025/26 Q2"
    assert receipt.counts == {"new": 0, "changed": 0, "unchanged": 0}
    assert store.scalar("SELECT progress FROM current_narratives WHERE batch_id = ?", [receipt.batch_id]) \
        == "Two family hubs opened."
    assert store.scalar("SELECT count(*) FROM raw_files WHERE batch_id = ?", [receipt.batch_id]) == 1


def test_a_narrative_without_a_quarter_says_so_and_a_given_quarter_mends_it(store, fw):
    data = narrative_only("Two family hubs opened.", quarter=None)
    checked = check_return(store, fw, name="n.xlsx", data=data, area_id="early_help", today=TODAY)
    assert [p.message for p in checked.errors] == [
        "The narrative has no quarter: the file says neither which quarter it is for nor has rows with a period. "
        "Use the template for the quarter, or say the quarter when you send it."]
    assert check_return(store, fw, name="n.xlsx", data=data, area_id="early_help", today=TODAY,
                        period="2025/26 Q2").ok


def test_neither_figures_nor_narrative_is_refused_in_words(store, fw):
    data = narrative_only(None, quarter="2025/26 Q2")
    with pytest.raises(ReturnRejected) as exc:
        submit(store, fw, name="e.xlsx", data=data, area_id="early_help", by="lead@example.org", today=TODAY)
    (problem,) = exc.value.problems
    assert problem.message.startswith("The return has no figures and no narrative, so there is nothing to store.")
    assert problem.found == "no figures and no narrative"
    assert store.scalar("SELECT count(*) FROM batches") == 0
