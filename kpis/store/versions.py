"""Observations across their versions: figures first recorded in a window, figures revised in it, and a KPI's
revised values. Each reads the version chain `write_observations` keeps (version 1, 2, ...; valid_from, valid_to)."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from kpis.store.database import Store
from kpis.store.series import SOURCE_LABEL_SQL
from kpis.store.shortening import shortened_from

# Per series (indicator and area) of figures first recorded in the window: the overall figures (count, first and
# last period by period end, the last one's value, status and demo flag), the figures for groups, the periods, when
# they were recorded, and their sources in the order they arrived.
NEW_DATA_SQL = """
WITH n AS (
    SELECT o.obs_id, o.indicator_id, o.area_code, o.breakdown_type, o.period_label, o.period_end, o.value,
           o.is_demo, o.status, o.valid_from, {source} AS source
    FROM observations o LEFT JOIN batches b ON b.batch_id = o.batch_id
    WHERE o.version = 1 AND o.valid_from > $since AND o.valid_from <= $until
      AND o.area_code IN ($home, $england) AND o.indicator_id IN (SELECT unnest($ids))),
sources AS (
    SELECT indicator_id, area_code, string_agg(source, ', ' ORDER BY first_seen) AS sources
    FROM (SELECT indicator_id, area_code, source, min(obs_id) AS first_seen FROM n GROUP BY ALL)
    GROUP BY ALL)
SELECT indicator_id, area_code,
       count(*) FILTER (WHERE breakdown_type = 'all') AS overall,
       count(*) FILTER (WHERE breakdown_type <> 'all') AS groups,
       count(DISTINCT period_label) AS periods,
       arg_min(period_label, (period_end, obs_id)) FILTER (WHERE breakdown_type = 'all') AS first_label,
       arg_max(period_label, (period_end, obs_id)) FILTER (WHERE breakdown_type = 'all') AS last_label,
       arg_max(value, (period_end, obs_id)) FILTER (WHERE breakdown_type = 'all') AS last_value,
       arg_max(status, (period_end, obs_id)) FILTER (WHERE breakdown_type = 'all') AS last_status,
       arg_max(is_demo, (period_end, obs_id)) FILTER (WHERE breakdown_type = 'all') AS last_is_demo,
       max(valid_from) AS recorded, any_value(s.sources) AS sources
FROM n JOIN sources s USING (indicator_id, area_code)
GROUP BY indicator_id, area_code"""


def new_figures_summary(store: Store, *, since: datetime, until: datetime, area_codes: tuple[str, str],
                        indicator_ids: list[str]) -> pd.DataFrame:
    """One row per indicator and area (of the two given) of the figures first recorded after `since`, up to
    `until`: see NEW_DATA_SQL."""
    home, england = area_codes
    return store.df(NEW_DATA_SQL.format(source=SOURCE_LABEL_SQL),
                    {"since": since, "until": until, "home": home, "england": england, "ids": indicator_ids})


def revised_figures(store: Store, *, since: datetime, until: datetime, area_codes: tuple[str, str],
                    indicator_ids: list[str]) -> pd.DataFrame:
    """Figures of these areas and indicators whose new version was recorded in the window, oldest first, with the
    value and status they replaced, the commentary (shortened) and the source of the new one."""
    return store.df(f"""
        SELECT n.indicator_id, n.area_code, n.breakdown_type, n.breakdown_value, n.period_label, n.period_end,
               p.value AS old_value, n.value AS new_value, p.status AS old_status, n.status AS new_status,
               n.valid_from, n.commentary, n.is_demo, {SOURCE_LABEL_SQL} AS source
        FROM {shortened_from("observations")} n
        JOIN observations p ON p.indicator_id = n.indicator_id AND p.area_code = n.area_code
             AND p.breakdown_type = n.breakdown_type AND p.breakdown_value = n.breakdown_value
             AND p.period_label = n.period_label AND p.version = n.version - 1
        LEFT JOIN batches b ON b.batch_id = n.batch_id
        WHERE n.version > 1 AND n.valid_from > ? AND n.valid_from <= ?
          AND n.area_code IN (?, ?) AND n.indicator_id IN (SELECT unnest(?))
        ORDER BY n.valid_from, n.indicator_id""", [since, until, *area_codes, indicator_ids])


def changed_value_versions(store: Store, indicator_ids: list[str], area_codes: tuple[str, str]) -> pd.DataFrame:
    """Every version of every value (of these indicators and areas) that was ever changed, oldest first within
    each value: value, status, when current, commentary (shortened), demo flag and source."""
    return store.df(f"""
        WITH changed AS (
            SELECT indicator_id, area_code, breakdown_type, breakdown_value, period_label FROM observations
            WHERE indicator_id IN (SELECT unnest(?)) AND area_code IN (?, ?)
            GROUP BY ALL HAVING count(*) > 1)
        SELECT o.area_code, o.breakdown_type, o.breakdown_value, o.period_label, o.period_end, o.version,
               o.value, o.status, o.valid_from, o.valid_to, o.commentary, o.is_demo, {SOURCE_LABEL_SQL} AS source
        FROM {shortened_from("observations")} o
        JOIN changed USING (indicator_id, area_code, breakdown_type, breakdown_value, period_label)
        LEFT JOIN batches b ON b.batch_id = o.batch_id
        ORDER BY o.period_end, o.area_code, o.breakdown_type, o.breakdown_value, o.version""",
                    [indicator_ids, *area_codes])
