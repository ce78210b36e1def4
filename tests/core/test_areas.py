"""Areas, regions, statistical neighbours and boundary changes, on the real reference extract."""
from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from kpis.core import areas as A

WORCS, WORCS_DFE, WEST_MIDLANDS = "E10000034", "885", "E12000005"


@pytest.fixture(scope="module")
def areas() -> pd.DataFrame:
    return A.load_areas()


@pytest.fixture(scope="module")
def neighbours() -> pd.DataFrame:
    return A.load_neighbours()


def test_areas_file_shape(areas):
    assert list(areas.columns) == A.AREA_COLUMNS
    assert areas["area_code"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(areas["valid_from"])
    assert pd.api.types.is_datetime64_any_dtype(areas["valid_to"])
    counts = areas["area_type"].value_counts()
    assert counts["country"] == 1 and counts["region"] == 9
    assert counts[A.COUNCIL] >= 153
    assert sorted(areas.loc[areas["area_type"] == "region", "area_code"]) == [f"E1200000{i}" for i in range(1, 10)]


def test_every_area_has_an_ons_looking_code(areas):
    # a combined row of DfE's (Kingston and Richmond, 'E09000021 / E09000027') is a place of its own
    bad = [c for c in areas["area_code"] if not re.fullmatch(r"E\d{8}( / E\d{8})*", str(c))]
    assert bad == []
    assert areas["dfe_code"].notna().all()


@pytest.mark.parametrize("code", ["E10000034", "885", "885.0", 885, 885.0, " e10000034 "])
def test_worcestershire_resolves_from_either_code(code, areas):
    row = A.resolve_area(code, areas)
    assert row["area_code"] == WORCS
    assert row["dfe_code"] == WORCS_DFE
    assert row["name"] == "Worcestershire"
    assert row["area_type"] == A.COUNCIL
    assert row["valid_to"] is None and row["successor_code"] is None


def test_resolve_uses_the_default_file():
    assert A.resolve_area("885")["area_code"] == WORCS
    assert A.resolve_area(A.ENGLAND)["name"] == "England"


def test_worcestershire_is_in_the_west_midlands(areas):
    assert A.region_of(WORCS, areas=areas) == WEST_MIDLANDS
    assert A.region_of("885", areas=areas) == WEST_MIDLANDS
    assert A.resolve_area(WEST_MIDLANDS, areas)["name"] == "West Midlands"


def test_london_boroughs_are_in_london_not_inner_outer(areas):
    assert A.region_of("E09000007", areas=areas) == "E12000007"  # Camden, Inner London in DfE files
    assert A.region_of("E13000002", areas=areas) == "E12000007"  # Outer London itself


def test_england_has_no_region(areas):
    with pytest.raises(ValueError, match="not in a region"):
        A.region_of(A.ENGLAND, areas=areas)


def test_worcestershire_has_ten_neighbours_that_exist(areas, neighbours):
    sn = A.statistical_neighbours(WORCS, areas=areas, neighbours=neighbours)
    assert len(sn) == 10 and len(set(sn)) == 10 and WORCS not in sn
    known = set(areas["area_code"])
    assert all(code in known for code in sn)
    for code in sn:
        row = A.resolve_area(code, areas)
        assert row["area_type"] == A.COUNCIL and row["valid_to"] is None
    # DfE CSSN 2025, rank 1: Somerset (933), which is the 2023 unitary, not the old county
    assert sn[0] == "E06000066"
    assert A.statistical_neighbours("885", areas=areas, neighbours=neighbours) == sn


def test_every_neighbour_maps_to_a_current_council(areas, neighbours):
    current = areas[(areas["area_type"] == A.COUNCIL) & areas["valid_to"].isna()]
    assert set(neighbours["neighbour_dfe_code"]) <= set(current["dfe_code"])
    assert set(neighbours["dfe_code"]) == set(current["dfe_code"])
    assert (neighbours.groupby("dfe_code").size() == 10).all()
    assert (neighbours["source"] == "DfE CSSN 2025").all()


def test_areas_by_role(areas, neighbours):
    comp = A.areas_by_role(WORCS, areas=areas, neighbours=neighbours)
    assert set(comp) == {"england", "region", "neighbours", "all_councils"}
    assert comp["england"] == [A.ENGLAND]
    assert comp["region"] == [WEST_MIDLANDS]
    assert len(comp["neighbours"]) == 10
    assert WORCS in comp["all_councils"] and len(comp["all_councils"]) == 153
    assert "E10000021" not in comp["all_councils"]  # Northamptonshire, abolished 2021
    assert set(comp["neighbours"]) <= set(comp["all_councils"])


def test_northamptonshire_has_two_successors(areas):
    assert A.successors("E10000021", areas=areas) == ["E06000061", "E06000062"]
    assert A.successors("928", areas=areas) == ["E06000061", "E06000062"]
    row = A.resolve_area("E10000021", areas)
    assert row["valid_to"] == date(2021, 3, 31)
    assert A.resolve_area("E06000061", areas)["valid_from"] == date(2021, 4, 1)


def test_other_boundary_changes(areas):
    assert A.successors("E10000006", areas=areas) == ["E06000063", "E06000064"]  # Cumbria
    assert A.successors("E06000028", areas=areas) == ["E06000058"]  # Bournemouth -> BCP
    assert A.successors("E06000029", areas=areas) == ["E06000058"]  # Poole -> BCP
    assert A.successors(WORCS, areas=areas) == []


def test_a_reused_dfe_number_means_the_current_council(areas):
    assert A.resolve_area("815", areas)["area_code"] == "E06000065"  # North Yorkshire unitary (2023)
    assert A.resolve_area("E10000023", areas)["valid_to"] == date(2023, 3, 31)


def test_abolished_council_has_no_neighbours(areas, neighbours):
    with pytest.raises(ValueError, match="abolished"):
        A.statistical_neighbours("E10000021", areas=areas, neighbours=neighbours)


@pytest.mark.parametrize("code", ["E99999999", "999", "Worcester", ""])
def test_unknown_code_is_a_readable_key_error(code, areas):
    with pytest.raises(KeyError) as info:
        A.resolve_area(code, areas)
    message = str(info.value)
    assert message.startswith("Unknown area") and "ONS code" in message
    assert not message.startswith(("'", '"'))


def test_valid_on(areas):
    assert A.valid_on("E10000021", date(2020, 6, 1), areas=areas)
    assert not A.valid_on("E10000021", date(2022, 6, 1), areas=areas)
    assert A.valid_on(WORCS, date(2024, 1, 1), areas=areas)


def test_load_areas_returns_a_copy():
    a = A.load_areas()
    a.loc[:, "name"] = "changed"
    assert A.load_areas()["name"].ne("changed").all()


# -- issue 22: DfE's table of council codes with their history ------------------------------------------------
HISTORY = A.REFERENCE_DIR / "dfe" / "la_codes_with_history.csv"


def test_every_code_of_dfes_history_table_is_an_area_with_its_number_and_dates(areas):
    """data/reference/dfe/la_codes_with_history.csv (DfE's screener table, OGL v3.0) against areas.csv."""
    history = pd.read_csv(HISTORY, dtype=str, keep_default_na=False)
    history = history[history["new_la_code"].str.startswith("E")]  # not 'z', the forces' schools overseas
    assert len(history) == 175
    by_code = areas.set_index("area_code")
    missing = sorted(set(history["new_la_code"]) - set(by_code.index))
    assert missing == []
    for h in history.itertuples(index=False):
        a = by_code.loc[h.new_la_code]
        assert a["dfe_code"] == h.old_la_code, h.new_la_code
        if h.date_of_termination:
            assert a["valid_to"].strftime("%d/%m/%Y") == h.date_of_termination, h.new_la_code
        else:
            assert pd.isna(a["valid_to"]), h.new_la_code


def test_barnsley_and_sheffield_have_their_new_codes_from_may_2025_with_the_same_numbers(areas):
    assert A.resolve_area("370", areas)["area_code"] == "E08000038"
    assert A.resolve_area("373", areas)["area_code"] == "E08000039"
    old = A.resolve_area("E08000016", areas)
    assert (old["valid_to"], old["successor_code"]) == (date(2025, 4, 30), "E08000038")
    assert A.valid_on("E08000038", date(2025, 5, 1), areas=areas)
    assert not A.valid_on("E08000038", date(2025, 4, 30), areas=areas)
    assert "E08000038" in A.current_councils(areas=areas) and "E08000016" not in A.current_councils(areas=areas)


def test_a_recode_is_one_series_but_a_split_or_merger_is_never_merged(areas):
    from kpis.published.common import recodes
    r = recodes(areas)
    assert r["E08000016"] == "E08000038" and r["E08000019"] == "E08000039"        # 2025 recode, 370 / 373
    assert r["E10000023"] == "E06000065" and r["E10000027"] == "E06000066"        # 2023, 815 / 933 kept
    assert r["E10000002"] == "E06000060" and r["E08000020"] == "E08000037"        # 2020, 2013
    assert r["E06000048"] == "E06000057"
    for split in ("E10000021", "E10000006", "E06000028", "E06000029", "E10000009", "E10000001"):
        assert split not in r                                                   # Northants, Cumbria, BCP, Dorset...
    combined = areas.set_index("area_code")
    assert combined.loc["E09000021 / E09000027", "area_type"] == "combined"
    assert "E09000021 / E09000027" not in A.current_councils(areas=areas)      # never counted as a council
