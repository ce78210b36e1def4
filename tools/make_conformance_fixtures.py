"""Cut the conformance suite's real files (issue 22) from git mirrors of their public repositories.

    python tools/make_conformance_fixtures.py --mirrors /work/.mirror

Each fixture keeps the header and a chosen set of whole lines of the published file, byte for byte (nothing else
changes): England, one or two regions and every row of a handful of councils (Barnsley and Sheffield wherever the
file has them, across their 2025 code change), so each council's series is whole. Sources, commits and licences:
tests/fixtures/imports/README.md. Never run by the tests.
"""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "imports"
CSC = "dfe-analytical-services+CSC_outcomes_and_enablers"
CSC_COMMIT = "2f5d11a431050523dab58810083259d3313029ae"
ATT = "dfe-analytical-services+attendance-data-dashboard"
TRAFFORD = "traffordDataLab+trafford_themes"
TRAFFORD_COMMIT = "ae20a088ae35b93b57843c79ee56e0072915db9e"
# DfE numbers: Barnsley, Sheffield, North Yorkshire, Somerset, Worcestershire, Northamptonshire and its successors
DFE_COUNCILS = {"370", "373", "815", "933", "885", "928", "940", "941", "940 / 941"}
REGIONS = {"E12000003", "E12000005"}          # Yorkshire and The Humber, West Midlands
# ONS codes for the tidy files: England, Barnsley and Sheffield (both codes), Trafford, Stockport, a district
TIDY_AREAS = {"E92000001", "E08000016", "E08000019", "E08000038", "E08000039", "E08000009", "E08000007",
              "E07000026", "E12000003"}  # E07000026 Allerdale, a district

FILES = [  # (fixture, mirror, commit, path in the repository, kind)
    ("dfe_csww_indicators_extract.csv", CSC, CSC_COMMIT, "data-raw/csww_indicators_2017_to_2025.csv", "dfe"),
    ("dfe_ks2_cin_version_extract.csv", CSC, CSC_COMMIT, "data-raw/ks2_la.csv", "dfe"),
    ("dfe_ks4_cin_version_extract.csv", CSC, CSC_COMMIT, "data-raw/ks4_la.csv", "dfe"),
    ("dfe_absence_cin_extract.csv", CSC, CSC_COMMIT, "data-raw/absence_la.csv", "dfe"),
    ("dfe_care_leavers_activity_extract.csv", CSC, CSC_COMMIT, "data-raw/la_care_leavers_activity.csv", "dfe"),
    ("dfe_cla_health_outcomes_extract.csv", CSC, CSC_COMMIT, "data-raw/la_conviction_health_outcome_cla.csv", "dfe"),
    ("dfe_cla_placement_stability_extract.csv", CSC, CSC_COMMIT, "data-raw/la_cla_placement_stability.csv", "dfe"),
    ("dfe_attendance_weekly_extract.csv", ATT, "f79f40a4f80e0e2ac7ca4828e718da596312f91f",
     "data/EES_weekly_data.csv", "dfe"),
    ("dfe_attendance_autumn_term_extract.csv", ATT, "536d8dd4d48a62897a9f51f263b8ddc8347cbe4a",
     "data/EES_aut_data.csv", "dfe"),
    ("dfe_attendance_spring_term_extract.csv", ATT, "bef633da9d68cdbaf1799584c65ec3a39c1ff14d",
     "data/EES_spr_data.csv", "dfe"),
    ("tidy_active_children_extract.csv", TRAFFORD, TRAFFORD_COMMIT, "data/children/active_children.csv", "tidy"),
    ("tidy_children_offending_extract.csv", TRAFFORD, TRAFFORD_COMMIT, "data/children/children_offending.csv",
     "tidy"),
    ("tidy_dental_decay_extract.csv", TRAFFORD, TRAFFORD_COMMIT, "data/children/children_dental_decay.csv", "tidy"),
]


# Long files (many filters): England, Yorkshire and The Humber, Barnsley and Sheffield only.
SMALL = {"dfe_absence_cin_extract.csv", "dfe_care_leavers_activity_extract.csv", "dfe_cla_health_outcomes_extract.csv"}


def keep_dfe(row: dict, small: bool = False) -> bool:
    level = row["geographic_level"]
    councils, regions = ({"370", "373"}, {"E12000003"}) if small else (DFE_COUNCILS, REGIONS)
    return (level == "National" or (level == "Regional" and row.get("region_code") in regions)
            or (level == "Local authority" and row.get("old_la_code", "").strip() in councils))


def keep_tidy(row: dict) -> bool:
    return row["area_code"] in TIDY_AREAS


def cut(text: str, kind: str, small: bool = False) -> str:
    lines = text.splitlines(keepends=True)
    header = next(csv.reader(io.StringIO(lines[0].lstrip("\ufeff"))))
    out = [lines[0]]
    for line in lines[1:]:
        values = next(csv.reader(io.StringIO(line)))
        row = dict(zip(header, values, strict=False))
        if keep_dfe(row, small) if kind == "dfe" else keep_tidy(row):
            out.append(line)
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, required=True, help="folder of git mirrors, one per owner+name")
    args = ap.parse_args(argv)
    for name, mirror, commit, path, kind in FILES:
        repo = args.mirrors / mirror / "repo"
        text = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True,
                              capture_output=True).stdout.decode("utf-8")
        body = cut(text, kind, name in SMALL)
        (OUT / name).write_bytes(body.encode("utf-8"))
        print(f"{name}: {body.count(chr(10)) - 1} rows of {text.count(chr(10)) - 1}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
