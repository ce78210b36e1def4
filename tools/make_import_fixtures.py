"""Make the small import fixtures of tests/fixtures/imports from the real published files (issue 14).

    python tools/make_import_fixtures.py --shared ../shared/reference

Each fixture is a few dozen records of a real file, cut byte for byte with its header (so its markers, quoting
and line endings are the publisher's), or a stated transformation of such a cut; tests/fixtures/imports/README.md
says which. Run once; the tests read only the fixtures.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.reference.records import filter_csv, parse_record, raw_records

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "imports"
WORCS_AND_NEIGHBOURS = {"E10000034", "E10000031", "E10000028", "E06000019", "E10000018", "E10000024",
                        "E06000051", "E10000021", "E10000032", "E10000019", "E06000025"}


def fingertips_93356(shared: Path) -> None:
    """2015 headline rows: England, the nine regions (published with counts but 'Not compared'), Worcestershire and
    its neighbours, the Isles of Scilly and the City of London (no value, 'Not compared')."""
    keep = lambda r: (r["Time period"] == "2015" and r["Category Type"] == "" and r["Age"] == "All ages"  # noqa: E731
                      and (r["Area Type"] in ("Country", "Region") or r["Area Code"] in WORCS_AND_NEIGHBOURS
                           or r["Area Code"] in ("E06000053", "E09000001")))
    filter_csv(shared / "fingertips" / "indicators-CountyUA.data.csv", OUT / "fingertips_93356_2015.csv", keep)


def fingertips_90284(shared: Path) -> Path:
    """2022/23-2023/24: England (both of its rows), Worcestershire and two neighbours by sex, two deprivation rows."""
    seen: dict[str, int] = {}

    def keep(r) -> bool:
        if r["Time period"] not in ("2022/23", "2023/24"):
            return False
        if r["Area Code"] == "E92000001":
            if r["Category Type"]:
                key = r["Time period"] + r["Category Type"]
                seen[key] = seen.get(key, 0) + 1
                return r["Sex"] == "Persons" and seen[key] <= 2
            return True
        return r["Area Code"] in ("E10000034", "E10000031", "E06000019") and not r["Category Type"]
    dst = OUT / "fingertips_90284_by_sex.csv"
    filter_csv(shared / "fingertips" / "la_hospital_admissions_2324.csv", dst, keep)
    return dst


def not_applicable_and_html(src: Path) -> None:
    """The same records, as an indicator without sex (Fingertips writes 'Not applicable') and with a Value note
    in the HTML Fingertips' API sometimes returns."""
    records = raw_records(src.read_text(encoding="utf-8"))
    header = parse_record(records[0])
    rows = [parse_record(r) for r in records[1:]]
    sex, note = header.index("Sex"), header.index("Value note")
    rows = [r for r in rows if r[sex] == "Persons"]
    for r in rows:
        r[sex] = "Not applicable"
        if r[note]:
            r[note] = r[note].replace(", as it contains", ",<br/>as it <b>contains</b>") + \
                " See <a href=\"https://fingertips.phe.org.uk/\">Fingertips</a> &amp; its notes."
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    (OUT / "fingertips_90284_not_applicable_html.csv").write_text(buf.getvalue(), encoding="utf-8")


def r_resaved(src: Path) -> None:
    """What R's read.csv() then write.csv() make of a Fingertips export: make.names() column names
    (`Indicator.ID`), a first column of row numbers under an empty name, NA for every empty cell, every text quoted."""
    import re
    records = raw_records(src.read_text(encoding="utf-8"))
    header = parse_record(records[0])
    names = [re.sub(r"[^A-Za-z0-9._]", ".", h) for h in header]
    numeric = {"Indicator ID", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit",
               "Upper CI 99.8 limit", "Count", "Denominator", "Time period Sortable"}
    lines = ['"",' + ",".join(f'"{n}"' for n in names)]
    for i, record in enumerate(records[1:], start=1):
        cells = []
        for h, v in zip(header, parse_record(record), strict=False):
            if v == "":
                cells.append("NA")
            elif h in numeric:
                cells.append(v)
            else:
                cells.append('"' + v.replace('"', '""') + '"')
        lines.append(f'"{i}",' + ",".join(cells))
    (OUT / "fingertips_90284_r_resaved.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def dfe_c1_with_k(shared: Path) -> None:
    """Referrals 2025: England, the West Midlands, its councils and every council row with a marker; then one
    percentage cell (Worcestershire's re-referral percentage) replaced by `k`, the symbol the issue met."""
    def keep(r) -> bool:
        markers = any(v in ("c", "x", "u", "z") for v in r.values())
        return r["time_period"] == "2025" and (r["geographic_level"] == "National" or r["region_code"] == "E12000005"
                                                or markers)
    dst = OUT / "dfe_c1_referrals_k.csv"
    filter_csv(shared / "dfe" / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv", dst, keep)
    records = raw_records(dst.read_text(encoding="utf-8"))
    header = parse_record(records[0])
    i = header.index("rereferral_percent")
    out = [records[0]]
    for record in records[1:]:
        values = parse_record(record)
        if values[header.index("new_la_code")] == "E10000034":
            values[i] = "k"
            record = ",".join(values) + "\n"
        out.append(record)
    dst.write_text("".join(out), encoding="utf-8")


DURATIONS = [("Total", "CPP_At31", None), ("3 months or less", "3_months_or_less", "3_months_or_less_percent"),
             ("More than 3 months to 6 months", "more_than_3_months_6_months", "more_than_3_months_6_months_percent"),
             ("More than 6 months to less than 1 year", "more_than_6_months_less_than_1_year",
              "more_than_6_months_less_than_1_year_percent"),
             ("1 year to less than 2 years", "1_year_less_than_2_years", "1_year_less_than_2_years_percent"),
             ("2 years or more", "2_years_or_more", "2_years_or_more_percent")]


def dfe_d5_long(shared: Path) -> None:
    """CP plans at 31 March by duration, 2024-2025, England, West Midlands, Worcestershire and two councils with
    markers: the wide table turned into the tidy form DfE's API data sets use (a `duration` filter whose `Total`
    row is the headline; `percent_of_plans` is `z`, not applicable, on Total rows). Cells copied as published."""
    text = (shared / "dfe" / "d5_cpps_at31march_by_duration_2013_to_2025.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    keep = [r for r in rows if r["time_period"] in ("2024", "2025") and (
        r["geographic_level"] == "National" or (r["region_code"] == "E12000005" and r["geographic_level"] == "Regional")
        or r["new_la_code"] in ("E10000034", "E06000053", "E09000001"))]
    geo = list(rows[0].keys())[:11]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*geo, "duration", "number_of_plans", "percent_of_plans"])
    for r in keep:
        for label, number, percent in DURATIONS:
            w.writerow([r[g] for g in geo] + [label, r[number], r[percent] if percent else "z"])
    (OUT / "dfe_d5_duration_long.csv").write_text(buf.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, required=True, help="the shared reference folder (MANIFEST.tsv)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    fingertips_93356(args.shared)
    cut = fingertips_90284(args.shared)
    not_applicable_and_html(cut)
    r_resaved(cut)
    dfe_c1_with_k(args.shared)
    dfe_d5_long(args.shared)
    for p in sorted(OUT.glob("*.csv")):
        print(f"{p.name}: {len(raw_records(p.read_text(encoding='utf-8'))) - 1} records, {p.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
