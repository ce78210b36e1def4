"""The annual self-assessment in the domain and on the command line, on a real DuckDB file: statements from the
framework file (Lincolnshire's six Good Governance principles), ratings versioned and audited, earlier years
readable, plain refusals, and the API the annual report calls."""
from __future__ import annotations

import json
from datetime import date

import pytest

from kpis.access.permissions import Actor, PermissionDenied
from kpis.cli.main import main
from kpis.core.framework import FrameworkError, load_framework, parse_framework
from kpis.governance.self_assessment import AssessmentError, current_year, history, record, year_assessment, year_label
from kpis.store.database import Store
from tests.conftest import ROOT

LINCS = ROOT / "data" / "frameworks" / "lincolnshire.toml"


@pytest.fixture
def fw():
    return load_framework(LINCS)


@pytest.fixture
def db(tmp_path):
    s = Store(tmp_path / "sa.duckdb")
    yield s
    s.close()


def test_lincolnshire_declares_its_six_principles(fw):
    assert [s.id for s in fw.self_assessment.statements] == ["GG1", "GG2", "GG3", "GG4", "GG5", "GG6"]
    assert fw.self_assessment.year_type == "financial"
    assert "making minutes of the meetings public" in fw.self_assessment.statements[3].text
    assert load_framework(ROOT / "data" / "frameworks" / "worcestershire.toml").self_assessment.statements == ()


def test_a_bad_declaration_is_named(fw):
    raw = {"partnership": {"name": "X", "home_area": "E10000019"}, "areas": [{"id": "a", "name": "A",
           "sub_group": "S", "framing": "sideways"}], "outcomes": [{"id": "o", "name": "O"}],
           "kpis": [{"id": "AA01", "area": "a", "outcome": "o", "title": "T", "short_title": "T", "definition": "D",
                     "unit": "count", "polarity": "higher_is_better", "frequency": "annual"}],
           "self_assessment": {"year": "calendar", "statements": [{"id": "S1"}]}}
    with pytest.raises(FrameworkError) as exc:
        parse_framework(raw)
    text = str(exc.value)
    assert "framing 'sideways'" in text and "year 'calendar'" in text and "number 1 needs an id and a text" in text


def test_years_as_the_framework_counts_them(fw):
    assert year_label(fw, 2025) == year_label(fw, "2025/26") == "2025/26"
    assert current_year(fw, date(2026, 3, 31)) == "2025/26" and current_year(fw, date(2026, 4, 1)) == "2026/27"
    academic = parse_framework({**_raw(), "self_assessment": {"year": "academic", "statements": [
        {"id": "S1", "text": "A statement."}]}})
    assert year_label(academic, 2025) == "AY 2025/26" and current_year(academic, date(2026, 8, 31)) == "AY 2025/26"
    with pytest.raises(AssessmentError, match="is not a year"):
        year_label(fw, "2025/26 Q2")


def _raw() -> dict:
    import tomllib
    return tomllib.loads(LINCS.read_text(encoding="utf-8"))


def test_ratings_are_versioned_audited_and_earlier_years_stay(fw, db):
    assert year_assessment(db, fw, "2025/26").rows == []          # nothing recorded: empty rows, no table needed
    assert record(db, fw, year="2024/25", statement_id="GG1", rating="Red", evidence=["EH02"],
                  actions=["Agree the scorecard's targets"], actor="secretary@lincs.gov.uk") == 1
    assert record(db, fw, year="2025/26", statement_id="GG4", rating="amber", evidence=["SC01", "action A4"],
                  actions=["Publish minutes within 10 working days"], actor="secretary@lincs.gov.uk") == 1
    assert record(db, fw, year="2025/26", statement_id="GG4", rating="Green", evidence=["SC01", "action A4"],
                  actions=[], actor=Actor("analyst@lincs.gov.uk", "analyst")) == 2
    # the same again stores nothing
    assert record(db, fw, year="2025/26", statement_id="GG4", rating="Green", evidence=["SC01", "action A4"],
                  actions=[], actor="secretary@lincs.gov.uk") is None
    year = year_assessment(db, fw, "2025/26")
    assert [(r.statement.id, r.rating, r.evidence, r.actions) for r in year.rows] == [
        ("GG4", "Green", ["SC01", "action A4"], [])]
    assert year.rows[0].recorded_by == "analyst@lincs.gov.uk" and year.rows[0].version == 2
    assert str(year.rows[0].statement) == fw.self_assessment.statements[3].text    # printed, it is its words
    earlier = year_assessment(db, fw, 2024)
    assert [(r.statement.id, r.rating) for r in earlier.rows] == [("GG1", "Red")]
    versions = history(db, fw, "2025/26")
    assert list(versions["Rating"]) == ["◆ Amber: partly met", "● Green: met"]
    assert list(versions["Current"]) == [False, True]
    audits = [json.loads(d) for (d,) in db.con.execute(
        "SELECT detail FROM audit_log WHERE action = 'self_assessment' ORDER BY audit_id").fetchall()]
    assert [(a["year"], a["statement"], a["version"], a["rating"]) for a in audits] == [
        ("2024/25", "GG1", 1, "Red"), ("2025/26", "GG4", 1, "Amber"), ("2025/26", "GG4", 2, "Green")]


def test_refusals_are_plain_and_store_nothing(fw, db):
    with pytest.raises(PermissionDenied, match="Only administrators and analysts"):
        record(db, fw, year=2025, statement_id="GG1", rating="Green", actor=Actor("member@lincs.gov.uk", "viewer"))
    with pytest.raises(AssessmentError, match="'GG9' is not a statement"):
        record(db, fw, year=2025, statement_id="GG9", rating="Green", actor="a@b.org")
    with pytest.raises(AssessmentError, match="'Purple' is not a rating"):
        record(db, fw, year=2025, statement_id="GG1", rating="Purple", actor="a@b.org")
    with pytest.raises(AssessmentError, match="ZZ99 is not a KPI of this framework"):
        record(db, fw, year=2025, statement_id="GG1", rating="Green", evidence=["ZZ99"], actor="a@b.org")
    with pytest.raises(AssessmentError, match="could run as a formula"):
        record(db, fw, year=2025, statement_id="GG1", rating="Green", actions=["=HYPERLINK(1)"], actor="a@b.org")
    assert year_assessment(db, fw, 2025).rows == []


def test_the_command_line_rates_and_reads(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    Store(db).close()
    base = ["--framework", str(LINCS), "--db", str(db), "self-assessment"]
    assert main([*base, "rate", "--year", "2025/26", "--statement", "GG6", "--rating", "Amber", "--evidence",
                 "LE01", "--action", "Run the young people's panel each term", "--by", "Sec@Lincs.gov.uk"]) == 0
    assert "Stored GG6 for 2025/26: ◆ Amber: partly met (version 1, by sec@lincs.gov.uk)" in capsys.readouterr().out
    assert main([*base, "rate", "--year", "2025/26", "--statement", "GG6", "--rating", "Green", "--by",
                 "sec@lincs.gov.uk"]) == 0
    capsys.readouterr()
    assert main([*base, "rate", "--year", "2025/26", "--statement", "GG0", "--rating", "Green", "--by",
                 "sec@lincs.gov.uk"]) == 1
    assert "'GG0' is not a statement" in capsys.readouterr().err
    assert main([*base, "show", "--year", "2025/26", "--history", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(r["statement_id"], r["rating"], r["evidence"], r["actions"]) for r in shown["rows"]] == [
        ("GG6", "Green", [], [])]
    assert [h["Rating"] for h in shown["history"]] == ["◆ Amber: partly met", "● Green: met"]
    assert main([*base, "show", "--year", "2023/24"]) == 0
    assert "Nothing is recorded for this year. Years recorded: 2025/26." in capsys.readouterr().out
