"""The returns commands end to end: template -> fill -> validate -> submit -> export and history; hostile files."""
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
from tests.support.returns import FIXTURES, PERIOD, new_store, snapshot, to_bytes

ROOT = Path(__file__).resolve().parent.parent.parent
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
AREAS = ["early_help", "ewmh", "send", "safeguarding"]
TODAY = ["--today", "2025-11-20"]


def fill(path: Path) -> None:
    """Fill a template the CLI wrote, as a lead would in Excel."""
    wb = load_workbook(path)
    ws = wb["Data"]
    for r in range(2, ws.max_row + 1):
        if not ws.cell(r, 1).value:
            continue
        if ws.cell(r, 5).value == "%":
            ws.cell(r, 6).value, ws.cell(r, 7).value, ws.cell(r, 8).value = f"{50 + r % 10}%", 50 + r % 10, 100
        else:
            ws.cell(r, 6).value = 20 + r
    ws.cell(3, 6).value, ws.cell(3, 7).value, ws.cell(3, 8).value = "<5", None, None
    ws.cell(2, 10).value = "=this is not a formula, just enthusiastic"[1:]
    wb["Narrative"]["B4"] = "Progress this quarter."
    path.write_bytes(to_bytes(wb))


@pytest.mark.parametrize("area", AREAS)
def test_template_fill_validate_submit_export_history(db, tmp_path, capsys, area):
    template = tmp_path / f"{area}.xlsx"
    assert cli(db, "template", area, "--period", PERIOD, "-o", template) == 0
    assert f"for {PERIOD}" in capsys.readouterr().out
    fill(template)

    assert cli(db, "validate", template, "--area", area, *TODAY) == 0
    out = capsys.readouterr().out
    assert "The return is valid" in out and "If submitted now:" in out

    assert cli(db, "submit", template, "--area", area, "--by", "lead@example.org", *TODAY, "--json") == 0
    receipt = json.loads(capsys.readouterr().out)
    assert receipt["submission_id"] == receipt["batch_id"] and receipt["batch_id"] >= 1
    assert receipt["counts"]["new"] > 0 and receipt["narrative_stored"] is True

    assert cli(db, "submit", template, "--area", area, "--by", "lead@example.org", *TODAY) == 0
    assert f"already submitted as submission {receipt['batch_id']}" in capsys.readouterr().out

    out_csv = tmp_path / "export.csv"
    assert cli(db, "export", "-o", out_csv) == 0
    capsys.readouterr()
    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh)]
    kpi_id = load_workbook(template)["Data"]["A2"].value
    mine = [r for r in rows if r["indicator_id"] == kpi_id and r["breakdown_type"] == "all"]
    assert mine and mine[0]["batch_id"] == str(receipt["batch_id"]) and mine[0]["period_label"] == PERIOD
    assert any(r["status"] == "suppressed" and r["status_note"] == "<5" and r["value"] == "" for r in rows)

    assert cli(db, "history", kpi_id, "--json") == 0
    versions = json.loads(capsys.readouterr().out)
    assert versions and {v["batch_id"] for v in versions} == {receipt["batch_id"]}
    assert cli(db, "history", kpi_id) == 0
    assert f"submission {receipt['batch_id']} (submission) by lead@example.org" in capsys.readouterr().out


def test_submit_text_output_lists_changes(db, tmp_path, capsys):
    template = tmp_path / "sg.xlsx"
    cli(db, "template", "safeguarding", "--period", PERIOD, "-o", template)
    fill(template)
    capsys.readouterr()
    assert cli(db, "submit", template, "--area", "safeguarding", "--by", "a@example.org", *TODAY) == 0
    first = capsys.readouterr().out
    assert first.startswith("Submission 1 stored") and "new value(s)" in first
    wb = load_workbook(template)
    wb["Data"]["F2"], wb["Data"]["G2"], wb["Data"]["H2"] = 80, None, None
    template.write_bytes(to_bytes(wb))
    assert cli(db, "submit", template, "--area", "safeguarding", "--by", "b@example.org", *TODAY) == 0
    out = capsys.readouterr().out
    assert out.startswith("Submission 2 stored") and "1 changed" in out
    assert f"changed: SG01, All children and young people, {PERIOD}: 52.0% -> 80.0%" in out
    assert cli(db, "history", "sg01") == 0
    assert "v2" in capsys.readouterr().out


def test_validate_lists_every_problem_and_exits_1(db, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("KPI id,Breakdown,Period,Value,Numerator,Denominator\n"
                    "SG01,All children and young people,2025/26 Q2,0.65,,\n"
                    "SG99,All children and young people,2025/26 Q2,5,,\n"
                    "SG02,All children and young people,2025/26 Q2,,30,20\n", encoding="utf-8")
    assert cli(db, "validate", path, "--area", "safeguarding", *TODAY) == 1
    out = capsys.readouterr().out
    assert out.count("found:") == 3 and "sheet 'bad.csv', row 2, column D (Value)" in out
    assert cli(db, "validate", path, "--area", "safeguarding", *TODAY, "--json") == 1
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False and result["errors"] == 3
    assert [p["row"] for p in result["problems"]] == [2, 3, 4]
    before = snapshot(Store(db, read_only=True))
    assert cli(db, "submit", path, "--area", "safeguarding", "--by", "a@example.org", *TODAY) == 1
    assert "Nothing was stored." in capsys.readouterr().out
    assert snapshot(Store(db, read_only=True)) == before


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_hostile_file_is_refused_cleanly_and_changes_nothing(db, capsys, name):
    expected = EXPECTED[name]
    path = FIXTURES / name
    store = Store(db, read_only=True)
    before = snapshot(store)
    store.close()
    assert cli(db, "validate", path, "--area", "safeguarding", *TODAY) == expected["exit_code"]
    captured = capsys.readouterr()
    assert expected["message"].lower() in (captured.out + captured.err).lower()
    assert cli(db, "submit", path, "--area", "safeguarding", "--by", "a@example.org", *TODAY) == expected["exit_code"]
    captured = capsys.readouterr()
    assert expected["message"].lower() in (captured.out + captured.err).lower()
    assert cli(db, "validate", path, "--area", "safeguarding", *TODAY, "--json") == expected["exit_code"]
    assert json.loads(capsys.readouterr().out)["valid"] is False
    store = Store(db, read_only=True)
    assert snapshot(store) == before
    store.close()


@pytest.mark.parametrize("name", ["zip_bomb.xlsx", "billion_laughs.xlsx", "empty.xlsx"])
def test_hostile_files_in_a_real_process_give_no_traceback(db, name):
    result = subprocess.run([sys.executable, "-m", "kpis", "--db", str(db), "submit", str(FIXTURES / name),
                             "--area", "safeguarding", "--by", "a@example.org"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and EXPECTED[name]["message"].lower() in result.stderr.lower()


def test_unusable_arguments_exit_2(db, tmp_path, capsys):
    good = tmp_path / "r.csv"
    good.write_text("KPI id,Period,Value\nSG01,2025/26 Q2,60\n", encoding="utf-8")
    assert cli(db, "validate", good, "--area", "nowhere") == 2
    assert cli(db, "validate", tmp_path / "missing.xlsx", "--area", "safeguarding") == 2
    assert cli(db, "validate", tmp_path, "--area", "safeguarding") == 2
    assert cli(db, "validate", good, "--area", "safeguarding", "--period", "soon") == 2
    assert cli(db, "template", "send", "--period", "2024/25", "-o", tmp_path / "t.xlsx") == 2
    assert cli(db, "template", "send", "-o", tmp_path / "t.csv") == 2
    assert cli(db, "export", "-o", tmp_path / "x.txt") == 2
    assert cli(db, "history", "ZZ99") == 2
    assert cli(db, "submit", good, "--area", "safeguarding", "--by", "nobody") == 2
    assert main(["--db", str(tmp_path / "none.duckdb"), "submit", str(good), "--area", "safeguarding",
                 "--by", "a@example.org"]) == 2
    err = capsys.readouterr().err
    assert "There is no sub-group 'nowhere'" in err and "There is no file" in err and "Traceback" not in err


def test_template_without_a_database_and_history_of_a_kpi_with_no_values(db, tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb"), "template", "ewmh", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert "last quarter's values are not shown" in capsys.readouterr().out
    assert load_workbook(tmp_path / "t.xlsx")["Instructions"]["B4"].value == "ewmh"
    assert cli(db, "history", "MH01") == 0
    assert "no values yet" in capsys.readouterr().out


def test_validate_a_csv_exported_from_the_template(db, tmp_path, capsys):
    """'The same columns are accepted as CSV': save the data sheet as CSV and it validates."""
    template = tmp_path / "sd.xlsx"
    cli(db, "template", "send", "--period", PERIOD, "-o", template)
    fill(template)
    ws = load_workbook(template)["Data"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in ws.iter_rows(values_only=True):
        writer.writerow(["" if v is None else v for v in row])
    path = tmp_path / "sd.csv"
    path.write_bytes(buf.getvalue().encode("cp1252"))
    assert cli(db, "validate", path, "--area", "send", *TODAY) == 0, capsys.readouterr().out


def test_submitter_emails_are_stored_trimmed_and_in_lower_case(db, tmp_path, capsys):
    """`--by` as typed ('  Lead@Example.ORG ') is the same person as lead@example.org: stored one way."""
    template = tmp_path / "sg.xlsx"
    cli(db, "template", "safeguarding", "--period", PERIOD, "-o", template)
    fill(template)
    assert cli(db, "submit", template, "--area", "safeguarding", "--by", "  Lead@Example.ORG ", *TODAY) == 0
    assert "by lead@example.org." in capsys.readouterr().out
    store = Store(db, read_only=True)
    try:
        assert store.scalar("SELECT list(DISTINCT submitted_by) FROM batches WHERE kind = 'submission'") == \
            ["lead@example.org"]
    finally:
        store.close()


def test_the_one_email_function_trims_and_lowers():
    from kpis.access.permissions import normalise_email
    assert normalise_email("  Lead@Example.ORG \t") == "lead@example.org"
    assert normalise_email(None) == ""


def watch_excel_writing(db, monkeypatch, *, also: str | None = None) -> list[bool]:
    """Each time an Excel file is written, whether another process could open `db` at that moment."""
    from kpis.core import exports
    from tests.support.locks import free_for_another_process
    seen: list[bool] = []
    real = exports.to_excel_bytes

    def writing(*args, **kwargs):
        seen.append(free_for_another_process(db))
        return real(*args, **kwargs)
    monkeypatch.setattr(exports, "to_excel_bytes", writing)
    if also:
        monkeypatch.setattr(also, writing)
    return seen


@pytest.mark.parametrize("public", [False, True])
def test_export_lets_go_of_the_database_before_it_writes_the_file(demo_db, tmp_path, monkeypatch, capsys, public):
    """`export -o x.xlsx` (126,000 rows) held the database for 166 s while it wrote, so every page of the app
    said "busy". The file is now written after the database is let go: another process can open it meanwhile."""
    free_while_writing = watch_excel_writing(demo_db, monkeypatch)
    out = tmp_path / "x.xlsx"
    assert cli(demo_db, "export", "-o", out, *(["--public"] if public else [])) == 0, capsys.readouterr().err
    assert free_while_writing == [True] and out.stat().st_size > 10_000


def test_board_pack_lets_go_of_the_database_before_it_writes_the_file(demo_db, tmp_path, monkeypatch, capsys):
    free_while_writing = watch_excel_writing(demo_db, monkeypatch, also="kpis.packs.xlsx.to_excel_bytes")
    out = tmp_path / "pack.xlsx"
    assert cli(demo_db, "board-pack", "-o", out, "--quiet") == 0, capsys.readouterr().err
    assert free_while_writing == [True] and out.stat().st_size > 5_000
