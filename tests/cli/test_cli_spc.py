"""`python -m kpis spc FILE.csv`: NHSRplotthedots' own test cases through the command line, and bad input.

The package is NHSRplotthedots v0.2.2 (github.com/nhs-r-community/NHSRplotthedots, MIT licence, (c) 2021 NHS-R
Community), snapshot commit 050b07d7eacc011767532732f69b8fd7d6a28fd3; each test names the package's test file and
test_that() name. The CSV fixtures in tests/fixtures/spc/ are that package's test data (see the README there).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kpis.cli.main import main
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "spc"


def spc_json(capsys, name: str, *extra: str) -> dict:
    assert main(["spc", str(FIXTURES / name), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpis", "spc", *args], capture_output=True, text=True, cwd=ROOT)


def rounded(x: float, printed: str) -> bool:
    return round(x, len(printed.split(".")[1])) == float(printed)


def test_limits_of_the_package_snapshot(capsys):
    """test-ptd_spc_standard.R, "it returns expected values" (050b07d): r1's mean and limits in
    _snaps/ptd_spc_standard.md (0.1416238, -3.01138, 3.294627), every point common cause (test-ptd_spc.R, "it outputs
    expected content": common_cause 20 of 20); with a target of 0.5, the assurance is inconsistent."""
    out = spc_json(capsys, "rnorm20.csv", "--target", "0.5")
    p = out["points"][0]
    assert rounded(p["mean"], "0.1416238") and rounded(p["lpl"], "-3.01138") and rounded(p["upl"], "3.294627")
    assert {q["special_cause_type"] for q in out["points"]} == {"Common Cause"}
    assert {q["point_type"] for q in out["points"]} == {"common_cause"}
    assert (out["variation_icon"], out["assurance_type"], out["assurance_icon"]) == ("common_cause", "inconsistent",
                                                                                     "inconsistent")
    assert out["groups"][0]["common_cause"] == 20 and out["trial_limits"] is False


def test_rebase(capsys):
    """test-ptd_spc_standard.R, "it sets the rebase_group field" (050b07d): rebase on the 11th date, 2020-01-12."""
    out = spc_json(capsys, "rnorm20.csv", "--rebase", "2020-01-12")
    assert [p["rebase_group"] for p in out["points"]] == [0] * 10 + [1] * 10
    assert [g["n"] for g in out["groups"]] == [10, 10] and out["trial_limits"] is True
    assert out["trial_limits_warning"].startswith("Some groups have 'n < 12' observations.")


@pytest.mark.parametrize("name, args, icons", [
    ("icons_s5.csv", ["--target", "-3"], ("improvement_high", "pass")),
    ("icons_s5.csv", ["--target", "-3", "--direction", "decrease"], ("concern_high", "fail")),
    ("icons_s7.csv", ["--target", "3"], ("concern_low", "fail")),
    ("icons_s7.csv", ["--target", "3", "--direction", "decrease"], ("improvement_low", "pass")),
    ("icons_s7.csv", ["--target", "3", "--direction", "neutral"], ("neutral_low", None)),
])
def test_icons(capsys, name, args, icons):
    """test-geom_ptd_icon.R, "ptd_get_icons transforms the data correctly" (050b07d), s5 to s9."""
    out = spc_json(capsys, name, *args)
    assert (out["variation_icon"], out["assurance_icon"]) == icons


def test_two_in_three_needs_the_same_side(capsys):
    """test-ptd_spc_standard.R, "it only reports special cause for 2of3 points close to limits when they are on the
    same side of the mean" (050b07d)."""
    out = spc_json(capsys, "two_in_three_opposite.csv")
    assert [p["point_type"] for p in out["points"][-2:]] == ["common_cause", "common_cause"]


@pytest.mark.parametrize("extra, limits", [([], (4.6, 1.94, -0.72)), (["--no-screen"], (6.95, 1.94, -3.06))])
def test_screening(capsys, extra, limits):
    """vignettes/deviations.Rmd, deviation 1 (050b07d): screened by default; --no-screen as the Excel tool."""
    out = spc_json(capsys, "deviations.csv", *extra)
    p = out["points"][0]
    assert (round(p["upl"], 2), round(p["mean"], 2), round(p["lpl"], 2)) == limits
    assert out["screen_outliers"] is (not extra)
    assert out["points"][4]["special_cause_type"] == "Above UCL"


def test_quarterly_hand_checked(tmp_path, capsys):
    """8 quarters, 3,1,2,3,4,5,6,7 (see tests/core/test_spc.py): a 7-point trend ending above the upper limit of
    3.875 + 2.66 x 8 / 7; lower is better, so concern_high; a target of 2 lies between the limits."""
    f = tmp_path / "quarters.csv"
    f.write_text("date,value\n" + "".join(f"{d},{v}\n" for d, v in zip(
        ["2022-04-01", "2022-07-01", "2022-10-01", "2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01",
         "2024-01-01"], [3, 1, 2, 3, 4, 5, 6, 7], strict=False)))
    assert main(["spc", str(f), "--direction", "decrease", "--target", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [p["special_cause_type"] for p in out["points"]] == ["Common Cause"] + ["7 Point Trend (Increasing)"] * 6 \
        + ["Above UCL"]
    assert out["points"][0]["upl"] == pytest.approx(3.875 + 2.66 * 8 / 7)
    assert (out["variation_icon"], out["assurance_icon"], out["trial_limits"]) == ("concern_high", "inconsistent", True)


def test_plain_table(capsys):
    assert main(["spc", str(FIXTURES / "icons_s7.csv"), "--target", "3", "--rebase", "2020-01-14"]) == 0
    out = capsys.readouterr().out
    assert "Special cause" in out and "Point type" in out and out.count("-- rebased on 2020-01-14") == 1
    assert "Variation icon:" in out and "Assurance icon:" in out and "Trial limits: 2020-01-02 to 2020-01-13" in out
    assert "{" not in out


@pytest.mark.parametrize("text, words", [
    ("when,value\n2020-01-01,1\n", "has no column 'date'"),
    ("date,amount\n2020-01-01,1\n", "has no column 'value'"),
    ("date,value\n2020-01-01,1\n2020/01/02,2\n", "Row 2 of"),
    ("date,value\n2020-01-01,1\n2020-01-02,two\n", "column 'value': 'two' is not a number"),
    ("date,value\n2020-01-01,1\n2020-01-02,nan\n", "not a finite number"),
    ("date,value\n2020-01-01,1\n", "1 row of data; an XmR chart needs at least 2"),
    ("date,value\n2020-01-01,1\n2020-01-01,2\n", "already the date of row 1"),
    ("", "is empty"),
])
def test_bad_input_is_one_plain_line(tmp_path, capsys, text, words):
    f = tmp_path / "series.csv"
    f.write_text(text)
    assert main(["spc", str(f), "--json"]) == 2
    out, err = capsys.readouterr()
    assert words in err and err.startswith("error: ") and len(err.strip().splitlines()) == 1 and out == ""


def test_bad_input_in_a_real_process(tmp_path):
    f = tmp_path / "series.csv"
    f.write_text("date,value\n2020-01-01,1\n2020-01-02,\n")
    r = run(str(f))
    assert r.returncode == 2 and "Row 2 of" in r.stderr and "column 'value': '' is not a number" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_arguments(tmp_path, kpis_run):
    missing = kpis_run("spc", str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2 and "Could not read" in missing.stderr and "Traceback" not in missing.stderr
    bad_rebase = kpis_run("spc", str(FIXTURES / "rnorm20.csv"), "--rebase", "12/01/2020")
    assert bad_rebase.returncode == 2 and "YYYY-MM-DD" in bad_rebase.stderr and "Traceback" not in bad_rebase.stderr
    bad_direction = kpis_run("spc", str(FIXTURES / "rnorm20.csv"), "--direction", "up")
    assert bad_direction.returncode == 2 and "Traceback" not in bad_direction.stderr
    not_a_date = kpis_run("spc", str(FIXTURES / "rnorm20.csv"), "--rebase", "2019-01-01", "--json")
    assert not_a_date.returncode == 0 and "changes nothing" in not_a_date.stderr
    assert json.loads(not_a_date.stdout)["groups"][0]["n"] == 20
