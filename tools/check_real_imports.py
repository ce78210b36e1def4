"""Import real published files into a scratch database and say what happened to each (issues 14 and 22): rows read,
imported, skipped with their reasons; how many stored values were found in the file's own column; and, in every
format that carries them, how many of the publisher's labels the import kept and the explorer reproduces.

    python tools/check_real_imports.py                       # the conformance suite in tests/fixtures/imports
    python tools/check_real_imports.py --shared ../shared/reference   # and the shared reference folder

Never run by the tests; it prints a Markdown table.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpis.analysis import across_areas, explore
from kpis.core.areas import ENGLAND
from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.published.common import BenchmarkError, read_text_csv, to_number
from kpis.published.importer import REFERENCE_DIR, import_benchmarks, load_areas_table
from kpis.store.database import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
IN_DATA = {"dfe/d3_cpps_subsequent_plan_2013_to_2025.csv", "trafford/obese_reception.csv",
           "trafford/school_readiness.csv", "trafford/neet.csv", "trafford/cla_health_assessment.csv"}
HOME = "E10000034"
VALUE_COLUMN = {"fingertips": "Value", "tidy": "value"}


def sources(folder: Path) -> dict[str, str]:
    """File -> where it came from: the fixtures README's table, or the shared folder's MANIFEST.tsv."""
    out: dict[str, str] = {}
    readme, manifest = folder / "README.md", folder / "MANIFEST.tsv"
    if readme.exists():
        for line in readme.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\| `([^`]+)` \| (.+?) \|", line)
            if m:
                text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", m.group(2))
                repo = re.match(r"^([\w.-]+/[\w.-]+)", text)
                path = re.search(r"`([^`]+\.csv)`", text)
                commit = re.search(r"@ `([0-9a-f]{8})", text)
                out[m.group(1)] = " ".join(x for x in (repo and repo.group(1), path and path.group(1),
                                                       commit and "@ " + commit.group(1)) if x)
    if manifest.exists():
        with open(manifest, encoding="utf-8") as fh:
            for r in csv.DictReader(fh, delimiter="\t"):
                out[r["path"]] = f"{r['source_repo']} {r['source_path']} @ {r['commit'][:8]}"
    return out


def values_checked(store: Store, path: Path, fmt: str, indicators: list[str]) -> tuple[int, int]:
    """(stored values found among the numbers of the file's own column, stored values): every number traced back."""
    raw, _ = read_text_csv(path)
    raw.columns = [c.strip() for c in raw.columns]
    found = total = 0
    for iid in indicators:
        if fmt == "dfe_ees":
            definition = store.scalar("SELECT definition FROM indicators WHERE indicator_id = ?", [iid]) or ""
            m = re.search(r"column (\S+)", definition)
            column = m.group(1) if m else None
        else:
            column = VALUE_COLUMN.get(fmt)
        if column not in raw.columns:
            continue
        published = set(to_number(raw[column]).dropna().round(6))
        stored = store.df("SELECT value FROM current_observations WHERE indicator_id = ? AND value IS NOT NULL",
                          [iid])["value"].round(6)
        total += len(stored)
        found += int(stored.isin(published).sum())
    return found, total


def published_labels(path: Path, fmt: str) -> dict[str, int]:
    """How many labels the file itself publishes, against England and against the region (non-blank, not NA)."""
    if fmt not in ("fingertips", "tidy"):
        return {}
    from kpis.published.tidy import label_columns
    raw, _ = read_text_csv(path)
    if fmt == "tidy":
        england, region = label_columns(list(raw.columns))
    else:
        england = next((c for c in raw.columns if c.startswith("Compared to England")), None)
        region = next((c for c in raw.columns if re.match(r"^Compared to Regions?\b", c)), None)
    out = {}
    for versus, col in (("England", england), ("Region", region)):
        if col:
            text = raw[col].astype(str).str.strip()
            out[versus] = int((~text.str.lower().isin(["", "na", "nan"])).sum())
    return out


def reproduced(store: Store, framework, indicator_id: str, versus: str) -> tuple[int, int, int]:
    """(labels kept, labels the explorer can judge: a value with 95% limits or marked 'Not compared', how many of
    those the explorer's own comparison matches)."""
    published = store.df("SELECT area_code, period_label, label FROM current_published_comparisons "
                         "WHERE versus = ? AND breakdown_type = 'all' AND indicator_id = ?", [versus, indicator_id])
    if published.empty:
        return 0, 0, 0
    ind = explore.indicator(store, framework, indicator_id)
    same = total = 0
    for period in explore.periods(store, indicator_id)["period_label"]:
        if versus == "England":
            df = across_areas.compare_areas(store, ind, home=HOME, period_label=period)
            df = df[df["area_code"] != ENGLAND].merge(published, on=["area_code", "period_label"])
        else:
            df = across_areas.compare_with_regions(store, ind, period_label=period)
            df = df.merge(published, on=["area_code", "period_label"])
        df = df[df["lower_ci"].notna() | (df["label"].str.lower() == "not compared")]
        if df.empty:
            continue
        total += len(df)
        same += int((df["significance"].str.capitalize() == df["label"]).sum())
    return len(published), total, same


def labels_text(store: Store, framework, report, path: Path) -> str:
    """Per comparison (England, region): labels published in the file, kept by the import, and reproduced by the
    explorer where it can judge them (a value without limits cannot be judged, and the table says so)."""
    published = published_labels(path, report.format)
    if not published:
        return "no labels published"
    parts = []
    for versus, n in published.items():
        kept = compared = same = 0
        for iid in report.indicators:
            k, c, s = reproduced(store, framework, iid, versus)
            kept, compared, same = kept + k, compared + c, same + s
        judged = (f"{same:,} reproduced of {compared:,} the explorer can judge" if compared
                  else "none judged: no 95% limits published")
        parts.append(f"vs {versus}: {kept:,} kept of {n:,} published; {judged}")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=FIXTURES, help="the conformance files (default %(default)s)")
    ap.add_argument("--shared", type=Path, help="also the shared reference folder's files not already in data/")
    ap.add_argument("--db", type=Path, default=Path(tempfile.mkdtemp(prefix="kpis-check-")) / "scratch.duckdb")
    args = ap.parse_args(argv)
    args.db.unlink(missing_ok=True)
    store = Store(args.db)
    load_areas_table(store, REFERENCE_DIR)
    framework = load_framework(DEFAULT_FRAMEWORK)
    files = [(args.fixtures, p) for p in sorted(args.fixtures.glob("*_extract.csv"))]
    if args.shared:
        files += [(args.shared, p) for p in sorted(args.shared.rglob("*")) if p.is_file()
                  and p.relative_to(args.shared).as_posix() not in IN_DATA and p.suffix not in (".md", ".tsv")]
    print("| file | source | rows read | imported | skipped (why) | values checked | labels reproduced / published |")
    print("|---|---|---|---|---|---|---|")
    known = {folder: sources(folder) for folder in {f for f, _ in files}}
    for folder, path in files:
        rel = path.relative_to(folder).as_posix()
        source = known[folder].get(rel, "–")
        try:
            r = import_benchmarks(store, path, framework=framework, actor="check_real_imports")
        except BenchmarkError as exc:
            print(f"| `{rel}` | {source} | refused: {str(exc).splitlines()[0][:110]} | – | – | – | – |")
            continue
        why = "; ".join(f"{n:,} {reason}" for reason, n in r.skipped_reasons.items())
        found, total = values_checked(store, path, r.format, r.indicators)
        print(f"| `{rel}` | {source} | {r.rows_read:,} | {r.rows_imported:,} | {r.rows_skipped:,}"
              f"{f' ({why})' if why else ''} | {found:,} of {total:,} | {labels_text(store, framework, r, path)} |")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
