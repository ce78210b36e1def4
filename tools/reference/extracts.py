"""The extracts of the LAIT, DfE and Fingertips files, in their original formats and column layouts."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tools.reference.areas import ENGLAND, HOME_DFE, HOME_ONS
from tools.reference.records import check, filter_csv

# LAIT measures kept (Short Desc). PrevRegCPR is LAIT's "Percentage of children who
# became the subject of a plan for a second or subsequent time" (the repeat CP one).
LAIT_MEASURES = [
    "FSP_NEW_GOODDEV",               # GLD at end of Reception (EH04)
    "FSP_Gooddev_FSM",
    "FSP_Gooddev_FSM_Other",
    "FSP_Gooddev_Without_SENSTATE",
    "FSP_Gooddev_With_SENSTATE",
    "16-17 NEET",
    "16-17_not known_NEET",
    "16-17YroldSEN_ET",
    "SEN_State-Plans_sch",           # new EHC plans placed in mainstream (SD02)
    "TotPerAbNew",                   # persistent absence (related to MH02)
    "HCP_PHOF",                      # ASQ-3 offered at 2-2.5 years
    "PrevRegCPR",                    # CP plans second or subsequent, % (SG02)
]
# LAIT measures related to a KPI but not its definition (a framework's related_comparator), in a file of
# their own so that the extract above stays as it was.
LAIT_RELATED_MEASURES = [
    "ExcessRec",                     # Reception overweight or obese, NCMP (related to EH02)
    "ExcessYr6",                     # Year 6 overweight or obese, NCMP (related to EH03)
    "Emotional_LAC",                 # looked-after children's average SDQ score (related to MH03)
    "CPPlans2yrs",                   # CP plans ending in the year that lasted 2 years or more (related to SG01)
]
# Further national measures published for every council, that a framework binds its KPIs to (Blackpool's
# priorities: dental health, healthy weight, mental health, attainment and the primary-secondary transition, early
# years), in a file of their own so that the extracts above stay as they were.
LAIT_MORE_MEASURES = [
    "LACDental%",                    # looked-after children with their teeth checked by a dentist
    "CMH_0-17yrs",                   # inpatient admissions for mental health, 0-17, per 100,000
    "KS2RWM_Expected_STD",           # KS2 reading, writing and maths at the expected standard
    "AVG_Attain8_Score",             # KS4 average Attainment 8 score
    "SFSecPerAbNew",                 # persistent absence, state-funded secondary schools
    "%_2yr_olds",                    # 2-year-olds benefiting from funded early education
]

# DfE children in need, table C3 (factors identified at the end of assessment): SG03's related measure.
# Not (yet) in the shared folder's MANIFEST, so its source is named here; the extract is the 2025 rows of
# England, the West Midlands and Worcestershire, cut record by record from the file in the public repository.
C3_FACTORS = "dfe/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
EXTRA_SOURCES = {C3_FACTORS: {
    "source_repo": "dfe-analytical-services/CSC_outcomes_and_enablers",
    "source_path": "data-raw/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
    "commit": "f70b723fc674481cad872da2ff4b6ba2385c048f", "licence": "repo MIT; data OGL v3"}}



# ---------------------------------------------------------------- extracts

def extract_lait(shared: Path, out: Path) -> None:
    table = pq.read_table(shared / "lait/bds_long_0.parquet")
    found = set(table.column("Short Desc").unique().to_pylist())
    missing = [m for m in LAIT_MEASURES if m not in found]
    check(not missing, f"LAIT measures not in bds_long_0.parquet: {missing}")
    mask = pc.is_in(table.column("Short Desc"),
                    value_set=pa.array(LAIT_MEASURES, type=table.schema.field("Short Desc").type))
    kept = table.filter(mask)
    (out / "lait").mkdir(parents=True, exist_ok=True)
    pq.write_table(kept, out / "lait/bds_long_extract.parquet", compression="zstd")
    frame = kept.to_pandas()
    frame.to_csv(out / "lait/bds_long_extract.csv", index=False, lineterminator="\n")
    # the CSV must read back to the same content as the Parquet
    back = pd.read_csv(out / "lait/bds_long_extract.csv", dtype={c: "str" for c in frame.columns if c != "LA Number"},
                       keep_default_na=False, na_values=[""])
    again = pq.read_table(out / "lait/bds_long_extract.parquet").to_pandas()
    check(back.shape == again.shape and back.astype(object).where(back.notna(), None).equals(
        again.astype(object).where(again.notna(), None)), "the LAIT CSV and Parquet extracts differ")
    print(f"  lait/bds_long_extract.csv/.parquet: {kept.num_rows} of {table.num_rows} rows, "
          f"{len(LAIT_MEASURES)} measures")

    missing = [m for m in LAIT_RELATED_MEASURES if m not in found]
    check(not missing, f"LAIT measures not in bds_long_0.parquet: {missing}")
    related = table.filter(pc.is_in(table.column("Short Desc"),
                                    value_set=pa.array(LAIT_RELATED_MEASURES,
                                                       type=table.schema.field("Short Desc").type)))
    pq.write_table(related, out / "lait/bds_long_related_extract.parquet", compression="zstd")
    check(pq.read_table(out / "lait/bds_long_related_extract.parquet").equals(related),
          "the related LAIT extract does not read back the same")
    print(f"  lait/bds_long_related_extract.parquet: {related.num_rows} of {table.num_rows} rows, "
          f"{len(LAIT_RELATED_MEASURES)} measures")

    missing = [m for m in LAIT_MORE_MEASURES if m not in found]
    check(not missing, f"LAIT measures not in bds_long_0.parquet: {missing}")
    more = table.filter(pc.is_in(table.column("Short Desc"),
                                 value_set=pa.array(LAIT_MORE_MEASURES, type=table.schema.field("Short Desc").type)))
    pq.write_table(more, out / "lait/bds_long_more_extract.parquet", compression="zstd")
    check(pq.read_table(out / "lait/bds_long_more_extract.parquet").equals(more),
          "the further LAIT extract does not read back the same")
    print(f"  lait/bds_long_more_extract.parquet: {more.num_rows} of {table.num_rows} rows, "
          f"{len(LAIT_MORE_MEASURES)} measures")

    every = LAIT_MEASURES + LAIT_RELATED_MEASURES + LAIT_MORE_MEASURES
    total, n = filter_csv(shared / "lait/lait_data_dictionary.csv", out / "lait/lait_data_dictionary_extract.csv",
                          lambda r: r["Measure_short"] in every)
    check(n == len(every), f"the LAIT data dictionary has {n} rows for the {len(every)} measures")
    print(f"  lait/lait_data_dictionary_extract.csv: {n} of {total} rows")


def extract_fingertips(shared: Path, out: Path, areas: pd.DataFrame, sn: pd.DataFrame) -> None:
    current = areas[(areas["area_type"] == "county_ua") & (areas["valid_to"] == "")]
    ons_of = dict(zip(current["dfe_code"], current["area_code"], strict=False))
    neighbours = [ons_of[d] for d in sn.loc[sn["dfe_code"] == HOME_DFE].sort_values("rank")["neighbour_dfe_code"]]
    keep_la = {ENGLAND, "E12000005", HOME_ONS, *neighbours}
    total, n = filter_csv(shared / "fingertips/la_hospital_admissions_2324.csv",
                          out / "fingertips/la_hospital_admissions_extract.csv", lambda r: r["Area Code"] in keep_la)
    print(f"  fingertips/la_hospital_admissions_extract.csv: {n} of {total} rows")

    regions = set(areas.loc[areas["area_type"] == "region", "area_code"])
    total, n = filter_csv(shared / "fingertips/region_hospital_admissions_2324.csv",
                          out / "fingertips/region_hospital_admissions_extract.csv",
                          lambda r: r["Area Code"] in regions | {HOME_ONS}
                          or (r["Area Code"] == ENGLAND and not r["Category Type"]))
    print(f"  fingertips/region_hospital_admissions_extract.csv: {n} of {total} rows")

    # 2015-2017 file, pre-2019 boundaries: the home council and its neighbours under
    # their codes of the time, plus councils since abolished, to exercise code changes.
    old = {"E06000066": "E10000027", "E06000059": "E10000009", "E06000065": "E10000023"}
    keep_cua = ({ENGLAND, "E12000005", HOME_ONS, "E06000019"} | {old.get(c, c) for c in neighbours}
                | {"E10000021", "E06000028", "E06000029", "E10000006", "E10000002"})
    total, n = filter_csv(shared / "fingertips/indicators-CountyUA.data.csv",
                          out / "fingertips/indicators-CountyUA_extract.csv", lambda r: r["Area Code"] in keep_cua)
    print(f"  fingertips/indicators-CountyUA_extract.csv: {n} of {total} rows, {len(keep_cua)} areas")


def extract_c3_factors(shared: Path, out: Path) -> None:
    """The 2025 rows of England, the home region and the home council, when the source is in the shared folder;
    else the shipped extract is kept (and must be there)."""
    if not (shared / C3_FACTORS).exists():
        check((out / C3_FACTORS).exists(), f"{C3_FACTORS} is neither in the shared folder nor shipped")
        print(f"  {C3_FACTORS}: kept as shipped (its source is not in the shared folder)")
        return
    total, n = filter_csv(shared / C3_FACTORS, out / C3_FACTORS, lambda r: r["time_period"] == "2025" and (
        r["geographic_level"] == "National" or (r["geographic_level"] == "Regional" and r["region_code"] == "E12000005")
        or r["new_la_code"] == HOME_ONS))
    check(n == 3, f"{C3_FACTORS}: {n} rows kept, expected England, the West Midlands and Worcestershire")
    print(f"  {C3_FACTORS}: {n} of {total} rows")


def copy_whole(shared: Path, out: Path, names: list[str]) -> None:
    for name in names:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / name, out / name)
        print(f"  {name}: copied whole")
