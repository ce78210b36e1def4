"""Create a database: schema, areas, the framework's indicators and meetings, and the demo."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from kpis.core.framework import Framework
from kpis.core.periods import Period
from kpis.setup import demo
from kpis.setup.demo_meetings import add_demo_meetings
from kpis.store.audit import audit
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store, now
from kpis.store.narratives import write_narrative
from kpis.store.observations import write_observations
from kpis.store.reference import (
    add_meetings,
    area_count,
    current_headline,
    date_imports_by_publication,
    demo_submission_count,
    framework_digest,
    home_published_observations,
    mark_demo,
    save_framework_digest,
    save_framework_indicators,
    save_framework_settings,
)


@dataclass
class InitReport:
    schema_version: int
    areas: int
    kpis: int
    imports: list[dict] = field(default_factory=list)
    demo_batches: int = 0
    demo_values: int = 0
    demo_meeting_records: int = 0


def register_framework(store: Store, framework: Framework) -> None:
    """Record the framework's KPIs as indicators and its board meetings."""
    with store.transaction() as cur:
        save_framework_indicators(cur, framework.kpis)
        add_meetings(cur, framework.meetings, "Partnership board")
        save_framework_settings(cur, path=framework.path, partnership=framework.name, home_area=framework.home_area)
        _audit_framework_change(cur, framework)


def _audit_framework_change(cur: duckdb.DuckDBPyConnection, framework: Framework) -> None:
    """An audit entry when the framework file loaded is new or has changed since the last load."""
    from pathlib import Path

    from kpis.access.permissions import command_line_actor
    path = Path(framework.path)
    digest = hashlib.sha256(path.read_bytes() if path.is_file() else ",".join(framework.kpi_ids).encode()).hexdigest()
    old = framework_digest(cur)
    if old and old[0] == digest:
        return
    save_framework_digest(cur, digest)
    audit(cur, actor=command_line_actor().email, action="framework", at=now(),
          detail={"file": path.name, "sha256": digest, "kpis": framework.kpi_ids, "changed": bool(old)})


def initialise(store: Store, framework: Framework, *, with_demo: bool = False) -> InitReport:
    from kpis.published import importer  # imported here: a bare `init` needs only the areas

    importer.load_areas_table(store)
    register_framework(store, framework)
    report = InitReport(schema_version=store.schema_version(),
                        areas=area_count(store), kpis=len(framework.kpis))
    if with_demo:
        files = [*importer.REFERENCE_FILES, *importer.RELATED_FILES]
        for r in importer.load_reference_data(store, framework=framework, files=files):
            report.imports.append(r.to_dict())
        date_demo_imports_by_publication(store)
        report.demo_batches, report.demo_values = add_demo_returns(store, framework)
        report.demo_meeting_records = add_demo_meetings(store, framework)
        with store.transaction() as cur:
            mark_demo(cur)
    store.checkpoint()
    return report


PUBLICATION_LAG_MONTHS = 7


def date_demo_imports_by_publication(store: Store) -> None:
    """Date each imported figure from when it would have been published, not from when the demo was built.

    The demo pretends the partnership has used the dashboard since 2023, so that "as at" a past board
    meeting shows the England figures known then. Official statistics appear some months after their
    period ends (DfE children in need: about 7 months; EYFS: about 3); the demo uses one estimate,
    period end + 7 months, never later than the import itself. Only first versions from imports change.
    """
    with store.transaction() as cur:
        date_imports_by_publication(cur, PUBLICATION_LAG_MONTHS)


def published_home_series(store: Store, framework: Framework) -> dict[str, pd.DataFrame]:
    """Per KPI with a comparator, the home area's published figures of it, as stored (every breakdown)."""
    wanted = {k.id: k.comparator.indicator_id for k in framework.kpis if k.comparator is not None}
    if not wanted:
        return {}
    df = home_published_observations(store, framework.home_area, list(set(wanted.values())))
    return {kid: df[df["indicator_id"] == iid].reset_index(drop=True) for kid, iid in wanted.items()}


def add_demo_returns(store: Store, framework: Framework) -> tuple[int, int]:
    """One synthetic return per sub-group per quarter, dated when it would have arrived.

    Where the home area's figure of a KPI is published, the demo follows the publication (see
    `demo.demo_rows`). The framework's [demo] table may name an outcome area whose latest return is left
    out (`missing_return`: a missing return) and a KPI whose previous figure the latest return revises
    (`revised_kpi`), so the demo shows what real data looks like.
    """
    if demo_submission_count(store):
        return 0, 0
    rng = np.random.default_rng(demo.SEED)
    quarters = demo.demo_quarters()
    everything = demo.demo_rows(framework, quarters, rng, published_home_series(store, framework))
    missing = framework.demo.get("missing_return")
    revised = framework.demo.get("revised_kpi")
    # A KPI with a published home figure is never revised: the demo would then contradict the publication.
    revised_area = (framework.kpi(revised).area if revised in framework.kpi_ids
                    and framework.kpi(revised).comparator is None else None)
    batches = values = 0
    for i, quarter in enumerate(quarters):
        # the quarter's rows: the quarter itself, or the three months of a monthly KPI
        frame = everything[(pd.to_datetime(everything["period_start"]) >= pd.Timestamp(quarter.start))
                           & (pd.to_datetime(everything["period_end"]) <= pd.Timestamp(quarter.end))]
        at = demo.submitted_at(quarter)
        for area in framework.areas:
            if area.id == missing and quarter == quarters[-1]:
                continue
            kpi_ids = [k.id for k in framework.kpis_in_area(area.id)]
            rows = frame[frame["indicator_id"].isin(kpi_ids)]
            if rows.empty:
                continue
            if area.id == revised_area and i == len(quarters) - 1:
                rows = pd.concat([rows, _revision(store, framework, revised, quarters[i - 1])])
            with store.transaction() as cur:
                bid = start_batch(cur, kind="submission", at=at, source="demo", submitted_by=demo.DEMO_SUBMITTER,
                                  outcome_area=area.id, period_label=quarter.label,
                                  file_name=f"demo-{area.id}-{quarter.label.replace('/', '-')}.xlsx", is_demo=True,
                                  note="Demo data (synthetic)")
                counts = write_observations(cur, batch_id=bid, rows=rows, at=at)
                if quarter.label.endswith(("Q2", "Q4")):  # narratives twice a year
                    write_narrative(cur, batch_id=bid, at=at, outcome_area=area.id, period_label=quarter.label,
                                    publishable=True, is_demo=True, **demo.demo_narrative(area.name, quarter, rng))
                finish_batch(cur, bid, rows_read=len(rows), rows_imported=len(rows), counts=counts)
                audit(cur, actor=demo.DEMO_SUBMITTER, action="submission", at=at,
                      detail={"batch_id": bid, "area": area.id, "period": quarter.label, "demo": True})
            batches += 1
            values += counts["new"] + counts["changed"]
    return batches, values


def _revision(store: Store, framework: Framework, kpi_id: str, quarter: Period) -> pd.DataFrame:
    """The previous quarter's 'all' value of a percentage KPI, corrected upwards by two."""
    old = current_headline(store, kpi_id, quarter.label)
    if old.empty or pd.isna(old.loc[0, "numerator"]) or old.loc[0, "numerator"] + 2 > old.loc[0, "denominator"]:
        return old.iloc[0:0]
    row = old.iloc[0].to_dict()
    row["numerator"] += 2
    row["value"] = 100.0 * row["numerator"] / row["denominator"]
    row["commentary"] = framework.demo.get("revision_note",
                                           "Revised: two cases were recorded late in the case system (demo data).")
    from kpis.core import intervals
    lo, hi = intervals.wilson_interval(int(row["numerator"]), int(row["denominator"]))
    row["lower_ci"], row["upper_ci"] = 100 * lo, 100 * hi
    return pd.DataFrame([row])
