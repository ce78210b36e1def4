from pathlib import Path

import pytest

from kpis.core.framework import DATA_DIR, FrameworkError, framework_path, load_framework, parse_framework

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


def test_partnership_facts_come_from_the_file_and_are_checked():
    raw = {"partnership": {"name": "P", "home_area": "E10000019"},
           "breakdowns": {"all": "All", "district": "District", "sex": "Sex"},
           "breakdown_values": {"sex": ["Female", "Male"]},
           "districts": {"E07000136": "Boston", "E07000137": "East Lindsey"},
           "areas": [{"id": "a", "name": "A", "sub_group": "S", "icon": ":material/school:"}],
           "outcomes": [{"id": "o", "name": "O"}],
           "kpis": [{"id": "AB01", "area": "a", "outcome": "o", "title": "T", "definition": "D", "unit": "count",
                     "polarity": "no_polarity", "frequency": "quarterly", "breakdowns": ["all", "district"]}],
           "demo": {"missing_return": "a", "profiles": {"AB01": [10, 1.0, 0]}}}
    fw = parse_framework(raw)
    assert fw.breakdown_values == {"sex": ("Female", "Male"), "district": ("E07000136", "E07000137")}
    assert fw.group_name("district", "E07000136") == "Boston" and fw.group_name("sex", "Male") == "Male"
    assert fw.area("a").icon == ":material/school:" and fw.demo["profiles"]["AB01"] == [10, 1.0, 0]
    broken = {**raw, "breakdown_values": {"pets": ["Cat"], "sex": "Female"}, "districts": {"Boston": "E07000136"},
              "areas": [{**raw["areas"][0], "icon": "school"}],
              "demo": {"missing_return": "b", "revised_kpi": "ZZ99", "profiles": {"AB01": [1, 2]}}}
    with pytest.raises(FrameworkError) as err:
        parse_framework(broken)
    text = "\n".join(err.value.problems)
    for fragment in ("[breakdown_values] 'pets' is not listed in [breakdowns]",
                     "[breakdown_values] sex should be a list of group names",
                     "[districts] Boston = 'E07000136': expected an ONS code",
                     "icon 'school' should be a Material icon",
                     "[demo] missing_return 'b' is not an outcome area id",
                     "[demo] revised_kpi 'ZZ99' is not a KPI id",
                     "[demo.profiles] AB01 should be [level, change per quarter, denominator]"):
        assert fragment in text, fragment


def test_the_accessibility_contact_is_read_from_the_partnership_table():
    import tomllib

    raw = tomllib.loads(framework_path(None).read_text(encoding="utf-8"))
    assert parse_framework(raw).accessibility_contact == ""          # not set: the statement says what to do
    raw["partnership"]["accessibility_contact"] = " access@example.org "
    assert parse_framework(raw).accessibility_contact == "access@example.org"
    raw["partnership"]["accessibility_contact"] = 42
    with pytest.raises(FrameworkError, match="accessibility_contact should be text"):
        parse_framework(raw)
