"""OHID Fingertips "download data" CSV (the 26- and 27-column layouts).

Columns are read by name, so both layouts (and the varying name of the
"Compared to ..." column) work. Choices:

- indicator id ``fingertips:<Indicator ID>``;
- column names are matched without case, spaces or dots, so a file re-saved
  by R (``Indicator.ID``, a leading row-number column, ``NA`` for missing) or
  by Excel (Windows-1252) reads as the original; fingertipsR's names
  (``IndicatorID``) too;
- breakdowns: a row with a Category Type is a breakdown (type = slug of the
  Category Type, value = Category); Sex other than Persons or Not applicable
  is a breakdown ``sex`` (Persons and Not applicable are the headline).
  Age stays part of the indicator (as in Fingertips, where an indicator has
  one main age): when the file holds several ages for one
  indicator, the main age ('All ages' if present, else the age on most rows)
  is the headline and every other age is a breakdown ``age`` (value = the
  Age text, e.g. '0-9 yrs'). When a row has more than one of
  these, the types and values are joined with ``|`` in that order
  (``sex|county_ua_deprivation_deciles...``);
- an empty Value is ``suppressed`` when its Value note speaks of suppression or
  disclosure control, otherwise ``not_available``; the note is kept as the
  status note, as plain text (HTML tags removed, entities decoded), on
  published values too. A Value that is neither a number nor empty is not
  available, and the import report counts it;
- Count, Denominator and the 95% limits are stored as numerator, denominator,
  lower_ci and upper_ci. Values are stored as published (percentages are
  already in percent in Fingertips files);
- the published "Recent Trend" is ignored (it is wrong in some exports: the
  app recomputes it, `kpis.core.stats`). The published "Compared to England"
  label is kept beside each value (table ``published_comparisons``): a value
  Fingertips did not compare is not compared by us either;
- unit and polarity come from the framework when the indicator is a
  comparator; otherwise the unit is read from the name ("rate/100,000") or
  from Value = Count / Denominator x 100 (or 10,000, 100,000), and the polarity
  from the file's own labels: a row marked Better while above England means
  higher is better, Higher/Lower labels mean no polarity. What cannot be
  inferred stays unknown, and the import report and the indicator's
  methodology say so.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from kpis.core.areas import ENGLAND
from kpis.core.framework import Framework
from kpis.core.units import SCALE
from kpis.published.common import (
    BenchmarkFormatError,
    Parsed,
    blank_frame,
    clean_text,
    comparators,
    guess_unit,
    indicator_frame,
    join_parts,
    read_text_csv,
    slug_series,
    to_number,
    token_note,
)

REQUIRED = {"Indicator ID", "Indicator Name", "Area Code", "Time period", "Value"}
SUPPRESSED = re.compile(r"suppress|disclosure", re.I)
ENGLAND_LABEL = "Compared to England value or percentiles"
KNOWN = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
         "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
         "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
         ENGLAND_LABEL, "Time period Sortable", "New data", "Compared to goal", "Time period range"]
HEADLINE_SEX = {"", "persons", "not applicable", "all"}
INDEX_NAMES = {"", "x", "unnamed: 0", "...1", "v1", "index", "row.names", "rownames"}
TAG = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>")
SCALES = sorted((int(scale), unit) for unit, scale in SCALE.items())  # (100, "percentage"), ... from core.units


def _canonical(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


CANONICAL = {_canonical(c): c for c in KNOWN}


def renamed_note(changed: list[tuple[str, str]]) -> str:
    """What the report says about column names read as Fingertips' own: who writes them so, never a guess that an
    export was 're-saved' when it was not (R's make.names writes dots, fingertipsR joins the words)."""
    shown = ", ".join(f"'{a}' as '{b}'" for a, b in changed[:3]) + (" ..." if len(changed) > 3 else "")
    if any("." in a and " " not in a for a, _ in changed):
        who = "as R's read.csv/write.csv write them (a file re-saved by R)"
    elif any(" " not in a and " " in b for a, b in changed):
        who = "as fingertipsR names them"
    else:
        who = "differing from Fingertips' own only in case or spacing"
    return f"column names read as Fingertips' own, {who}: {shown}"


def standard_names(columns: list[str]) -> list[str]:
    """Fingertips' own column names for those of a re-saved file (R's `Indicator.ID`, fingertipsR's `IndicatorID`)."""
    return [CANONICAL.get(_canonical(c), str(c).strip()) for c in columns]


def matches(columns: list[str]) -> bool:
    return set(standard_names(columns)) >= REQUIRED


def plain_text(s: pd.Series) -> pd.Series:
    """Notes as plain text: HTML tags removed (a line break becomes a space), entities decoded."""
    text = s.str.replace(TAG, " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    return text.map(html.unescape, na_action="ignore").astype("string")


def read_frame(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The file as text, with Fingertips' column names, whatever re-saved it; and what was done to it."""
    raw, notes = read_text_csv(path)
    if not isinstance(raw.index, pd.RangeIndex):  # pandas made the surplus first fields an index
        raise BenchmarkFormatError(
            f"{path.name}: its rows have more fields than its header has columns (a comma inside a value that is "
            f"not in quotes?), so its columns cannot be told apart. The first row starts: "
            f"{', '.join(map(str, raw.index[0] if isinstance(raw.index[0], tuple) else [raw.index[0]]))}.")
    first = str(raw.columns[0]).strip().lower() if len(raw.columns) else ""
    if len(raw.columns) and (first in INDEX_NAMES or first.startswith("unnamed")):
        numbers = pd.to_numeric(raw.iloc[:, 0], errors="coerce")
        if numbers.notna().all():  # R's write.csv row names, pandas' index: not data
            raw = raw.iloc[:, 1:]
            notes.append("a leading row-number column was left out (a file re-saved by R or pandas)")
    renamed = standard_names(list(raw.columns))
    changed = [(str(a).strip(), b) for a, b in zip(raw.columns, renamed, strict=False) if str(a).strip() != b]
    if changed:
        notes.append(renamed_note(changed))
    raw.columns = renamed
    na = raw.eq("NA")
    if na.to_numpy().any():  # R writes NA for a missing value
        raw = raw.mask(na, "")
        notes.append("'NA' read as an empty cell (a file re-saved by R)")
    return raw, notes


def read(path: Path, *, framework: Framework | None) -> Parsed:
    raw, notes = read_frame(path)
    n = len(raw)
    f = blank_frame(n)
    col = lambda name: clean_text(raw[name]) if name in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    code = col("Indicator ID").str.replace(r"\.0$", "", regex=True)
    f["indicator_id"] = ("fingertips:" + code).astype(object)
    f.loc[code == "", "skip"] = "no Indicator ID"
    bad = (code != "") & ~code.str.fullmatch(r"\d+")
    f.loc[bad, "skip"] = "column Indicator ID: '" + code[bad] + "' is not a Fingertips indicator number"
    f["area_code"] = col("Area Code").astype(object)
    f["period_raw"] = col("Time period").astype(object)
    kpis = comparators(framework, "fingertips")
    year_types = {i: k.comparator.options.get("year_type") for i, k in kpis.items()}
    f["year_type"] = f["indicator_id"].map(year_types)

    # Breakdowns: sex, age (only when several), category. Persons / Not applicable sex is the headline.
    parts_t, parts_v = [], []
    sex = col("Sex")
    is_sex = ~sex.str.lower().isin(HEADLINE_SEX)
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
    f["breakdown_type"] = join_parts(parts_t).replace("", "all").astype(object)
    f["breakdown_value"] = join_parts(parts_v).replace("", "all").astype(object)

    value = to_number(raw["Value"])
    f["value"] = value
    f["numerator"] = to_number(col("Count"))
    f["denominator"] = to_number(col("Denominator"))
    f["lower_ci"] = to_number(col("Lower CI 95.0 limit"))
    f["upper_ci"] = to_number(col("Upper CI 95.0 limit"))
    note = plain_text(col("Value note"))
    missing = value.isna()
    text_value = col("Value")
    odd = missing & (text_value != "")
    f["status"] = np.where(~missing, "published",
                           np.where(note.str.contains(SUPPRESSED) & ~odd, "suppressed", "not_available"))
    f["status_note"] = note.where(note != "", text_value.where(odd, "")).astype(object)
    f["status_note"] = f["status_note"].where(f["status_note"] != "", None)
    if odd.any():
        notes.append(token_note("Value", {str(k): int(v) for k, v in text_value[odd].value_counts().items()}))
    label = col(ENGLAND_LABEL)
    f["published_comparison"] = label.where(label != "", None).astype(object)
    region_label = next((c for c in raw.columns if re.match(r"^Compared to Regions?\b", str(c))), None)
    if region_label is not None:  # "Compared to Regions (statistical) value or percentiles": the region's labels
        rl = clean_text(raw[region_label])
        f["published_comparison_region"] = rl.where(rl != "", None).astype(object)
        notes.append(f"published labels against the region kept from column '{region_label}' "
                     f"({int((rl != '').sum()):,} labels)")

    names = (pd.DataFrame({"code": code, "name": plain_text(col("Indicator Name")), "age": age})
             .loc[(code != "") & ~bad].drop_duplicates("code"))
    frame = pd.DataFrame({"code": code, "area": col("Area Code"), "period": col("Time period"), "sex": sex,
                          "age": age, "ctype": ctype, "value": value, "label": label,
                          "count": f["numerator"], "denominator": f["denominator"]})
    # Each indicator's rows as one slice of the file sorted by code (in file order within it): a mask, or a take,
    # over the whole file per indicator cost most of a national read.
    codes = code.to_numpy(dtype=object)
    order = np.argsort(codes, kind="stable")
    by_code = frame.take(order)
    firsts, counts = np.unique(codes[order], return_index=True, return_counts=True)[1:]
    span = dict(zip(codes[order][firsts], zip(firsts, firsts + counts, strict=True), strict=True))
    several = (ages_per_indicator > 1).groupby(code).any()
    rows = []
    for c, name, a in names.itertuples(index=False, name=None):
        iid = f"fingertips:{c}"
        kpi = kpis.get(iid)
        several_ages = bool(several[c])
        a = main.get(c, a)
        mine = by_code.iloc[span[c][0]:span[c][1]]
        if kpi:
            unit, unit_how = kpi.unit, "from the framework"
            polarity, pol_how = kpi.polarity, "from the framework"
        else:
            unit, unit_how = infer_unit(name, mine)
            polarity, pol_how = infer_polarity(mine)
        said = f"Unit: {unit or 'not known'} ({unit_how}). Polarity: {polarity or 'not known'} ({pol_how})."
        if not kpi:
            notes.append(f"{iid}: {said}")
        rows.append({
            "indicator_id": iid, "source": "fingertips", "source_code": c, "name": name,
            "unit": unit, "polarity": polarity, "methodology": said,
            "definition": (f"Age: {a}" + (" (other ages as the breakdown 'age')" if several_ages else "")) if a
            else None,
            "kpi_id": kpi.id if kpi else None,
        })
    return Parsed(format="fingertips", frame=f, indicators=indicator_frame(rows), rows_read=n, notes=notes)


def infer_unit(name: str, rows: pd.DataFrame) -> tuple[str | None, str]:
    """The unit from the indicator's name, else from Value = Count / Denominator x a scale on the file's rows."""
    unit = guess_unit(name)
    if unit:
        return unit, "from the indicator's name"
    ok = rows[(rows["count"] > 0) & (rows["denominator"] > 0) & rows["value"].notna()]
    if len(ok):
        ratio = ok["value"] / (ok["count"] / ok["denominator"])
        for scale, candidate in SCALES:
            share = float(((ratio / scale - 1).abs() < 0.03).mean())
            if share >= 0.9:
                return candidate, (f"Value = Count / Denominator x {scale:,} on {share:.0%} of the "
                                   f"{len(ok):,} rows with both")
    return None, "not in the framework, not in the name, and not Count / Denominator x 100, 10,000 or 100,000"


def infer_polarity(rows: pd.DataFrame) -> tuple[str | None, str]:
    """The polarity from the file's own "Compared to England" labels, against England's value in the file."""
    labels = rows["label"].str.lower()
    if labels.isin(["higher", "lower"]).any() and not labels.isin(["better", "worse"]).any():
        n = int(labels.isin(["higher", "lower"]).sum())
        return "no_polarity", f"the file marks {n:,} rows Higher or Lower than England, never Better or Worse"
    england = (rows[(rows["area"] == ENGLAND) & (rows["ctype"] == "") & rows["value"].notna()]
               .drop_duplicates(["period", "sex", "age"])[["period", "sex", "age", "value"]])
    judged = rows[labels.isin(["better", "worse"]) & (rows["area"] != ENGLAND)].merge(
        england, on=["period", "sex", "age"], how="inner", suffixes=("", "_england"))
    judged = judged[judged["value"] != judged["value_england"]]
    if judged.empty:
        return None, "not in the framework, and no row of the file is marked Better or Worse than England " \
                     "beside an England value; compared as higher or lower"
    higher_better = (judged["label"].str.lower() == "better") == (judged["value"] > judged["value_england"])
    votes = int(higher_better.sum())
    if votes == len(judged):
        return "higher_is_better", f"inferred from {votes:,} rows the file marks Better or Worse than England"
    if votes == 0:
        return "lower_is_better", f"inferred from {len(judged):,} rows the file marks Better or Worse than England"
    return None, (f"the file's labels disagree ({votes:,} rows say higher is better, {len(judged) - votes:,} lower); "
                  "compared as higher or lower")


def _main_age(code: pd.Series, age: pd.Series) -> dict[str, str]:
    """Each indicator's headline age: 'All ages' when present, else the age on most rows."""
    counts = pd.DataFrame({"code": code, "age": age}).value_counts().reset_index(name="n")
    counts["all"] = counts["age"].str.lower().str.startswith("all ages")
    counts = counts.sort_values(["code", "all", "n"], ascending=[True, False, False])
    return dict(counts.drop_duplicates("code")[["code", "age"]].itertuples(index=False, name=None))
