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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.reference.areas import build_areas, build_neighbours
from tools.reference.extracts import copy_whole, extract_c3_factors, extract_fingertips, extract_lait
from tools.reference.readme import write_readme
from tools.reference.records import ExtractError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "reference"
DEFAULT_OUT = ROOT / "data" / "reference"


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
