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
from pathlib import Path

import numpy as np
import pandas as pd

from kpis.core import stats
from kpis.core.framework import Framework
from kpis.published.common import (
    ENGLAND, MARKERS, TOKEN, TOTALS, AreaIndex, Parsed, blank_frame, clean_text, guess_unit, indicator_frame,
    join_parts, marker_key, marker_status, read_text_csv, to_number, token_note, unexpected_tokens,
)

REQUIRED = {"time_period", "time_identifier", "geographic_level"}
GEOGRAPHY = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "old_la_code", "new_la_code", "la_name", "lad_code", "lad_name", "opportunity_area_code",
             "opportunity_area_name", "pcon_code", "pcon_name", "ward_code", "ward_name", "lsip_code", "lsip_name",
             "english_devolved_area_code", "english_devolved_area_name", "school_urn", "school_laestab",
             "school_name", "trust_id", "trust_name", "sponsor_id", "sponsor_name", "local_enterprise_partnership_code",
             "local_enterprise_partnership_name", "rsc_region_lead_name", "mat_id", "mat_name", "la_code"}


def matches(columns: list[str]) -> bool:
    return REQUIRED <= set(columns)


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
                   [d for d in dims if d not in (opts.get("filters") or {})])
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
    for col in measures:
        if col in used:
            continue
        iid = f"dfe_ees:{stem}:{col}"
        pieces.append(_frame(raw, iid, col, numeric, area, area_skip, period, ti, dims))
        rows.append({"indicator_id": iid, "source": "dfe_ees", "source_code": f"{stem}:{col}", "name": col,
                     "unit": guess_unit(col.replace("_", " ")) or ("percentage" if col.endswith(("percent", "_pc"))
                                                                  else None),
                     "definition": f"{path.name}: column {col}"})
    if not pieces:  # no measure column at all: every row is skipped, with the reason
        f = blank_frame(n)
        f["skip"] = "no measure columns in the file"
        pieces.append(f)
    notes = encoding + [f"comparators: {', '.join(sorted(seen)) or 'none'}; "
             f"other measure columns: {len([m for m in measures if m not in used])}"]
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
    la = new_la.where(new_la != "", areas.ons_for_dfe(old_la).fillna(""))
    country = col("country_code").where(col("country_code") != "", ENGLAND)
    code = pd.Series(np.select([level == "National", level == "Regional", level == "Local authority"],
                               [country, col("region_code"), la], default=""), index=raw.index)
    skip = pd.Series(None, index=raw.index, dtype="object")
    other = ~level.isin(["National", "Regional", "Local authority"])
    skip[other] = "geographic level '" + level[other] + "' is not imported"
    return code.where(code != "", None), skip


def _frame(raw, iid, vcol, numeric, area, area_skip, period, ti, dims) -> pd.DataFrame:
    f = blank_frame(len(raw))
    f["indicator_id"] = iid
    f["area_code"] = area.to_numpy()
    f["skip"] = area_skip.to_numpy()
    f["period_raw"] = period.to_numpy()
    f["time_identifier"] = ti.to_numpy()
    f["value"] = numeric[vcol].to_numpy()
    status, note = marker_status(raw[vcol], numeric[vcol])
    f["status"], f["status_note"] = status.to_numpy(), note.to_numpy()
    varying = [d for d in dims if raw[d].nunique() > 1]
    if varying:
        types, values = [], []
        for d in varying:
            text = clean_text(raw[d])
            part = ~text.str.lower().isin(TOTALS) & (text != "")  # a Total row is the headline of this dimension
            types.append(pd.Series(np.where(part, d, ""), index=raw.index))
            values.append(text.where(part, ""))
        f["breakdown_type"] = join_parts(types).replace("", "all").to_numpy(dtype=object)
        f["breakdown_value"] = join_parts(values).replace("", "all").to_numpy(dtype=object)
    return f


def _wilson_pct(num: pd.Series, den: pd.Series, status: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ok = (status == "published") & num.notna() & den.notna() & (den > 0) & (num >= 0) & (num <= den)
    lo = np.full(len(num), np.nan)
    hi = np.full(len(num), np.nan)
    if ok.any():
        lo[ok.to_numpy()], hi[ok.to_numpy()] = stats.wilson_limits(num[ok].to_numpy(), den[ok].to_numpy())
        lo, hi = lo * 100, hi * 100
    return lo, hi
