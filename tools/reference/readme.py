"""data/reference/README.md: each file, its source (from the shared folder's MANIFEST.tsv) and how it was made."""
from __future__ import annotations

import csv
from pathlib import Path

from tools.reference.areas import DFE_AREA_FILES
from tools.reference.extracts import C3_FACTORS, EXTRA_SOURCES, LAIT_MEASURES, LAIT_MORE_MEASURES, LAIT_RELATED_MEASURES

OGL = "Contains public sector information licensed under the Open Government Licence v3.0."


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
