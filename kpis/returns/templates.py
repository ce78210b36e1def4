"""The quarterly return workbook a sub-group lead downloads, fills in Excel and sends back.

Sheets: Instructions (what to do, and the return's sub-group and quarter);
Data (one row per KPI x breakdown for the quarter, with last quarter's values
for reference, dropdowns for breakdown and status, protected headers);
Narrative (progress, risks and barriers, service user feedback); and a hidden
Lists sheet that feeds the dropdowns. The sheet protection has no password:
it stops accidental edits to headers and reference columns, nothing more.
"""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from kpis.core.dates import long_date
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi
from kpis.core.periods import Period, months_of, parse_period, previous_quarter
from kpis.core.text import CELL_MAX_CHARS, COMMENTARY_MAX_CHARS, NARRATIVE_MAX_CHARS
from kpis.core.units import STATUS_LABELS
from kpis.returns.layout import (
    COLUMNS,
    DATA_SHEET,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    NARRATIVE_FIELDS,
    NARRATIVE_SHEET,
    PUBLISHABLE_LABEL,
    REFERENCE_HEADERS,
    RETURN_AREA_LABEL,
    RETURN_PERIOD_LABEL,
    breakdown_options,
)
from kpis.store.database import Store
from kpis.store.observations import current_values_of_period

HEADER_FILL = PatternFill("solid", fgColor="12436D")
REFERENCE_FILL = PatternFill("solid", fgColor="E7E7E7")
INPUT_FILL = PatternFill("solid", fgColor="FFF8D6")
SPARE_ROWS = 50                       # unlocked rows under the table, for rows the lead adds
WIDTHS = {"kpi_id": 9, "title": 48, "breakdown": 34, "period": 12, "unit": 11, "value": 11, "numerator": 12,
          "denominator": 13, "status": 24, "commentary": 50}
INPUT_KEYS = ("breakdown", "period", "value", "numerator", "denominator", "status", "commentary")


def default_period(today: date | None) -> Period:
    """The latest quarter that has ended: the one a return is usually for."""
    from kpis.core.periods import current_quarter
    return previous_quarter(current_quarter(today))


def quarters_offered(today: date, count: int = 5) -> list[Period]:
    """The quarters a lead may send a return for, newest first: the latest that has ended, then the ones before
    it (to correct an earlier return)."""
    quarters = [default_period(today)]
    while len(quarters) < count:
        quarters.append(previous_quarter(quarters[-1]))
    return quarters


def template_kpis(framework: Framework, area_id: str) -> list[Kpi]:
    """KPIs a sub-group reports each quarter, monthly ones month by month (annual KPIs come from published
    statistics)."""
    return [k for k in framework.kpis_in_area(area_id) if k.frequency in ("quarterly", "monthly")]


def build_template(store: Store | None, framework: Framework, area_id: str, period: Period | str | None = None,
                   *, today: date | None = None) -> bytes:
    """The return workbook for a sub-group and quarter, as .xlsx bytes. `store` may be None."""
    area = framework.area(area_id)
    quarter = parse_period(period) if period is not None else default_period(today)
    kpis = template_kpis(framework, area_id)
    last = last_quarter_values(store, framework, kpis, previous_quarter(quarter))
    wb = Workbook()
    _instructions(wb.active, framework, area, quarter, kpis)
    lists = wb.create_sheet(LISTS_SHEET)
    _data_sheet(wb.create_sheet(DATA_SHEET), lists, framework, kpis, quarter, last)
    _narrative_sheet(wb.create_sheet(NARRATIVE_SHEET), area.sub_group, quarter)
    lists.sheet_state = "hidden"
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    wb.active = 1
    wb.properties.title = f"{area.sub_group} quarterly return {quarter.label}"
    wb.properties.creator = framework.short_name
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def last_quarter_values(store: Store | None, framework: Framework, kpis: list[Kpi],
                        quarter: Period) -> dict[tuple, str]:
    """(kpi id, breakdown type, value) -> last quarter's figure as text, for the reference column."""
    if store is None or not kpis:
        return {}
    df = current_values_of_period(store, framework.home_area, quarter.label, [k.id for k in kpis], CELL_MAX_CHARS)
    out = {}
    for r in df.itertuples(index=False):
        kpi = framework.kpi(r.indicator_id)
        text = kpi.format_value(r.value) if pd.notna(r.value) else (
            r.status_note or STATUS_LABELS.get(r.status, r.status))
        out[(r.indicator_id, r.breakdown_type, r.breakdown_value)] = (text, STATUS_LABELS.get(r.status, r.status))
    return out


def _instructions(ws, framework: Framework, area, quarter: Period, kpis: list[Kpi]) -> None:
    ws.title = INSTRUCTIONS_SHEET
    lines = [
        (f"{area.sub_group}: quarterly return", Font(bold=True, size=14)),
        (framework.name, None),
        ("", None),
    ]
    for text, font in lines:
        ws.append([text])
        if font:
            ws.cell(ws.max_row, 1).font = font
    ws.append([RETURN_AREA_LABEL, area.id])
    ws.append(["Sub-group name", area.sub_group])
    ws.append([RETURN_PERIOD_LABEL, quarter.label])
    ws.append(["Quarter dates", f"{long_date(quarter.start)} to {long_date(quarter.end)}"])
    for r in range(4, 8):
        ws.cell(r, 1).font = Font(bold=True)
    steps = [
        "How to fill in this return",
        "1. On the Data sheet, fill in Value for each row. A value alone is enough.",
        "2. Percentages: write 65 for 65% (65% and 65.0 % are read the same way). Never write 0.65 for 65%.",
        "3. If you have them, add the Numerator and Denominator (counts of children). They must agree with the "
        "value, and are used for confidence intervals.",
        "4. No figure? Write <5 (or *) for a small number that is suppressed, or - or n/a when it is not "
        "available, or pick a Status. Never write 0 unless the answer is zero.",
        f"5. Use Commentary to explain a change or a gap (at most {COMMENTARY_MAX_CHARS:,} characters). The grey "
        "columns show last quarter's figures for reference.",
        "6. On the Narrative sheet, write about progress, risks and barriers, and what service users told you "
        f"(at most {NARRATIVE_MAX_CHARS:,} characters each).",
        "7. Save as an Excel Workbook (.xlsx) and upload it on the 'Submit a return' page. You will see what is "
        "new and what changed before anything is stored. A corrected return can be sent again: earlier values "
        "are kept as history.",
        "Do not rename or delete the sheets. You may add rows for other breakdowns; blank rows are ignored.",
        f"KPIs in this return: {', '.join(f'{k.id} ({k.short_title})' for k in kpis)}." if kpis else
        "This sub-group has no quarterly KPIs: its KPIs are published statistics, imported by the dashboard, so "
        "the Data sheet has no rows. The Narrative sheet is still yours to fill in.",
    ]
    ws.append([])
    for i, text in enumerate(steps):
        ws.append([text])
        if i == 0:
            ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60


def _data_sheet(ws, lists, framework: Framework, kpis: list[Kpi], quarter: Period, last: dict) -> None:
    previous = previous_quarter(quarter).label
    headers = [h for _, h in COLUMNS] + [f"{h} ({previous})" for h in REFERENCE_HEADERS]
    ws.append(headers)
    for c in range(1, len(headers) + 1):
        cell = ws.cell(1, c)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[1].height = 32
    status_col = _list_column(lists, 1, "Status", list(STATUS_LABELS.values()))
    statuses = DataValidation(type="list", formula1=status_col, allow_blank=True, showErrorMessage=True,
                              errorTitle="Status", error="Pick a status from the list, or leave it blank.")
    ws.add_data_validation(statuses)
    keys = [k for k, _ in COLUMNS]
    col = {k: i + 1 for i, k in enumerate(keys)}
    row = 2
    for n, kpi in enumerate(kpis):
        options = breakdown_options(framework, kpi)
        ref = _list_column(lists, n + 2, kpi.id, [o.label for o in options])
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", errorTitle="Breakdown",
                            error=f"{kpi.id} is broken down by the groups in the list. Use one of those.")
        ws.add_data_validation(dv)
        first = row
        # a monthly KPI has a row for each month of the quarter (its reference column: none, as months differ)
        periods = months_of(quarter) if kpi.frequency == "monthly" else [quarter]
        for period in periods:
            for opt in options:
                text, status = last.get((kpi.id, opt.type, opt.value), ("", "")) if period == quarter else ("", "")
                ws.append([kpi.id, kpi.title, opt.label, period.label, kpi.unit_label, None, None, None, None, None,
                           text, status])
                row += 1
        dv.add(f"{get_column_letter(col['breakdown'])}{first}:{get_column_letter(col['breakdown'])}{row - 1}")
    statuses.add(f"{get_column_letter(col['status'])}2:{get_column_letter(col['status'])}{row - 1 + SPARE_ROWS}")
    for r in range(2, row + SPARE_ROWS):
        for key in keys:
            cell = ws.cell(r, col[key])
            if key in INPUT_KEYS or r >= row:
                cell.protection = Protection(locked=False)
            if key in ("value", "numerator", "denominator", "status", "commentary") and r < row:
                cell.fill = INPUT_FILL
            if key == "commentary":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for c in range(len(keys) + 1, len(headers) + 1):
            ws.cell(r, c).fill = REFERENCE_FILL if r < row else PatternFill()
    hint = DataValidation(type="custom", formula1="TRUE", allow_blank=True, showInputMessage=True,
                          promptTitle="Value", prompt="A number (65 for 65%), or <5, *, -, n/a.")
    ws.add_data_validation(hint)
    if row > 2:  # a sub-group whose KPIs are all published ones has no rows to fill
        hint.add(f"{get_column_letter(col['value'])}2:{get_column_letter(col['value'])}{row - 1}")
    for key, width in WIDTHS.items():
        ws.column_dimensions[get_column_letter(col[key])].width = width
    for c in range(len(keys) + 1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 18
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(row - 1, 1)}"
    _protect(ws)


def _list_column(lists, column: int, title: str, values: list[str]) -> str:
    letter = get_column_letter(column)
    lists.cell(1, column, title)
    for i, v in enumerate(values, start=2):
        lists.cell(i, column, v)
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"


def _protect(ws) -> None:
    ws.protection.sheet = True
    ws.protection.autoFilter = False          # False: allowed
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.insertRows = False


def _narrative_sheet(ws, sub_group: str, quarter: Period) -> None:
    ws.title = NARRATIVE_SHEET
    ws.append([f"{sub_group}: narrative for {quarter.label}"])
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.append(["Write in plain English for the partnership board. Leave blank if there is no narrative "
               "this quarter (narratives are due twice a year)."])
    ws.append([])
    ws.column_dimensions["A"].width = 26
    for c in "BCDEFGH":
        ws.column_dimensions[c].width = 16
    for key, label in [*NARRATIVE_FIELDS, ("publishable", PUBLISHABLE_LABEL)]:
        ws.append([label])
        r = ws.max_row
        ws.cell(r, 1).font = Font(bold=True)
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top")
        cell = ws.cell(r, 2)
        cell.protection = Protection(locked=False)
        cell.fill = INPUT_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if key == "publishable":
            cell.value = "No"
            dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
            ws.add_data_validation(dv)
            dv.add(cell.coordinate)
        else:
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=8)
            ws.row_dimensions[r].height = 120
        ws.append([])
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False


def template_filename(framework: Framework, area_id: str, period: Period) -> str:
    """A safe download name such as 'return-safeguarding-2025-26-Q2.xlsx'."""
    return f"return-{area_id}-{period.label.replace('/', '-').replace(' ', '-')}.xlsx"

