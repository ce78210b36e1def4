"""The SQL console's documented views: what each holds, column by column, the queries that fill the snapshot
(run on the live store: trusted, ours), and starter queries.

`kpis.analysis.sql_console` copies the views into its snapshot; `kpis.analysis.sql_checks` refuses anything else.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpis.core.areas import ENGLAND
from kpis.core.framework import Framework
from kpis.store.database import Store


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class View:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows_sql: str     # run on the live store (trusted, ours) to fill the snapshot ...
    order_by: str     # ... in this order (kept apart: counting the rows needs no sort)

    @property
    def source_sql(self) -> str:
        return f"{self.rows_sql} ORDER BY {self.order_by}"


def _cols(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(n, d) for n, d in pairs)


_OBS_COLUMNS = (
    ("indicator_id", "KPI id (SG02) or source indicator id (dfe_ees:d3_cpps_subsequent_plan); see kpis"),
    ("area_code", f"ONS code of the area (the partnership's home area, a region, a council; {ENGLAND} England)"),
    ("area_name", "Name of the area"),
    ("area_type", "country (England), region, county_ua (a council), london_subregion"),
    ("breakdown_type", "'all', or the group type: send, looked_after, fsm, district, sex, age_band ..."),
    ("breakdown_value", "'all', or the group within the type"),
    ("period_label", "Period as published: 2024/25 Q1, 2024/25, 2023 ..."),
    ("period_type", "financial_quarter, financial_year, academic_year, calendar_year ..."),
    ("period_start", "First day of the period"),
    ("period_end", "Last day of the period"),
    ("value", "The value, in the indicator's unit (percentages 0-100)"),
    ("numerator", "Numerator (or count), where known; empty where the value is suppressed"),
    ("denominator", "Denominator, where known; empty where the value is suppressed"),
    ("lower_ci", "Lower 95% confidence limit, where known"),
    ("upper_ci", "Upper 95% confidence limit, where known"),
    ("status", "published, provisional, suppressed, not_available, not_applicable, low_reliability"),
    ("status_note", "Why a value is missing or marked, as given"),
    ("commentary", "Sub-group commentary on the value"),
    ("is_demo", "True for synthetic demo data"),
    ("source", "Sub-group return, the publisher, or 'Demo data (synthetic)'"),
    ("batch_id", "The submission or import that wrote this version (see submissions)"),
    ("version", "1 for the first value, 2 after one revision, ..."),
    ("valid_from", "When this version became current (UTC)"),
)

_OBS_SELECT = """
    SELECT o.indicator_id, o.area_code, a.name AS area_name, a.area_type, o.breakdown_type, o.breakdown_value,
           o.period_label, o.period_type, o.period_start, o.period_end, o.value,
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.numerator END AS numerator,
           CASE WHEN o.status = 'suppressed' THEN NULL ELSE o.denominator END AS denominator,
           o.lower_ci, o.upper_ci, o.status, o.status_note, o.commentary, o.is_demo,
           CASE WHEN b.is_demo THEN 'Demo data (synthetic)' WHEN b.kind = 'submission' THEN 'Sub-group return'
                ELSE coalesce(b.source, 'Published statistics') END AS source,
           o.batch_id, o.version, o.valid_from{extra}
    FROM observations o LEFT JOIN areas a ON a.area_code = o.area_code
    LEFT JOIN batches b ON b.batch_id = o.batch_id
    {where}"""
_OBS_ORDER = "o.indicator_id, o.area_code, o.breakdown_type, o.breakdown_value, o.period_end"

VIEWS: tuple[View, ...] = (
    View("observations", "Every current value: one row per indicator, area, breakdown and period.",
         _cols(*_OBS_COLUMNS), _OBS_SELECT.format(extra="", where="WHERE o.valid_to IS NULL"), _OBS_ORDER),
    View("observation_history", "Every version of every value, including superseded ones ('as at' questions).",
         _cols(*_OBS_COLUMNS, ("valid_to", "When this version was superseded; empty while current")),
         _OBS_SELECT.format(extra=", o.valid_to", where=""), _OBS_ORDER),
    View("kpis", "The framework's KPIs and every imported source indicator: the data dictionary.",
         _cols(("indicator_id", "Id used in observations"),
               ("kind", "'framework KPI' or 'source indicator'"),
               ("source", "framework, dfe_ees, fingertips, lait"),
               ("source_code", "The publisher's own code for the indicator"),
               ("name", "Name"), ("unit", "percentage, count, rate_per_10000, ..."),
               ("polarity", "higher_is_better, lower_is_better or no_polarity"),
               ("definition", "What is counted"), ("methodology", "How, and its caveats"),
               ("kpi_id", "The framework KPI this indicator is, or is the comparator for"),
               ("last_updated", "When the source last published"), ("next_update", "When it next will"),
               ("licence", "Licence of the source data")),
         """SELECT indicator_id, CASE WHEN source = 'framework' THEN 'framework KPI' ELSE 'source indicator' END
                   AS kind, source, source_code, name, unit, polarity, definition, methodology, kpi_id,
                   last_updated, next_update, licence
            FROM indicators""", "source <> 'framework', indicator_id"),
    View("areas", "England, the regions, every council and district, with their codes.",
         _cols(("area_code", "ONS code"), ("dfe_code", "DfE local authority number"), ("name", "Name"),
               ("area_type", "country (England), region, county_ua (a council), london_subregion"),
               ("region_code", "ONS code of the area's region"), ("region_name", "Region name"),
               ("valid_from", "First day the area existed (empty: long-standing)"),
               ("valid_to", "Last day the area existed (empty: still exists)"),
               ("successor_code", "Council(s) that took over an abolished area, separated by ';'")),
         "SELECT area_code, dfe_code, name, area_type, region_code, region_name, valid_from, valid_to, "
         "successor_code FROM areas", "area_type, name"),
    View("statistical_neighbours", "Each council's statistical neighbours (DfE), closest first.",
         _cols(("area_code", "ONS code of the council"), ("dfe_code", "Its DfE number"),
               ("rank", "1 = most similar"), ("neighbour_area_code", "ONS code of the neighbour"),
               ("neighbour_dfe_code", "DfE number of the neighbour"), ("neighbour_name", "Name of the neighbour"),
               ("closeness", "How close, as published"), ("source", "Which grouping")),
         """SELECT a.area_code, s.dfe_code, s.rank, n.area_code AS neighbour_area_code, s.neighbour_dfe_code,
                   n.name AS neighbour_name, s.closeness, s.source
            FROM statistical_neighbours s
            LEFT JOIN (SELECT * FROM areas WHERE valid_to IS NULL AND area_type = 'county_ua') a
                   ON a.dfe_code = s.dfe_code
            LEFT JOIN (SELECT * FROM areas WHERE valid_to IS NULL AND area_type = 'county_ua') n
                   ON n.dfe_code = s.neighbour_dfe_code""", "s.dfe_code, s.rank"),
    View("periods", "Every period that has a current value, with its dates.",
         _cols(("period_label", "Label as published"), ("period_type", "Kind of period"),
               ("period_start", "First day"), ("period_end", "Last day"),
               ("observations", "Current values for this period")),
         """SELECT period_label, period_type, period_start, period_end, count(*) AS observations
            FROM observations WHERE valid_to IS NULL
            GROUP BY ALL""", "period_end, period_start, period_label"),
    View("submissions", "Sub-group returns and data imports, with rows read, imported and skipped (and why).",
         _cols(("batch_id", "Id, as in observations.batch_id"), ("kind", "submission (a sub-group return) or import"),
               ("source", "demo, a sub-group, or the publisher imported"), ("outcome_area", "Sub-group's outcome area"),
               ("period_label", "Period the return is for"), ("submitted_at", "When it arrived (UTC)"),
               ("file_name", "File as uploaded"), ("rows_read", "Rows read"), ("rows_imported", "Rows imported"),
               ("rows_skipped", "Rows skipped"), ("skipped_reasons", "Why rows were skipped (JSON: reason -> count)"),
               ("new_values", "Values new to the store"), ("changed_values", "Values that revised an earlier one"),
               ("unchanged_values", "Values identical to the stored ones"), ("is_demo", "True for demo data"),
               ("note", "Note")),
         """SELECT batch_id, kind, source, outcome_area, period_label, submitted_at, file_name, rows_read,
                   rows_imported, rows_skipped, CAST(skipped_reasons AS VARCHAR) AS skipped_reasons, new_values,
                   changed_values, unchanged_values, is_demo, note
            FROM batches""", "batch_id"),
)
VIEW_NAMES = tuple(v.name for v in VIEWS)

def describe_views(store: Store) -> list[dict]:
    """The documented views with their columns, types and descriptions, and their rows.

    The types and counts are those of the snapshot's tables, read from the queries that fill them: showing the
    views does not build a snapshot (copying every value), the first query does.
    """
    cur = store.cursor()
    try:
        types, counts = {}, {}
        for v in VIEWS:
            types.update({(v.name, row[0]): row[1] for row in cur.execute(f"DESCRIBE {v.rows_sql}").fetchall()})
            counts[v.name] = cur.execute(f"SELECT count(*) FROM ({v.rows_sql})").fetchone()[0]
    finally:
        cur.close()
    return [{"name": v.name, "description": v.description, "rows": int(counts[v.name]),
             "columns": [{"name": c.name, "type": types.get((v.name, c.name), ""), "description": c.description}
                         for c in v.columns]} for v in VIEWS]


def views_table(store: Store) -> pd.DataFrame:
    """One row per view and column, for a page or a download."""
    return pd.DataFrame([{"View": v["name"], "Column": c["name"], "Type": c["type"], "Description": c["description"]}
                         for v in describe_views(store) for c in v["columns"]])


EXAMPLES: dict[str, str] = {
    "Repeat child protection plans: the home area and its statistical neighbours, last five years": """
SELECT o.area_name, o.period_label, round(o.value, 1) AS repeat_plans_pct, o.numerator, o.denominator
FROM observations o
WHERE o.indicator_id = 'dfe_ees:d3_cpps_subsequent_plan' AND o.breakdown_type = 'all'
  AND o.area_code IN (SELECT '{home}' UNION ALL
                      SELECT neighbour_area_code FROM statistical_neighbours WHERE area_code = '{home}')
  AND o.period_end > (SELECT max(period_end) FROM observations
                      WHERE indicator_id = 'dfe_ees:d3_cpps_subsequent_plan') - INTERVAL 5 YEAR
ORDER BY o.period_end, o.value""",
    "Latest value of every KPI for the home area": """
SELECT indicator_id, period_label, value, status, is_demo
FROM observations
WHERE area_code = '{home}' AND breakdown_type = 'all' AND indicator_id IN (SELECT indicator_id FROM kpis
                                                                              WHERE kind = 'framework KPI')
QUALIFY row_number() OVER (PARTITION BY indicator_id ORDER BY period_end DESC) = 1
ORDER BY indicator_id""",
    "Imports with skipped rows": """
SELECT batch_id, kind, source, submitted_at, rows_read, rows_imported, rows_skipped, skipped_reasons
FROM submissions WHERE rows_skipped > 0 ORDER BY submitted_at DESC""",
}


def example_queries(framework: Framework | None = None) -> dict[str, str]:
    """Starter queries, with the partnership's own home area (default: the default framework's)."""
    if framework is None:
        from kpis.core.framework import load_framework
        framework = load_framework()
    return {k: v.strip().replace("{home}", framework.home_area) for k, v in EXAMPLES.items()}
