"""A Fingertips file is read a slice of rows at a time (issue 25: a national file in bounded memory), and what is
stored and reported is the same as when the whole file is one slice: the breakdowns, the headline age (ties too),
the unit and polarity inferred, the notes on re-saved files, wherever in the file the rows that decide them fall."""
from __future__ import annotations

import pytest

from kpis.published import fingertips
from kpis.published.importer import REFERENCE_DIR, import_benchmarks, load_areas_table
from kpis.store.database import Store
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
FILES = [FIXTURES / "imports" / name for name in ("fingertips_90284_by_sex.csv", "fingertips_90284_r_resaved.csv",
                                                  "fingertips_90284_not_applicable_html.csv",
                                                  "fingertips_93356_2015.csv")] + \
        [FIXTURES / "benchmarks" / name for name in ("fingertips_26col.csv", "fingertips_27col.csv")]
HEADER = ("Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,Category Type,"
          "Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Count,Denominator,Value note,"
          "Compared to England value or percentiles")


def stored(tmp_path, name: str, path, framework, rows: int) -> tuple[dict, list]:
    """Import `path` into a new store, `rows` rows at a time: the report and everything the import stored."""
    store = Store(tmp_path / f"{name}.duckdb")
    try:
        load_areas_table(store, REFERENCE_DIR)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(fingertips, "CHUNK_ROWS", rows)
            report = import_benchmarks(store, path, framework=framework).to_dict()
        report.pop("seconds")
        tables = [store.df(f"SELECT * EXCLUDE ({drop}) FROM {table} ORDER BY ALL")
                  for table, drop in (("observations", "obs_id, valid_from"), ("indicators", "licence"),
                                      ("published_comparisons", "batch_id"))]
        return report, [t.astype(object).where(t.notna(), None).to_dict("records") for t in tables]
    finally:
        store.close()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_file_read_in_slices_stores_and_reports_what_the_whole_file_does(tmp_path, framework, path):
    whole = stored(tmp_path, "whole", path, framework, 10**9)
    sliced = stored(tmp_path, "sliced", path, framework, 2)
    assert sliced == whole
    assert whole[1][0]  # something was stored


def test_without_the_framework_unit_and_polarity_are_inferred_alike_in_slices(tmp_path):
    path = FIXTURES / "imports" / "fingertips_93356_2015.csv"
    assert stored(tmp_path, "sliced", path, None, 3) == stored(tmp_path, "whole", path, None, 10**9)


def test_the_reader_holds_one_slice_at_a_time(tmp_path, framework, monkeypatch, store):
    sizes = []
    append = fingertips.append_rows
    monkeypatch.setattr(fingertips, "CHUNK_ROWS", 5)
    monkeypatch.setattr(fingertips, "append_rows", lambda con, frame, first: (sizes.append(len(frame)),
                                                                            append(con, frame, first=first)))
    report = import_benchmarks(store, FILES[0], framework=framework)
    assert max(sizes) == 5 and sum(sizes) == report.rows_read > 10


def rows_of(lines: list[str]) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def test_what_decides_the_whole_file_may_come_in_its_last_slice(tmp_path, store):
    """The headline age is the one on most rows, a tie going to the age seen first; an 'NA' or a row-number column
    that is not all numbers is noticed wherever it is."""
    row = "91000,Made up rate per 100000,,,{area},,,Persons,{age},,,2023/24,{value},,,,,,{label}"
    # A tie, two rows each: 5-9 yrs is seen first, so it is the headline (not 0-4 yrs, which sorts first).
    lines = [row.format(area=area, age="5-9 yrs", value=v, label="Better" if area != "E92000001" else "")
             for area, v in (("E92000001", 10), ("E10000034", 12))]
    lines += [row.format(area=area, age="0-4 yrs", value=v, label="Worse" if area != "E92000001" else "")
              for area, v in (("E92000001", 10), ("E10000034", 8))]
    lines.append(row.format(area="E10000034", age="10-14 yrs", value="NA", label=""))
    path = tmp_path / "ages.csv"
    path.write_text(rows_of(lines), encoding="utf-8")
    reports = []
    for rows in (2, 10**9):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(fingertips, "CHUNK_ROWS", rows)
            reports.append(import_benchmarks(store, path, framework=None))
    sliced, whole = reports
    assert sliced.notes == whole.notes
    assert "'NA' read as an empty cell (a file re-saved by R)" in sliced.notes
    assert any("Polarity: higher_is_better" in n for n in sliced.notes)
    definition = store.scalar("SELECT definition FROM indicators WHERE indicator_id = 'fingertips:91000'")
    assert definition == "Age: 5-9 yrs (other ages as the breakdown 'age')"
    assert store.scalar("SELECT count(*) FROM current_observations WHERE breakdown_type = 'age' "
                        "AND breakdown_value = '0-4 yrs'") == 2

    numbered = tmp_path / "numbered.csv"
    numbered.write_text(rows_of([f"{i},{line}" for i, line in enumerate(lines, start=1)])
                        .replace("Indicator ID", ",Indicator ID", 1), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fingertips, "CHUNK_ROWS", 2)
        left_out = import_benchmarks(store, numbered, framework=None)
    assert "a leading row-number column was left out (a file re-saved by R or pandas)" in left_out.notes
    lettered = tmp_path / "lettered.csv"
    lettered.write_text(numbered.read_text(encoding="utf-8").replace("\n5,", "\nx5,"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fingertips, "CHUNK_ROWS", 2)
        kept = import_benchmarks(store, lettered, framework=None)
    assert not [n for n in kept.notes if "row-number" in n] and kept.rows_read == len(lines)
