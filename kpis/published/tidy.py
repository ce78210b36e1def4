"""Tidy CSVs made from Fingertips by others (as the Trafford Data Lab's files).

Columns: area_code, area_name, period, indicator, measure, unit, value, and
optionally area_type, compared_to_England, inequality.

- An indicator whose text equals a framework Fingertips comparator's name
  (case and spacing ignored) is stored under that comparator's id, so the
  Trafford single-year Reception obesity rows feed EH02 (``fingertips:90319``).
  Other indicators are stored as ``tidy:<file stem>:<slug of the indicator>``.
- ``inequality`` other than NA/blank is a breakdown ``inequality`` with the
  text as its value (deprivation quintiles, for example). A ``unit`` other than
  Persons (Male, Female) is a breakdown ``sex``.
- The value 'NA' (or blank) is stored as ``not_available``. The published
  ``compared_to_England`` is kept beside each value (table
  ``published_comparisons``), as for a Fingertips file: the app recomputes
  comparisons, but a value the publisher did not compare is not compared.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from kpis.core.framework import Framework
from kpis.published.common import (
    Parsed,
    blank_frame,
    clean_text,
    guess_unit,
    indicator_frame,
    kpis_by_comparator,
    marker_status,
    read_text_csv,
    slug,
    to_number,
)

REQUIRED = {"area_code", "period", "indicator", "value"}


def matches(columns: list[str]) -> bool:
    return set(columns) >= REQUIRED and "time_identifier" not in columns


# Columns that hold a publisher's comparison labels (Better/Similar/Worse, Higher/Lower), against England or the
# region: matched without case, spaces or underscores.
ENGLAND_LABELS = ("comparedtoengland", "comparedwithengland", "significance", "englandsignificance",
                  "significanceengland", "comparisontoengland", "vsengland", "benchmark")
REGION_LABELS = ("comparedtoregion", "comparedwithregion", "regionsignificance", "significanceregion",
                 "comparisontoregion", "vsregion")


def label_columns(columns: list[str]) -> tuple[str | None, str | None]:
    """The columns holding published labels against England and against the region, by name."""
    canon = {re.sub(r"[^a-z]", "", c.lower()): c for c in columns}
    find = lambda names: next((canon[n] for n in names if n in canon), None)  # noqa: E731
    return find(ENGLAND_LABELS), find(REGION_LABELS)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def read(path: Path, *, framework: Framework | None) -> Parsed:
    raw, notes = read_text_csv(path)
    n = len(raw)
    f = blank_frame(n)
    col = lambda name: clean_text(raw[name]) if name in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    kpis = kpis_by_comparator(framework, "fingertips")
    by_name = {_norm(k.comparator.name): (iid, k) for iid, k in kpis.items() if k.comparator.name}
    indicator = col("indicator")
    measure_col = col("measure")
    stem = path.stem
    # Several measures under one indicator text ('Count' and 'Per 10,000 aged 10-17'): one indicator each, with its
    # unit, never one series mixing them (said in the import report).
    kinds = pd.DataFrame({"i": indicator, "m": measure_col}).drop_duplicates().groupby("i")["m"].nunique()
    mixed = set(kinds[kinds > 1].index)
    text = indicator.where(~indicator.isin(mixed), indicator + " (" + measure_col + ")")
    ids = {t: (by_name[_norm(t)][0] if _norm(t) in by_name else f"tidy:{stem}:{slug(t)}") for t in text.unique()}
    for t in sorted(mixed):
        listed = sorted(measure_col[indicator == t].unique())
        notes.append(f"indicator '{t}' holds {len(listed)} measures in column measure ({', '.join(listed)}): each is "
                     "stored as an indicator of its own, with its unit")
    indicator = text
    f["indicator_id"] = indicator.map(ids).to_numpy(dtype=object)
    f.loc[(indicator == "").to_numpy(), "skip"] = "no indicator"
    f["area_code"] = col("area_code").to_numpy(dtype=object)
    f["period_raw"] = col("period").to_numpy(dtype=object)
    year_types = {iid: k.comparator.options.get("year_type") for iid, k in kpis.items()}
    f["year_type"] = f["indicator_id"].map(year_types)

    inequality = col("inequality")
    has_ineq = ~inequality.str.lower().isin(["", "na"])
    sex = col("unit")
    has_sex = sex.str.lower().isin(["male", "female"])
    btype = np.where(has_ineq & has_sex, "sex|inequality", np.where(has_ineq, "inequality",
                                                                    np.where(has_sex, "sex", "all")))
    bval = np.where(has_ineq & has_sex, sex + "|" + inequality, np.where(has_ineq, inequality,
                                                                         np.where(has_sex, sex, "all")))
    f["breakdown_type"], f["breakdown_value"] = btype, bval

    values = to_number(raw["value"])
    f["value"] = values.to_numpy()
    status, note = marker_status(raw["value"], values)
    f["status"], f["status_note"] = status.to_numpy(dtype=object), note.to_numpy(dtype=object)

    england, region = label_columns(list(raw.columns))
    for versus, name in (("England", england), ("region", region)):
        if name is None:
            continue
        label = col(name)
        kept = label.where(~label.str.lower().isin(["", "na"]), None)
        f["published_comparison" if versus == "England" else "published_comparison_region"] = \
            kept.to_numpy(dtype=object)
        notes.append(f"published labels against {versus} kept from column {name} ({int(kept.notna().sum()):,} "
                     "labels)")

    measure = dict(zip(indicator, measure_col, strict=False))
    rows = []
    for text, iid in ids.items():
        if not text:
            continue
        hit = by_name.get(_norm(text))
        kpi = hit[1] if hit else None
        rows.append({
            "indicator_id": iid, "source": "fingertips" if kpi else "tidy",
            "source_code": kpi.comparator.code if kpi else f"{stem}:{slug(text)}", "name": text,
            "unit": kpi.unit if kpi else guess_unit(text, measure.get(text)),
            "polarity": kpi.polarity if kpi else None, "kpi_id": kpi.id if kpi else None,
        })
    return Parsed(format="tidy", frame=f, indicators=indicator_frame(rows), rows_read=n, notes=notes)
