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
  methodology say so;
- the file is read ``CHUNK_ROWS`` rows at a time, by pandas as text (so quotes, byte order marks and encodings
  read as they always have), into DuckDB (`kpis.store.reference_fingertips`); what needs the whole file (each
  indicator's headline age, name, unit and polarity) is gathered as the slices go by, or read back from DuckDB an
  indicator at a time, so a national file (a million rows) is never one frame in Python.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from kpis.core.areas import ENGLAND
from kpis.core.framework import Framework
from kpis.core.units import SCALE
from kpis.published.common import (
    WINDOWS_1252_NOTE,
    BenchmarkFormatError,
    Parsed,
    blank_frame,
    clean_text,
    guess_unit,
    indicator_frame,
    kpis_by_comparator,
    slug_series,
    to_number,
    token_note,
    undecodable,
)
from kpis.store.reference_fingertips import append_rows, create_candidates_view, indicator_rows

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
# Rows read from the file at a time: a national file (a million rows) is never one frame of text in Python.
CHUNK_ROWS = 50_000
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


def read(con: duckdb.DuckDBPyConnection, path: Path, *, framework: Framework | None) -> Parsed:
    """Read the file into table `ft_rows` and view `cand` in `con` (DuckDB), `CHUNK_ROWS` rows at a time: UTF-8, with
    or without a byte order mark, else Windows-1252 (as Excel saves CSV), as `read_text_csv` reads a file."""
    for encoding, notes in (("utf-8-sig", []), ("cp1252", [WINDOWS_1252_NOTE])):
        try:
            return _read(con, path, framework, encoding, notes)
        except UnicodeDecodeError as exc:
            failed = exc
    raise undecodable(path, failed)


class _Whole:
    """What is gathered from every slice of the file: the indicators' names, ages and symbols, and the notes."""

    def __init__(self) -> None:
        self.rows = 0
        self.names: dict[str, tuple[str, str]] = {}   # code -> (name, age) of its first row, in file order
        self.ages: list[pd.Series] = []                # rows by (code, age), in order of first appearance
        self.odd: dict[str, int] = {}                  # Value cells neither a number nor empty, by text
        self.labels = 0                                # labels against England
        self.region_labels = 0                         # labels against the region
        self.na = False                                # a cell 'NA' (R's missing value)
        self.index_numbers = True                      # the leading unnamed column holds only numbers


def _read(con: duckdb.DuckDBPyConnection, path: Path, framework: Framework | None, encoding: str,
          notes: list[str]) -> Parsed:
    kpis = kpis_by_comparator(framework, "fingertips")
    year_types = {i: k.comparator.options.get("year_type") for i, k in kpis.items()}
    whole = _Whole()
    columns, index_column, renamed, region_label = [], False, [], None
    with pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, chunksize=CHUNK_ROWS) as reader:
        for i, raw in enumerate(reader):  # a file with only its header is one empty slice
            first = i == 0
            if first:
                columns, index_column, renamed, region_label = _columns(path, raw)
            na = raw.eq("NA")
            if na.to_numpy().any():  # R writes NA for a missing value
                raw = raw.mask(na, "")
                whole.na = True
            if index_column:  # R's write.csv row names, pandas' index: not data (never a Fingertips column)
                whole.index_numbers &= bool(pd.to_numeric(raw.iloc[:, 0], errors="coerce").notna().all())
            raw.columns = columns
            append_rows(con, _rows(raw, whole, year_types, region_label), first=first)
    notes = list(notes)
    if index_column and whole.index_numbers:
        notes.append("a leading row-number column was left out (a file re-saved by R or pandas)")
    if renamed:
        notes.append(renamed_note(renamed))
    if whole.na:
        notes.append("'NA' read as an empty cell (a file re-saved by R)")
    if whole.odd:
        notes.append(token_note("Value", whole.odd))
    if region_label is not None:
        notes.append(f"published labels against the region kept from column '{region_label}' "
                     f"({whole.region_labels:,} labels)")
    ages = (pd.concat(whole.ages).groupby(level=[0, 1], sort=False).sum() if whole.ages
            else pd.Series([], index=pd.MultiIndex.from_arrays([[], []], names=["code", "age"]), dtype="int64"))
    main = _main_age(ages.sort_values(ascending=False, kind="stable"))
    per_code = ages.reset_index()
    several = per_code.groupby("code", sort=False)["age"].nunique() > 1
    per_code["is_age"] = (per_code["code"].map(several).astype(bool) & (per_code["age"] != "")
                          & (per_code["age"] != per_code["code"].map(main)))
    create_candidates_view(con, per_code[["code", "age", "is_age"]].astype("object"))
    inferred = _inferred(con, {c: name for c, (name, _) in whole.names.items() if f"fingertips:{c}" not in kpis})
    rows = []
    for c, (name, a) in whole.names.items():
        iid = f"fingertips:{c}"
        kpi = kpis.get(iid)
        several_ages = bool(several[c])
        a = main.get(c, a)
        if kpi:
            unit, unit_how = kpi.unit, "from the framework"
            polarity, pol_how = kpi.polarity, "from the framework"
        else:
            unit, unit_how, polarity, pol_how = inferred[c]
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
    labelled = tuple(c for c, n in (("published_comparison", whole.labels),
                                    ("published_comparison_region", whole.region_labels)) if n)
    return Parsed(format="fingertips", frame=None, indicators=indicator_frame(rows), rows_read=whole.rows,
                  notes=notes, labelled=labelled)


def _columns(path: Path, raw: pd.DataFrame) -> tuple[list[str], bool, list[tuple[str, str]], str | None]:
    """From the first slice: Fingertips' names for the file's columns, whether the first is a candidate row-number
    column, the names read as Fingertips' own and the column of the region's labels, if any."""
    if not isinstance(raw.index, pd.RangeIndex):  # pandas made the surplus first fields an index
        raise BenchmarkFormatError(
            f"{path.name}: its rows have more fields than its header has columns (a comma inside a value that is "
            f"not in quotes?), so its columns cannot be told apart. The first row starts: "
            f"{', '.join(map(str, raw.index[0] if isinstance(raw.index[0], tuple) else [raw.index[0]]))}.")
    first = str(raw.columns[0]).strip().lower() if len(raw.columns) else ""
    index_column = bool(len(raw.columns)) and (first in INDEX_NAMES or first.startswith("unnamed"))
    renamed = standard_names(list(raw.columns))
    # The row-number column is never a Fingertips column, so it is named as it is whether left out or not.
    changed = [(str(a).strip(), b) for a, b in zip(raw.columns, renamed, strict=False) if str(a).strip() != b]
    region_label = next((c for c in renamed if re.match(r"^Compared to Regions?\b", str(c))), None)
    return renamed, index_column, changed, region_label


def _rows(raw: pd.DataFrame, whole: _Whole, year_types: dict, region_label: str | None) -> pd.DataFrame:
    """One slice of the file as rows of `ft_rows`: the candidate fields but the breakdowns, which need the whole
    file's ages, and the cleaned texts the breakdowns, unit and polarity are worked out from."""
    raw = raw.reset_index(drop=True)
    n = len(raw)
    f = blank_frame(n)
    f["_row"] += whole.rows
    whole.rows += n
    col = lambda name: clean_text(raw[name]) if name in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    code = col("Indicator ID").str.replace(r"\.0$", "", regex=True)
    f["indicator_id"] = ("fingertips:" + code).astype(object)
    f.loc[code == "", "skip"] = "no Indicator ID"
    bad = (code != "") & ~code.str.fullmatch(r"\d+")
    f.loc[bad, "skip"] = "column Indicator ID: '" + code[bad] + "' is not a Fingertips indicator number"
    f["area_code"] = col("Area Code").astype(object)
    f["period_raw"] = col("Time period").astype(object)
    f["year_type"] = f["indicator_id"].map(year_types)
    f = f.drop(columns=["breakdown_type", "breakdown_value", "time_identifier"])

    # Breakdowns: sex and category here; age once the whole file's ages are known. Persons / Not applicable sex
    # is the headline.
    sex = col("Sex")
    is_sex = ~sex.str.lower().isin(HEADLINE_SEX)
    f["code"], f["sex"], f["age"] = code.astype(object), sex.astype(object), col("Age").astype(object)
    f["sex_type"] = np.where(is_sex, "sex", "")
    f["sex_value"] = sex.where(is_sex, "").astype(object)
    ctype, cat = col("Category Type"), col("Category")
    is_cat = ctype != ""
    f["ctype"] = ctype.astype(object)
    f["cat_type"] = slug_series(ctype.where(is_cat)).fillna("").astype(object)
    f["cat_value"] = cat.where(is_cat, "").astype(object)
    whole.ages.append(pd.DataFrame({"code": code, "age": col("Age")}).value_counts(sort=False))

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
    for k, v in text_value[odd].value_counts().items():
        whole.odd[str(k)] = whole.odd.get(str(k), 0) + int(v)
    label = col(ENGLAND_LABEL)
    f["published_comparison"] = label.where(label != "", None).astype(object)
    whole.labels += int((label != "").sum())
    if region_label is not None:  # "Compared to Regions (statistical) value or percentiles": the region's labels
        rl = clean_text(raw[region_label])
        f["published_comparison_region"] = rl.where(rl != "", None).astype(object)
        whole.region_labels += int((rl != "").sum())
    names = (pd.DataFrame({"code": code, "name": col("Indicator Name"), "age": col("Age")})
             .loc[(code != "") & ~bad & ~code.isin(list(whole.names))].drop_duplicates("code"))
    names["name"] = plain_text(names["name"])  # only the first row's name of each indicator is kept
    for c, name, a in names.itertuples(index=False, name=None):
        whole.names.setdefault(c, (name, a))
    return f


def _inferred(con: duckdb.DuckDBPyConnection, names: dict[str, str]) -> dict[str, tuple]:
    """(unit, how, polarity, how) of each indicator not in the framework, from its name and its rows in the file,
    read back an indicator at a time."""
    out: dict[str, tuple] = {}

    def infer(code: str, pieces: list[pd.DataFrame]) -> None:
        mine = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
        out[code] = (*infer_unit(names[code], mine), *infer_polarity(mine))

    pieces: list[pd.DataFrame] = []
    for part in indicator_rows(con, sorted(names)):
        codes = part["code"].to_numpy(dtype=object)
        starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        for lo, hi in zip([0, *starts], [*starts, len(part)], strict=True):
            piece = part.iloc[lo:hi]
            if pieces and pieces[0]["code"].iat[0] != codes[lo]:
                infer(pieces[0]["code"].iat[0], pieces)
                pieces = []
            pieces.append(piece)
    if pieces:
        infer(pieces[0]["code"].iat[0], pieces)
    return out


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


def _main_age(counts: pd.Series) -> dict[str, str]:
    """Each indicator's headline age: 'All ages' when present, else the age on most rows (`counts`: the rows by code
    and age, most first, as `DataFrame.value_counts` gives them, so that a tie goes the same way)."""
    counts = counts.reset_index(name="n")
    counts["all"] = counts["age"].str.lower().str.startswith("all ages")
    counts = counts.sort_values(["code", "all", "n"], ascending=[True, False, False])
    return dict(counts.drop_duplicates("code")[["code", "age"]].itertuples(index=False, name=None))
