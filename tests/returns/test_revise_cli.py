"""The command line: revising figures stored for an earlier period needs --revise; without it nothing is stored
and every figure it would change is listed, old -> new. A narrative-only return is stored."""
from __future__ import annotations

import json

from kpis.cli.main import main
from kpis.store.database import Store
from tests.returns.test_upload_narrative_and_revision import EARLIER, last_quarter_in_every_row


def count(db, sql: str, params=()) -> int:
    store = Store(db)
    try:
        return store.con.execute(sql, list(params)).fetchone()[0]
    finally:
        store.close()


def test_submit_refuses_a_revision_without_the_flag_and_stores_it_with_it(demo_db, tmp_path, capsys):
    ret = tmp_path / "sg-last-quarter.xlsx"
    ret.write_bytes(last_quarter_in_every_row())
    batches = count(demo_db, "SELECT count(*) FROM batches")
    capsys.readouterr()
    code = main(["--db", str(demo_db), "submit", str(ret), "--area", "safeguarding", "--by", "lead@example.org"])
    said = capsys.readouterr().out
    assert code == 1 and "Traceback" not in said
    assert f"already stored for {EARLIER}. Nothing was stored. To revise them, send it again with --revise" in said
    listed = [line for line in said.splitlines() if line.startswith("  SG")]
    assert listed and all(f", {EARLIER}: " in line and " -> " in line for line in listed)
    assert count(demo_db, "SELECT count(*) FROM batches") == batches

    code = main(["--db", str(demo_db), "validate", str(ret), "--area", "safeguarding"])
    said = capsys.readouterr().out
    assert code == 0
    assert f"{len(listed)} of the changes revise figures for an earlier period: send with --revise" in said

    code = main(["--db", str(demo_db), "submit", str(ret), "--area", "safeguarding", "--by", "lead@example.org",
                 "--revise", "--json"])
    receipt = json.loads(capsys.readouterr().out)
    assert code == 0 and receipt["batch_id"] and len(receipt["preview"]["revised"]) == len(listed)
    assert count(demo_db, "SELECT count(*) FROM current_observations WHERE batch_id = ? AND period_label = ?",
                 [receipt["batch_id"], EARLIER]) == len(listed)


def test_submit_itself_refuses_an_unconfirmed_revision(demo_db):
    """The rule lives in the domain: a caller that skips the page's tick or the --revise flag stores nothing."""
    import pytest

    from kpis.returns.revisions import RevisionNotConfirmed
    from kpis.returns.submission import submit
    from tests.support.returns import framework
    store = Store(demo_db)
    try:
        batches = store.scalar("SELECT count(*) FROM batches")
        with pytest.raises(RevisionNotConfirmed) as exc:
            submit(store, framework(), name="sg.xlsx", data=last_quarter_in_every_row(), area_id="safeguarding",
                   by="lead@example.org")
        assert set(exc.value.revised["period_label"]) == {EARLIER} and len(exc.value.revised) > 0
        assert "Nothing was stored" in str(exc.value)
        assert store.scalar("SELECT count(*) FROM batches") == batches
        assert store.scalar("SELECT count(*) FROM raw_files WHERE file_name = 'sg.xlsx'") == 0
    finally:
        store.close()
