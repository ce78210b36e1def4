"""The audit log, read back: sign-ins, failed sign-ins, submissions, imports, changes to users,
the framework and meeting dates, each with who and when. Entries are only ever added."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from kpis.access.permissions import normalise_email
from kpis.store.audit import audit_log_entries
from kpis.store.database import Store

ACTIONS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "account_locked": "Account locked",
    "sign_out": "Signed out",
    "submission": "Return submitted",
    "import": "Data imported",
    "user_added": "User added",
    "user_removed": "User removed",
    "password_set": "Password set",
    "user_unlocked": "Account unlocked",
    "framework": "Framework loaded or changed",
    "meeting_added": "Meeting date added",
    "meeting_removed": "Meeting date removed",
    "rebase_added": "SPC rebase added",
    "rebase_removed": "SPC rebase removed",
    "meeting_record_added": "Meeting record added",
    "meeting_record_changed": "Meeting record changed",
    "meeting_record_removed": "Meeting record removed",
}


def audit_entries(store: Store, *, actions: list[str] | None = None, actor: str | None = None,
                  since: datetime | None = None, limit: int = 1000) -> pd.DataFrame:
    """Newest first: when, who, what (in words) and the details recorded with it."""
    df = audit_log_entries(store, actions=actions, actor_contains=normalise_email(actor) if actor else None,
                           since=since, limit=limit)
    df.insert(3, "what", df["action"].map(ACTIONS).fillna(df["action"]))
    return df
