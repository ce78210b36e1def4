"""SPC rebases: an administrator records a change of definition or of service on a date for a KPI, after which
its process limits restart (NHS England, Making Data Count; issue 21).

Each is stored (`kpis.store.rebases`), versioned (removing one keeps it, closed, with who and why) and audited. The
framework file may declare rebases too (``rebase = [{date = ..., reason = ...}]`` on a KPI); `rebases_for` gives
both, as the verdict and the chart use them.
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from kpis.access.permissions import Actor, require
from kpis.core.dates import long_date
from kpis.core.framework import Framework
from kpis.core.kpi import Kpi, Rebase
from kpis.store import rebases as stored
from kpis.store.audit import audit
from kpis.store.database import Store, now

MAX_REASON_CHARS = 300

__all__ = ["add_rebase", "all_rebases", "rebases_for", "remove_rebase"]


def merge(*groups: tuple[Rebase, ...] | list[Rebase]) -> tuple[Rebase, ...]:
    """Rebases from several places, oldest first; of two on one date the first given wins (the framework's)."""
    out: dict[date, Rebase] = {}
    for group in groups:
        for r in group:
            out.setdefault(r.date, r)
    return tuple(sorted(out.values(), key=lambda r: r.date))


def rebases_for(store: Store, kpi: Kpi, *, as_at: datetime | None = None) -> tuple[Rebase, ...]:
    """The KPI's rebases in force at `as_at` (None: now): the framework file's and the stored ones."""
    return merge(kpi.rebases, stored.stored_rebases(store, [kpi.id], as_at=as_at).get(kpi.id, ()))


def all_rebases(store: Store, framework: Framework, *, as_at: datetime | None = None) -> dict[str, tuple[Rebase, ...]]:
    """Every KPI's rebases in force at `as_at`, in one query (KPIs without any are left out)."""
    found = stored.stored_rebases(store, framework.kpi_ids, as_at=as_at)
    out = {k.id: merge(k.rebases, found.get(k.id, ())) for k in framework.kpis}
    return {k: v for k, v in out.items() if v}


def _clean_reason(reason: str | None, what: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ValueError(f"Give a reason for {what}: what changed, in words the board can read.")
    if len(text) > MAX_REASON_CHARS:
        raise ValueError(f"The reason is {len(text)} characters long; keep it to {MAX_REASON_CHARS} or fewer.")
    return text


def add_rebase(store: Store, framework: Framework, *, actor: Actor, kpi_id: str, on: date, reason: str,
               at: datetime | None = None) -> int:
    """Record a rebase (administrators only); its stored id. The limits restart with the first period ending on
    or after `on`."""
    require(actor, "admin")
    if kpi_id not in framework.kpi_ids:
        raise ValueError(f"There is no KPI '{kpi_id}' in {framework.short_name}'s framework.")
    if not isinstance(on, date):
        raise ValueError("Give the date of the change as a date, such as 1 April 2025.")
    if isinstance(on, datetime):
        on = on.date()
    reason = _clean_reason(reason, "the rebase")
    kpi = framework.kpi(kpi_id)
    if any(r.date == on for r in rebases_for(store, kpi)):
        raise ValueError(f"{kpi_id} already has a rebase on {long_date(on)}.")
    at = at or now()
    with store.transaction() as cur:
        rebase_id = stored.insert_rebase(cur, kpi_id=kpi_id, rebase_date=on, reason=reason,
                                         recorded_by=actor.email, at=at)
        audit(cur, actor=actor.email, action="rebase_added", at=at,
              detail={"rebase_id": rebase_id, "kpi": kpi_id, "date": on, "reason": reason})
    return rebase_id


def remove_rebase(store: Store, *, actor: Actor, rebase_id: int, reason: str, at: datetime | None = None) -> None:
    """Remove a stored rebase (administrators only): it is kept, closed, with who removed it, when and why.
    A rebase declared in the framework file is removed by editing the file."""
    require(actor, "admin")
    row = stored.find_rebase(store, rebase_id)
    if row is None:
        raise ValueError(f"There is no stored rebase number {rebase_id}.")
    if pd.notna(row["valid_to"]):  # not None, not NaT
        raise ValueError(f"Rebase number {rebase_id} was already removed.")
    reason = _clean_reason(reason, "removing the rebase")
    at = at or now()
    with store.transaction() as cur:
        stored.close_rebase(cur, rebase_id=rebase_id, removed_by=actor.email, reason=reason, at=at)
        audit(cur, actor=actor.email, action="rebase_removed", at=at,
              detail={"rebase_id": int(rebase_id), "kpi": row["kpi_id"],
                      "date": str(row["rebase_date"])[:10], "reason": reason})
