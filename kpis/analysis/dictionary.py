"""The data dictionary: every framework KPI and every imported source indicator, described for analysts.

In the spirit of LAIT's `lait_data_dictionary.csv`: definition and polarity,
unit and source, last and next update, methodology notes, owner and licence,
plus what the database holds of each (periods, areas, values).
"""
from __future__ import annotations

import pandas as pd

from kpis.analysis.explore import _polarity, _text
from kpis.core.dates import short_date
from kpis.core.framework import Framework
from kpis.core.kpi import UNITS
from kpis.core.sources import SOURCE_NAMES
from kpis.core.words import POLARITY_WORDS
from kpis.store.database import Store
from kpis.store.explorer import all_indicators, holdings

COLUMNS = ["Id", "Kind", "Name", "Outcome area", "Definition", "Polarity", "Unit", "Source", "England comparator",
           "Comparator for", "Last updated", "Next update", "Methodology", "Owner", "Licence", "Periods held",
           "Areas", "Values"]


def _held(h: dict[str, dict], iid: str) -> tuple[str, int, int, str]:
    if iid not in h:
        return "None yet", 0, 0, ""
    r = h[iid]
    span = r["first_period"] if r["first_period"] == r["last_period"] else f"{r['first_period']} to {r['last_period']}"
    loaded = short_date(pd.Timestamp(r["last_loaded"])) if pd.notna(r["last_loaded"]) else ""
    return span, int(r["n_areas"]), int(r["n_values"]), loaded


def data_dictionary(store: Store, framework: Framework) -> pd.DataFrame:
    """One row per KPI (framework order) then per source indicator (by source and id)."""
    h = holdings(store).to_dict("index")  # plain dicts: looked up once per indicator
    inds = all_indicators(store)
    by_id = {r["indicator_id"]: r for r in inds.to_dict("records")}
    comparator_of: dict[str, list[str]] = {}
    for k in framework.kpis:
        if k.comparator:
            comparator_of.setdefault(k.comparator.indicator_id, []).append(k.id)
    rows = []
    for k in framework.kpis:
        span, areas, values, loaded = _held(h, k.id)
        comp = ""
        if k.comparator:
            held = "" if k.comparator.indicator_id in h else " (not in the database yet)"
            name = k.comparator.name or by_id.get(k.comparator.indicator_id, {}).get("name", "") or "Published figure"
            comp = f"{name} ({SOURCE_NAMES.get(k.comparator.source, k.comparator.source)}){held}"
        area = framework.area(k.area)
        rows.append({
            "Id": k.id, "Kind": "Framework KPI", "Name": k.title, "Outcome area": f"{area.name} ({area.sub_group})",
            "Definition": k.definition, "Polarity": POLARITY_WORDS[k.polarity], "Unit": UNITS[k.unit],
            "Source": f"{SOURCE_NAMES['framework']}, {k.frequency}", "England comparator": comp or "None (local only)",
            "Comparator for": "", "Last updated": f"{loaded} (latest return)" if loaded else "No return yet",
            "Next update": k.next_update or "–", "Methodology": k.methodology or "–", "Owner": k.owner or "–",
            "Licence": "Local data of the partnership", "Periods held": span, "Areas": areas, "Values": values,
        })
    for iid, r in by_id.items():
        if r["source"] == "framework":
            continue
        span, areas, values, loaded = _held(h, iid)
        unit = _text(r["unit"])
        last = _text(r["last_updated"])
        rows.append({
            "Id": iid, "Kind": "Source indicator", "Name": _text(r["name"]) or "No name published", "Outcome area": "–",
            "Definition": _text(r["definition"]) or "–", "Polarity": POLARITY_WORDS[_polarity(r["polarity"])]
            if _text(r["polarity"]) else "Not stated by the source",
            "Unit": UNITS.get(unit, unit or "Not stated by the source"),
            "Source": SOURCE_NAMES.get(r["source"], r["source"]),   # its code is the Id ("Source id" on the page)
            "England comparator": "–", "Comparator for": ", ".join(comparator_of.get(iid, [])) or "–",
            "Last updated": f"{last} (published)" if last else f"{loaded} (imported)" if loaded else "–",
            "Next update": _text(r["next_update"]) or "–", "Methodology": _text(r["methodology"]) or "–",
            "Owner": "–", "Licence": _text(r["licence"]) or "–", "Periods held": span, "Areas": areas,
            "Values": values,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def search(dictionary: pd.DataFrame, text: str = "", kind: str | None = None) -> pd.DataFrame:
    """Rows whose id, name, definition or methodology contain `text` (any case); optionally one kind."""
    d = dictionary
    if kind:
        d = d[d["Kind"] == kind]
    if text and text.strip():
        needle = text.strip().lower()
        hay = (d["Id"] + " " + d["Name"] + " " + d["Definition"] + " " + d["Methodology"]).str.lower()
        d = d[hay.str.contains(needle, regex=False)]
    return d.reset_index(drop=True)
