"""areas.csv (England, the regions and every upper-tier council in the DfE files, with boundary changes) and
statistical_neighbours.csv (DfE CSSN 2025, long format), checked as they are built."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from tools.reference.records import check, read_dfe

HOME_ONS = "E10000034"  # Worcestershire
HOME_DFE = "885"
ENGLAND = "E92000001"

DFE_AREA_FILES = [
    "dfe/b1_children_in_need_2013_to_2025.csv",
    "dfe/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
    "dfe/d3_cpps_subsequent_plan_2013_to_2025.csv",
    "dfe/d5_cpps_at31march_by_duration_2013_to_2025.csv",
    "dfe/cla_number_and_rate_per_10k_children.csv",
    "dfe/sen2_mi.csv",
]

# Upper-tier reorganisations in England since the DfE series start (2013). The
# abolished council's last day and its successors (the first is the main one).
# Christchurch was a district of Dorset County Council and went to BCP in 2019,
# so the old Dorset county has two successors. The script checks this table
# against the codes found in the DfE files.
REORGANISATIONS: dict[str, tuple[str, list[str]]] = {
    "E06000028": ("2019-03-31", ["E06000058"]),               # Bournemouth -> BCP
    "E06000029": ("2019-03-31", ["E06000058"]),               # Poole -> BCP
    "E10000009": ("2019-03-31", ["E06000059", "E06000058"]),  # Dorset CC -> Dorset UA; Christchurch -> BCP
    "E10000002": ("2020-03-31", ["E06000060"]),               # Buckinghamshire CC -> Buckinghamshire UA
    "E10000021": ("2021-03-31", ["E06000061", "E06000062"]),  # Northamptonshire -> North / West Northamptonshire
    "E10000006": ("2023-03-31", ["E06000063", "E06000064"]),  # Cumbria -> Cumberland / Westmorland and Furness
    "E10000023": ("2023-03-31", ["E06000065"]),               # North Yorkshire CC -> North Yorkshire UA
    "E10000027": ("2023-03-31", ["E06000066"]),               # Somerset CC -> Somerset UA
}

REGION_DFE_NAMES = {  # EES region name -> LAIT la_code_list name, where they differ
    "Yorkshire and The Humber": "Yorkshire and the Humber",
    "Inner London": "London (Inner)",
    "Outer London": "London (Outer)",
}


# ---------------------------------------------------------------- areas

def build_areas(shared: Path) -> pd.DataFrame:
    frames = []
    for name in DFE_AREA_FILES:
        df = read_dfe(shared / name)
        df["_file"] = name
        frames.append(df[["_file", "time_period", "geographic_level", "country_code", "country_name",
                          "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]])
    dfe = pd.concat(frames, ignore_index=True)
    dfe["year"] = dfe["time_period"].str[:4].astype(int)

    lait_codes = pd.read_excel(shared / "lait/la_code_list.xlsx", dtype=str)
    lait_number = {str(n).strip(): str(c).strip() for c, n in zip(lait_codes["LA Number"],
                                                                  lait_codes["LA Name"], strict=False)}

    rows: list[dict] = []
    # England
    national = dfe[dfe["geographic_level"] == "National"]
    check(set(national["country_code"]) == {ENGLAND}, "the DfE files should have England E92000001 as the only country")
    rows.append(dict(area_code=ENGLAND, dfe_code=lait_number.get("England", ""), name="England", area_type="country",
                     region_code="", region_name="", valid_from="", valid_to="", successor_code=""))

    # Regions (E12) and the Inner / Outer London sub-regions (E13) used by DfE's CSC files
    regional = (dfe[dfe["geographic_level"] == "Regional"]
                .sort_values("year").drop_duplicates("region_code", keep="last"))
    regions = {}
    for code, name in sorted(zip(regional["region_code"], regional["region_name"], strict=False)):
        regions[code] = name
    e12 = sorted(c for c in regions if c.startswith("E12"))
    check(e12 == [f"E1200000{i}" for i in range(1, 10)], f"expected the nine regions E12000001-9, found {e12}")
    for code in sorted(regions):
        name = regions[code]
        is_region = code.startswith("E12")
        rows.append(dict(area_code=code, dfe_code=lait_number.get(REGION_DFE_NAMES.get(name, name), ""), name=name,
                         area_type="region" if is_region else "london_subregion",
                         region_code=code if is_region else "E12000007",
                         region_name=name if is_region else regions["E12000007"],
                         valid_from="", valid_to="", successor_code=""))

    # Councils: every (ONS code) seen in any DfE file and year; latest name and DfE number
    la = dfe[dfe["geographic_level"] == "Local authority"].copy()
    check((la["new_la_code"].str.match(r"^E\d{8}$")).all(), "a DfE LA row has no ONS code")
    # CSC files put London boroughs in Inner/Outer London (E13); the ONS region is London
    la["ons_region"] = la["region_code"].where(~la["region_code"].str.startswith("E13"), "E12000007")
    la = la.sort_values(["year", "_file"])
    latest = la.drop_duplicates("new_la_code", keep="last").set_index("new_la_code")
    numbers = la.groupby("new_la_code")["old_la_code"].agg(lambda s: sorted(set(s)))
    bad = numbers[numbers.map(len) != 1]
    check(bad.empty, f"an ONS code has more than one DfE number: {bad.to_dict()}")
    regions_by_code = la.groupby("new_la_code")["ons_region"].agg(lambda s: sorted(set(s)))
    bad = regions_by_code[regions_by_code.map(len) != 1]
    check(bad.empty, f"a council is in more than one region: {bad.to_dict()}")

    utla = pd.read_csv(shared / "dfe/LTLA-UTLA_Apr23_Lookup_England-Wales.csv", dtype=str, encoding="utf-8-sig")
    current_ons = set(utla.loc[utla["UTLA23CD"].str.startswith("E"), "UTLA23CD"])
    all_ons = set(latest.index)
    abolished = all_ons - current_ons
    check(abolished == set(REORGANISATIONS),
          f"councils in the DfE files but not in the April 2023 lookup {sorted(abolished)} "
          f"do not match the reorganisation table {sorted(REORGANISATIONS)}: update REORGANISATIONS")
    check(current_ons <= all_ons, f"current councils missing from the DfE files: {sorted(current_ons - all_ons)}")

    starts = {}
    for old, (last_day, succ) in REORGANISATIONS.items():
        check(all(s in current_ons for s in succ), f"a successor of {old} is not a current council: {succ}")
        first_day = (date.fromisoformat(last_day) + timedelta(days=1)).isoformat()
        for s in succ:
            starts.setdefault(s, first_day)

    for code in sorted(all_ons):
        r = latest.loc[code]
        region = regions_by_code[code][0]
        last_day, succ = REORGANISATIONS.get(code, ("", []))
        rows.append(dict(area_code=code, dfe_code=numbers[code][0], name=r["la_name"], area_type="county_ua",
                         region_code=region, region_name=regions[region], valid_from=starts.get(code, ""),
                         valid_to=last_day, successor_code=";".join(succ)))
    areas = pd.DataFrame(rows)

    # A DfE number may be reused by a successor (815, 825, 933): at most one current row each
    current = areas[(areas["area_type"] == "county_ua") & (areas["valid_to"] == "")]
    dup = current["dfe_code"][current["dfe_code"].duplicated()]
    check(dup.empty, f"DfE numbers used by two current councils: {sorted(dup)}")
    home = areas[areas["area_code"] == HOME_ONS]
    check(len(home) == 1 and home.iloc[0]["dfe_code"] == HOME_DFE and home.iloc[0]["region_code"] == "E12000005",
          "Worcestershire E10000034 / 885 / West Midlands E12000005 is not in areas.csv as expected")
    check(areas["area_code"].str.match(r"^E\d{8}$").all(), "an area code is not an ONS code")
    check((areas["dfe_code"] != "").all(),
          f"areas without a DfE code: {areas.loc[areas['dfe_code'] == '', 'name'].tolist()}")
    return areas


def build_neighbours(shared: Path, areas: pd.DataFrame) -> pd.DataFrame:
    wide = read_dfe(shared / "dfe/sn_model_2025_wide.csv")
    rows = []
    for _, r in wide.iterrows():
        for k in range(1, 11):
            rows.append(dict(dfe_code=r["old_la_code"].strip(), rank=k, neighbour_dfe_code=r[f"SN_{k}"].strip(),
                             closeness=" ".join(r[f"SN_{k}P"].split()), source="DfE CSSN 2025"))
    sn = pd.DataFrame(rows)
    current = areas[(areas["area_type"] == "county_ua") & (areas["valid_to"] == "")]
    current_dfe = set(current["dfe_code"])
    check(set(sn["dfe_code"]) == current_dfe,
          "CSSN 2025 councils differ from the current councils: "
          f"only in CSSN {sorted(set(sn['dfe_code']) - current_dfe)}, "
          f"only in areas {sorted(current_dfe - set(sn['dfe_code']))}")
    missing = set(sn["neighbour_dfe_code"]) - current_dfe
    check(not missing, f"neighbours that are not current councils: {sorted(missing)}")
    check((sn.groupby("dfe_code").size() == 10).all(), "a council has not 10 neighbours")
    check((sn["dfe_code"] != sn["neighbour_dfe_code"]).all(), "a council is its own neighbour")
    check(len(sn[sn["dfe_code"] == HOME_DFE]) == 10, "Worcestershire has not 10 neighbours")
    return sn
