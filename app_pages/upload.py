"""Submit a quarterly return: choose, download the template, upload, see problems, preview, confirm, receipt.

The steps run top to bottom (numbered headings, no tabs) so a keyboard or screen-reader user meets them in
order. Each file's check, preview and receipt are kept in the session under the sub-group and the file's
sha256, so a rerun never checks or submits the same file twice. Every decision is made in `kpis`.
"""
from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import streamlit as st

from app_pages._auth import open_demo_mode, require_page
from app_pages._common import data_table, framework, site_notice, store
from app_pages._upload_view import history, template
from kpis.access.permissions import PermissionDenied, is_email, may, normalise_email
from kpis.board.tables import md_email, md_escape
from kpis.core.exports import XLSX_MIME
from kpis.core.periods import parse_period
from kpis.core.problems import total
from kpis.returns.annotate import describe, marked_copy_name, problem_summary, problem_table
from kpis.returns.file_check import FileCheck, check_file
from kpis.returns.filesafety import UnreadableFile
from kpis.returns.receipts import receipt_html, receipt_rows
from kpis.returns.revisions import REVISED_HEADINGS, RevisionNotConfirmed, periods_text, revision_statement
from kpis.returns.submission import ReturnRejected, sha256, submit
from kpis.returns.templates import quarters_offered, template_filename
from kpis.store.database import StoreBusy

actor = require_page("submit")  # first, before anything is read: this page checks its own permission

log = logging.getLogger(__name__)
CHECKS, RECEIPTS = "upload_checks", "upload_receipts"
# What the caption says is what the widget takes. A file renamed past the browser's check still meets
# `kpis.returns.filesafety`, which says how to save it as .xlsx.
ACCEPTED = ["xlsx", "csv"]
ERRORS_LISTED, WARNINGS_LISTED = 10, 50   # spelt out as sentences above the table; all are in the table
CHECKS_KEPT = 4               # checked files remembered per session (each holds its marked copy)
QUARTERS_OFFERED = 5          # the latest ended quarter and four before it (for corrected returns)
SOMETHING_WENT_WRONG = ("Something went wrong on our side while {doing}. Nothing was stored. Please try again; if "
                        "it happens again, send the file to the KPI team.")
PREVIEW_COLUMNS = {"indicator_id": "KPI", "breakdown_label": "Breakdown", "period_label": "Quarter",
                   "sheet": "Sheet", "row": "Row", "old": "Old (stored now)", "new": "New (in this file)",
                   "what_changed": "What changed", "commentary": "Commentary"}
FIELD_NAMES = {"value": "value", "numerator": "numerator", "denominator": "denominator",
               "lower_ci": "confidence interval", "upper_ci": "confidence interval", "status": "status",
               "status_note": "status note", "commentary": "commentary"}
fw = framework()
s = store()
st.session_state.setdefault(CHECKS, {})
st.session_state.setdefault(RECEIPTS, {})

st.title("Submit a quarterly return")
st.markdown("For sub-group leads. Six steps: choose your sub-group and quarter and download the template; fill it "
            "in and upload it; fix any problems; check what will change; confirm; keep the receipt. Nothing is "
            "stored until you confirm, and an earlier figure that you correct is kept as history.")
site_notice()


def area_choices() -> list[str]:
    """Every sub-group in open demo mode, or the ones the signed-in user may submit for (a lead: their own; an
    admin: any)."""
    open_mode = open_demo_mode()
    return [a.id for a in fw.areas if may(actor, "submit", open_mode=open_mode, area=a.id)]


def fail(doing: str, exc: Exception) -> str:
    log.exception("upload page: %s failed", doing, exc_info=exc)  # for the server log; never shown
    return SOMETHING_WENT_WRONG.format(doing=doing)


def run_check(name: str, data: bytes, area_id: str) -> FileCheck:
    """Read and check a file once, with progress (kpis.returns.file_check); keep the result, or the plain reason it
    failed."""
    with st.status(f"Checking {name}…", expanded=True) as status:
        bar = st.progress(0, text="Reading the file")
        try:
            result = check_file(s, fw, name, data, area_id, progress=lambda pct, text: bar.progress(pct, text=text))
        except Exception as exc:
            result = FileCheck(name=name, area=area_id, error=fail("checking the file", exc))
        bar.progress(100, text="Done")
        if result.error:
            status.update(label=f"{name} could not be checked", state="error", expanded=False)
        else:
            status.update(label=f"Checked {name}: {problem_summary(result.checked.problems)}", state="complete",
                          expanded=False)
    return result


def do_submit(key: str, name: str, data: bytes, area_id: str, signed_in: str | None) -> None:
    """The confirm button's callback: runs before the page is drawn again, so the button never shows twice."""
    if key in st.session_state[RECEIPTS]:
        return
    by = signed_in or normalise_email(st.session_state.get("upload_email", ""))
    revise = bool(st.session_state.get(revise_key(key)))   # the separate tick, read as the button was pressed
    try:
        with s.session():  # one hold of the file for the whole submission (a callback runs outside the page's)
            receipt = submit(s, fw, name=name, data=data, area_id=area_id, by=by, revise=revise)
        st.session_state[RECEIPTS][key] = {"receipt": receipt}
    except RevisionNotConfirmed as exc:
        st.session_state[RECEIPTS][key] = {"error": str(exc)}
        st.session_state[CHECKS].pop(key, None)  # the stored figures changed under us: check the file again
    except ReturnRejected as exc:
        st.session_state[RECEIPTS][key] = {"error": f"{exc} {problem_summary(exc.problems)} See step 3."}
        st.session_state[CHECKS].pop(key, None)  # the stored figures changed under us: check the file again
    except (UnreadableFile, PermissionDenied, StoreBusy) as exc:
        st.session_state[RECEIPTS][key] = {"error": str(exc)}
    except Exception as exc:
        st.session_state[RECEIPTS][key] = {"error": fail("storing the return", exc)}


def revise_key(key: str) -> str:
    """The revision tick's widget key: one per sub-group and file, so a tick never carries over to another file."""
    return f"upload_revise_{key}"


def sentences(problems: list, limit: int) -> None:
    """Problems as a list of plain sentences (where, what is wrong, found, expected), the first `limit` of them."""
    shown = problems[:limit]
    more = len(problems) - len(shown)
    st.markdown("\n".join(f"- {md_escape(describe(p))}" for p in shown)
                + (f"\n\n…and {more} more in the table below." if more else ""))


def show_problems(result: FileCheck) -> None:
    checked = result.checked
    st.subheader("3. Problems to fix", anchor="problems")
    if not checked.problems:
        st.success("No problems found.", icon=":material/check_circle:")
        return
    summary = problem_summary(checked.problems)
    if checked.errors:
        st.error(f"**{summary}** Errors block the return: fix them in your file and upload it again. Warnings do "
                 "not block it, but read each one.", icon=":material/error:")
    else:
        st.warning(f"**{summary}** You can still submit; read each warning first.", icon=":material/warning:")
    if checked.errors:
        st.markdown("**What must be fixed**")
        sentences(checked.errors, ERRORS_LISTED)
    if checked.warnings:
        with st.expander(f"What to check: {total(checked.warnings):,} "
                         f"{'warning' if total(checked.warnings) == 1 else 'warnings'}, in full",
                         expanded=not checked.errors):
            sentences(checked.warnings, WARNINGS_LISTED)
    listed = ("" if total(checked.problems) == len(checked.problems)
              else f", the first {len(checked.problems) - 1:,} listed")
    copy_note = (" The marked copy of your file below has the same list, with each cell shaded and a note on it."
                 if result.annotated else "")
    st.markdown(f"**Every problem in one table** ({total(checked.problems):,}{listed}), errors first.{copy_note}")
    data_table(problem_table(checked.problems), wrap=("Message", "Expected", "Found", "Severity", "Column"),
               floors={"Message": 300, "Expected": 160, "Severity": 70, "Column": 80}, lines=4,
               alt=f"Problems found in {result.name}: {summary}",
               column_config={"Row": st.column_config.NumberColumn(format="%d")})
    if not result.annotated:
        st.info(result.no_marked_copy or "No marked copy of your file could be made; every problem is "
                "listed above.", icon=":material/info:")
        return
    st.download_button("Download your file with the problems marked", result.annotated,
                       file_name=marked_copy_name(result.name), mime=XLSX_MIME, icon=":material/download:",
                       key="upload_annotated", on_click="ignore",
                       help="A copy of your file: each problem's cell is shaded and has a note, and a 'Problems' "
                            "sheet lists them all with a link to each cell.")


def show_preview(result: FileCheck) -> None:
    checked, pv = result.checked, result.preview
    st.subheader("4. What will change", anchor="preview")
    quarter = getattr(checked.period, "label", None)
    area = fw.area(result.area).label
    st.markdown(f"Read as the **{area}** return for **{quarter or 'an unknown quarter'}**.")
    if quarter and quarter != st.session_state.get("upload_period"):
        st.warning(f"The file is for {quarter}, not {st.session_state.get('upload_period')} as chosen in step 1. "
                   f"It will be stored as the {quarter} return.", icon=":material/warning:")
    counts = pv.counts
    new, changed, same = st.columns(3)
    new.metric("New figures", counts["new"])
    changed.metric("Changed figures", counts["changed"])
    same.metric("Unchanged figures", counts["unchanged"])
    if checked.errors:
        st.caption("Rows with errors are left out of these counts until they are fixed.")
    elif checked.rows.empty and checked.narrative:
        st.markdown("This return has no figures: it is a narrative only, stored with a receipt like any return.")
    revised = pv.revised
    if len(revised):
        n = len(revised)
        st.warning(f"**This return revises {n} {'figure' if n == 1 else 'figures'} already stored for "
                   f"{periods_text(revised)}, an earlier period the board has read.** Check each one below. They "
                   "are stored only if you confirm the revision in step 5.", icon=":material/history:")
        st.markdown(f"**Figures that would be revised**: {n}.")
        data_table(revised.rename(columns=REVISED_HEADINGS), wrap=("KPI name", "Breakdown"),
                   alt=f"The {n} figures this return would revise, each with its old and new value")
    if counts["changed"] and counts["changed"] == len(revised):   # every change is a revision: listed above once
        st.markdown(f"**Changed (old → new)**: {counts['changed']}, the revisions listed above. The old figures "
                    "are kept as history.")
    elif counts["changed"]:
        st.markdown(f"**Changed (old → new)**: {counts['changed']}. The old figures are kept as history.")
        table = pv.changed.drop(columns=["old_version"]).assign(what_changed=pv.changed["what_changed"].map(
            lambda text: ", ".join(dict.fromkeys(FIELD_NAMES.get(f, f) for f in text.split(", ") if f))))
        table = table.rename(columns=PREVIEW_COLUMNS)
        data_table(table, wrap=("Breakdown",))
    if counts["new"]:
        st.markdown(f"**New**: {counts['new']}.")
        data_table(pv.new.rename(columns=PREVIEW_COLUMNS), wrap=("Breakdown",))
    if counts["unchanged"]:
        with st.expander(f"Unchanged: {counts['unchanged']} (already stored with the same values)"):
            data_table(pv.unchanged.rename(columns=PREVIEW_COLUMNS), wrap=("Breakdown",))


def submitter() -> str | None:
    """Who is submitting: the signed-in user, or an email address typed in (open demo mode)."""
    if actor is not None:
        st.markdown(f"Submitting as **{md_email(actor.email)}**.")
        return actor.email
    typed = st.text_input("Your email address", key="upload_email", placeholder=framework().email_example,
                          help="Recorded with the submission, so the KPI team knows who sent it.", autocomplete="email")
    email = normalise_email(typed)
    if not email:
        st.caption("Enter your email address to confirm.")
        return None
    if not is_email(email):
        st.error(f"'{typed.strip()}' is not an email address. Write it in full, for example "
                 f"{framework().email_example}.", icon=":material/error:")
        return None
    return email


def show_confirm(key: str, result: FileCheck, data: bytes) -> None:
    checked = result.checked
    st.subheader("5. Confirm", anchor="confirm")
    outcome = st.session_state[RECEIPTS].get(key)
    if outcome and "receipt" in outcome:
        st.markdown("Submitted. Your receipt is below.")
        return
    if outcome and "error" in outcome:
        st.error(outcome.pop("error"), icon=":material/error:")
        st.session_state[RECEIPTS].pop(key, None)
    by = submitter()
    if checked.errors:
        n = total(checked.errors)
        st.caption(f"Confirm is off until the {n} {'error' if n == 1 else 'errors'} in step 3 "
                   f"{'is' if n == 1 else 'are'} fixed: fix your file and upload it again.")
    revised = result.preview.revised
    unconfirmed = False
    if len(revised) and not checked.errors:
        unconfirmed = not st.checkbox(revision_statement(revised), key=revise_key(key),
                                      help="Tick only if you mean to replace these figures. If the Period column "
                                           "should say this return's quarter, correct it and upload again.")
        if unconfirmed:
            st.caption("Confirm is off until you tick the revision above: nothing is stored without it.")
    st.button("Confirm and submit", type="primary", key="upload_confirm", icon=":material/send:",
              disabled=bool(checked.errors) or by is None or unconfirmed,
              on_click=do_submit, args=(key, result.name, data, result.area, actor.email if actor else None))


def show_receipt(key: str) -> None:
    st.subheader("6. Receipt", anchor="receipt")
    outcome = st.session_state[RECEIPTS].get(key)
    if not outcome or "receipt" not in outcome:
        st.caption("Your receipt appears here once you confirm.")
        return
    r = outcome["receipt"]
    if r.duplicate_of is not None:
        st.info(f"This file was already submitted as submission {r.duplicate_of}, so nothing new was stored. "
                "To correct a figure, change the file and upload it again.", icon=":material/content_copy:")
    else:
        st.success(f"Return stored as submission {r.batch_id}. Thank you.", icon=":material/task_alt:")
    sub_group = fw.area(r.area_id).sub_group
    rows = receipt_rows(r, sub_group=sub_group)
    st.table({"Item": [k for k, _ in rows],   # the account's address whole; the lead's file name escaped
              "Detail": [md_email(v) if k == "Submitted by" else md_escape(v) for k, v in rows]}, hide_index=True)
    st.markdown("**SHA-256 of the file**: its fingerprint, the same for the very same file and different for any "
                "other.")
    st.code(r.sha256, language=None)
    left, right, _ = st.columns([1, 1, 1])
    left.download_button("Printable receipt (HTML)", receipt_html(r, sub_group=sub_group, partnership=fw.short_name),
                         file_name=f"receipt-{r.batch_id or r.duplicate_of}.html", mime="text/html",
                         key="upload_receipt_html", on_click="ignore", icon=":material/print:",
                         help="Opens in any browser; print it or keep it with the file you sent.")
    right.download_button("Receipt for systems (JSON)", json.dumps(r.to_dict(), indent=2, default=str),
                          file_name=f"receipt-{r.batch_id or r.duplicate_of}.json", mime="application/json",
                          key="upload_receipt_json", on_click="ignore", icon=":material/receipt_long:")


def steps() -> None:
    st.subheader("1. Choose your sub-group and quarter", anchor="choose")
    choices = area_choices()
    if not choices:
        st.warning(f"{md_email(actor.email)} may not submit returns. An administrator can make your account a "
                   "sub-group lead for your area.", icon=":material/lock:")
        return
    quarters = quarters_offered(date.today(), QUARTERS_OFFERED)
    left, right = st.columns(2)
    area_id = left.selectbox("Sub-group", choices, key="upload_area",
                             format_func=lambda a: f"{fw.area(a).sub_group} ({fw.area(a).label})")
    label = right.selectbox("Quarter", [q.label for q in quarters], key="upload_period",
                            help="The latest quarter that has ended, or an earlier one to correct.")
    period = parse_period(label)
    try:
        workbook = template(area_id, label)
    except Exception as exc:
        st.error(fail("making the template", exc), icon=":material/error:")
    else:
        st.download_button("Download the return template", workbook,
                           file_name=template_filename(fw, area_id, period), mime=XLSX_MIME,
                           icon=":material/download:", key="upload_template", on_click="ignore",
                           help="An Excel workbook with a row for each KPI and breakdown, last quarter's figures "
                                "for reference, and a Narrative sheet.")

    st.subheader("2. Upload your filled-in return", anchor="upload")
    upload = st.file_uploader("Excel workbook (.xlsx) or CSV file, up to 10 MB", type=ACCEPTED, key="upload_file")
    if upload is None:
        st.caption("The checks start as soon as the file is uploaded. Nothing is stored until you confirm. An older "
                   ".xls, a macro-enabled .xlsm or an OpenDocument .ods file: open it in Excel and save it as .xlsx.")
        return
    data = upload.getvalue()
    key = f"{area_id}:{sha256(data)}"
    result = st.session_state[CHECKS].get(key)
    if result is None:
        result = st.session_state[CHECKS][key] = run_check(Path(upload.name).name, data, area_id)
        while len(st.session_state[CHECKS]) > CHECKS_KEPT:   # oldest first: dicts keep insertion order
            st.session_state[CHECKS].pop(next(iter(st.session_state[CHECKS])))
    if result.error:
        st.error(result.error, icon=":material/error:")
        return
    show_problems(result)
    show_preview(result)
    show_confirm(key, result, data)
    show_receipt(key)


def revision_history() -> None:
    st.header("Revision history of a KPI", anchor="history")
    st.caption("Every version of each local figure, oldest first, with the submission or import that brought it. "
               "A corrected figure becomes the current one; the one it replaced stays here.")
    area_id = st.session_state.get("upload_area")
    kpis = sorted(fw.kpis, key=lambda k: (k.area != area_id, k.id))
    left, right = st.columns(2)
    kpi_id = left.selectbox("KPI", [k.id for k in kpis], key=f"upload_history_kpi_{area_id}",  # follows step 1
                            format_func=lambda i: f"{i}: {fw.kpi(i).short_title}")
    try:
        found = history(kpi_id)
    except Exception as exc:
        st.error(fail("reading the history", exc), icon=":material/error:")
        return
    if len(found.quarters) == 1:
        st.info(f"No {kpi_id} figures are stored yet.", icon=":material/info:")
        return
    quarter = right.selectbox("Quarter", found.quarters, key="upload_history_quarter")
    shown = found.in_quarter(quarter)  # the history already read, not read again
    table, revised = shown.table, shown.revised
    st.markdown(f"{len(table):,} {'version' if len(table) == 1 else 'versions'}; {revised:,} of them "
                f"{'corrects' if revised == 1 else 'correct'} an earlier figure.")
    data_table(table, wrap=("Breakdown", "File", "Sent by", "Came from"),
               column_config={"Submission": st.column_config.NumberColumn(format="%d")})


try:
    steps()
except Exception as exc:
    st.error(fail("showing this page", exc), icon=":material/error:")
st.divider()
try:
    revision_history()
except Exception as exc:
    st.error(fail("showing the revision history", exc), icon=":material/error:")
