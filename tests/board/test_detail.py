"""One KPI in full (comparison areas, groups, revisions, download) and the sub-groups' narratives."""
from __future__ import annotations

import re
import warnings
from datetime import datetime

import pytest

from kpis.board.detail import (
    breakdown_data,
    comparison_areas,
    definition_rows,
    england_value_for,
    kpi_download,
    revision_history,
    trend_data,
)
from kpis.store.batches import start_batch
from kpis.store.database import Store
from kpis.store.narratives import latest_narrative, narrative_history, write_narrative
from tests.support.board import FRAMEWORK

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture(scope="module")
def demo(demo_db_master):
    s = Store(demo_db_master, read_only=True)
    yield s
    s.close()


def test_comparison_areas_of_worcestershire(demo):
    areas = comparison_areas(demo, FRAMEWORK)
    assert areas["home"] == ["E10000034"] and areas["england"] == ["E92000001"]
    assert areas["region"] == ["E12000005"]                      # West Midlands
    assert len(areas["neighbours"]) >= 10 and "E10000034" not in areas["neighbours"]


def test_trend_data_keeps_returns_and_published_figures_apart(demo):
    df = trend_data(demo, FRAMEWORK, FRAMEWORK.kpi("SG02"), against=("england", "region", "neighbours"))
    assert set(df["role"]) == {"home", "home_published", "england", "region", "neighbours"}
    assert (df.loc[df["role"] == "home", "indicator_id"] == "SG02").all()
    only_england = trend_data(demo, FRAMEWORK, FRAMEWORK.kpi("SG02"))
    assert set(only_england["role"]) == {"home", "home_published", "england"}


def test_breakdowns_name_districts(demo):
    df = breakdown_data(demo, FRAMEWORK, FRAMEWORK.kpi("SG02"))
    assert set(df["period_label"]) == {"2026/27 Q2"}
    assert {"all", "age_band", "district"} == set(df["breakdown_type"])
    assert "Bromsgrove" in set(df["breakdown_label"])
    value, period = england_value_for(demo, FRAMEWORK, FRAMEWORK.kpi("SG02"), df["period_end"].max())
    assert (value, period) == (24.5, "2024/25")


def test_revision_history_lists_every_version(demo):
    history = revision_history(demo, FRAMEWORK, FRAMEWORK.kpi("SG01"))
    q1 = history[(history["Period"] == "2026/27 Q1") & (history["Group"] == "All")]
    assert q1["Version"].to_list() == [1, 2]
    assert q1["Replaced on"].to_list()[1] == "still current"
    assert "Revised" in q1["Note"].to_list()[1]
    assert revision_history(demo, FRAMEWORK, FRAMEWORK.kpi("SG02")).empty


def test_download_has_every_number_with_period_and_source(demo):
    data = kpi_download(demo, FRAMEWORK, FRAMEWORK.kpi("SG02"))
    for column in ("kpi_id", "comparison_role", "area_code", "breakdown_type", "period_label", "period_start",
                   "period_end", "value", "lower_ci", "upper_ci", "source", "is_demo"):
        assert column in data.columns
    assert {"home", "england", "region", "neighbours"} <= set(data["comparison_role"])
    assert data.loc[data["comparison_role"] == "home", "is_demo"].any()
    assert (data["kpi_id"] == "SG02").all()


def test_the_kpi_csv_writes_counts_whole_and_limits_rounded(demo):
    """Issue 21: the CSV had counts like 7870.0 and limits like 24.529871349."""
    import csv
    import io

    from kpis.core import exports
    for kpi_id in ("SG02", "EH05"):           # a percentage with counts, and a count
        kpi = FRAMEWORK.kpi(kpi_id)
        rows = list(csv.DictReader(io.StringIO(exports.to_csv_bytes(kpi_download(demo, FRAMEWORK, kpi))
                                               .decode("utf-8-sig"))))
        assert rows
        counts = [r[c] for r in rows for c in ("numerator", "denominator") + (("value",) if kpi.unit == "count"
                                                                               else ()) if r[c]]
        assert counts and all(re.fullmatch(r"-?\d+", c) for c in counts), [c for c in counts if "." in c][:3]
        limits = [r[c] for r in rows for c in ("lower_ci", "upper_ci") if r[c]]
        assert limits and all(len(x.partition(".")[2]) <= kpi.decimals + 1 for x in limits)


def test_definition_rows():
    rows = dict(definition_rows(FRAMEWORK, FRAMEWORK.kpi("SG02")).values.tolist())
    assert rows["Polarity"] == "Lower is better"
    assert rows["Target"].startswith("22.0%")
    assert "Children in need" in rows["Methodology"]
    local = dict(definition_rows(FRAMEWORK, FRAMEWORK.kpi("EH05")).values.tolist())
    assert local["National comparator"] == "No national figure of this definition: a local measure"
    # a KPI with a related national measure names it, and says it is not this KPI's comparison
    related = dict(definition_rows(FRAMEWORK, FRAMEWORK.kpi("MH02")).values.tolist())["National comparator"]
    assert related.startswith("No national figure of this definition. Related national measure: Persistent absence")
    assert "(DfE Local Authority Interactive Tool (LAIT));" in related and "lait:" not in related   # no code
    sg02 = dict(definition_rows(FRAMEWORK, FRAMEWORK.kpi("SG02")).values.tolist())["National comparator"]
    assert sg02.endswith("(DfE Explore education statistics)") and "dfe_ees:" not in sg02
    assert related.endswith("never compared with this KPI's own value")


# -- narratives --------------------------------------------------------------------------------------
def test_demo_narratives(demo):
    latest = latest_narrative(demo, "safeguarding")
    assert latest["period_label"] == "2026/27 Q2" and latest["is_demo"]
    assert latest["progress"].startswith("Demo data.")
    assert latest_narrative(demo, "safeguarding", as_at=datetime(2026, 9, 9, 23, 59))["period_label"] == "2025/26 Q4"
    assert latest_narrative(demo, "ewmh")["period_label"] == "2025/26 Q4"     # its latest return is missing
    history = narrative_history(demo, "send")
    assert history["period_label"].to_list()[:3] == ["2026/27 Q2", "2025/26 Q4", "2025/26 Q2"]


def test_a_corrected_narrative_keeps_the_old_one(tmp_path):
    s = Store(tmp_path / "n.duckdb")
    try:
        for at, progress in ((datetime(2025, 5, 1), "First draft"), (datetime(2025, 5, 20), "Corrected")):
            with s.transaction() as cur:
                bid = start_batch(cur, kind="submission", at=at, outcome_area="send", period_label="2024/25 Q4")
                write_narrative(cur, batch_id=bid, at=at, outcome_area="send", period_label="2024/25 Q4",
                                progress=progress, risks_barriers="R", service_user_feedback="F")
        assert latest_narrative(s, "send")["progress"] == "Corrected"
        assert latest_narrative(s, "send", as_at=datetime(2025, 5, 10))["progress"] == "First draft"
        assert latest_narrative(s, "send", as_at=datetime(2025, 4, 1)) is None
        assert latest_narrative(s, "ewmh") is None
    finally:
        s.close()


def test_huge_text_stored_before_the_limits_is_shortened_on_the_kpi_page(tmp_path):
    """Issue 26: commentary and narratives already in the database come out of every function the KPI detail
    page (and the packs) read shortened, with a note; the store keeps every character."""
    from kpis.board.detail import page_series
    from kpis.store.series import kpi_series
    from tests.support.board import obs, sg02, submit
    s = Store(tmp_path / "long.duckdb")
    huge = "Revised. " * 2_211_111 + "x"              # 19,900,000 characters
    shown = huge[:2000] + " … [shortened: 19,900,000 characters in all]"
    try:
        submit(s, [sg02("2024/25 Q2", 33, 150)], datetime(2024, 11, 5, 10))
        submit(s, [obs("SG02", "2024/25 Q2", 24.0, numerator=36, denominator=150, commentary=huge)],
               datetime(2025, 2, 15, 10))
        with s.transaction() as cur:
            cur.execute("UPDATE observations SET status_note = commentary WHERE commentary IS NOT NULL")
        kpi = FRAMEWORK.kpi("SG02")
        assert revision_history(s, FRAMEWORK, kpi)["Note"].tolist() == ["", shown]
        for df in (kpi_series(s, kpi), kpi_download(s, FRAMEWORK, kpi),
                   page_series(s, FRAMEWORK, [kpi]).rows(kpi, [FRAMEWORK.home_area], None, None)):
            assert df["commentary"].tolist() == [shown] and df["status_note"].tolist() == [shown]
        with s.transaction() as cur:
            bid = start_batch(cur, kind="submission", at=datetime(2025, 2, 15), outcome_area="send",
                              period_label="2024/25 Q3")
            write_narrative(cur, batch_id=bid, at=datetime(2025, 2, 15), outcome_area="send",
                            period_label="2024/25 Q3", progress=huge, risks_barriers="R", service_user_feedback="F")
        progress = narrative_history(s, "send")["progress"].tolist()
        assert progress == [huge[:10_000] + " … [shortened: 19,900,000 characters in all]"]
        assert s.scalar("SELECT max(length(commentary)) FROM observations") == 19_900_000
    finally:
        s.close()
