"""The board pack and the HWBB report as Excel: the scorecard, what changed, every number and
the narratives, with the Metadata sheet first (`kpis.core.exports`: text cells can never run as
formulas). No charts are drawn, so this format needs no browser.
"""
from __future__ import annotations

import pandas as pd

from kpis.core.exports import OGL_ATTRIBUTION, XLSX_MIME, to_excel_bytes
from kpis.packs.content import REPORTS, PackContent, Progress
from kpis.packs.words import METHODS, SYMBOLS

__all__ = ["XLSX_MIME", "build_xlsx", "workbook_sheets"]

SCORECARD_COLUMNS = {
    "kpi_id": "KPI id", "full_title": "KPI", "area_name": "Outcome area", "outcome_name": "Overarching outcome",
    "latest_period": "Latest period", "value": "Value", "lower_ci": "Lower 95% CI", "upper_ci": "Upper 95% CI",
    "is_demo": "Demo data", "previous_period": "Period at the last meeting",
    "previous_value": "Value at the last meeting", "change_text": "Change since the last meeting",
    "variation_short": "Variation", "variation_text": "Variation, in words", "variation_points": "SPC points",
    "assurance_short": "Assurance", "assurance_text": "Assurance, in words",
    "england_period": "England period", "england_value": "England value",
    "comparison_text": "Compared with England", "england_relation": "Compared with England, in full",
    "trend": "Recent trend", "target": "Target",
    "target_status": "Target met", "unit": "Unit", "polarity": "Polarity", "source": "Source",
}
DATA_COLUMNS = {
    "kpi_id": "KPI id", "role": "Series", "area_code": "Area code", "area_name": "Area", "period_label": "Period",
    "period_start": "Period start", "period_end": "Period end", "value": "Value", "lower_ci": "Lower 95% CI",
    "upper_ci": "Upper 95% CI", "numerator": "Numerator", "denominator": "Denominator", "status": "Status",
    "is_demo": "Demo data", "source": "Source", "indicator_id": "Indicator id",
}
CHANGE_SHEETS = {"new_signals": "Changed - signals",
                 "significant_movements": "Changed - movements", "comparison_changes": "Changed - vs England",
                 "missing_returns": "Changed - returns", "revisions": "Changed - revisions",
                 "new_data": "Changed - new data"}


def _pick(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=list(columns.values()))
    keep = [c for c in columns if c in df.columns]
    return df[keep].rename(columns=columns)


def _dates(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in ("Period start", "Period end"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col]).dt.date
    return out


def _scorecard(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard's columns for Excel: the verdicts with their shapes, and no assurance where no target is set."""
    out = card.copy()
    if "variation_short" in out:
        out["variation_short"] = out["variation_shape"] + " " + out["variation_short"]
    if "assurance_short" in out:
        has_target = out["target"].notna()
        out["assurance_short"] = (out["assurance_shape"] + " " + out["assurance_short"]).where(has_target, "No target")
        out["assurance_text"] = out["assurance_text"].where(has_target, "No target set")
    if "comparison_text" in out:
        out["comparison_text"] = out["comparison_symbol"] + " " + out["comparison_text"]
    return _pick(out, SCORECARD_COLUMNS)


def workbook_sheets(c: PackContent) -> dict[str, pd.DataFrame]:
    """The pack's tables as DataFrames, one per sheet, in order."""
    sheets = {"Scorecard": _scorecard(c.scorecard_frame)}
    for key, name in CHANGE_SHEETS.items():
        frame = c.changes_frames.get(key)
        if frame is not None:
            sheets[name] = frame.drop(columns=[x for x in ("kpi_id", "area") if x in frame.columns])
    sheets["Data"] = _dates(_pick(c.data, DATA_COLUMNS))
    narratives = []
    for a in c.areas:
        if a.narrative is None:
            narratives.append({"Outcome area": a.name, "Sub-group": a.sub_group, "Period": "", "Part": "",
                               "Text": a.narrative_note, "Demo data": False})
            continue
        for heading, text in a.narrative.parts:
            narratives.append({"Outcome area": a.name, "Sub-group": a.sub_group, "Period": a.narrative.period_label,
                               "Part": heading, "Text": text, "Demo data": a.narrative.is_demo})
    sheets["Narratives"] = pd.DataFrame(narratives)
    definitions = next(t for h, _, t in c.appendix if h == "Definitions")
    sheets["Definitions"] = pd.DataFrame(definitions.rows, columns=definitions.columns)
    return sheets


def metadata(c: PackContent) -> dict:
    sources = next(t for h, _, t in c.appendix if h == "Sources")
    return {
        "Title": f"{c.title}: {c.meeting_text}",
        "Report": REPORTS[c.report],
        "Partnership": c.partnership,
        "Meeting": c.meeting.isoformat(),
        "Changes since": c.previous.isoformat() if c.previous else "No earlier meeting",
        "Data as at": c.data_as_at.strftime("%Y-%m-%d %H:%M") if c.data_as_at else "No data",
        "Demo data": ("Yes: local figures marked as demo data are synthetic, made by a seeded script. England "
                      "figures are real published statistics." if c.is_demo else "No"),
        "Summary": c.summary,
        "Sheets": ["Scorecard: one row per KPI as the board sees it",
                   "Changed - ...: what changed since the comparison meeting",
                   "Data: every local and England figure of each KPI (the full history, not only the charted years)",
                   "Narratives: the sub-groups' latest narratives", "Definitions: the KPI framework"],
        "Methods": METHODS,
        "Symbols": [f"{s}: {m}" for s, m in SYMBOLS],
        "Sources": ["Local figures: the sub-groups' quarterly returns"]
                   + [f"{r[0]} ({r[1]}), imported {r[2]}" for r in sources.rows],
        "Licence": OGL_ATTRIBUTION,
    }


def build_xlsx(content: PackContent, *, progress: Progress | None = None) -> bytes:
    """The pack as an .xlsx file's bytes: Metadata first, then the scorecard and the data."""
    say = progress or (lambda fraction, message: None)
    say(0.5, "Writing the Excel file")
    data = to_excel_bytes(workbook_sheets(content), metadata(content))
    say(0.98, "Saving the Excel file")
    return data
