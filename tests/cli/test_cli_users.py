"""`user add | list | remove`, `submit --by` once accounts exist, and `export --public`."""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpis.cli.main import main
from kpis.store.database import Store
from tests.support.cli import cli
from tests.support.returns import PERIOD, framework, new_store
from tools.sample_returns import filled_template

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct horse battery staple"
TODAY = ["--today", "2025-11-20"]


def test_user_add_list_remove(db, capsys):
    assert cli(db, "user", "list") == 0
    assert "open demo mode" in capsys.readouterr().out
    assert cli(db, "user", "add", "viewer@example.org", "--role", "viewer") == 1
    assert "first account must be an administrator" in capsys.readouterr().err
    assert cli(db, "user", "add", "Admin@Example.org", "--role", "admin", "--password", PASSWORD) == 0
    assert "Added admin@example.org: administrator" in capsys.readouterr().out
    assert cli(db, "user", "add", "lead@example.org", "--role", "lead", "--area", "send", "--area", "ewmh") == 0
    assert "sub-group lead for send, ewmh; signs in with single sign-on only" in capsys.readouterr().out
    assert cli(db, "user", "add", "x@example.org", "--role", "lead", "--area", "nowhere", "--password", "short") == 1
    err = capsys.readouterr().err
    assert "no area nowhere" in err and "at least 12 characters" in err
    with pytest.raises(SystemExit) as exited:
        cli(db, "user", "add", "x@example.org", "--role", "boss")
    assert exited.value.code == 2 and "invalid choice: 'boss'" in capsys.readouterr().err

    assert cli(db, "user", "list", "--json") == 0
    users = json.loads(capsys.readouterr().out)
    assert [(u["email"], u["role"], u["areas"]) for u in users] == [("admin@example.org", "admin", ""),
                                                                   ("lead@example.org", "lead", "send, ewmh")]
    assert "password_hash" not in users[0] and PASSWORD not in json.dumps(users)
    assert cli(db, "user", "list") == 0
    assert "2 account(s)" in capsys.readouterr().out

    assert cli(db, "user", "remove", "admin@example.org") == 1
    assert "last administrator" in capsys.readouterr().err
    assert cli(db, "user", "remove", "LEAD@example.org") == 0
    assert cli(db, "user", "remove", "lead@example.org") == 1
    assert "There is no account for lead@example.org" in capsys.readouterr().err
    store = Store(db, read_only=True)
    actions = [r[0] for r in store.con.execute("SELECT action FROM audit_log ORDER BY audit_id").fetchall()]
    assert actions.count("user_added") == 2 and actions.count("user_removed") == 1
    store.close()


def test_a_password_can_be_piped_so_it_stays_out_of_shell_history(db):
    proc = subprocess.run([sys.executable, "-m", "kpis", "--db", str(db), "user", "add", "a@example.org", "--role",
                           "admin", "--password"], input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "local password" in proc.stdout and PASSWORD not in proc.stdout + proc.stderr
    from kpis.access.accounts import authenticate
    store = Store(db)
    assert authenticate(store, "a@example.org", PASSWORD).role == "admin"
    store.close()


def write_return(tmp_path: Path, db: Path, area: str) -> Path:
    store = Store(db)
    data = filled_template(framework(), area, PERIOD, store)
    store.close()
    path = tmp_path / f"{area}.xlsx"
    path.write_bytes(data)
    return path


def test_submit_by_needs_a_registered_lead_for_that_area_once_accounts_exist(db, tmp_path, capsys):
    send = write_return(tmp_path, db, "send")
    assert cli(db, "user", "add", "admin@example.org", "--role", "admin") == 0
    assert cli(db, "user", "add", "lead@example.org", "--role", "lead", "--area", "safeguarding") == 0
    assert cli(db, "user", "add", "analyst@example.org", "--role", "analyst") == 0
    capsys.readouterr()

    assert cli(db, "submit", send, "--area", "send", "--by", "stranger@example.org", *TODAY) == 1
    err = capsys.readouterr().err
    assert "stranger@example.org is not a registered user" in err and "Nothing was stored" in err
    assert cli(db, "submit", send, "--area", "send", "--by", "lead@example.org", *TODAY) == 1
    assert "sub-group lead for safeguarding, not for send" in capsys.readouterr().err
    assert cli(db, "submit", send, "--area", "send", "--by", "analyst@example.org", *TODAY) == 1
    assert "may not submit quarterly returns" in capsys.readouterr().err
    store = Store(db, read_only=True)
    assert store.scalar("SELECT count(*) FROM batches WHERE kind = 'submission'") == 0
    store.close()

    safeguarding = write_return(tmp_path, db, "safeguarding")
    assert cli(db, "submit", safeguarding, "--area", "safeguarding", "--by", "Lead@example.org", *TODAY) == 0
    assert cli(db, "submit", send, "--area", "send", "--by", "admin@example.org", *TODAY) == 0


def test_submit_by_anyone_in_open_demo_mode(db, tmp_path):
    ewmh = write_return(tmp_path, db, "ewmh")
    assert cli(db, "submit", ewmh, "--area", "ewmh", "--by", "anyone@example.org", *TODAY) == 0


def test_the_domain_refuses_a_lead_for_another_area_whatever_the_caller(db, tmp_path):
    from kpis.access.permissions import PermissionDenied
    from kpis.returns.submission import submit
    send = write_return(tmp_path, db, "send")
    assert cli(db, "user", "add", "admin@example.org", "--role", "admin") == 0
    assert cli(db, "user", "add", "lead@example.org", "--role", "lead", "--area", "safeguarding") == 0
    store = Store(db)
    with pytest.raises(PermissionDenied, match="not for send"):
        submit(store, framework(), name="send.xlsx", data=send.read_bytes(), area_id="send", by="lead@example.org")
    assert store.scalar("SELECT count(*) FROM batches WHERE kind = 'submission'") == 0
    store.close()


def small_counts(rows: list[dict], count_kpis: set[str]) -> list[dict]:
    bad = []
    for r in rows:
        cells = [r["numerator"], r["denominator"]] + ([r["value"]] if r["kpi_id"] in count_kpis else [])
        if any(c not in ("", None) and 1 <= round(float(c)) <= 7 for c in cells):
            bad.append(r)
    return bad


def test_export_public_shows_no_count_from_1_to_7(demo_db, tmp_path, capsys):
    count_kpis = {k.id for k in framework().kpis if k.unit == "count"}
    out = tmp_path / "public.csv"
    assert main(["--db", str(demo_db), "export", "--public", "-o", str(out)]) == 0
    message = capsys.readouterr().out
    assert "suppressed to protect small numbers" in message
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) > 1000 and small_counts(rows, count_kpis) == []
    assert {r["suppression"] for r in rows} >= {"", "small number", "secondary suppression"}
    assert not {"commentary", "status_note", "submitted_by", "file_name"} & set(rows[0])
    assert {"EH05", "MH01", "SG02"} <= {r["kpi_id"] for r in rows} <= set(framework().kpi_ids)

    xlsx = tmp_path / "public.xlsx"
    assert main(["--db", str(demo_db), "export", "--public", "-o", str(xlsx)]) == 0
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["Metadata", "Values", "Narratives"]
    values = list(wb["Values"].values)
    header, body = values[0], values[1:]
    assert small_counts([dict(zip(header, r, strict=False)) for r in body], count_kpis) == []
    assert "publishable" in " ".join(str(c) for r in wb["Metadata"].values for c in r)

    full = tmp_path / "full.csv"
    assert main(["--db", str(demo_db), "export", "-o", str(full)]) == 0  # the internal export stays exact
    exact = list(csv.DictReader(io.StringIO(full.read_text(encoding="utf-8-sig"))))
    assert any(r["numerator"] not in ("", None) and 1 <= float(r["numerator"]) <= 7 for r in exact)


def test_export_public_arguments(demo_db, tmp_path, capsys):
    assert main(["--db", str(demo_db), "export", "--public", "--kpi", "SG02", "-o", str(tmp_path / "p.csv")]) == 2
    assert "leave out --kpi" in capsys.readouterr().err
