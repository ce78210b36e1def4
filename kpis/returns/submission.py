"""Preview and submit a quarterly return; read every version back; export current values.

`submit` runs check -> read -> validate -> one transaction. The transaction
records the batch (who, when, file name, sha256), the raw file under a
generated name (so any return can be replayed), the values (new ones added,
changed ones versioned, unchanged ones left alone), the narrative and an audit
entry, all or nothing. The same file sent twice for the same sub-group stores
nothing and names the submission it duplicates; that check runs again inside
the transaction, under the store's write lock, so two at once cannot both pass.
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from kpis.access.permissions import check_submitter, normalise_email
from kpis.core import exports
from kpis.core.dates import short_date_time
from kpis.core.framework import Framework, breakdown_label
from kpis.core.periods import Period
from kpis.core.problems import Problem, total
from kpis.core.units import STATUS_LABELS
from kpis.returns.check import CheckedReturn, check_parsed
from kpis.returns.reader import ReturnFile, out_of_memory, read_return
from kpis.returns.revisions import REVISED_COLUMNS, RevisionNotConfirmed, revised
from kpis.store.audit import audit
from kpis.store.batches import finish_batch, start_batch, store_raw_file
from kpis.store.database import Store, now
from kpis.store.narratives import write_narrative
from kpis.store.observations import (
    KEY,
    VALUE_COLUMNS,
    current_values_of_area,
    export_frame,
    value_history,
    write_observations,
)
from kpis.store.returns import batch_period_label, duplicate_batch_id


class ReturnRejected(ValueError):
    """The return has errors; nothing was stored. `problems` lists every one."""

    def __init__(self, checked: CheckedReturn):
        self.checked = checked
        self.problems: list[Problem] = checked.problems
        super().__init__(f"The return has {total(checked.errors)} problem(s) to fix; nothing was stored.")


@dataclass
class Preview:
    """What a submission would do: new values, changed ones (old -> new) and unchanged ones."""
    new: pd.DataFrame
    changed: pd.DataFrame
    unchanged: pd.DataFrame
    revised: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REVISED_COLUMNS))

    @property
    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "changed": len(self.changed), "unchanged": len(self.unchanged)}


@dataclass
class Receipt:
    """What a submission stored, or which earlier submission it duplicates."""
    area_id: str
    period_label: str | None
    file_name: str
    sha256: str
    batch_id: int | None = None
    duplicate_of: int | None = None
    submitted_by: str | None = None
    submitted_at: object = None
    raw_name: str | None = None
    counts: dict = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0})
    narrative_stored: bool = False
    warnings: list[Problem] = field(default_factory=list)
    # Every figure of the return as stored: {"kpi", "breakdown", "period", "value"} in words, for the receipt
    figures: list[dict] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.batch_id is not None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["warnings"] = [w.to_dict() for w in self.warnings]
        d["submitted_at"] = str(self.submitted_at) if self.submitted_at else None
        return d


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_return(store: Store | None, framework: Framework, *, name: str, data: bytes, area_id: str,
                 today: date | None = None, period: Period | str | None = None) -> CheckedReturn:
    """Check the file's content, read it and run every check. Raises UnreadableFile; never writes."""
    return check_read(store, framework, read_return(name, data, framework), area_id=area_id, today=today,
                      period=period)


def check_read(store: Store | None, framework: Framework, parsed: ReturnFile, *, area_id: str,
               today: date | None = None, period: Period | str | None = None) -> CheckedReturn:
    """Run every check on a file `read_return` has read (the upload page reads it once, to show its progress)."""
    try:
        return check_parsed(parsed, framework=framework, area_id=area_id, store=store, today=today, period=period)
    except MemoryError:
        raise out_of_memory(f"'{parsed.name}'") from None


def preview(store: Store, framework: Framework, validated: CheckedReturn, today: date | None = None) -> Preview:
    """Compare the return's rows with the current values, as `write_observations` will. `revised`: the changed
    figures of periods before the latest quarter ended by `today` (storing them needs its own confirmation)."""
    rows = validated.rows
    label_cols = ["indicator_id", "breakdown_label", "period_label"]
    if rows.empty:
        empty = pd.DataFrame(columns=[*label_cols, "sheet", "row", "new"])
        return Preview(empty, empty.copy(), empty.copy())
    # text stored before there were limits comes out shortened: a new text (within the limit) never equals it
    current = current_values_of_area(store, framework.home_area, sorted(rows["indicator_id"].unique()))
    current = current[KEY + VALUE_COLUMNS + ["version", "batch_id"]].rename(
        columns={c: f"old_{c}" for c in [*VALUE_COLUMNS, "version", "batch_id"]})
    merged = rows.merge(current, on=KEY, how="left", indicator=True)
    is_new = merged["_merge"] == "left_only"
    differs = pd.Series(False, index=merged.index)
    for c in VALUE_COLUMNS:
        a, b = merged[c], merged[f"old_{c}"]
        same = (a == b) | (a.isna() & b.isna())
        differs |= ~same.fillna(False).astype(bool)
    merged["what_changed"] = [", ".join(c for c in VALUE_COLUMNS if not _same(getattr(r, c), getattr(r, f"old_{c}")))
                              if not n else "" for r, n in zip(merged.itertuples(index=False), is_new, strict=False)]
    merged["new"] = [_shown(framework, r.indicator_id, r.value, r.status, r.status_note)
                     for r in merged.itertuples(index=False)]
    merged["old"] = [_shown(framework, r.indicator_id, r.old_value, r.old_status, r.old_status_note)
                     if not n else "" for r, n in zip(merged.itertuples(index=False), is_new, strict=False)]
    base = [*label_cols, "sheet", "row"]
    changed = merged.loc[~is_new & differs, [*base, "old", "new", "what_changed", "old_version", "period_end"]]
    return Preview(
        new=merged.loc[is_new, [*base, "new", "commentary"]].reset_index(drop=True),
        changed=changed.drop(columns=["period_end"]).reset_index(drop=True),
        unchanged=merged.loc[~is_new & ~differs, [*base, "new"]].reset_index(drop=True),
        revised=revised(framework, changed, today))


def _same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) if (pd.isna(a) or pd.isna(b)) else a == b


def _shown(framework: Framework, kpi_id: str, value, status, note) -> str:
    if pd.notna(value):
        text = framework.kpi(kpi_id).format_value(value)
        return text if status == "published" else f"{text} ({STATUS_LABELS.get(status, status).lower()})"
    label = STATUS_LABELS.get(status, str(status))
    return f"{label} ({note})" if note else label


def submit(store: Store, framework: Framework, *, name: str, data: bytes, area_id: str, by: str,
           today: date | None = None, period: Period | str | None = None, revise: bool = False) -> Receipt:
    """Check and store a return in one transaction. Raises PermissionDenied, UnreadableFile, ReturnRejected or
    (when it would change figures stored for an earlier period and `revise` is not given) RevisionNotConfirmed;
    else a Receipt."""
    by = normalise_email(by)   # one spelling per person, wherever they typed it
    if not by or "@" not in by:
        raise ValueError("Say who is submitting, as an email address.")
    check_submitter(store, by, area_id)  # once accounts exist: a registered lead for this area, or an admin
    digest = sha256(data)
    earlier = duplicate_batch_id(store, area_id, digest)
    if earlier is not None:  # the very file already stored: nothing to check, nothing to write
        label = batch_period_label(store, earlier)
        return Receipt(area_id=area_id, period_label=label, file_name=Path(name).name, sha256=digest,
                       submitted_by=by, duplicate_of=earlier)
    checked = check_return(store, framework, name=name, data=data, area_id=area_id, today=today, period=period)
    receipt = Receipt(area_id=area_id, period_label=getattr(checked.period, "label", None),
                      file_name=Path(name).name, sha256=digest, submitted_by=by, warnings=checked.warnings)
    if not checked.ok:
        raise ReturnRejected(checked)
    figures = [{"kpi": f"{k} {framework.kpi(k).short_title}", "breakdown": b, "period": p,
                "value": _shown(framework, k, v, s, n)}
               for k, b, p, v, s, n in zip(checked.rows["indicator_id"], checked.rows["breakdown_label"],
                                           checked.rows["period_label"], checked.rows["value"],
                                           checked.rows["status"], checked.rows["status_note"], strict=False)]
    rows = checked.rows.drop(columns=["sheet", "row", "breakdown_label"])
    at = now()
    with store.transaction() as cur:
        receipt.duplicate_of = duplicate_batch_id(cur, area_id, digest)
        if receipt.duplicate_of is not None:
            return receipt  # a twin arrived first while this one was being checked; nothing is written
        # under the write lock, so the stored figures it compares with cannot change before they are written
        revising = preview(store, framework, checked, today).revised
        if len(revising) and not revise:
            raise RevisionNotConfirmed(revising)   # rolled back: nothing was written
        bid = start_batch(cur, kind="submission", at=at, source="return", submitted_by=by, outcome_area=area_id,
                          period_label=receipt.period_label, file_name=receipt.file_name, sha256=digest)
        raw_name = f"return-{bid:06d}-{digest[:16]}.{checked.parsed.kind}"  # generated, never the user's name
        store_raw_file(cur, batch_id=bid, raw_name=raw_name, file_name=receipt.file_name, sha256=digest, content=data)
        counts = write_observations(cur, batch_id=bid, rows=rows, at=at)
        narrative = checked.narrative
        stored_narrative = bool(narrative) and write_narrative(
            cur, batch_id=bid, at=at, outcome_area=area_id, period_label=narrative["period_label"],
            progress=narrative["progress"], risks_barriers=narrative["risks_barriers"],
            service_user_feedback=narrative["service_user_feedback"], publishable=narrative["publishable"])
        finish_batch(cur, bid, rows_read=len(checked.parsed.rows), rows_imported=len(rows),
                     rows_skipped=checked.parsed.notes_skipped, counts=counts)
        audit(cur, actor=by, action="submission", at=at,
              detail={"batch_id": bid, "area": area_id, "period": receipt.period_label, "file": receipt.file_name,
                      "sha256": digest, **counts, "narrative": stored_narrative,
                      "revised": len(revising), "warnings": len(checked.warnings)})
    with contextlib.suppress(duckdb.Error):
        store.checkpoint()  # fold the WAL into the file; committed data is safe in the WAL regardless
    receipt.batch_id, receipt.raw_name, receipt.submitted_at = bid, raw_name, at
    receipt.counts, receipt.narrative_stored, receipt.figures = counts, stored_narrative, figures
    return receipt


def history(store: Store, kpi_id: str, framework: Framework | None = None) -> pd.DataFrame:
    """Every version of a KPI's values, oldest first, with the submission that brought each (free text shortened
    where it is over the limits, as stored before there were any)."""
    df = value_history(store, kpi_id)
    if framework is not None:  # the column is there when no figure is stored yet, too
        df.insert(2, "breakdown", pd.Series([breakdown_label(framework, t, v) for t, v in
                                             zip(df["breakdown_type"],
                                                 df["breakdown_value"], strict=False)], index=df.index,
                                            dtype=object))
    return df


def export(store: Store, path: str | Path, *, kpi_ids: list[str] | None = None) -> int:
    """Write current values with provenance to .csv or .xlsx; text can never run as a formula. Returns rows."""
    check_export_path(path)
    return write_export(export_frame(store, kpi_ids=kpi_ids), path)


def check_export_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ValueError(f"Export to a .csv or .xlsx file, not '{path.name}'.")
    return path


def write_export(df: pd.DataFrame, path: str | Path) -> int:
    """Write `export_frame`'s rows to .csv or .xlsx (needs no database: a caller reads, lets go, then writes)."""
    path = check_export_path(path)
    if path.suffix.lower() == ".csv":
        data = exports.to_csv_bytes(df)
    else:
        df = df.map(exports.safe_cell_text) if not df.empty else df
        data = exports.to_excel_bytes({"Values": df}, {
            "Contents": "Current values of every indicator in the KPI store, with their provenance: the "
                        "submission or import (batch) that brought each, who sent it, when, and the file.",
            "Rows": len(df)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(df)


# Seven columns, so the table fits a laptop's screen (1366 x 768) whole: the status goes with the value, the
# submission's number with its file, who sent it with when, and "Current" is the "Replaced" column's "Still current".
HISTORY_COLUMNS = {"period_label": "Quarter", "breakdown": "Breakdown", "version": "Version", "shown": "Value",
                   "came_from": "Came from", "sent": "Sent by", "replaced": "Replaced (UTC)"}
KINDS = {"submission": "Return", "import": "Import", "demo": "Demo"}
ALL_QUARTERS = "All quarters"


@dataclass
class HomeHistory:
    """The home area's versions of one KPI's figures, as a lead reads them."""
    table: pd.DataFrame         # HISTORY_COLUMNS' headings, oldest first
    quarters: list[str]         # ALL_QUARTERS, then each quarter with a figure, newest first
    revised: int                # how many of the versions correct an earlier figure

    def in_quarter(self, quarter: str) -> HomeHistory:
        """The same history, only `quarter`'s versions (ALL_QUARTERS: all of them), without reading it again."""
        if quarter == ALL_QUARTERS:
            return self
        table = self.table[self.table["Quarter"] == quarter]
        return HomeHistory(table, self.quarters, int((table["Version"] > 1).sum()))


def home_history(store: Store, framework: Framework, kpi_id: str, *, quarter: str = ALL_QUARTERS) -> HomeHistory:
    """Every version of the home area's figures of `kpi_id` (in `quarter`, or all), with who sent each and when."""
    df = history(store, kpi_id, framework)
    df = df[df["area_code"] == framework.home_area]
    quarters = [ALL_QUARTERS, *list(dict.fromkeys(df.sort_values("period_end", ascending=False)["period_label"]))]
    kpi = framework.kpi(kpi_id)

    def when(t) -> str:
        return "" if t is None or pd.isna(t) else short_date_time(pd.Timestamp(t))

    df = df.assign(
        shown=[(kpi.format_value(v) if pd.notna(v) else "–")
               + ("" if s == "published" else f" ({STATUS_LABELS.get(s, s).lower()})")
               for v, s in zip(df["value"], df["status"], strict=False)],
        came_from=[f"{KINDS.get(k, str(k).capitalize())} {int(b)}" + (f": {f}" if isinstance(f, str) and f else "")
                   for k, b, f in zip(df["kind"], df["batch_id"], df["file_name"], strict=False)],
        sent=[" on ".join(x for x in (by if isinstance(by, str) else "", when(t) + " UTC" if when(t) else "") if x)
              or "–" for t, by in zip(df["submitted_at"], df["submitted_by"], strict=False)],
        replaced=["Still current" if c else when(t) for c, t in zip(df["is_current"], df["valid_to"], strict=False)])
    return HomeHistory(df[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS), quarters,
                       int((df["version"] > 1).sum())).in_quarter(quarter)
