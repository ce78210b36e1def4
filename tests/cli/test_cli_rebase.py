"""`python -m kpis rebase add | list | remove` and `spc --kpi`: a rebase recorded on the command line is audited,
restarts the KPI's limits, and is kept in the history when removed."""
from __future__ import annotations

import json

from kpis.access.audit import audit_entries
from kpis.cli.main import main
from kpis.store.database import Store


def run(capsys, db, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--db", str(db), *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_rebase_recorded_on_the_command_line_restarts_the_limits_and_is_audited(demo_db, capsys):
    code, out, _ = run(capsys, demo_db, "spc", "--kpi", "SG02", "--json")
    assert code == 0
    before = json.loads(out)
    assert {p["rebase_group"] for p in before["points"]} == {0} and before["rebases"] == []

    code, out, _ = run(capsys, demo_db, "rebase", "add", "SG02", "2025-04-01", "--reason", "New national definition")
    assert code == 0 and "Recorded rebase 1: SG02's limits restart" in out
    code, out, _ = run(capsys, demo_db, "spc", "--kpi", "SG02", "--json")
    after = json.loads(out)
    assert after["rebases"] == [{"date": "2025-06-30", "reason": "New national definition", "source": "admin"}]
    first = next(i for i, p in enumerate(after["points"]) if p["rebase_group"] == 1)
    assert after["points"][first]["date"] == "2025-06-30"
    assert after["points"][first]["mean"] != before["points"][first]["mean"]
    code, out, _ = run(capsys, demo_db, "rebase", "list", "SG02")
    assert code == 0 and "SG02   2025-04-01  New national definition  (command line (" in out

    code, _, err = run(capsys, demo_db, "rebase", "remove", "1", "--reason", "Entered in error")
    assert code == 0
    code, _, err = run(capsys, demo_db, "rebase", "remove", "1", "--reason", "again")
    assert code == 1 and "already removed" in err
    code, out, _ = run(capsys, demo_db, "rebase", "list", "--all", "--json")
    [kept] = json.loads(out)
    assert kept["in_force"] is False and kept["why_removed"] == "Entered in error"
    code, out, _ = run(capsys, demo_db, "spc", "--kpi", "SG02", "--json")
    assert json.loads(out)["rebases"] == []
    store = Store(demo_db, read_only=True)
    try:
        log = audit_entries(store, actions=["rebase_added", "rebase_removed"])
    finally:
        store.close()
    assert list(log["action"]) == ["rebase_removed", "rebase_added"]
    assert log["actor"].str.startswith("command line (").all()


def test_bad_rebase_input_is_refused_in_words(demo_db, capsys):
    code, _, err = run(capsys, demo_db, "rebase", "add", "SG02", "1 April 2025", "--reason", "x")
    assert code == 2 and "The date should be YYYY-MM-DD, such as 2025-04-01, not '1 April 2025'." in err
    code, _, err = run(capsys, demo_db, "rebase", "add", "ZZ99", "2025-04-01", "--reason", "x")
    assert code == 1 and "There is no KPI 'ZZ99'" in err
    code, _, err = run(capsys, demo_db, "spc", "--kpi", "SG02", "--target", "3")
    assert code == 2 and "--kpi takes its direction, target and rebases from the framework" in err
    code, _, err = run(capsys, demo_db, "spc")
    assert code == 2 and "Give a CSV file of date,value, or --kpi ID" in err
