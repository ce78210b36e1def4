"""DfE "Explore education statistics" open data CSV (time_period, time_identifier, geographic_level, ...).

The framework says which file feeds which KPI: a comparator with source
``dfe_ees`` names a ``value_column`` (and optionally ``numerator_column``,
``denominator_column`` and ``filters``). A file belongs to every comparator
whose value column it has; its rows matching the filters become that
comparator's indicator (``dfe_ees:<code>``). Every other measure column
(numbers or markers) is stored too, as ``dfe_ees:<file stem>:<column>``, so
analysts can see it; the file stem drops a trailing ``_2013_to_2025``.

Areas: National -> E92000001, Regional -> region_code, Local authority ->
new_la_code (or old_la_code, the DfE number, through the areas table); other
geographic levels are skipped with a reason. Markers (c x z low u : ~ and
blank, also in the GSS style `[c]`) become statuses with the marker as the
status note. A symbol we do not know (`k`, `*`: up to three characters, no
space) is a status on its cell too, never a reason to treat the column as a
label: it is stored as not available, with the symbol as its note, and the
import report counts it by column. For a percentage with a numerator and
denominator, Wilson 95% limits are added.

Breakdowns: every text column that varies (other than the framework's
filters) is a breakdown dimension, and its `Total` (or `All`) rows are the
headline of that dimension: a row that is `Total` in every such column is the
figure for all children (breakdown `all`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from kpis.core import intervals
from kpis.core.areas import ENGLAND
from kpis.core.framework import Framework
from kpis.published.common import (
    MARKERS,
    TOKEN,
    TOTALS,
    AreaIndex,
    Parsed,
    blank_frame,
    clean_text,
    guess_unit,
    indicator_frame,
    join_parts,
    marker_key,
    marker_status,
    read_text_csv,
    slug,
    to_number,
    token_note,
    unexpected_tokens,
)

REQUIRED = {"time_period", "time_identifier", "geographic_level"}
GEOGRAPHY = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "old_la_code", "new_la_code", "la_name", "lad_code", "lad_name", "opportunity_area_code",
             "opportunity_area_name", "pcon_code", "pcon_name", "ward_code", "ward_name", "lsip_code", "lsip_name",
             "english_devolved_area_code", "english_devolved_area_name", "school_urn", "school_laestab",
             "school_name", "trust_id", "trust_name", "sponsor_id", "sponsor_name", "local_enterprise_partnership_code",
             "local_enterprise_partnership_name", "rsc_region_lead_name", "mat_id", "mat_name", "la_code",
             "academic_year"}  # a time column some files add beside time_period (attendance): not a measure


# Columns that say which version of a figure a row holds: a property of the value, never a breakdown.
VERSION_COLUMNS = {"version"}
VERSION_RANK = {"final": 3, "revised": 2, "provisional": 1}
# Columns that name the measure a row's value columns hold (several measures in one column, against DfE's
# standard): each measure becomes an indicator of its own, with its unit.
MEASURE_COLUMNS = {"data_type", "measure", "measure_type", "measure_name", "unit", "value_type", "statistic"}
# A Reporting year is a snapshot. DfE's files do not say when it was taken; the publications that do not take it at
# 31 March (children in need, children looked after), by their files' names.
CENSUS_BY_FILE = [(re.compile(r"(^|_)csww|social_work|workforce", re.I), 9, "the children's social work workforce "
                   "census, 30 September"),
                  (re.compile(r"(^|_)spc_|school_census|schools_pupils|pupils_and_their_characteristics", re.I), 1,
                   "the school census, January")]


def is_total(text: pd.Series, default: str | None = None) -> pd.Series:
    """Exact headline words of a filter: 'Total' or 'All' (any case) or the filter's declared default
    (`filter_default` in the file's .meta.csv)."""
    low = text.str.lower().str.strip()
    rule = low.isin(TOTALS)
    if default:
        rule |= low == default.strip().lower()
    return rule


def headline(raw: pd.DataFrame, col: str, others: list[str], default: str | None = None) -> pd.Series:
    """The headline rows of one filter, by rule: its 'Total' / 'All' / declared default when it has one; otherwise
    a label that starts with 'Total' or 'All' ('Total ages 0 to 4 years', 'All pupils'; never 'All other ...'),
    when there is at most one such label for each combination of the other filters (one total per sub-table).
    Where a column has an exact 'Total', its 'Total in education ...' rows are subtotals: breakdowns."""
    text = clean_text(raw[col])
    exact = is_total(text, default)
    if exact.any():
        return exact
    low = text.str.lower()
    starts = low.str.match(r"^(total|all)\b") & ~low.str.match(r"^all other\b")
    if not starts.any():
        return starts
    groups = [clean_text(raw[o]) for o in others] or [pd.Series("", index=raw.index)]
    key = groups[0].str.cat(groups[1:], sep="|") if len(groups) > 1 else groups[0]
    per_group = text[starts].groupby(key[starts]).nunique()
    return starts if (per_group <= 1).all() else exact


def _meta_defaults(path: Path) -> dict[str, str]:
    """`filter_default` of each filter, from the data file's .meta.csv beside it (DfE's metadata file)."""
    meta = path.with_name(path.name[:-len(path.suffix)] + ".meta.csv")
    if not meta.exists():
        return {}
    m, _ = read_text_csv(meta)
    if "filter_default" not in m.columns or "col_name" not in m.columns:
        return {}
    return {r["col_name"].strip(): r["filter_default"].strip() for _, r in m.iterrows() if r["filter_default"].strip()}


def matches(columns: list[str]) -> bool:
    return set(columns) >= REQUIRED


def file_stem(path: Path) -> str:
    return re.sub(r"_\d{4}_to_\d{4}$", "", path.stem)


def read(path: Path, *, framework: Framework | None, areas: AreaIndex) -> Parsed:
    raw, encoding = read_text_csv(path)
    raw.columns = [c.strip() for c in raw.columns]
    n = len(raw)
    area, area_skip = _areas(raw, areas)
    period = clean_text(raw["time_period"])
    ti = clean_text(raw["time_identifier"])

    numeric = {c: to_number(raw[c]) for c in raw.columns if c not in GEOGRAPHY}
    measures = [c for c, v in numeric.items() if _is_measure(raw[c], v)]
    dims = [c for c in raw.columns if c not in GEOGRAPHY and c not in measures]
    notes: list[str] = []
    version = next((c for c in dims if c.lower() in VERSION_COLUMNS), None)
    split = next((c for c in dims if c.lower() in MEASURE_COLUMNS and raw[c].nunique() > 1), None)
    dims = [d for d in dims if d not in (version, split)]
    defaults = _meta_defaults(path)
    census, census_note = _census(path, ti)
    if census_note:
        notes.append(census_note)
    varying = [d for d in dims if raw[d].nunique() > 1]
    heads = {d: headline(raw, d, [o for o in varying if o != d], defaults.get(d)) for d in varying}
    headless = [d for d in varying if not heads[d].any()]
    if headless:
        notes.append("no total row in column(s) " + ", ".join(headless) + ": every value there is a breakdown, so "
                     "the file gives no figure for all children by those columns")
    ctx = {"heads": heads, "version": version, "census": census}

    pieces, rows, used = [], [], set()
    matched = [k for k in (framework.kpis if framework else ())
               if k.comparator and k.comparator.source == "dfe_ees"
               and k.comparator.options.get("value_column") in raw.columns]
    seen: set[str] = set()
    for kpi in matched:
        c = kpi.comparator
        if c.indicator_id in seen:
            continue
        seen.add(c.indicator_id)
        opts = c.options
        keep = pd.Series(True, index=raw.index)
        for col, wanted in (opts.get("filters") or {}).items():
            allowed = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
            keep &= clean_text(raw[col]).isin(allowed) if col in raw.columns else False
        vcol, ncol, dcol = opts["value_column"], opts.get("numerator_column"), opts.get("denominator_column")
        used.update(x for x in (vcol, ncol, dcol) if x)
        f = _frame(raw, c.indicator_id, vcol, numeric, area, area_skip, period, ti,
                   [d for d in dims if d not in (opts.get("filters") or {})], ctx)
        if ncol in numeric:
            f["numerator"] = numeric[ncol].to_numpy()
        if dcol in numeric:
            f["denominator"] = numeric[dcol].to_numpy()
        if kpi.unit == "percentage" and ncol in numeric and dcol in numeric:
            f["lower_ci"], f["upper_ci"] = _wilson_pct(f["numerator"], f["denominator"], f["status"])
        f.loc[~keep.to_numpy() & f["skip"].isna(), "skip"] = "outside the framework's filters for " + c.indicator_id
        pieces.append(f)
        rows.append({"indicator_id": c.indicator_id, "source": "dfe_ees", "source_code": c.code,
                     "name": c.name or vcol, "unit": kpi.unit, "polarity": kpi.polarity, "kpi_id": kpi.id,
                     "definition": f"{path.name}: column {vcol}" + (f" = {ncol} / {dcol}" if ncol and dcol else "")})
    stem = file_stem(path)
    pairs = percent_pairs(raw.columns, numeric, [m for m in measures if m not in used])
    for col, (ncol, dcol) in sorted(pairs.items()):
        notes.append(f"column {col}: 95% limits by Wilson's method from {ncol} / {dcol} in the same row (the "
                     "published percentage is that ratio, to the publisher's rounding, on every row with both)")
    kinds = sorted(clean_text(raw[split]).unique()) if split else [None]
    if split:
        notes.append(f"column {split} holds {len(kinds)} measures ({', '.join(kinds)}): a choice DfE's conventions "
                     "do not make (measures belong in columns of their own), so each value column is stored as one "
                     "indicator per measure, with its unit, never one indicator mixing them")
    for col in measures:
        if col in used:
            continue
        for kind in kinds:
            iid = f"dfe_ees:{stem}:{col}" + (f":{slug(kind)}" if kind is not None else "")
            f = _frame(raw, iid, col, numeric, area, area_skip, period, ti, dims, ctx)
            if kind is not None:
                f = f[(clean_text(raw[split]) == kind).to_numpy()]
            pieces.append(f)
            unit = column_unit(col)
            if kind is not None:
                unit = _unit_of(kind) or unit
            if unit == "percentage" and kind is None and col in pairs:
                ncol, dcol = pairs[col]
                f["numerator"], f["denominator"] = numeric[ncol].to_numpy(), numeric[dcol].to_numpy()
                f["lower_ci"], f["upper_ci"] = _wilson_pct(f["numerator"], f["denominator"], f["status"])
            rows.append({"indicator_id": iid, "source": "dfe_ees", "source_code": iid.split(":", 1)[1],
                         "name": col if kind is None else f"{col} ({kind})", "unit": unit,
                         "definition": f"{path.name}: column {col}" + (f" where {split} = {kind}" if kind else "")})
    if not pieces:  # no measure column at all: every row is skipped, with the reason
        f = blank_frame(n)
        f["skip"] = "no measure columns in the file"
        pieces.append(f)
    notes = [*encoding, f"comparators: {', '.join(sorted(seen)) or 'none'}; "
                        f"other measure columns: {len([m for m in measures if m not in used])}", *notes]
    if version:
        notes.append(_version_note(raw[version]))
    for col in measures:
        tokens = unexpected_tokens(raw[col], numeric[col])
        if tokens:
            notes.append(token_note(col, tokens))
    return Parsed(format="dfe_ees", frame=pd.concat(pieces, ignore_index=True),
                  indicators=indicator_frame(rows), rows_read=n, notes=notes)


def _is_measure(text: pd.Series, numbers: pd.Series) -> bool:
    """A column is a measure when one cell is a number and the others are markers, short symbols (`TOKEN`: a
    stray `k`) or a few words (at most 1 in 20 cells, none of them `Total`): a stray note in a percentage
    column is a status on its cell, never what makes the column a label. A column of numbers with a Total
    row (ages, say) is a breakdown."""
    if not numbers.notna().any():
        return False
    other = clean_text(text)[numbers.isna()]
    odd = other[~(marker_key(other).isin(list(MARKERS)) | other.str.match(TOKEN.pattern))]
    if odd.empty:
        return True
    return len(odd) * 20 <= len(text) and not odd.str.lower().isin(TOTALS).any()


def _areas(raw: pd.DataFrame, areas: AreaIndex) -> tuple[pd.Series, pd.Series]:
    level = clean_text(raw["geographic_level"])
    col = lambda name: clean_text(raw[name]) if name in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    new_la, old_la = col("new_la_code"), col("old_la_code")
    # The GSS code when the areas table knows it (a former code too: `finalise` stores it under the current one),
    # else the DfE number's council: a row is never lost for a code the table lacks when its DfE number is known.
    by_number = areas.ons_for_dfe(old_la).fillna("")
    known = new_la.isin(areas.known | set(areas.recodes))
    la = new_la.where(known | (by_number == ""), by_number)
    country = col("country_code").where(col("country_code") != "", ENGLAND)
    code = pd.Series(np.select([level == "National", level == "Regional", level == "Local authority"],
                               [country, col("region_code"), la], default=""), index=raw.index)
    skip = pd.Series(None, index=raw.index, dtype="object")
    other = ~level.isin(["National", "Regional", "Local authority"])
    skip[other] = "geographic level '" + level[other] + "' is not imported"
    return code.where(code != "", None), skip


def _frame(raw, iid, vcol, numeric, area, area_skip, period, ti, dims, ctx) -> pd.DataFrame:
    f = blank_frame(len(raw))
    f["indicator_id"] = iid
    f["area_code"] = area.to_numpy()
    f["skip"] = area_skip.to_numpy()
    f["period_raw"] = period.to_numpy()
    f["time_identifier"] = ti.to_numpy()
    f["year_type"] = np.where(ti.str.lower() == "reporting year", str(ctx["census"]), None)
    f["value"] = numeric[vcol].to_numpy()
    status, note = marker_status(raw[vcol], numeric[vcol])
    f["status"], f["status_note"] = status.to_numpy(), note.to_numpy()
    varying = [d for d in dims if raw[d].nunique() > 1]
    if varying:
        types, values = [], []
        for d in varying:
            text = clean_text(raw[d])
            part = ~ctx["heads"][d] & (text != "")  # a total row is this filter's headline
            types.append(pd.Series(np.where(part, d, ""), index=raw.index))
            values.append(text.where(part, ""))
        f["breakdown_type"] = join_parts(types).replace("", "all").to_numpy(dtype=object)
        f["breakdown_value"] = join_parts(values).replace("", "all").to_numpy(dtype=object)
    if ctx["version"]:
        _apply_version(f, clean_text(raw[ctx["version"]]))
    return f


def _apply_version(f: pd.DataFrame, version: pd.Series) -> None:
    """`version` is a property of the value: a Provisional figure is stored as provisional, a Revised or Final one
    as published with its version as the note; where one file gives a figure in two versions, the most final is kept
    and the other row is skipped, saying so."""
    v = version.to_numpy(dtype=object)
    low = version.str.lower()
    number = f["status"].to_numpy() == "published"
    f.loc[number & (low == "provisional").to_numpy(), "status"] = "provisional"
    has_note = f["status_note"].notna().to_numpy()
    f.loc[~has_note & (version != "").to_numpy(), "status_note"] = "version: " + version[~has_note & (version != "")]
    rank = low.map(VERSION_RANK).fillna(0).to_numpy()
    key = (f["area_code"].astype(str) + "|" + f["period_raw"].astype(str) + "|" + f["time_identifier"].astype(str)
           + "|" + f["breakdown_type"].astype(str) + "|" + f["breakdown_value"].astype(str))
    best = pd.Series(rank, index=f.index).groupby(key.to_numpy()).transform("max").to_numpy()
    best_name = {r: n.capitalize() for n, r in VERSION_RANK.items()}
    lower = (rank < best) & f["skip"].isna().to_numpy()
    if lower.any():
        f.loc[lower, "skip"] = [f"a {x} figure: the same file gives the {best_name.get(b, 'later')} figure, which is "
                                "kept (version is a property of the value, not a breakdown)"
                                for x, b in zip(v[lower], best[lower], strict=False)]


def _version_note(version: pd.Series) -> str:
    counts = clean_text(version).value_counts()
    listed = ", ".join(f"{k} ({n:,} rows)" for k, n in counts.items())
    return (f"column version ({listed}) is kept as a property of each value, never as a breakdown: Provisional "
            "figures are stored as provisional, Revised and Final ones as published with the version as the note")


def column_unit(col: str) -> str | None:
    """A DfE indicator's unit from its column name, by DfE's naming habits: `pt_`, `_percent`, `_perc`, `_pc` a
    percentage; `t_`, `num_`, `number_`, `_count`, `headcount`, `_fte`, `enrolments`, `cases` a count; otherwise
    what the words say (`guess_unit`), else unknown."""
    low = col.lower()
    if re.search(r"^pt_|percent|_perc$|_perc_|_pc$|_pct$|^pc_", low):
        return "percentage"
    if re.search(r"^(t|num|number|n)_|_count$|^count_|headcount|_fte$|^enrolments$|^cases$|^number_of", low):
        return "count"
    return guess_unit(col.replace("_", " "))


def percent_pairs(columns: Iterable[str], numeric: dict[str, pd.Series],
                  measures: list[str]) -> dict[str, tuple[str, str]]:
    """Percentage columns whose numerator and denominator are in the same row, by DfE's naming (`pt_X` with `t_X`
    over `t_<first word>_eligible_pupils` or `t_pupils`), kept only where the published percentage is
    100 x numerator / denominator (to the rounding of all three) on every row that has all three."""
    out = {}
    cols = set(columns)
    for col in measures:
        if not col.startswith("pt_") or ("t_" + col[3:]) not in cols:
            continue
        ncol, first = "t_" + col[3:], col[3:].split("_")[0]
        for dcol in (f"t_{first}_eligible_pupils", "t_pupils", f"t_{first}_pupils"):
            if dcol not in cols or dcol == ncol:
                continue
            v, n, d = numeric[col], numeric[ncol], numeric[dcol]
            ok = v.notna() & n.notna() & d.notna() & (d > 0)
            if ok.sum() == 0:
                continue
            # the percentage is rounded, and DfE rounds the counts too (children's social care: to the nearest 10),
            # so the ratio may differ by what rounding each count by up to 5 can do
            if ((n[ok] / d[ok] * 100 - v[ok]).abs() <= 0.5 + 500 * (1 + n[ok] / d[ok]) / d[ok] + 1e-9).all():
                out[col] = (ncol, dcol)
                break
    return out


def _unit_of(kind: str) -> str | None:
    """The unit a measure's name says: 'Percent' -> percentage, 'Number' -> count, 'Rate per 10,000' -> rate."""
    text = kind.lower()
    if re.search(r"percent|%|proportion", text):
        return "percentage"
    if re.search(r"(number|count|headcount|fte)", text):
        return "count"
    return guess_unit(kind)


def _census(path: Path, ti: pd.Series) -> tuple[int, str | None]:
    """The month of a Reporting year's snapshot, and what the import report says about it."""
    if not (ti.str.lower() == "reporting year").any():
        return 3, None
    for pattern, month, what in CENSUS_BY_FILE:
        if pattern.search(path.stem):
            return month, (f"Reporting year read as a snapshot at {what} (the publication, by the file's name): "
                           "each year ends then, not on 31 March")
    return 3, ("Reporting year read as a snapshot at 31 March, as children in need and children looked after are "
               "counted (the file does not say when; 2025 is the year to 31 March 2025)")


def _wilson_pct(num: pd.Series, den: pd.Series, status: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ok = (status == "published") & num.notna() & den.notna() & (den > 0) & (num >= 0) & (num <= den)
    lo = np.full(len(num), np.nan)
    hi = np.full(len(num), np.nan)
    if ok.any():
        lo[ok.to_numpy()], hi[ok.to_numpy()] = intervals.wilson_limits(num[ok].to_numpy(), den[ok].to_numpy())
        lo, hi = lo * 100, hi * 100
    return lo, hi
