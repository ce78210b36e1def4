from pathlib import Path

import pytest

from kpis.core.framework import DATA_DIR, FrameworkError, framework_path, load_framework

FIXTURES = Path(__file__).parent.parent / "fixtures" / "frameworks"
DOMAIN_IDS = ["EH01", "EH02", "EH03", "EH04", "EH05", "MH01", "MH02", "MH03",
              "SD01", "SD02", "SD03", "SD04", "SD05", "SG01", "SG02", "SG03"]


def test_worcestershire_framework_has_the_domain_kpis():
    fw = load_framework()
    assert sorted(fw.kpi_ids) == sorted(DOMAIN_IDS)
    assert [a.id for a in fw.areas] == ["early_help", "ewmh", "send", "safeguarding"]
    assert len(fw.outcomes) == 4
    assert fw.home_area == "E10000034" and fw.home_area_dfe == "885"
    sg02 = fw.kpi("SG02")
    assert sg02.polarity == "lower_is_better" and sg02.unit == "percentage"
    assert sg02.comparator.indicator_id == "dfe_ees:d3_cpps_subsequent_plan"
    assert sg02.target.value == 22.0
    assert fw.kpi("EH05").polarity == "no_polarity" and fw.kpi("EH05").is_local_only
    assert {k.id for k in fw.kpis_in_area("safeguarding")} == {"SG01", "SG02", "SG03"}
    assert len(fw.meetings) >= 4


def test_every_kpi_has_the_required_fields():
    for k in load_framework().kpis:
        assert k.title and k.short_title and k.definition and k.methodology and k.owner
        assert "all" in k.breakdowns


def test_format_value_uses_unit_and_decimals():
    fw = load_framework()
    assert fw.kpi("SG02").format_value(24.456) == "24.5%"
    assert fw.kpi("EH05").format_value(1234.0) == "1,234"
    assert fw.kpi("EH05").format_value(None) == "–"


def test_broken_framework_reports_every_problem_at_once():
    with pytest.raises(FrameworkError) as err:
        load_framework(FIXTURES / "broken.toml")
    problems = err.value.problems
    text = "\n".join(problems)
    expected = [
        "[partnership] needs 'name'",
        "home_area 'Worcestershire' should be an ONS code",
        "[breakdowns] must include 'all'",
        "[[areas]] id 'early_help' appears twice",
        "outcome area 'orphan' has no KPIs",
        "breakdown(s) pets are not listed",
        "the id is used twice",
        "area 'nowhere' is not one of",
        "unit 'furlongs' is not one of",
        "polarity 'up' is not one of",
        "frequency 'weekly' is not one of",
        "decimals should be a whole number from 0 to 4, found 9",
        "id 'bad id' should be letters then digits",
        "'title' is missing",
        "comparator source 'ons' is not one of",
    ]
    for fragment in expected:
        assert fragment in text, fragment
    assert len(problems) >= len(expected)


def test_missing_and_invalid_files_are_reported_plainly():
    with pytest.raises(FrameworkError, match="does not exist"):
        load_framework(FIXTURES / "nope.toml")
    with pytest.raises(FrameworkError, match="not valid TOML"):
        load_framework(FIXTURES / "not_toml.toml")


def test_framework_can_be_swapped(monkeypatch):
    other = DATA_DIR / "frameworks" / "barking_dagenham.toml"
    monkeypatch.setenv("KPIS_FRAMEWORK", str(other))
    assert framework_path() == other
    fw = load_framework()
    assert fw.home_area == "E09000002"
    assert len(fw.areas) == 3 and len(fw.kpis) >= 6
    assert fw.name != load_framework(DATA_DIR / "frameworks" / "worcestershire.toml").name
    # --framework beats the environment variable
    assert framework_path("x.toml") == Path("x.toml")
