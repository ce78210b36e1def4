"""The public view: published figures only, with small numbers suppressed; no sign-in needed."""
import pandas as pd
import streamlit as st

from kpis.board.tables import md_escape
from kpis.access.disclosure import PUBLIC_NOTE, england_figures, newest_periods, public_narratives, public_rows, publish
from kpis.store.narratives import SECTIONS
from kpis.store.series import data_as_at
from pages._common import framework, site_notice, store

fw = framework()
st.title(f"{fw.short_name}: published figures")
st.markdown(f"The key performance indicators of the {fw.name}, as published. Figures still being checked are "
            f"not shown. {PUBLIC_NOTE}")
site_notice()



@st.cache_data(show_spinner=False, max_entries=4)
def published(db: str, as_at, narratives_at) -> tuple[dict, bool, pd.DataFrame]:
    """What the page shows of the public figures, worked out again only when new figures or narratives arrive:
    per outcome area, each KPI's newest period (its all-children figures, then its groups). Only those periods
    go through disclosure control, which works within a period, so they come out as in `public_frame`."""
    rows = public_rows(store(), fw)
    picked = {area.id: newest_periods(rows, [k.id for k in fw.kpis_in_area(area.id)]) for area in fw.areas}
    chosen = {(rows.at[i, "indicator_id"], rows.at[i, "period_label"]) for totals, _ in picked.values()
              for i in totals}
    whole = [i for i, key in enumerate(zip(rows["indicator_id"], rows["period_label"])) if key in chosen]
    figures = publish(rows.iloc[whole], fw)  # every row of the chosen periods, in order
    at = {i: n for n, i in enumerate(whole)}  # row of `rows` (a RangeIndex) -> row of `figures`
    shown = {}
    for area_id, (totals, parts) in picked.items():
        latest = figures.iloc[[at[i] for i in totals]]
        latest = latest.assign(england=england_figures(store(), fw, latest))
        shown[area_id] = (latest, figures.iloc[[at[i] for i in parts]].reset_index(drop=True))
    return shown, not rows.empty, public_narratives(store(), fw)


shown, any_figures, narratives = published(str(store().path), data_as_at(store()),
                                           store().scalar("SELECT max(valid_from) FROM narratives"))


def count_text(x) -> str:
    return "–" if pd.isna(x) else f"{x:,.0f}"


def table(rows: pd.DataFrame, *, first: str) -> pd.DataFrame:
    columns = {
        first: rows["first"],
        "Period": rows["period_label"],
        "Value": rows["value_text"] + rows["is_demo"].map({True: " (demo)", False: ""}),
        "Count": rows["numerator"].map(count_text),
        "Out of": rows["denominator"].map(count_text),
    }
    if "england" in rows:
        columns["England (period)"] = rows["england"]
    return pd.DataFrame(columns).set_index(first)


if not any_figures:
    st.warning("No figures have been published yet.", icon=":material/database:")

for area in fw.areas:
    with st.container(border=True):
        st.subheader(area.name)
        st.caption(f"Reported by the {area.sub_group}")
        totals, parts = shown[area.id]
        latest = totals.assign(first=totals["kpi_id"] + " " + totals["kpi"])
        if latest.empty:
            st.caption("No published figures yet.")
        else:
            st.table(table(latest, first="KPI"))
            if not parts.empty:
                with st.expander("Groups of children, latest period"):
                    st.table(table(parts.assign(first=parts["kpi_id"] + ": " + parts["breakdown"]),
                                   first="KPI and group"))
        story = narratives[narratives["outcome_area"] == area.id] if not narratives.empty else narratives
        if not story.empty:
            latest_story = story.iloc[0]
            demo = " (demo)" if latest_story["is_demo"] else ""
            with st.expander(f"What the sub-group says, {md_escape(latest_story['period_label'])}{demo}"):
                for column, heading in SECTIONS.items():
                    st.markdown(f"**{heading}**")
                    st.markdown(md_escape(latest_story[column]) if latest_story[column] else "_Not provided._")
