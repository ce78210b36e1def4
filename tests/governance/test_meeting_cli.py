"""`python -m kpis meeting ...`: record, correct, show and read the history of a meeting's records."""
from __future__ import annotations

from datetime import date

from kpis.access.permissions import Actor
from kpis.board.meetings import add_meeting
from kpis.cli.main import main
from kpis.store import governance as records
from kpis.store.database import Store


def test_the_command_line_records_a_meeting_and_reads_its_history(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    store = Store(db)
    add_meeting(store, actor=Actor("admin@example.org", "admin"), meeting_date=date(2026, 3, 11))
    store.close()
    run = lambda *args: main(["--db", str(db), "meeting", *args])  # noqa: E731
    assert run("attend", "2026-03-11", "--member", "Alex Morgan", "--organisation", "Chair") == 0
    assert run("attend", "2026-03-11", "--member", "Deputy", "--status", "substitute", "--for", "Priya Shah") == 0
    assert run("action", "2026-03-11", "--text", "Bring the SEND deep dive", "--owner", "Tom Baker",
               "--due", "2026-04-22", "--publish") == 0
    out = capsys.readouterr().out
    action = int(out.strip().splitlines()[-1].split("number ")[1].rstrip(")."))
    assert run("update", str(action), "--status", "done") == 0
    assert run("escalate", "2026-03-11", "--to", "Health and Wellbeing Board", "--reason", "Waiting times") == 0
    capsys.readouterr()
    assert run("show", "2026-03-11") == 0
    shown = capsys.readouterr().out
    for part in ("Board meeting, 11 March 2026", "Alex Morgan", "Substitute for Priya Shah", "Bring the SEND deep dive",
                 "Done", "Health and Wellbeing Board", "No outcome recorded yet"):
        assert part in shown, part
    assert run("history", "action", str(action)) == 0
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 3 and "open" in history[1] and "done" in history[2] and "command line" in history[2]
    assert run("attend", "2026-03-12", "--member", "X") == 1
    assert "There was no board meeting on 12 March 2026" in capsys.readouterr().err
    assert run("update", "999", "--status", "done") == 1
    assert "There is no decision or action number 999" in capsys.readouterr().err
    store = Store(db, read_only=True)
    try:
        assert len(records.records(store, "attendance")) == 2
        assert records.record_history(store, "item", action)["status"].tolist() == ["open", "done"]
    finally:
        store.close()
