"""The annual self-assessment: read each year's ratings (everyone on the board); record them (administrators and
analysts, or anyone in open demo mode, who gives an email address). Every rating is kept: a new one is a new
version. Logic lives in `kpis.governance.self_assessment`."""
from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from app_pages._auth import page_may, require_page
from app_pages._common import data_table, framework, site_notice, store
from kpis.access.permissions import PermissionDenied, is_email, normalise_email
from kpis.board.tables import md_escape
from kpis.core.dates import short_date, short_date_time
from kpis.governance.self_assessment import (
    RATING_WORDS,
    RATINGS,
    AssessmentError,
    current_year,
    history,
    may_edit,
    record,
    year_assessment,
    year_label,
    years,
)
from kpis.store.database import StoreBusy

actor = require_page("view_board")  # first, before anything is read: this page checks its own permission

log = logging.getLogger(__name__)
YEARS_OFFERED = 5
NOT_RATED = "Not rated"
fw = framework()
s = store()
spec = fw.self_assessment

st.title("Annual self-assessment")
kind = "academic" if spec.year_type == "academic" else "financial"
st.markdown(f"Each {kind} year the partnership rates itself against its statements: **Green** (met), **Amber** "
            "(partly met) or **Red** (not met), with the evidence for the rating and the improvement actions "
            "agreed. Earlier ratings and earlier years are kept.")
site_notice()

if not spec.statements:
    st.info("This partnership's framework file declares no self-assessment statements. An administrator can add "
            "them as [[self_assessment.statements]], each with an id and its text.", icon=":material/info:")
    st.stop()

now_label = current_year(fw)
start = int(now_label.replace("AY ", "")[:4])
offered = list(dict.fromkeys([year_label(fw, start - i) for i in range(YEARS_OFFERED)] + years(s)))
year = st.selectbox("Year", offered, key="sa_year", help="The current year first; earlier ones stay readable.")
assessment = year_assessment(s, fw, year)
rated = {r.statement.id: r for r in assessment.rows}

st.header(f"Ratings for {year}", anchor="ratings")
if not assessment.rows:
    st.caption(f"Nothing is recorded for {year} yet.")
table = pd.DataFrame({
    "Statement": [st_.text for st_ in spec.statements],
    "Rating": [rated[x.id].rating_words if x.id in rated else NOT_RATED for x in spec.statements],
    "Evidence": ["; ".join(rated[x.id].evidence) if x.id in rated else "" for x in spec.statements],
    "Improvement actions": ["; ".join(rated[x.id].actions) if x.id in rated else "" for x in spec.statements],
    "Recorded": [f"{rated[x.id].recorded_by}, {short_date(rated[x.id].recorded_at)}" if x.id in rated else ""
                 for x in spec.statements]})
data_table(table, wrap=("Statement", "Evidence", "Improvement actions", "Recorded"),
           floors={"Statement": 320, "Rating": 150}, lines=5,
           alt=f"Self-assessment ratings for {year}: each statement with its rating in words, evidence and actions")
counts = table["Rating"].value_counts()
st.markdown(" · ".join(f"{RATING_WORDS[r]}: {int(counts.get(RATING_WORDS[r], 0))}" for r in RATINGS)
            + f" · {NOT_RATED}: {int(counts.get(NOT_RATED, 0))}")


def editor_email() -> str | None:
    """Who records the rating: the signed-in editor, or (open demo mode) an email address typed in."""
    if actor is not None:
        return actor.email
    typed = normalise_email(st.text_input("Your email address", key="sa_email", autocomplete="email",
                                          help="Recorded with the rating, so the partnership knows who set it."))
    if typed and not is_email(typed):
        st.error(f"'{typed}' is not an email address. Write it in full.", icon=":material/error:")
        return None
    return typed or None


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


st.header("Record a rating", anchor="record")
if st.session_state.get("sa_saved"):
    st.success(st.session_state.pop("sa_saved"), icon=":material/task_alt:")
if not page_may(actor, may_edit):
    st.caption("Administrators and analysts record the self-assessment; you can read it above.")
else:
    ids = [x.id for x in spec.statements]
    texts = {x.id: x.text for x in spec.statements}
    chosen = st.selectbox("Statement", ids, key="sa_statement", format_func=lambda i: f"{i}: {texts[i][:90]}")
    now_row = rated.get(chosen)
    with st.form(f"sa_form_{year}_{chosen}", enter_to_submit=False):
        st.markdown(f"**{md_escape(texts[chosen])}**")
        options = [NOT_RATED, *RATINGS]
        rating = st.radio("Rating", options, horizontal=True,
                          index=options.index(now_row.rating) if now_row and now_row.rating else 0,
                          format_func=lambda r: RATING_WORDS.get(r, r))
        evidence = st.text_area("Evidence, one a line (KPI ids such as " + fw.kpi_ids[0] + ", action ids, narrative "
                                "references)", value="\n".join(now_row.evidence) if now_row else "")
        actions = st.text_area("Agreed improvement actions, one a line",
                               value="\n".join(now_row.actions) if now_row else "")
        by = editor_email()
        saved = st.form_submit_button("Save the rating", type="primary", icon=":material/save:")
    if saved:
        try:
            if by is None:
                raise AssessmentError("Enter your email address to record the rating.")
            who = actor if actor is not None else by
            with s.session():
                version = record(s, fw, year=year, statement_id=chosen,
                                 rating=None if rating == NOT_RATED else rating, evidence=lines(evidence),
                                 actions=lines(actions), actor=who)
        except (AssessmentError, PermissionDenied, StoreBusy) as exc:
            st.error(f"{exc} Nothing was stored." if "Nothing was stored" not in str(exc) else str(exc),
                     icon=":material/error:")
        except Exception as exc:
            log.exception("self-assessment page: saving failed", exc_info=exc)
            st.error("Something went wrong on our side while saving. Nothing was stored. Please try again.",
                     icon=":material/error:")
        else:
            if not version:
                st.info(f"Nothing changed: {chosen} for {year} already reads so.", icon=":material/info:")
            else:
                st.session_state["sa_saved"] = f"Saved {chosen} for {year} as version {version}."
                st.rerun()

st.header("Every version", anchor="history")
versions = history(s, fw, year)
if versions.empty:
    st.caption(f"No rating has been recorded for {year}.")
else:
    st.caption("Each save is a new version; the earlier ones stay here, with who recorded them and when.")
    shown = versions.assign(**{
        "Statement": [t if len(t) <= 70 else t[:69].rsplit(" ", 1)[0] + "…" for t in versions["Statement"]],
        "Version": [f"{v} (current)" if c else str(v) for v, c in zip(versions["Version"],
                                                                      versions["Current"], strict=False)],
        "Recorded at (UTC)": pd.to_datetime(versions["Recorded at (UTC)"]).map(short_date_time)}
    ).drop(columns=["Current"])
    data_table(shown, wrap=("Statement", "Evidence", "Actions", "Recorded by"), floors={"Statement": 180}, lines=4,
               alt=f"Every version of the self-assessment ratings for {year}")
