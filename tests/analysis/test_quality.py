"""Data quality and the data dictionary, on the demo database and on returns made late, partial or odd."""
import json
from datetime import date, datetime, timedelta

import pytest

from kpis.analysis import dictionary, quality
from kpis.core.dates import return_due
from kpis.core.framework import load_framework
from kpis.core.periods import financial_quarter
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store
from kpis.store.observations import write_observations

HOME = "E10000034"


@pytest.fixture(scope="module")
def fw():
    return load_framework()


@pytest.fixture
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


def submit(store, *, area: str, quarter, at: datetime, rows: list[dict]) -> int:
    with store.transaction() as cur:
        bid = start_batch(cur, kind="submission", at=at, source="test", outcome_area=area, period_label=quarter.label)
        counts = write_observations(cur, batch_id=bid, rows=[{
            "area_code": HOME, "period_label": quarter.label, "period_type": quarter.type,
            "period_start": quarter.start, "period_end": quarter.end, **r} for r in rows], at=at)
        finish_batch(cur, bid, rows_read=len(rows), rows_imported=len(rows), counts=counts)
    return bid


# -- completeness -----------------------------------------------------------------------------------------
def test_demo_returns_are_on_time_except_the_missing_ewmh_return(store, fw):
    df = quality.completeness(store, fw, today=date(2026, 11, 22))
    assert df["quarter"].iloc[0] == "2023/24 Q1" and df["quarter"].iloc[-1] == "2026/27 Q2"
    latest = df[df["quarter"] == "2026/27 Q2"].set_index("area_id")["status"].to_dict()
    assert latest == {"early_help": "On time", "ewmh": "Missing", "send": "On time", "safeguarding": "On time"}
    ewmh = df[(df["quarter"] == "2026/27 Q2") & (df["area_id"] == "ewmh")].iloc[0]
    assert ewmh["kpis_missing"] == "MH01, MH02, MH03" and ewmh["due"] == date(2026, 11, 11)
    assert quality.completeness_summary(df) == {"Missing": 1, "Partial and late": 0, "Partial": 0, "Late": 0,
                                                "On time": len(df) - 1, "Not yet due": 0}
    grid = quality.completeness_grid(df)
    assert grid.columns[0] == "Sub-group" and grid.columns[1] == "2026/27 Q2"      # latest quarter first
    assert grid.set_index("Sub-group").loc["Emotional Wellbeing & Mental Health Partnership", "2026/27 Q2"] == "Missing"


def test_before_the_due_date_a_missing_return_is_not_yet_due(store, fw):
    df = quality.completeness(store, fw, today=date(2026, 11, 5))
    row = df[(df["quarter"] == "2026/27 Q2") & (df["area_id"] == "ewmh")].iloc[0]
    assert row["status"] == "Not yet due"


def test_late_and_partial_returns(store, fw):
    q = financial_quarter(2026, 3)                                     # Oct-Dec 2026, due 11 Feb 2027
    due = return_due(q)
    submit(store, area="safeguarding", quarter=q, at=datetime.combine(due + timedelta(days=9), datetime.min.time()),
           rows=[{"indicator_id": "SG01", "value": 70.0, "numerator": 70, "denominator": 100}])
    submit(store, area="send", quarter=q, at=datetime.combine(due - timedelta(days=3), datetime.min.time()),
           rows=[{"indicator_id": k.id, "value": 50.0, "numerator": 50, "denominator": 100}
                 for k in fw.kpis_in_area("send") if k.frequency == "quarterly"])
    submit(store, area="early_help", quarter=q, at=datetime.combine(due + timedelta(days=2), datetime.min.time()),
           rows=[{"indicator_id": k.id, "value": 50.0, "numerator": 50, "denominator": 100}
                 for k in fw.kpis_in_area("early_help") if k.frequency == "quarterly"])
    df = quality.completeness(store, fw, today=due + timedelta(days=30))
    got = df[df["quarter"] == q.label].set_index("area_id")
    assert got.loc["safeguarding", "status"] == "Partial and late"
    assert got.loc["safeguarding", "days_late"] == 9
    assert got.loc["safeguarding", "kpis_returned"] == 1 and got.loc["safeguarding", "kpis_expected"] == 3
    assert got.loc["send", "status"] == "On time"
    assert got.loc["early_help", "status"] == "Late"
    assert got.loc["ewmh", "status"] == "Missing"
    words = quality.completeness_grid(df).set_index("Sub-group")[q.label]
    assert words["Worcestershire Safeguarding Children Partnership"] == "Partial and late (9 days): 1 of 3 KPIs"
    assert words["Early Help Partnership"] == "Late (2 days)"


# -- unusual values -------------------------------------------------------------------------------------------
def test_a_spike_and_impossible_values_are_flagged(store, fw):
    q = financial_quarter(2026, 3)
    at = datetime(2027, 1, 20)
    submit(store, area="safeguarding", quarter=q, at=at, rows=[
        {"indicator_id": "SG02", "value": 95.0, "numerator": 95, "denominator": 100},            # spike
        {"indicator_id": "SG01", "value": 150.0},                                                 # over 100%
        {"indicator_id": "SG03", "value": 40.0, "numerator": 60, "denominator": 50},              # num > den
        {"indicator_id": "SG02", "breakdown_type": "age_band", "breakdown_value": "0-4",
         "value": 10.0, "numerator": 30, "denominator": 100},                                     # does not match
    ])
    flags = quality.unusual_values(store, fw)
    new = flags[flags["period_label"] == q.label].set_index(["indicator_id", "breakdown_value"])["reason"]
    assert "standard deviations above the average of the other" in new[("SG02", "all")]
    assert "a percentage outside 0 to 100" in new[("SG01", "all")]
    assert "numerator larger than denominator" in new[("SG03", "all")]
    assert "value does not match numerator / denominator (30.0%)" in new[("SG02", "0-4")]
    spike = flags[(flags["period_label"] == q.label) & (flags["indicator_id"] == "SG02") &
                  (flags["breakdown_type"] == "all")].iloc[0]
    assert spike["z_score"] > quality.Z_LIMIT and spike["series_average"] < 40


def test_district_codes_read_as_names_in_flags(store, fw):
    flags = quality.unusual_values(store, fw, z_limit=0.5)            # a low limit, so districts are flagged
    districts = flags[flags["breakdown_type"] == "district"]["breakdown_value"]
    assert not districts.empty and not districts.str.startswith("E07").any()


def brute_force_flags(store, fw, z_limit: float) -> list[tuple]:
    """Every home-area value checked one by one in plain Python: the oracle the quick pass must agree with."""
    rows = store.df("""SELECT o.indicator_id, o.area_code, o.breakdown_type, o.breakdown_value, o.period_type,
                              o.period_label, o.period_end, o.value, o.numerator, o.denominator, i.unit
                       FROM current_observations o LEFT JOIN indicators i USING (indicator_id)
                       WHERE o.area_code = ? AND o.value IS NOT NULL""", [fw.home_area]).to_dict("records")
    series: dict[tuple, list[dict]] = {}
    for r in rows:
        series.setdefault(tuple(r[k] for k in ("indicator_id", "area_code", "breakdown_type", "breakdown_value",
                                                "period_type")), []).append(r)
    out = []
    for members in series.values():
        for r in members:
            reasons = quality._impossible(r)
            others = [m["value"] for m in members if m is not r]
            if len(others) >= quality.MIN_HISTORY:
                mean = sum(others) / len(others)
                sd = (sum((x - mean) ** 2 for x in others) / (len(others) - 1)) ** 0.5
                if sd > 0 and abs((r["value"] - mean) / sd) > z_limit:
                    reasons.append("z")
            if reasons:
                out.append((r["indicator_id"], r["breakdown_type"], r["period_label"], r["value"],
                            len(reasons) - ("z" in reasons), "z" in reasons))
    return sorted(out)


@pytest.mark.parametrize("z_limit", [3.0, 1.5, 0.5])
def test_the_quick_pass_misses_no_flag_the_full_check_finds(store, fw, z_limit):
    flags = quality.unusual_values(store, fw, z_limit=z_limit)
    got = sorted((f.indicator_id, f.breakdown_type, f.period_label, f.value,
                  sum(1 for part in f.reason.split("; ") if "standard deviations" not in part),
                  "standard deviations" in f.reason) for f in flags.itertuples())
    assert got == brute_force_flags(store, fw, z_limit)
    assert len(got) > 0


# -- suppressed, not available, imports ---------------------------------------------------------------------
def test_status_counts_match_the_data(store, fw):
    counts = quality.status_counts(store, fw).set_index("indicator_id")
    suppressed = store.scalar("SELECT count(*) FROM current_observations WHERE indicator_id = 'SG02' "
                              "AND status = 'suppressed'")
    assert counts.loc["SG02", "suppressed"] == suppressed > 0
    assert counts.loc["SG02", "source"] == "Sub-group returns"
    assert counts.loc["dfe_ees:d3_cpps_subsequent_plan", "not_available"] >= 1
    assert counts["values"].sum() == store.scalar("SELECT count(*) FROM current_observations")


def test_imports_with_their_skipped_rows_and_reasons(store):
    imports = quality.imports(store)
    assert (imports["kind"] == "import").sum() == store.scalar("SELECT count(*) FROM batches WHERE kind = 'import'")
    skipped = quality.skipped_reasons(store)
    for batch_id, part in skipped.groupby("batch_id"):
        assert part["rows"].sum() == store.scalar("SELECT rows_skipped FROM batches WHERE batch_id = ?", [batch_id])
    with_skips = imports[imports["rows_skipped"] > 0]
    assert not with_skips.empty and with_skips["reasons"].str.contains("rows").all()
    assert (imports.loc[imports["rows_skipped"] == 0, "reasons"] == "–").all()


def test_odd_skipped_reasons_do_not_break_the_page(store):
    with store.transaction() as cur:
        cur.execute("INSERT INTO batches (kind, source, submitted_at, rows_read, rows_imported, rows_skipped, "
                    "skipped_reasons) VALUES ('import', 'odd', now()::TIMESTAMP, 2, 0, 2, ?)",
                    [json.dumps(["not", "a", "dict"])])
    assert "odd" in set(quality.imports(store)["source"])
    assert quality._reasons("{broken") == {"(unreadable reasons)": 0}
    assert quality._reasons(None) == {}


def test_readable_headers():
    import pandas as pd
    df = quality.readable(pd.DataFrame({"indicator_id": ["SG02"], "is_demo": [True], "z_score": [3.2]}))
    assert list(df.columns) == ["Indicator", "Demo data", "z score"] and df["Demo data"].iloc[0] == "Yes (synthetic)"


# -- the data dictionary ------------------------------------------------------------------------------------
def test_dictionary_describes_every_kpi_and_source_indicator(store, fw):
    d = dictionary.data_dictionary(store, fw)
    assert list(d.columns) == dictionary.COLUMNS
    n_sources = store.scalar("SELECT count(*) FROM indicators WHERE source <> 'framework'")
    assert len(d) == len(fw.kpis) + n_sources
    assert d["Id"].tolist()[:len(fw.kpis)] == fw.kpi_ids
    sg02 = d.set_index("Id").loc["SG02"]
    assert sg02["Polarity"] == "Lower is better" and sg02["Unit"] == "%"
    assert sg02["England comparator"].endswith("(DfE Explore education statistics)")
    assert ":" not in sg02["England comparator"]                        # a name and its publisher, no code
    assert sg02["Last updated"].endswith("(latest return)")
    assert sg02["Next update"] == "Quarterly; national figures each November"
    assert sg02["Methodology"].startswith("Numerator: plans starting in the period")
    d3 = d.set_index("Id").loc["dfe_ees:d3_cpps_subsequent_plan"]
    assert d3["Kind"] == "Source indicator" and d3["Comparator for"] == "SG02"
    assert d3["Source"] == "DfE Explore education statistics"           # the code is the Id, not in the words
    assert d3["Licence"] == "Open Government Licence v3.0" and d3["Areas"] > 150
    lait = d.set_index("Id").loc["lait:FSP_NEW_GOODDEV"]
    assert lait["Last updated"].endswith("(published)") and lait["Next update"] != "–"
    sg03 = d.set_index("Id").loc["SG03"]
    assert sg03["England comparator"].endswith("(not in the database yet)")


def test_dictionary_search(store, fw):
    d = dictionary.data_dictionary(store, fw)
    hits = dictionary.search(d, "second or subsequent")
    assert {"SG02", "dfe_ees:d3_cpps_subsequent_plan", "lait:PrevRegCPR"} <= set(hits["Id"])
    assert set(dictionary.search(d, "", "Framework KPI")["Id"]) == set(fw.kpi_ids)
    assert dictionary.search(d, "zzzz-nothing").empty
