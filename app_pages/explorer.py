"""Explorer: any KPI or source indicator, compared across areas, over time and by group, with downloads."""
import streamlit as st

from app_pages import _explorer_view as view
from app_pages._auth import require_page
from app_pages._common import BLANK, framework, site_notice
from kpis.analysis import across_areas, explore, timeseries
from kpis.board.tables import md_escape
from kpis.core import exports

require_page("explore")  # first, before anything is read: this page checks its own permission

TABS = ("Compare areas", "Over time", "Breakdowns")


def downloads(name: str, sheets: dict, meta: dict, *, key: str, decimals: int = 1) -> None:
    """A CSV of the first table and an Excel workbook of all of them (with a Metadata sheet), rounded as shown."""
    def rounded() -> dict:
        return {title: exports.rounded(table, decimals=decimals) for title, table in sheets.items()}

    stem = exports.file_stem(name)
    left, right, _ = st.columns([1, 1, 2])
    # Each file is written when someone clicks (a callable), not on every visit to the page.
    left.download_button("Download CSV", lambda: exports.to_csv_bytes(next(iter(rounded().values()))),
                         file_name=f"{stem}.csv", mime=exports.CSV_MIME, icon=":material/download:", key=f"{key}_csv")
    right.download_button("Download Excel", lambda: exports.to_excel_bytes(rounded(), meta), file_name=f"{stem}.xlsx",
                          mime=exports.XLSX_MIME, icon=":material/download:", key=f"{key}_xlsx")


def show(df, decimals: int = 1) -> None:
    """A table with whole counts and values to the indicator's decimals."""
    formats = exports.number_formats(df, decimals=decimals)
    st.dataframe(df, hide_index=True, width="stretch", placeholder=BLANK,
                 column_config={c: st.column_config.NumberColumn(format=f) for c, f in formats.items()})


fw = framework()
home = fw.home_area
st.title("Explorer")
st.markdown("Any framework KPI or imported source indicator: compare areas, follow trends and look inside the "
            "groups at risk of health inequalities. Every view has its numbers in a table and downloads as CSV "
            "or Excel.")
site_notice()

# What every reader shares is worked out once per data version and choice (`app_pages._explorer_view`); a widget
# changes only the views it affects, and only the open tab is drawn (its widgets keep their values while hidden).
choices = view.choices()
ids = list(choices.ids)
asked = st.query_params.get("indicator")
start = asked if asked in ids else choices.default
indicator_id = st.selectbox("Indicator", ids, index=ids.index(start) if start in ids else 0,
                            format_func=choices.labels.get, key="ex_indicator")
st.query_params["indicator"] = indicator_id
sr = view.series(indicator_id)
ind = sr.ind
st.markdown(f"**{md_escape(ind.name)}** ({md_escape(ind.kind_words)}; {md_escape(ind.axis_title.lower())}; "
            f"{ind.polarity_words}). {md_escape(ind.definition)}")
if ind.kpi and ind.area_series_id != ind.id:
    st.caption(f"Other areas' values come from the published comparator "
               f"{md_escape(explore.comparator_label(ind.kpi, ind.area_series_id))}; the home "
               "area's own quarterly returns appear in *Over time* and *Breakdowns*.")

# The open tab is in the address (`?view=Over time`), as the indicator is: a link opens the same view.
compare_tab, time_tab, groups_tab = st.tabs(list(TABS), key="view", bind="query-params")
KEEP = "page"   # a hidden tab's widgets keep their values while the page is open

if compare_tab.open:
    with compare_tab:
        if not sr.periods:
            st.info("There are no figures for this indicator yet.", icon=":material/info:")
        else:
            labels_p = list(sr.periods[::-1])
            default = sr.default_period
            c1, c2 = st.columns(2)
            period = c1.selectbox("Period", labels_p, index=labels_p.index(default) if default in labels_p else 0,
                                  key="ex_period", persist_state=KEEP)
            compare_with = c2.radio("Compare with", list(across_areas.COMPARISON_GROUPS),
                                    format_func=across_areas.COMPARISON_GROUPS.get, horizontal=True, key="ex_group",
                                    persist_state=KEEP)
            cv = view.compare(indicator_id, period, compare_with)
            if cv.local_only:
                st.info("No other area publishes this indicator: it is local only. See *Over time* and "
                        "*Breakdowns*.", icon=":material/info:")
            st.markdown(f"**{md_escape(cv.summary)}**")
            st.plotly_chart(cv.figure, key="ex_compare_chart", theme=None)
            if cv.spine_figure is not None:
                st.plotly_chart(cv.spine_figure, key="ex_spine_chart", theme=None)
                # The spine chart's numbers as text on the page, not only in the download (WCAG 1.1.1)
                st.table(cv.spine_table[["Measure", "Shown as"]], hide_index=True,
                         alt=f"The spine chart's numbers: the spread of {cv.spine['councils']} councils' values, "
                             "England and the home area")
            show(cv.table, ind.decimals)
            st.caption(explore.SIGNIFICANCE_METHOD + " Rank and quartile are among current councils with a value.")
            downloads(f"{ind.id}-{period}-{compare_with}", cv.sheets, cv.meta, key="ex_compare",
                      decimals=ind.decimals)

            st.header("One group across councils")
            gc = view.group_choices(indicator_id)
            if not gc.keys:
                st.info("Across councils this indicator is published for the total only: no group (such as sex or "
                        "age) is published for more than one area. The home area's own groups, where there are "
                        "any, are under *Breakdowns*.", icon=":material/info:")
            else:
                g_key = st.selectbox("Group", gc.keys, format_func=gc.labels.get, key="ex_cg_group",
                                     persist_state=KEEP)
                gv = view.group(indicator_id, period, compare_with, g_key)
                if gv.empty:
                    st.info(f"No area has a value for {gc.labels[g_key]} in {period}. Pick another period or "
                            "group.", icon=":material/info:")
                else:
                    st.plotly_chart(gv.figure, key="ex_group_chart", theme=None)
                    show(gv.table, ind.decimals)
                    st.caption("Each council's value for this group is compared with England's value for the same "
                               "group. " + explore.SIGNIFICANCE_METHOD)
                    downloads(f"{ind.id}-{gc.labels[g_key]}-{period}-{compare_with}", gv.sheets, gv.meta,
                              key="ex_cg", decimals=ind.decimals)

            st.header("Compared with region")
            if not across_areas.compared_with_region(ind):
                st.info("This indicator is a count, and a count is not compared with its region's total (a "
                        "region's count adds up its councils'). Rates and percentages are compared with the "
                        "region.", icon=":material/info:")
            else:
                rv = view.region(indicator_id, period, compare_with)
                if not rv.has_region_value:
                    st.info(f"There is no region figure for this indicator in {period}, so councils are not "
                            "compared with their region.", icon=":material/info:")
                else:
                    st.markdown(f"{across_areas.COMPARISON_GROUPS[compare_with]} (as chosen under *Compare with*), "
                                "each beside its own region's value and compared with it as with England; the "
                                "publisher's own comparison with the region is in words where the file gave one.")
                    if rv.table.empty:
                        st.info(f"None of these councils has a value in {period}: pick *All councils* under "
                                "*Compare with*.", icon=":material/info:")
                    else:
                        show(rv.table, ind.decimals)
                        if rv.no_published:
                            st.caption("The published file gave no comparison with the region for this period.")
                        downloads(f"{ind.id}-{period}-compared-with-region", rv.sheets, rv.meta, key="ex_region",
                                  decimals=ind.decimals)

if time_tab.open:
    with time_tab:
        c1, c2 = st.columns([1, 2])
        years = c1.select_slider("Years", options=[3, 5, 10, 15], value=5, key="ex_years", persist_state=KEEP)
        names = dict(sr.areas)
        names.setdefault(home, sr.home_name)
        roles = across_areas.area_roles(home)
        defaults = timeseries.default_areas(roles, names)
        picked = c2.multiselect("Areas", timeseries.area_options(names, defaults), default=defaults,
                                format_func=names.get, key="ex_areas", persist_state=KEEP)
        c3, c4, c5, c6 = st.columns(4)
        band_on = c3.checkbox("Neighbours' range", value=bool(roles.neighbours), key="ex_band", persist_state=KEEP,
                              help="The statistical neighbours' lowest to highest value, shaded, and their median.")
        each = c4.checkbox("Each neighbour", value=False, key="ex_each", persist_state=KEEP,
                           help="Add every statistical neighbour as its own line.")
        local = c5.checkbox("Local returns", value=True, key="ex_local", persist_state=KEEP,
                            disabled=ind.kpi is None or ind.area_series_id == ind.id,
                            help="The home area's own quarterly returns for this KPI.")
        show_ci = c6.checkbox("95% intervals", value=True, key="ex_ci", persist_state=KEEP,
                              help="Show 95% confidence intervals.")
        plotted = timeseries.plotted_areas(picked, roles, each_neighbour=each)
        tv = view.trend(indicator_id, years, plotted, local=local)
        nv = view.neighbours(indicator_id, years)
        # theme=None: the figure keeps its own #0B0C0C text (Streamlit's theme greys it: 3.7:1)
        st.plotly_chart(view.trend_chart(indicator_id, years, plotted, local=local, band=band_on, show_ci=show_ci),
                        key="ex_trend_chart", theme=None)
        st.caption("Each point sits at the middle of its period, as on the board's pages; the bars are 95% "
                   "confidence intervals where there are any.")
        sheets = {"Over time": tv.table}
        if nv is not None and not nv.rows.empty:
            st.subheader(f"{sr.home_name} against its statistical neighbours")
            st.markdown(md_escape(nv.summary))
            show(nv.table, ind.decimals)
            show(nv.matrix, ind.decimals)
            sheets.update({"Against neighbours": nv.table, "Neighbours by period": nv.matrix})
        st.subheader("Every value shown")
        show(tv.table, ind.decimals)
        downloads(f"{ind.id}-over-time-{years}-years", sheets, tv.meta, key="ex_time", decimals=ind.decimals)

if groups_tab.open:
    with groups_tab:
        area_names = view.breakdown_areas(indicator_id)
        if not area_names:
            st.info("No breakdowns are held for this indicator.", icon=":material/info:")
        else:
            codes = list(area_names)
            c1, c2, c3 = st.columns(3)
            area = c1.selectbox("Area", codes, index=codes.index(home) if home in codes else 0,
                                format_func=area_names.get, key="ex_bd_area", persist_state=KEEP)
            opt_labels = view.breakdown_options(indicator_id, area)
            chosen = c2.selectbox("Breakdown", list(opt_labels), format_func=opt_labels.get, key="ex_bd_type",
                                  persist_state=KEEP)
            series_id, btype = chosen.split("|", 1)
            bd_periods = view.breakdown_periods(series_id, area, btype)
            bd_period = c3.selectbox("Period", bd_periods[::-1], key="ex_bd_period", persist_state=KEEP)
            bv = view.breakdown(indicator_id, series_id, area, btype, bd_period,
                                view=f"Breakdown by {opt_labels[chosen]}, {area_names.get(area)}, {bd_period}")
            st.plotly_chart(bv.figure, key="ex_breakdown_chart", theme=None)
            show(bv.table, ind.decimals)
            st.caption("Each group is compared with all children in the same area and period: significantly "
                       "different when the all-children value lies outside the group's 95% confidence interval.")
            downloads(f"{ind.id}-{area_names.get(area, area)}-{btype}-{bd_period}", {"Breakdown": bv.table}, bv.meta,
                      key="ex_groups", decimals=ind.decimals)
