"""OHID Fingertips "download data" CSV (the 26- and 27-column layouts).

Columns are read by name, so both layouts (and the varying name of the
"Compared to ..." column) work. Choices:

- indicator id ``fingertips:<Indicator ID>``;
- breakdowns: a row with a Category Type is a breakdown (type = slug of the
  Category Type, value = Category); Sex other than Persons is a breakdown
  ``sex``. Age stays part of the indicator (as in Fingertips, where an
  indicator has one main age): when the file holds several ages for one
  indicator, the main age ('All ages' if present, else the age on most rows)
  is the headline and every other age is a breakdown ``age`` (value = the
  Age text, e.g. '0-9 yrs'). When a row has more than one of
  these, the types and values are joined with ``|`` in that order
  (``sex|county_ua_deprivation_deciles...``);
- an empty Value is ``suppressed`` when its Value note speaks of suppression or
  disclosure control, otherwise ``not_available``; the note is kept as the
  status note (notes on published values are kept too);
- Count, Denominator and the 95% limits are stored as numerator, denominator,
  lower_ci and upper_ci. Values are stored as published (percentages are
  already in percent in Fingertips files);
- the published "Recent Trend" and "Compared to ..." columns are ignored: the
  app recomputes them (`kpis.core.stats`).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from kpis.core.framework import Framework
from kpis.published.common import (
    Parsed, blank_frame, clean_text, comparators, guess_unit, indicator_frame, slug_series, to_number,
)

REQUIRED = {"Indicator ID", "Indicator Name", "Area Code", "Time period", "Value"}
SUPPRESSED = re.compile(r"suppress|disclosure", re.I)


def matches(columns: list[str]) -> bool:
    return REQUIRED <= set(columns)


def read(path: Path, *, framework: Framework | None) -> Parsed:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    n = len(raw)
    f = blank_frame(n)
    col = lambda name: clean_text(raw[name]) if name in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    code = col("Indicator ID").str.replace(r"\.0$", "", regex=True)
    f["indicator_id"] = ("fingertips:" + code).astype(object)
    f.loc[code == "", "skip"] = "no Indicator ID"
    f["area_code"] = col("Area Code").astype(object)
    f["period_raw"] = col("Time period").astype(object)
    kpis = comparators(framework, "fingertips")
    year_types = {i: k.comparator.options.get("year_type") for i, k in kpis.items()}
    f["year_type"] = f["indicator_id"].map(year_types)

    # Breakdowns: sex, age (only when several), category.
    parts_t, parts_v = [], []
    sex = col("Sex")
    is_sex = (sex != "") & (sex.str.lower() != "persons")
    parts_t.append(pd.Series(np.where(is_sex, "sex", ""), index=raw.index))
    parts_v.append(sex.where(is_sex, ""))
    age = col("Age")
    ages_per_indicator = age.groupby(code).transform("nunique")
    main = _main_age(code, age)
    is_age = (ages_per_indicator > 1) & (age != "") & (age != code.map(main))
    parts_t.append(pd.Series(np.where(is_age, "age", ""), index=raw.index))
    parts_v.append(age.where(is_age, ""))
    ctype, cat = col("Category Type"), col("Category")
    is_cat = ctype != ""
    parts_t.append(slug_series(ctype.where(is_cat)).fillna(""))
    parts_v.append(cat.where(is_cat, ""))
    f["breakdown_type"] = _join(parts_t).replace("", "all").astype(object)
    f["breakdown_value"] = _join(parts_v).replace("", "all").astype(object)

    value = to_number(raw["Value"])
    f["value"] = value
    f["numerator"] = to_number(col("Count"))
    f["denominator"] = to_number(col("Denominator"))
    f["lower_ci"] = to_number(col("Lower CI 95.0 limit"))
    f["upper_ci"] = to_number(col("Upper CI 95.0 limit"))
    note = col("Value note")
    missing = value.isna()
    f["status"] = np.where(~missing, "published",
                           np.where(note.str.contains(SUPPRESSED), "suppressed", "not_available"))
    f["status_note"] = note.where(note != "").astype(object).where(lambda s: s.notna(), None)

    names = (pd.DataFrame({"code": code, "name": col("Indicator Name").str.replace(r"\s+", " ", regex=True),
                           "age": age, "sex": sex})
             .loc[code != ""].drop_duplicates("code"))
    rows = []
    for c, name, a, _ in names.itertuples(index=False, name=None):
        iid = f"fingertips:{c}"
        kpi = kpis.get(iid)
        several_ages = bool((ages_per_indicator[code == c] > 1).any())
        a = main.get(c, a)
        rows.append({
            "indicator_id": iid, "source": "fingertips", "source_code": c, "name": name,
            "unit": kpi.unit if kpi else guess_unit(name),
            "polarity": kpi.polarity if kpi else None,
            "definition": (f"Age: {a}" + (" (other ages as the breakdown 'age')" if several_ages else "")) if a
            else None,
            "kpi_id": kpi.id if kpi else None,
        })
    return Parsed(format="fingertips", frame=f, indicators=indicator_frame(rows), rows_read=n)


def _main_age(code: pd.Series, age: pd.Series) -> dict[str, str]:
    """Each indicator's headline age: 'All ages' when present, else the age on most rows."""
    counts = pd.DataFrame({"code": code, "age": age}).value_counts().reset_index(name="n")
    counts["all"] = counts["age"].str.lower().str.startswith("all ages")
    counts = counts.sort_values(["code", "all", "n"], ascending=[True, False, False])
    return dict(counts.drop_duplicates("code")[["code", "age"]].itertuples(index=False, name=None))


def _join(parts: list[pd.Series]) -> pd.Series:
    """Join non-empty parts with '|', row by row, without a Python loop over rows."""
    out = parts[0].astype("string")
    for p in parts[1:]:
        p = p.astype("string")
        out = pd.Series(np.where(out == "", p, np.where(p == "", out, out + "|" + p)), index=out.index)
    return out.astype("string")
