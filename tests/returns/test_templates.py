"""The return template: its sheets, rows, dropdowns, protection and reference values."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from kpis.core.periods import parse_period
from kpis.core.units import STATUS_LABELS
from kpis.returns.layout import breakdown_options
from kpis.returns.submission import check_return, submit
from kpis.returns.templates import build_template, default_period, template_filename, template_kpis
from tests.support.returns import PERIOD, PREVIOUS, TODAY, fw
from tools.sample_returns import filled_template

AREAS = ["early_help", "ewmh", "send", "safeguarding"]


def open_template(fw, area="safeguarding", store=None, period=PERIOD):
    return load_workbook(io.BytesIO(build_template(store, fw, area, period)))


def test_sheets_and_hidden_lists(fw):
    wb = open_template(fw)
    assert wb.sheetnames == ["Instructions", "Data", "Narrative", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    assert all(wb[s].sheet_state == "visible" for s in ("Instructions", "Data", "Narrative"))


def test_instructions_record_sub_group_and_quarter(fw):
    ws = open_template(fw)["Instructions"]
    cells = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0]}
    assert cells["Sub-group id"] == "safeguarding"
    assert cells["Return period"] == PERIOD
    assert cells["Quarter dates"] == "1 July 2025 to 30 September 2025"
    text = " ".join(str(r[0]) for r in ws.iter_rows(values_only=True) if r[0])
    assert "write 65 for 65%" in text and "<5" in text


@pytest.mark.parametrize("area", AREAS)
def test_one_row_per_kpi_and_breakdown_for_each_area(fw, area):
    ws = open_template(fw, area)["Data"]
    header = [c.value for c in ws[1]]
    assert header[:10] == ["KPI id", "KPI title", "Breakdown", "Period", "Unit", "Value", "Numerator",
                           "Denominator", "Status", "Commentary"]
    assert header[10] == f"Last quarter: value ({PREVIOUS})"
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]]
    expected = [(k.id, o.label) for k in template_kpis(fw, area) for o in breakdown_options(fw, k)]
    assert [(r[0], r[2]) for r in rows] == expected
    assert {r[3] for r in rows} == {PERIOD}
    assert all(r[1] == fw.kpi(r[0]).title for r in rows)


def test_annual_kpis_are_left_out(fw):
    ids = {r[0] for r in open_template(fw, "early_help")["Data"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert ids == {"EH01", "EH05"}  # EH02-EH04 are annual, from published statistics


def test_dropdowns_for_breakdown_and_status(fw):
    wb = open_template(fw)
    ws = wb["Data"]
    validations = ws.data_validations.dataValidation
    lists = {str(dv.sqref): dv.formula1 for dv in validations if dv.type == "list"}
    status = [f for ref, f in lists.items() if ref.startswith("I2:")]
    assert status and status[0].replace("'", "").startswith("Lists!$A$2")
    statuses = [c.value for c in wb["Lists"]["A"][1:] if c.value]
    assert statuses == list(STATUS_LABELS.values())
    breakdown_refs = [ref for ref in lists if ref.startswith("C")]
    assert len(breakdown_refs) == len(template_kpis(fw, "safeguarding"))
    # the SG01 list holds exactly SG01's breakdowns
    sg01 = [c.value for c in wb["Lists"]["B"][1:] if c.value]
    assert sg01 == [o.label for o in breakdown_options(fw, fw.kpi("SG01"))]
    assert "District: Bromsgrove" in sg01 and "Age band: 0-4" in sg01


def test_headers_are_protected_and_inputs_are_not(fw):
    ws = open_template(fw)["Data"]
    assert ws.protection.sheet is True
    assert ws["A1"].protection.locked and ws["F1"].protection.locked
    assert ws["A2"].protection.locked and ws["B2"].protection.locked  # KPI id and title
    for col in "CDFGHIJ":
        assert ws[f"{col}2"].protection.locked is False
    assert ws["K2"].protection.locked  # last quarter's reference value
    assert ws.freeze_panes == "C2"


def test_narrative_sheet_labels(fw):
    ws = open_template(fw)["Narrative"]
    labels = [r[0] for r in ws.iter_rows(values_only=True) if r[0]]
    for label in ("Progress", "Risks and barriers", "Service user feedback", "Can this narrative be published?"):
        assert label in labels


def test_last_quarters_values_are_shown_for_reference(fw, store):
    q1 = filled_template(fw, "safeguarding", PREVIOUS, store)
    wb = load_workbook(io.BytesIO(q1))
    wb["Data"]["F3"] = "<5"
    wb["Data"]["G3"] = wb["Data"]["H3"] = None
    buf = io.BytesIO()
    wb.save(buf)
    submit(store, fw, name="q1.xlsx", data=buf.getvalue(), area_id="safeguarding", by="lead@example.org",
           today=TODAY)
    ws = open_template(fw, store=store)["Data"]
    first = [c.value for c in ws[2]]
    assert first[10].endswith("%") and first[11] == "Published"
    assert [c.value for c in ws[3]][10:12] == ["<5", "Suppressed (small number)"]


def test_default_period_is_the_latest_ended_quarter():
    assert default_period(date(2025, 11, 20)).label == "2025/26 Q2"
    assert default_period(date(2026, 4, 2)).label == "2025/26 Q4"


def test_file_name_is_safe(fw):
    assert template_filename(fw, "send", parse_period("2025/26 Q2")) == "return-send-2025-26-Q2.xlsx"


@pytest.mark.parametrize("area", AREAS)
def test_an_untouched_template_reads_back_cleanly_but_is_empty(fw, area):
    checked = check_return(None, fw, name="t.xlsx", data=build_template(None, fw, area, PERIOD), area_id=area,
                           today=TODAY)
    assert [p.expected for p in checked.errors] == ["at least one value, or a marker such as <5 or n/a"]
    assert checked.period.label == PERIOD


@pytest.mark.parametrize("area", AREAS)
def test_a_filled_template_is_valid(fw, area):
    checked = check_return(None, fw, name="t.xlsx", data=filled_template(fw, area), area_id=area, today=TODAY)
    assert checked.ok, [str(p) for p in checked.problems]
    assert len(checked.rows) == sum(len(breakdown_options(fw, k)) for k in template_kpis(fw, area))
    assert checked.narrative["progress"].startswith("Training")


def test_the_quarters_offered_are_the_latest_ended_and_the_four_before():
    from kpis.returns.templates import quarters_offered
    got = [q.label for q in quarters_offered(date(2026, 10, 20))]
    assert got == ["2026/27 Q2", "2026/27 Q1", "2025/26 Q4", "2025/26 Q3", "2025/26 Q2"]
    assert quarters_offered(date(2026, 10, 20), 1)[0] == default_period(date(2026, 10, 20))


def test_the_home_history_names_each_version_and_counts_corrections(fw, store):
    from kpis.returns.submission import ALL_QUARTERS, HISTORY_COLUMNS, home_history
    first = filled_template(fw, "safeguarding")
    submit(store, fw, name="r1.xlsx", data=first, area_id="safeguarding", by="lead@example.org", today=TODAY)
    wb = load_workbook(io.BytesIO(first))
    ws = wb["Data"]
    ws["F2"], ws["G2"], ws["H2"] = 61, None, None  # a corrected value, without the counts behind the old one
    buf = io.BytesIO()
    wb.save(buf)
    submit(store, fw, name="r2.xlsx", data=buf.getvalue(), area_id="safeguarding", by="lead@example.org",
           today=TODAY)
    kpi_id = ws["A2"].value
    found = home_history(store, fw, kpi_id)
    assert found.quarters[0] == ALL_QUARTERS and PERIOD in found.quarters
    assert list(found.table.columns) == list(HISTORY_COLUMNS.values())
    assert found.revised == 1 and (found.table["Replaced (UTC)"] != "Still current").sum() == 1
    assert found.table["Came from"].str.match(r"Return \d+: r[12]\.xlsx$").all()
    assert found.table["Sent by"].str.match(r"lead@example\.org on [1-9]\d? [A-Z][a-z]{2} 20\d\d \d\d:\d\d UTC$").all()
    one = home_history(store, fw, kpi_id, quarter=PERIOD)
    assert set(one.table["Quarter"]) == {PERIOD}
    # a KPI with no figure stored yet (a framework's first KPI may be a national one): an empty history
    none = home_history(store, fw, "EH05")
    assert none.quarters == [ALL_QUARTERS] and none.table.empty and none.revised == 0
    assert list(none.table.columns) == list(HISTORY_COLUMNS.values())
