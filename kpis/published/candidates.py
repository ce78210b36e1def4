"""From a reader's candidate observations to the observations to store: areas checked, periods parsed, duplicates
dropped, in DuckDB (the SQL is `kpis.store.reference_checks`), so a 600,000-row file takes seconds."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import duckdb
import pandas as pd

from kpis.core.dfe_periods import dfe_period, is_dfe_identifier
from kpis.core.units import STATUSES
from kpis.published.common import OBS_FIELDS, AreaIndex
from kpis.store.reference_checks import (
    candidate_periods,
    checked_groups,
    checked_source_rows,
    create_candidates,
    create_checked,
    create_final_view,
    create_known_areas,
    create_period_map,
    rank_duplicates,
    recoded_counts,
)


def register_candidates(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Make the table `cand` (OBS_FIELDS, typed) from a reader's pandas frame."""
    create_candidates(con, frame[OBS_FIELDS])


def known_areas_table(con: duckdb.DuckDBPyConnection, areas: AreaIndex) -> None:
    """The temp table `known_areas`: every area code of the areas table."""
    create_known_areas(con, sorted(areas.known), sorted(areas.recodes.items()))


def recoded_notes(con: duckdb.DuckDBPyConnection, areas: AreaIndex) -> list[str]:
    """The import report's notes on rows stored under a council's current code (table `checked`, column
    `recoded_from`, when `finalise` made it)."""
    try:
        got = recoded_counts(con)
    except duckdb.Error:
        return []
    return [areas.recode_note(old, new, n) for old, new, n in got]


def period_table(con: duckdb.DuckDBPyConnection, combos: list[tuple], parse_period: Callable,
                 period_error: type) -> None:
    """The temp table `pmap`: each distinct (period_raw, time_identifier, year_type) of `combos`
    (None for none) parsed once, in Python, with its label, type, dates, or the reason it is not understood."""
    parsed = []
    for raw, ti, yt in combos:
        raw, ti, yt = raw or "", ti or "", yt or ""
        try:
            if is_dfe_identifier(ti):  # DfE's own list, read by its own rules; yt: a Reporting year's census month
                p = dfe_period(raw, ti, census_month=int(yt) if yt.isdigit() else 3)
            else:
                p = parse_period(raw, time_identifier=ti or None, year_type=yt or None)
            parsed.append((raw, ti, yt, p.label, p.type, p.start, p.end, None))
        except (period_error, ValueError) as exc:
            parsed.append((raw, ti, yt, None, None, None, None, period_reason(raw, ti, yt, exc)))
    pmap = pd.DataFrame(parsed, columns=["period_raw", "time_identifier", "year_type", "period_label",
                                         "period_type", "period_start", "period_end", "pskip"])
    create_period_map(con, pmap.astype("object").where(pmap.notna(), None))


def period_reason(raw: str, ti: str, yt: str, exc: Exception) -> str:
    """Why a period was not understood, naming the time identifier (or year type) and what was expected."""
    why = getattr(exc, "reason", "") or ""
    if is_dfe_identifier(ti):
        detail = why.split(": ", 1)[-1] or "see DfE's list"
        return f"time_identifier '{ti}': time_period '{raw}' not understood ({detail})"
    if ti:
        return (f"time_identifier '{ti}' (not one of DfE's time identifiers): time_period '{raw}' not understood"
                + (f" ({why})" if why else ""))
    hint = f" (year type '{yt}')" if yt and not yt.isdigit() else ""
    return f"period not understood: '{raw}'{hint}" + (f": {why}" if why else "")


def check_statuses(statuses: Iterable[str]) -> None:
    bad = sorted({st for st in statuses if st not in STATUSES})
    if bad:  # a reader's mistake, not the file's: every marker maps to a known status
        raise ValueError(f"Unknown status value(s) {bad}; expected one of {', '.join(STATUSES)}")


def finalise(con: duckdb.DuckDBPyConnection, areas: AreaIndex, parse_period: Callable,
             period_error: type) -> tuple[int, dict[str, int], list[str]]:
    """From table or view `cand`: check areas, parse periods, drop duplicates.

    Leaves the view `final_obs` (`_row` and the columns `OUT`: one row per observation to store) in
    `con` for `kpis.store.database.write_observations_from`, and returns the number of source rows imported,
    the reasons (with counts) for the rows skipped and the indicators of the values kept. Periods are
    parsed once per distinct text, in Python; everything else is set-based SQL.
    """
    known_areas_table(con, areas)
    period_table(con, candidate_periods(con), parse_period, period_error)
    create_checked(con)
    # One pass: rows by indicator and reason, and the distinct keys kept.
    groups = checked_groups(con)
    check_statuses(st for g in groups for st in (g[4] or []))
    kept = sum(n for _, r, n, _, _ in groups if r is None)
    if kept != sum(d for _, r, _, d, _ in groups if r is None):  # two rows share a key
        return rank_duplicates(con)
    used = sorted({i for i, r, _, _, _ in groups if r is None})
    # A source row may give several values (value columns): it is skipped when none is kept.
    per_row = checked_source_rows(con)
    reasons = {r: n for k, r, n in sorted(per_row, key=lambda x: (-x[2], str(x[1]))) if not k}
    imported = sum(n for k, _, n in per_row if k)
    create_final_view(con)
    return int(imported), reasons, used
