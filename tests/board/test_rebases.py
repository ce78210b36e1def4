"""SPC rebases (issue 21): recorded by an administrator, stored, versioned and audited; the limits and the
scorecard's verdict restart there; a framework file may declare one; nobody else may add or remove one."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from kpis.access.audit import audit_entries
from kpis.access.permissions import Actor, PermissionDenied
from kpis.board import variation
from kpis.board.rebases import add_rebase, rebases_for, remove_rebase
from kpis.board.scorecard import scorecard, scorecard_rows
from kpis.core.framework import FrameworkError, parse_framework
from kpis.core.kpi import Rebase
from kpis.core.periods import financial_quarter
from kpis.store.rebases import rebase_history
from tests.support.board import FRAMEWORK, HOME, submit

ADMIN = Actor("admin@example.org", "admin")
VIEWER = Actor("viewer@example.org", "viewer")
ANALYST = Actor("analyst@example.org", "analyst")
LOADED, ADDED, REMOVED = datetime(2026, 1, 5, 9), datetime(2026, 2, 1, 10), datetime(2026, 3, 1, 10)
# 16 quarters of SG02 (lower is better): 8 near 20%, then, after a change of definition, 8 near 30%
QUARTERS = [financial_quarter(2021 + i // 4, i % 4 + 1) for i in range(16)]
VALUES = [20, 21, 19, 20, 22, 18, 20, 21, 30, 31, 29, 30, 32, 28, 30, 31]


@pytest.fixture
def sg02_store(store):
    rows = [dict(indicator_id="SG02", area_code=HOME, breakdown_type="all", breakdown_value="all",
                 period_label=q.label, period_type=q.type, period_start=q.start, period_end=q.end, value=float(v))
            for q, v in zip(QUARTERS, VALUES, strict=False)]
    submit(store, rows, LOADED)
    return store


def sg02_verdict(store, as_at=None):
    return scorecard_rows(store, FRAMEWORK, kpi_ids=["SG02"], as_at=as_at)[0].variation


def test_a_stored_rebase_restarts_the_limits_and_changes_the_verdict(sg02_store):
    before = sg02_verdict(sg02_store)
    assert before.short == "Worsening" and before.cause == "a point above the upper limit"
    assert len(before.result.groups) == 1 and before.result.points[-1].mean == pytest.approx(25.125)

    # the change took effect on 1 April 2023: the limits restart with 2023/24 Q1, which ends 30 June 2023
    add_rebase(sg02_store, FRAMEWORK, actor=ADMIN, kpi_id="SG02", on=date(2023, 4, 1),
               reason="Counted by the new national definition", at=ADDED)
    after = sg02_verdict(sg02_store)
    assert [g.start for g in after.result.groups] == [date(2021, 6, 30), date(2023, 6, 30)]
    assert after.result.points[-1].mean == pytest.approx(30.125)            # the mean of the last 8 only
    assert after.result.points[0].mean == pytest.approx(20.125)
    assert after.short == "No signal (trial)" and after.icon == "common_cause"
    assert "The limits restarted at June 2023 (Counted by the new national definition)" in after.words
    assert after.rebases == (Rebase(date(2023, 6, 30), "Counted by the new national definition", "admin",
                                    after.rebases[0].rebase_id, "admin@example.org"),)
    # a past meeting's scorecard is drawn with the rebases in force then
    assert len(sg02_verdict(sg02_store, as_at=datetime(2026, 1, 20)).result.groups) == 1


def test_adding_and_removing_a_rebase_is_audited_and_removing_keeps_history(sg02_store):
    rid = add_rebase(sg02_store, FRAMEWORK, actor=ADMIN, kpi_id="SG02", on=date(2023, 4, 1),
                     reason="  New   definition ", at=ADDED)
    with pytest.raises(ValueError, match="already has a rebase on 1 April 2023"):
        add_rebase(sg02_store, FRAMEWORK, actor=ADMIN, kpi_id="SG02", on=date(2023, 4, 1), reason="again")
    with pytest.raises(ValueError, match="Give a reason"):
        add_rebase(sg02_store, FRAMEWORK, actor=ADMIN, kpi_id="SG02", on=date(2023, 7, 1), reason=" ")
    with pytest.raises(ValueError, match="no KPI 'ZZ99'"):
        add_rebase(sg02_store, FRAMEWORK, actor=ADMIN, kpi_id="ZZ99", on=date(2023, 7, 1), reason="x")
    remove_rebase(sg02_store, actor=ADMIN, rebase_id=rid, reason="Recorded against the wrong KPI", at=REMOVED)
    with pytest.raises(ValueError, match="already removed"):
        remove_rebase(sg02_store, actor=ADMIN, rebase_id=rid, reason="twice")
    assert rebases_for(sg02_store, FRAMEWORK.kpi("SG02")) == ()
    assert len(sg02_verdict(sg02_store).result.groups) == 1                  # the limits no longer restart
    history = rebase_history(sg02_store, "SG02")
    assert len(history) == 1
    kept = history.iloc[0]
    assert (kept["reason"], kept["recorded_by"], kept["removed_by"], kept["removal_reason"]) == (
        "New definition", "admin@example.org", "admin@example.org", "Recorded against the wrong KPI")
    assert kept["valid_to"] == REMOVED
    log = audit_entries(sg02_store, actions=["rebase_added", "rebase_removed"])
    assert list(log["what"]) == ["SPC rebase removed", "SPC rebase added"]
    assert set(log["actor"]) == {"admin@example.org"}
    assert '"kpi": "SG02"' in log["detail"].iloc[1] and "2023-04-01" in log["detail"].iloc[1]
    assert "Recorded against the wrong KPI" in log["detail"].iloc[0]


@pytest.mark.parametrize("who", [VIEWER, ANALYST])
def test_only_an_administrator_may_add_or_remove_a_rebase(sg02_store, who):
    with pytest.raises(PermissionDenied):
        add_rebase(sg02_store, FRAMEWORK, actor=who, kpi_id="SG02", on=date(2023, 4, 1), reason="x")
    rid = add_rebase(sg02_store, FRAMEWORK, actor=ADMIN, kpi_id="SG02", on=date(2023, 4, 1), reason="x", at=ADDED)
    with pytest.raises(PermissionDenied):
        remove_rebase(sg02_store, actor=who, rebase_id=rid, reason="no")
    assert sg02_store.scalar("SELECT count(*) FROM rebases") == 1
    assert sg02_store.scalar("SELECT count(*) FROM rebases WHERE valid_to IS NOT NULL") == 0
    assert list(audit_entries(sg02_store)["action"]) == ["rebase_added"]


def test_a_rebase_declared_in_the_framework_file_restarts_the_limits(sg02_store):
    raw = {"partnership": {"name": "Demo", "home_area": HOME},
           "areas": [{"id": "sg", "name": "Safeguarding", "sub_group": "Safeguarding board"}],
           "outcomes": [{"id": "safe", "name": "Safe"}],
           "kpis": [{"id": "SG02", "area": "sg", "outcome": "safe", "title": "Repeat plans", "definition": "d",
                     "unit": "percentage", "polarity": "lower_is_better", "frequency": "quarterly",
                     "rebase": [{"date": "2023-04-01", "reason": "New national definition"}]}]}
    fw = parse_framework(raw)
    kpi = fw.kpi("SG02")
    assert kpi.rebases == (Rebase(date(2023, 4, 1), "New national definition", "framework"),)
    v = scorecard_rows(sg02_store, fw, kpi_ids=["SG02"])[0].variation
    assert [g.start for g in v.result.groups] == [date(2021, 6, 30), date(2023, 6, 30)]
    assert v.rebases[0].reason == "New national definition" and v.rebases[0].source == "framework"
    # the verdict finds the framework's rebase by itself, wherever it is computed
    alone = variation.verdict(kpi, [q.end for q in QUARTERS], VALUES)
    assert alone.result.points[-1].mean == pytest.approx(30.125)
    bad = dict(raw, kpis=[dict(raw["kpis"][0], rebase=[{"date": "1 April 2023", "reason": "x"},
                                                       {"date": "2023-04-01"}])])
    with pytest.raises(FrameworkError) as err:
        parse_framework(bad)
    assert "rebase number 1 has the date '1 April 2023'; expected YYYY-MM-DD" in str(err.value)
    assert "rebase number 2 (2023-04-01) needs a reason" in str(err.value)


def test_rebases_are_moved_to_the_first_point_on_or_after_them():
    dates = [q.end for q in QUARTERS]
    moved = variation.applied(dates, [Rebase(date(2023, 4, 1), "a"), Rebase(date(2023, 5, 1), "b"),
                                      Rebase(date(2021, 1, 1), "before the first point"),
                                      Rebase(date(2030, 1, 1), "after the last point")])
    assert moved == (Rebase(date(2023, 6, 30), "a"),)       # b falls on the same point; a was first
    assert replace(moved[0], date=date(2023, 4, 1)) == Rebase(date(2023, 4, 1), "a")
