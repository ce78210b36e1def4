"""The SQL of published statistics and of a new database: the areas, the indicators, the publishers' own comparisons
and raw files of an import, the standings read against England, and what `kpis.setup.bootstrap` writes (the
framework's indicators, meetings and settings, the demo's dates). `kpis.published` and `kpis.setup` call these by
name; the checks of an import's candidates are in `reference_checks`, LAIT's own in `reference_lait`."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from kpis.core.areas import AREA_COLUMNS, NEIGHBOUR_COLUMNS
from kpis.core.kpi import Kpi
from kpis.store.database import Store
from kpis.store.observations import observations_as_at


# -- areas ---------------------------------------------------------------------------------------------------------
def area_table(store: Store) -> pd.DataFrame:
    """The areas table as an import places codes and names with it."""
    return store.df("SELECT area_code, dfe_code, name, area_type, valid_to, successor_code FROM areas")


def area_count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM areas"))


def neighbour_count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM statistical_neighbours"))


def insert_areas(cur: duckdb.DuckDBPyConnection, areas: pd.DataFrame) -> None:
    """Add areas (columns `AREA_COLUMNS`, in order)."""
    cur.register("incoming_areas", areas)
    cur.execute(f"INSERT INTO areas ({', '.join(AREA_COLUMNS)}) SELECT * FROM incoming_areas")
    cur.unregister("incoming_areas")


def insert_neighbours(cur: duckdb.DuckDBPyConnection, neighbours: pd.DataFrame) -> None:
    """Add statistical neighbours (columns `NEIGHBOUR_COLUMNS`, in order)."""
    cur.register("incoming_neighbours", neighbours)
    cur.execute(f"INSERT INTO statistical_neighbours ({', '.join(NEIGHBOUR_COLUMNS)}) "
                "SELECT * FROM incoming_neighbours")
    cur.unregister("incoming_neighbours")


# -- what an import writes besides the observations ------------------------------------------------------------
def store_import_file(cur: duckdb.DuckDBPyConnection, *, raw_name: str, batch_id: int, file_name: str, sha256: str,
                      content: bytes) -> None:
    """One imported file's bytes (an import batch may hold several files)."""
    cur.execute("INSERT INTO raw_files VALUES (?,?,?,?,?,?)",
                [raw_name, batch_id, file_name, sha256, len(content), content])


def upsert_indicators(cur: duckdb.DuckDBPyConnection, indicators: pd.DataFrame) -> None:
    """Add source indicators, or refresh them; a field we do not know (None) keeps its stored value. The first
    column is `indicator_id`; the others are columns of the indicators table."""
    fields = list(indicators.columns)
    cur.register("incoming_indicators", indicators)
    try:
        keep = ", ".join(f"{c} = coalesce(excluded.{c}, indicators.{c})" for c in fields[1:])
        cur.execute(f"INSERT INTO indicators ({', '.join(fields)}) "
                    f"SELECT {', '.join(fields)} FROM incoming_indicators "
                    f"ON CONFLICT (indicator_id) DO UPDATE SET {keep}")
    finally:
        cur.unregister("incoming_indicators")


def store_published_comparisons(cur: duckdb.DuckDBPyConnection, batch_id: int, column: str = "published_comparison",
                                versus: str = "England") -> None:
    """The publisher's "Compared to England" label (or the region's, `versus`) of every value kept, where it is new
    or has changed (the
    label it replaces is kept, no longer current). Run only for a file that carries labels: a value such a file
    publishes without one ends the label that value had, since what the publisher said before is history, not
    what it says now (a blank label row, never current, marks when)."""
    keys = ("indicator_id", "area_code", "breakdown_type", "breakdown_value", "period_label")
    on = " AND ".join(f"p.{k} = i.{k}" for k in keys)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE incoming_labels AS
        SELECT {", ".join(f"f.{k}" for k in keys)}, '{versus}' AS versus, c.{column} AS label
        FROM final_obs f JOIN cand c ON c._row = f._row AND c.indicator_id = f.indicator_id""")
    # a label ended with nothing in its place leaves a marker (blank, never current), so that the board as known
    # at a later date does not read the ended label back as the publisher's word
    cur.execute(f"""
        INSERT INTO published_comparisons
        SELECT {", ".join(f"i.{k}" for k in keys)}, i.versus, '', ?, false
        FROM incoming_labels i JOIN published_comparisons p ON p.is_current AND p.versus = i.versus AND {on}
        WHERE i.label IS NULL""", [batch_id])
    cur.execute(f"""
        UPDATE published_comparisons p SET is_current = false FROM incoming_labels i
        WHERE p.is_current AND p.versus = i.versus AND {on} AND p.label IS DISTINCT FROM i.label""")
    cur.execute(f"""
        INSERT INTO published_comparisons
        SELECT i.*, ?, true FROM incoming_labels i
        WHERE i.label IS NOT NULL AND NOT EXISTS (SELECT 1 FROM published_comparisons p WHERE p.is_current
                                                  AND p.versus = i.versus AND {on})""", [batch_id])
    cur.execute("DROP TABLE incoming_labels")


# -- reading what is published against England -------------------------------------------------------------------
def publisher_labels(store: Store, home: str, wanted: list[tuple[str, str]],
                     as_at: datetime | None = None) -> list[tuple[str, str, str]]:
    """(indicator id, period label, label): the publisher's own comparison with England of `home`'s headline value,
    for each wanted (indicator id, period label) that has one, as known at `as_at` (None: now); one query."""
    when = "p.is_current" if as_at is None else "b.submitted_at <= ?"
    params: list[Any] = [[w[0] for w in wanted], [w[1] for w in wanted], home]
    if as_at is not None:
        params.append(pd.Timestamp(as_at).to_pydatetime())
    df = store.df(f"""
        WITH wanted AS (SELECT unnest(?::VARCHAR[]) AS indicator_id, unnest(?::VARCHAR[]) AS period_label)
        SELECT p.indicator_id, p.period_label, p.label
        FROM published_comparisons p JOIN batches b ON b.batch_id = p.batch_id
        JOIN wanted w ON w.indicator_id = p.indicator_id AND w.period_label = p.period_label
        WHERE p.area_code = ? AND p.versus = 'England' AND p.breakdown_type = 'all' AND p.breakdown_value = 'all'
              AND {when}
        QUALIFY row_number() OVER (PARTITION BY p.indicator_id, p.period_label
                                   ORDER BY b.submitted_at DESC, p.batch_id DESC) = 1""", params)
    return list(df.itertuples(index=False, name=None))


def standing_rows(store: Store, *, series: list[tuple[str, str, date | None]], home: str, england: str,
                  council_type: str, as_at: datetime | None = None) -> list[dict[str, Any]]:
    """For each requested series (its indicator id, the id of its totals or '', the end of the local period or
    None), numbered `k` from 0 in the order given: the rows of every area in the newest period with a `home` and an
    `england` figure ending on or before that end, headline breakdown only, as known at `as_at`, with whether the
    area is a current council (`council_type`) and how many current councils there are. One query for all."""
    ids = sorted({i for own, total, _ in series for i in (own, total) if i})
    sql = f"""
        WITH obs AS (
            SELECT indicator_id, area_code, period_label, period_end, value, numerator, denominator, lower_ci, upper_ci
            FROM ({observations_as_at(as_at)}) o
            WHERE indicator_id IN (SELECT unnest(?)) AND breakdown_type = 'all' AND value IS NOT NULL),
        wanted AS (SELECT unnest(?) AS k, unnest(?) AS iid, unnest(?) AS total_id, CAST(unnest(?) AS DATE) AS until),
        pick AS (
            SELECT w.k, w.iid, w.total_id, h.period_label
            FROM wanted w JOIN obs h ON h.indicator_id = w.iid AND h.area_code = ?
            JOIN obs e ON e.indicator_id = w.iid AND e.area_code = ? AND e.period_label = h.period_label
            WHERE w.until IS NULL OR h.period_end <= w.until
            QUALIFY row_number() OVER (PARTITION BY w.k ORDER BY h.period_end DESC) = 1)
        SELECT p.k, o.*, (a.area_type = ? AND a.valid_to IS NULL) AS is_council,
               (SELECT count(*) FROM areas WHERE area_type = ? AND valid_to IS NULL) AS n_councils
        FROM pick p JOIN obs o ON o.period_label = p.period_label AND o.indicator_id IN (p.iid, p.total_id)
        LEFT JOIN areas a ON a.area_code = o.area_code"""
    params = [ids, list(range(len(series))), [s[0] for s in series], [s[1] for s in series], [s[2] for s in series],
              home, england, council_type, council_type]
    cur = store.cursor()
    try:  # plain tuples: a few hundred rows, no DataFrame needed
        result = cur.execute(sql, params)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=False)) for row in result.fetchall()]
    finally:
        cur.close()


# -- a new database (kpis.setup.bootstrap) ----------------------------------------------------------------------------
def save_framework_indicators(cur: duckdb.DuckDBPyConnection, kpis: Iterable[Kpi]) -> None:
    """Each framework KPI as an indicator of source 'framework' (replacing what was stored for it)."""
    for k in kpis:
        cur.execute("INSERT OR REPLACE INTO indicators (indicator_id, source, source_code, name, unit, polarity, "
                    "definition, methodology, kpi_id, next_update) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [k.id, "framework", k.id, k.title, k.unit, k.polarity, k.definition, k.methodology,
                     k.id, k.next_update])


def add_meetings(cur: duckdb.DuckDBPyConnection, dates: Iterable[str], name: str) -> None:
    """The meetings on `dates` (ISO dates) not already stored, each called `name`."""
    for m in dates:
        cur.execute("INSERT OR IGNORE INTO meetings VALUES (?, ?)", [m, name])


def save_framework_settings(cur: duckdb.DuckDBPyConnection, *, path: str, partnership: str, home_area: str) -> None:
    cur.execute("INSERT OR REPLACE INTO settings VALUES ('framework', ?), ('partnership', ?), ('home_area', ?)",
                [path, partnership, home_area])


def framework_digest(cur: duckdb.DuckDBPyConnection) -> tuple[str] | None:
    """The row holding the SHA-256 of the framework file last loaded; None when none was recorded."""
    return cur.execute("SELECT value FROM settings WHERE key = 'framework_sha256'").fetchone()


def save_framework_digest(cur: duckdb.DuckDBPyConnection, digest: str) -> None:
    cur.execute("INSERT OR REPLACE INTO settings VALUES ('framework_sha256', ?)", [digest])


def mark_demo(cur: duckdb.DuckDBPyConnection) -> None:
    """Record that the database holds the demo."""
    cur.execute("INSERT OR REPLACE INTO settings VALUES ('demo', 'true')")


def date_imports_by_publication(cur: duckdb.DuckDBPyConnection, lag_months: int) -> None:
    """The first, current version of each imported figure dated `lag_months` after its period ends, never later
    than the import itself."""
    cur.execute(f"""
        UPDATE observations SET valid_from = least(valid_from,
            CAST(period_end + INTERVAL {int(lag_months)} MONTH AS TIMESTAMP))
        WHERE version = 1 AND valid_to IS NULL
          AND batch_id IN (SELECT batch_id FROM batches WHERE kind = 'import')""")


def home_published_observations(store: Store, home: str, indicator_ids: list[str]) -> pd.DataFrame:
    """The current observations of `home` on the indicators given, every breakdown."""
    return store.df("""SELECT indicator_id, breakdown_type, breakdown_value, period_label, period_start, period_end,
                              value, numerator, denominator, lower_ci, upper_ci
                       FROM current_observations WHERE area_code = ? AND indicator_id IN (SELECT unnest(?))""",
                    [home, indicator_ids])


def demo_submission_count(store: Store) -> int:
    """How many demo returns are stored."""
    return int(store.scalar("SELECT count(*) FROM batches WHERE kind = 'submission' AND is_demo"))


def current_headline(store: Store, indicator_id: str, period_label: str) -> pd.DataFrame:
    """The current observation of an indicator's 'all' breakdown in one period (every column), if there is one."""
    return store.df("SELECT * FROM current_observations WHERE indicator_id = ? AND breakdown_type = 'all' "
                    "AND period_label = ?", [indicator_id, period_label])
