"""`python -m kpis import-benchmarks` and `python -m kpis scorecard`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kpis.cli.main import main
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "benchmarks"
SCORECARD_KEYS = {"kpi_id", "area", "title", "unit", "polarity", "period", "period_end", "value", "lower_ci",
                  "upper_ci", "england_value", "england_period", "comparison", "trend", "change", "region_value",
                  "neighbours_value", "quartile", "rank"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "kpis", *args], capture_output=True, text=True, cwd=ROOT)


def scorecard_json(db: Path, capsys, *extra) -> dict[str, dict]:
    assert main(["--db", str(db), "scorecard", "--json", *extra]) == 0
    return {r["kpi_id"]: r for r in json.loads(capsys.readouterr().out)}


# -- scorecard --------------------------------------------------------------------------------------
def test_scorecard_json_one_row_per_kpi(demo_db, capsys):
    rows = scorecard_json(demo_db, capsys)
    assert len(rows) == 16
    for r in rows.values():
        assert set(r) >= SCORECARD_KEYS
    sg02 = rows["SG02"]
    assert (sg02["england_value"], sg02["england_period"]) == (24.5, "2024/25")
    assert sg02["area"] == "safeguarding" and sg02["value_source"] == "local return"
    eh04 = rows["EH04"]
    assert (eh04["value"], eh04["england_value"], eh04["period"]) == (68.0, 68.3, "AY 2024/25")
    assert (eh04["quartile"], eh04["rank"], eh04["rank_of"]) == ("C", 83, 153)


def test_scorecard_for_one_area_and_as_at(demo_db, capsys):
    rows = scorecard_json(demo_db, capsys, "--area", "safeguarding")
    assert list(rows) == ["SG01", "SG02", "SG03"]
    early = scorecard_json(demo_db, capsys, "--as-at", "2023-07-01")
    assert all(r["value_source"] != "local return" for r in early.values())
    assert early["SG01"]["value"] is None
    assert (early["SG02"]["period"], early["SG02"]["value"]) == ("2021/22", 29.2)


def test_scorecard_text_output(demo_db, capsys):
    assert main(["--db", str(demo_db), "scorecard", "--area", "early_help"]) == 0
    out = capsys.readouterr().out
    assert "EH04" in out and "68.3% (AY 2024/25)" in out and "83/153" in out and "SG02" not in out
    # issue 21: each row's England words, the board's (kpis.published.relation), the reason where none
    assert "      England: Lower than England: worse; not tested, no counts published: 0.3 points below" in out
    assert "      England: Published, but not loaded here: run python -m kpis refresh" in out        # EH01
    assert "      England: No national figure of this definition" in out                          # EH05


def test_scorecard_refuses_bad_arguments(demo_db, kpis_run):
    bad_date = run("--db", str(demo_db), "scorecard", "--as-at", "11/06/2025")    # this family's real process
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr and "Traceback" not in bad_date.stderr
    bad_area = kpis_run("--db", str(demo_db), "scorecard", "--area", "housing")
    assert bad_area.returncode == 2 and "safeguarding" in bad_area.stderr


# -- import-benchmarks --------------------------------------------------------------------------------
def test_import_benchmarks_json_summary(demo_db, capsys):
    # exit 3: understood and imported, with rows skipped (issue 22: not the same answer as an unreadable file's 2)
    assert main(["--db", str(demo_db), "import-benchmarks", str(FIXTURES / "fingertips_27col.csv"), "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    for key in ("rows_read", "rows_imported", "rows_skipped", "skipped_reasons"):
        assert key in report
    assert (report["rows_read"], report["rows_imported"], report["rows_skipped"]) == (16, 13, 3)
    assert report["skipped_reasons"] == {"duplicate of an earlier row": 3}
    assert report["format"] == "fingertips"


def test_import_benchmarks_text_summary(demo_db, capsys):
    assert main(["--db", str(demo_db), "import-benchmarks", str(FIXTURES / "tidy_obese_reception.csv")]) == 3
    out = capsys.readouterr().out
    assert "rows; 5 skipped" in out and "period not understood" in out
    assert "Exit code 3: imported, but 5 row(s) were skipped" in out


def test_import_benchmarks_unrecognised_or_unreadable_exits_2_without_traceback(demo_db, tmp_path, kpis_run):
    bad = tmp_path / "budget.csv"
    bad.write_text("Service,Budget,Spend\nEarly help,100,95\n", encoding="utf-8")
    result = kpis_run("--db", str(demo_db), "import-benchmarks", str(bad))
    assert result.returncode == 2
    assert "budget.csv is not in a format this tool recognises" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    missing = kpis_run("--db", str(demo_db), "import-benchmarks", str(tmp_path / "nothing.csv"), "--json")
    assert missing.returncode == 2 and "There is no file" in missing.stderr and "Traceback" not in missing.stderr
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not really parquet")
    result = kpis_run("--db", str(demo_db), "import-benchmarks", str(broken))
    assert result.returncode == 2 and "could not be read" in result.stderr and "Traceback" not in result.stderr
    a_folder = kpis_run("--db", str(demo_db), "import-benchmarks", str(tmp_path))
    assert a_folder.returncode == 2 and "Traceback" not in a_folder.stderr
