"""Make the trimmed reference extracts in data/reference/ from the published files.

Run by hand when the published data change; the app and the tests only ever read
data/reference/, never the shared source folder:

    python tools/extract_reference.py [--shared ../shared/reference] [--out data/reference]

What it writes (see data/reference/README.md for the sources):

* extracts in the original file formats and column layouts, so the importers read
  them exactly as they would read a fresh download. CSV extracts are cut record by
  record from the original bytes (quoting, line endings and byte-order mark kept);
* areas.csv: England, the regions and every upper-tier council that appears in the
  DfE files in any year, with boundary changes (valid_to, successor_code);
* statistical_neighbours.csv: the DfE children's services statistical neighbours
  (CSSN 2025), long format.

The script checks what it writes (Worcestershire present, 10 neighbours each, every
neighbour a current council, the current councils the same set as the ONS
April 2023 upper-tier lookup) and stops with a message if a check fails.
"""
from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "reference"
DEFAULT_OUT = ROOT / "data" / "reference"

HOME_ONS = "E10000034"  # Worcestershire
HOME_DFE = "885"
ENGLAND = "E92000001"

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

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."


class ExtractError(RuntimeError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ExtractError(message)


# ---------------------------------------------------------------- raw CSV records

def raw_records(text: str) -> list[str]:
    """Split CSV text into records, each exactly as in the file (line ending included).

    A newline inside a quoted field does not end a record.
    """
    records: list[str] = []
    pending: list[str] = []
    quotes = 0
    for line in text.split("\n"):
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2 == 0:
            records.append("\n".join(pending) + "\n")
            pending, quotes = [], 0
    check(not pending or pending == [""], "a CSV file ends inside a quoted field")
    if records and records[-1] == "\n":   # the split after the final newline
        records.pop()
    if records and not text.endswith("\n"):
        records[-1] = records[-1][:-1]
    return records


def parse_record(record: str) -> list[str]:
    return next(csv.reader(io.StringIO(record, newline="")))


def filter_csv(src: Path, dst: Path, keep) -> tuple[int, int]:
    """Copy the header and the records for which keep(row: dict) is true, byte for byte."""
    text = src.read_bytes().decode("utf-8")
    records = raw_records(text)
    header = [h.lstrip("\ufeff") for h in parse_record(records[0])]
    kept = [records[0]]
    for record in records[1:]:
        values = parse_record(record)
        # Fingertips' 26-column export writes 25 fields per record (no trailing
        # "Compared to goal"), which readers treat as empty: allow short records.
        check(len(values) <= len(header), f"{src.name}: a record has {len(values)} fields, the header {len(header)}")
        values += [""] * (len(header) - len(values))
        if keep(dict(zip(header, values, strict=False))):
            kept.append(record)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes("".join(kept).encode("utf-8"))
    return len(records) - 1, len(kept) - 1


def read_dfe(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


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


def manifest(shared: Path) -> dict[str, dict[str, str]]:
    with open(shared / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        return {r["path"]: r for r in csv.DictReader(f, delimiter="\t")}


def write_readme(shared: Path, out: Path) -> None:
    m = {**EXTRA_SOURCES, **manifest(shared)}

    def src(path: str) -> str:
        r = m[path]
        return f"`{r['source_repo']}` `{r['source_path']}` at commit `{r['commit']}`"

    files = [
        ("dfe/d3_cpps_subsequent_plan_2013_to_2025.csv", "dfe/d3_cpps_subsequent_plan_2013_to_2025.csv",
         "DfE Children in need statistics, table D3: child protection plans starting in the year that are a "
         "second or subsequent plan; England, regions, every council, 2013-2025 (SG02's comparator; "
         "England 2025 = 24.5%).",
         "whole file, unchanged"),
        ("lait/bds_long_extract.csv", "lait/bds_long_0.parquet",
         "DfE Local Authority Interactive Tool data, long format (one row per measure x year x area, values as text; "
         f"`-` = not available). Measures: {', '.join('`' + x + '`' for x in LAIT_MEASURES)}.",
         "rows whose `Short Desc` is one of those measures; same 7 columns. Read it with "
         "`pd.read_csv(path, keep_default_na=False, na_values=[''])`: `Region` holds the text `NA` for England and the "
         "regions, an empty `Data item` is a missing value (the source fills it only on each measure's "
         "first-year rows), "
         "and `LA Number` is written as `885.0` because it is a double in the Parquet (England 970, regions 980-990)"),
        ("lait/bds_long_extract.parquet", "lait/bds_long_0.parquet",
         "The same rows as `bds_long_extract.csv`, in the original Parquet schema.", "same rows, zstd compression"),
        ("lait/bds_long_related_extract.parquet", "lait/bds_long_0.parquet",
         "DfE LAIT data in the same long format and Parquet schema, for national measures related to a KPI but not "
         "its definition (the framework's `related_comparator`): "
         f"{', '.join('`' + x + '`' for x in LAIT_RELATED_MEASURES)} (NCMP Reception and Year 6 excess weight, "
         "related to EH02 and EH03; looked-after children's average SDQ score, related to MH03; child protection "
         "plans ending in the year that had lasted two years or more, DfE table D7, related to SG01). Kept apart from "
         "`bds_long_extract` so that file stays as it was.",
         "rows whose `Short Desc` is one of those measures; same 7 columns, zstd compression"),
        ("lait/bds_long_more_extract.parquet", "lait/bds_long_0.parquet",
         "DfE LAIT data in the same long format and Parquet schema, for further national measures published for "
         f"every council: {', '.join('`' + x + '`' for x in LAIT_MORE_MEASURES)} (looked-after children's dental "
         "checks; inpatient mental health admissions aged 0-17 per 100,000; KS2 reading, writing and maths at the "
         "expected standard; average Attainment 8; persistent absence in state-funded secondary schools; "
         "2-year-olds in funded early education). Blackpool's framework binds its KPIs to them. Kept apart so the "
         "files above stay as they were.",
         "rows whose `Short Desc` is one of those measures; same 7 columns, zstd compression"),
        (C3_FACTORS, C3_FACTORS,
         "DfE Children in need statistics, table C3: episodes of need by factor identified at the end of assessment "
         "(counts; the denominator is `Episodes_with_assessment_factor`), year ending 31 March 2025. SG03's related "
         "measure: `Mental_Health_parent` as a percentage of `Episodes_with_assessment_factor` (England 33.5%), "
         "with a Wilson interval from the published counts.",
         "the 2025 records of England, the West Midlands and Worcestershire, cut record by record from the source "
         "(which is not in the shared folder's MANIFEST: `extract_c3_factors()` re-cuts them when it is there, and "
         "otherwise keeps this file)"),
        ("lait/lait_data_dictionary_extract.csv", "lait/lait_data_dictionary.csv",
         "LAIT data dictionary: definition, polarity, source and methodology of each measure kept.",
         "rows whose `Measure_short` is one of the measures kept (it equals `Short Desc`); records cut byte for byte"),
        ("fingertips/la_hospital_admissions_extract.csv", "fingertips/la_hospital_admissions_2324.csv",
         "OHID Fingertips indicator 90284, hospital admissions for injuries in children aged 0-14, 2010/11-2023/24; "
         "current 27-column export layout, parent England. The `Recent Trend` column is wrong in the source for many "
         "rows (labels inverted): recompute it, never trust it. England rows are repeated in the source.",
         "England, Worcestershire and its 10 statistical neighbours, all years; records cut byte for byte "
         "(the file has no West Midlands row)"),
        ("fingertips/region_hospital_admissions_extract.csv", "fingertips/region_hospital_admissions_2324.csv",
         "The same indicator exported against regions (`Regions (statistical)` rows): the regional comparator.",
         "the nine regions, Worcestershire and England's headline rows (England's deprivation-decile rows are "
         "in the LA extract); records cut byte for byte"),
        ("fingertips/indicators-CountyUA_extract.csv", "fingertips/indicators-CountyUA.data.csv",
         "OHID Fingertips indicator 93356 (Campylobacter incidence), 2015-2017, the older 26-column export layout, "
         "pre-2019 county and unitary codes. Kept so the importers have both Fingertips layouts to read; "
         "CRLF line endings and a newline inside the quoted indicator name, as in the source.",
         "England, West Midlands, Worcestershire, its neighbours (codes of the time), Herefordshire, and "
         "Northamptonshire, Bournemouth, Poole, Cumbria and Buckinghamshire (since abolished)"),
        ("trafford/obese_reception.csv", "trafford/obese_reception.csv",
         "Fingertips 90319 Reception prevalence of obesity, tidied by Trafford Data Lab (with England and "
         "deprivation quintiles): EH02's England comparator.",
         "whole file, unchanged"),
        ("trafford/school_readiness.csv", "trafford/school_readiness.csv",
         "Fingertips school readiness (GLD at end of Reception, with FSM breakdown), tidied by Trafford Data Lab.",
         "whole file, unchanged"),
        ("trafford/neet.csv", "trafford/neet.csv", "Fingertips 16-17 NEET, tidied by Trafford Data Lab.",
         "whole file, unchanged"),
        ("trafford/cla_health_assessment.csv", "trafford/cla_health_assessment.csv",
         "Fingertips children looked after with an annual health assessment, tidied by Trafford Data Lab.",
         "whole file, unchanged"),
    ]
    lines = [
        "# Reference data: trimmed extracts of real published statistics",
        "",
        OGL,
        "",
        "Sources: Department for Education (DfE: Explore education statistics, children's services statistical "
        "neighbours, the Local Authority Interactive Tool, DfE LAIT) and the Office for Health Improvement and "
        "Disparities (OHID Fingertips), the latter partly as tidied by Trafford Data Lab. ONS area codes "
        "(ONS upper-tier lookup, April 2023) are also "
        "Open Government Licence v3.0.",
        "",
        "Every file here is made by `tools/extract_reference.py` from the copies described in the project's "
        "shared reference folder (`MANIFEST.tsv`), and can be remade with",
        "",
        "    python tools/extract_reference.py --shared ../shared/reference",
        "",
        "The app and the tests read only this folder. Extracts keep the original file formats and column layouts, "
        "so the importers read them exactly as they would read a fresh download. DfE suppression markers: `c` "
        "suppressed, `x` not available, `z` not applicable, `low`, `u`, `:`, `~`; Fingertips leaves the value "
        "empty and gives the reason in `Value note`; LAIT writes `-`.",
        "",
        "## Files",
        "",
    ]
    for path, source, what, how in files:
        lines += [f"### `{path}`", "", what, "", f"- Source: {src(source)} ({m[source]['licence']}).",
                  f"- Made by: {how}.", ""]
    lines += [
        "### `areas.csv`",
        "",
        "Columns `area_code,dfe_code,name,area_type,region_code,region_name,valid_from,valid_to,successor_code`. "
        "One row for England (`country`, DfE code 970 as in LAIT), the nine regions (`region`, ONS E12 codes, "
        "LAIT's DfE codes 980-990), DfE's Inner and Outer London (`london_subregion`, E13 codes, which the DfE "
        "children's social care files use as the region of London boroughs) and every upper-tier council "
        "(`county_ua`: counties, unitaries, metropolitan and London boroughs, the City of London, the Isles of Scilly) "
        "that appears in any year of the DfE files. `region_code` is always the ONS region (London boroughs: "
        "E12000007). Councils abolished since 2013 have `valid_to` (their last day) and `successor_code` "
        "(`;`-separated if more than one); their successors have `valid_from`. A DfE number can be reused by a "
        "successor (815 North Yorkshire, 825 Buckinghamshire, 933 Somerset): look a DfE number up among the rows "
        "without `valid_to` first. Dorset County Council's successors are Dorset (E06000059) and, for the "
        "former Christchurch district, Bournemouth, Christchurch and Poole (E06000058).",
        "",
        "- Sources: " + "; ".join(src(p) for p in DFE_AREA_FILES) + " (codes, names, regions, years present); "
        f"{src('lait/la_code_list.xlsx')} (DfE codes of England and the regions); "
        f"{src('dfe/LTLA-UTLA_Apr23_Lookup_England-Wales.csv')} (the set of current councils, as a check). "
        "Reorganisation dates are the statutory dates (1 April 2019, 2020, 2021, 2023).",
        "- Made by: `build_areas()` in the script.",
        "",
        "### `statistical_neighbours.csv`",
        "",
        "Columns `dfe_code,rank,neighbour_dfe_code,closeness,source`: each council's 10 children's services "
        "statistical neighbours, rank 1 the closest, with DfE's closeness band; `source` is `DfE CSSN 2025`. "
        "DfE numbers are those of the current councils.",
        "",
        f"- Source: {src('dfe/sn_model_2025_wide.csv')} ({m['dfe/sn_model_2025_wide.csv']['licence']}).",
        "- Made by: `build_neighbours()` in the script (wide to long; trailing spaces in closeness removed).",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared reference folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default data/reference)")
    args = parser.parse_args(argv)
    shared, out = args.shared.resolve(), args.out.resolve()
    if not (shared / "MANIFEST.tsv").exists():
        print(f"{shared} is not the shared reference folder (no MANIFEST.tsv)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    try:
        print(f"Reading {shared}, writing {out}")
        areas = build_areas(shared)
        areas.to_csv(out / "areas.csv", index=False, lineterminator="\n")
        print(f"  areas.csv: {len(areas)} rows: {areas['area_type'].value_counts().to_dict()}")
        sn = build_neighbours(shared, areas)
        sn.to_csv(out / "statistical_neighbours.csv", index=False, lineterminator="\n")
        print(f"  statistical_neighbours.csv: {len(sn)} rows, {sn['dfe_code'].nunique()} councils")
        copy_whole(shared, out, ["dfe/d3_cpps_subsequent_plan_2013_to_2025.csv", "trafford/obese_reception.csv",
                                 "trafford/school_readiness.csv", "trafford/neet.csv",
                                 "trafford/cla_health_assessment.csv"])
        extract_lait(shared, out)
        extract_c3_factors(shared, out)
        extract_fingertips(shared, out, areas, sn)
        write_readme(shared, out)
        print("  README.md")
    except ExtractError as e:
        print(f"Stopped: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
