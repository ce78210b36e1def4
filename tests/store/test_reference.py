"""The store's SQL for published statistics (kpis.store.reference, reference_checks), each function on its own."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from kpis.published.common import blank_frame
from kpis.store import reference, reference_checks, reference_lait


def _indicator(**fields) -> pd.DataFrame:
    row = {"indicator_id": "x:1", "source": "x", "source_code": "1", "name": None, "unit": None, "polarity": None,
           "definition": None, "methodology": None, "kpi_id": None, "last_updated": None, "next_update": None,
           "licence": None, **fields}
    return pd.DataFrame([row]).astype("object").where(lambda d: d.notna(), None)


def test_upsert_indicators_refreshes_what_it_knows_and_keeps_the_rest(store):
    with store.transaction() as cur:
        reference.upsert_indicators(cur, _indicator(name="Old name", definition="Kept definition"))
    with store.transaction() as cur:
        reference.upsert_indicators(cur, _indicator(name="New name", unit="percentage"))
    got = store.df("SELECT name, unit, definition FROM indicators WHERE indicator_id = 'x:1'")
    assert got.to_dict("records") == [{"name": "New name", "unit": "percentage", "definition": "Kept definition"}]


def test_framework_digest_is_none_until_saved_then_the_saved_one(store):
    with store.transaction() as cur:
        assert reference.framework_digest(cur) is None
        reference.save_framework_digest(cur, "abc")
        reference.save_framework_digest(cur, "def")
        assert reference.framework_digest(cur) == ("def",)


def _candidates(con: duckdb.DuckDBPyConnection, areas: list[str], values: list[float]) -> None:
    frame = blank_frame(len(areas))
    frame["indicator_id"], frame["area_code"], frame["value"] = "x:1", areas, values
    frame["period_raw"] = "2024"
    reference_checks.create_candidates(con, frame)
    reference_checks.create_known_areas(con, ["E92000001", "E06000001", "E08000037"], [("E08000020", "E08000037")])
    pmap = pd.DataFrame([("2024", "", "", "2024", "calendar_year", date(2024, 1, 1), date(2024, 12, 31), None)],
                        columns=["period_raw", "time_identifier", "year_type", "period_label", "period_type",
                                 "period_start", "period_end", "pskip"])
    reference_checks.create_period_map(con, pmap.astype("object"))
    reference_checks.create_checked(con)


def test_checks_say_why_a_code_is_not_placed_and_recode_a_former_code():
    con = duckdb.connect()
    _candidates(con, ["E92000001", "E07000001", "W06000001", "E08000020", ""], [1.0, 2.0, 3.0, 4.0, 5.0])
    groups = reference_checks.checked_groups(con)
    reasons = {r: n for _, r, n, _, _ in groups}
    assert reasons == {
        None: 2,
        "district code E07000001: districts are not imported (councils, regions and England are)": 1,
        "area code W06000001 is outside England": 1,
        "no area code": 1,
    }
    assert reference_checks.recoded_counts(con) == [("E08000020", "E08000037", 1)]
    assert sorted(reference_checks.checked_source_rows(con), key=str) == sorted(
        [(True, None, 2), (False, "no area code", 1), (False, "area code W06000001 is outside England", 1),
         (False, "district code E07000001: districts are not imported (councils, regions and England are)", 1)],
        key=str)
    reference_checks.create_final_view(con)
    got = con.execute("SELECT _row, area_code, period_label, value FROM final_obs ORDER BY _row").fetchall()
    assert got == [(0, "E92000001", "2024", 1.0), (3, "E08000037", "2024", 4.0)]


def test_rank_duplicates_keeps_the_first_and_tells_duplicates_from_conflicts():
    con = duckdb.connect()
    _candidates(con, ["E92000001", "E92000001", "E92000001", "E06000001"], [1.0, 1.0, 2.0, 7.0])
    imported, reasons, used = reference_checks.rank_duplicates(con)
    assert imported == 2 and used == ["x:1"]
    assert reasons == {reference_checks.DUPLICATE: 1, reference_checks.CONFLICT: 1}
    assert con.execute("SELECT _row, value FROM final_obs ORDER BY _row").fetchall() == [(0, 1.0), (3, 7.0)]


def test_lait_key_groups_count_each_periods_areas_kept_as_bits_or_distinct(monkeypatch):
    """(period, reason, rows, distinct areas kept): counted as bits set, one per area, and (past
    `BIT_AREAS` areas) as distinct values, alike; a repeated area counts once, a skipped row not at all."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE akeys AS SELECT range + 1 AS ak FROM range(3)")
    con.execute("CREATE TEMP TABLE checked_k AS SELECT * FROM (VALUES (1, 1, NULL), (1, 2, NULL), (1, 2, NULL), "
                "(1, 3, 'no area code'), (2, 3, NULL)) t(pk, ak, reason)")
    expected = sorted([(1, None, 3, 2), (1, "no area code", 1, 0), (2, None, 1, 1)], key=str)
    assert sorted(reference_lait.key_groups(con), key=str) == expected
    monkeypatch.setattr(reference_lait, "BIT_AREAS", 2)
    assert sorted(reference_lait.key_groups(con), key=str) == expected
