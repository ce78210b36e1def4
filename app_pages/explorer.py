"""Explorer: any KPI or source indicator, compared across areas, over time and by group, with downloads."""
import streamlit as st

from app_pages._auth import require_page
from app_pages._common import BLANK, framework, site_notice, store
from kpis.analysis import across_areas, explore, inequalities, ties, timeseries
from kpis.analysis import charts as explore_charts
from kpis.board.tables import md_escape
from kpis.core import exports

require_page("explore")  # first, before anything is read: this page checks its own permission


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
s = store()
home = fw.home_area
st.title("Explorer")
st.markdown("Any framework KPI or imported source indicator: compare areas, follow trends and look inside the "
            "groups at risk of health inequalities. Every view has its numbers in a table and downloads as CSV "
            "or Excel.")
site_notice()

choices = explore.indicator_choices(s, fw)
ids = choices["indicator_id"].tolist()
labels = explore.choice_labels(choices)
asked = st.query_params.get("indicator")
start = asked if asked in ids else explore.default_indicator(s, fw)
indicator_id = st.selectbox("Indicator", ids, index=ids.index(start) if start in ids else 0, format_func=labels.get,
                            key="ex_indicator")
st.query_params["indicator"] = indicator_id
ind = explore.indicator(s, fw, indicator_id)
st.markdown(f"**{md_escape(ind.name)}** ({md_escape(ind.kind_words)}; {md_escape(ind.axis_title.lower())}; "
            f"{ind.polarity_words}). {md_escape(ind.definition)}")
if ind.kpi and ind.area_series_id != ind.id:
    st.caption(f"Other areas' values come from the published comparator "
               f"{md_escape(explore.comparator_label(ind.kpi, ind.area_series_id))}; the home "
               "area's own quarterly returns appear in *Over time* and *Breakdowns*.")

series_areas = explore.area_names(s, ind.area_series_id)  # code -> name of every area of the series
values = explore.series_values(s, ind.area_series_id)  # read once; each view below takes its areas or period
home_name = series_areas.get(home, "Home area")
title_name = ind.label if ind.kpi else ind.name    # a chart title names the indicator, never its code
compare_tab, time_tab, groups_tab = st.tabs(["Compare areas", "Over time", "Breakdowns"])

with compare_tab:
    periods = explore.periods(s, ind.area_series_id)
    if periods.empty:
        st.info("There are no figures for this indicator yet.", icon=":material/info:")
    else:
        labels_p = periods["period_label"].tolist()
        default = explore.default_period(s, ind, home)
        c1, c2 = st.columns(2)
        period = c1.selectbox("Period", labels_p[::-1], index=labels_p[::-1].index(default) if default in labels_p
                              else 0, key="ex_period")
        compare_with = c2.radio("Compare with", list(across_areas.COMPARISON_GROUPS),
                                format_func=across_areas.COMPARISON_GROUPS.get, horizontal=True, key="ex_group")
        # a value many councils share (a count of 0) is no quartile of its own: say how many share it
        cmp = ties.shared_quartiles(across_areas.compare_areas(s, ind, home=home, period_label=period, values=values))
        if across_areas.local_only(cmp):
            st.info("No other area publishes this indicator: it is local only. See *Over time* and *Breakdowns*.",
                    icon=":material/info:")
        st.markdown(f"**{md_escape(across_areas.rank_summary(cmp, ind))}**")
        shown = across_areas.comparison_group(cmp, compare_with, home=home)
        st.plotly_chart(explore_charts.compare_figure(shown, ind), key="ex_compare_chart", theme=None)
        sp = across_areas.spine(cmp)
        if across_areas.shows_spine(sp):
            st.plotly_chart(explore_charts.spine_figure(sp, ind), key="ex_spine_chart", theme=None)
            # The spine chart's numbers as text on the page, not only in the download (WCAG 1.1.1)
            st.table(across_areas.spine_table(sp, ind)[["Measure", "Shown as"]], hide_index=True,
                     alt=f"The spine chart's numbers: the spread of {sp['councils']} councils' values, "
                         "England and the home area")
        table = across_areas.compare_table(shown, ind)
        show(table, ind.decimals)
        st.caption(explore.SIGNIFICANCE_METHOD + " Rank and quartile are among current councils with a value.")
        downloads(f"{ind.id}-{period}-{compare_with}",
                  {"Compare areas": table, "All areas": across_areas.compare_table(cmp, ind),
                   "Spread of councils": across_areas.spine_table(sp, ind)},
                  explore.view_metadata(ind, view=f"Compare areas ({across_areas.COMPARISON_GROUPS[compare_with]}), "
                                             f"{period}", data=cmp),
                  key="ex_compare", decimals=ind.decimals)

        st.header("One group across councils")
        choices_g = inequalities.group_choices(s, ind, fw.breakdowns, fw.districts)
        if choices_g.empty:
            st.info("Across councils this indicator is published for the total only: no group (such as sex or "
                    "age) is published for more than one area. The home area's own groups, where there are any, "
                    "are under *Breakdowns*.", icon=":material/info:")
        else:
            g_keys = [f"{t}|{v}" for t, v in zip(choices_g["breakdown_type"],
                                                 choices_g["breakdown_value"], strict=False)]
            g_labels = dict(zip(g_keys, choices_g["label"], strict=False))
            g_key = st.selectbox("Group", g_keys, format_func=g_labels.get, key="ex_cg_group")
            g_row = choices_g.iloc[g_keys.index(g_key)]
            cg = across_areas.compare_group(s, ind, home=home, breakdown_type=g_row["breakdown_type"],
                                       breakdown_value=g_row["breakdown_value"], period_label=period)
            if cg.empty or not cg["value"].notna().any():
                st.info(f"No area has a value for {g_labels[g_key]} in {period}. Pick another period or group.",
                        icon=":material/info:")
            else:
                g_shown = across_areas.comparison_group(cg, compare_with, home=home)
                st.plotly_chart(explore_charts.compare_figure(g_shown, ind,
                                                              title=f"{title_name}: {g_labels[g_key]}, {period}"),
                                key="ex_group_chart", theme=None)
                g_table = across_areas.compare_table(g_shown, ind).assign(Group=g_labels[g_key])
                show(g_table, ind.decimals)
                st.caption("Each council's value for this group is compared with England's value for the same "
                           "group. " + explore.SIGNIFICANCE_METHOD)
                downloads(f"{ind.id}-{g_labels[g_key]}-{period}-{compare_with}",
                          {"One group": g_table, "All areas": across_areas.compare_table(cg, ind).assign(
                              Group=g_labels[g_key])},
                          explore.view_metadata(ind, view=f"{g_labels[g_key]} across councils "
                                                f"({across_areas.COMPARISON_GROUPS[compare_with]}), {period}", data=cg),
                          key="ex_cg", decimals=ind.decimals)

        st.header("Compared with region")
        if not across_areas.compared_with_region(ind):
            st.info("This indicator is a count, and a count is not compared with its region's total (a region's "
                    "count adds up its councils'). Rates and percentages are compared with the region.",
                    icon=":material/info:")
        else:
            rg = across_areas.compare_with_regions(s, ind, period_label=period)
            if not across_areas.has_region_value(rg):
                st.info(f"There is no region figure for this indicator in {period}, so councils are not compared "
                        "with their region.", icon=":material/info:")
            else:
                r_table = across_areas.region_table(s, rg, ind, areas=shown["area_code"].tolist())
                st.markdown(f"{across_areas.COMPARISON_GROUPS[compare_with]} (as chosen under *Compare with*), "
                            "each beside its own region's value and compared with it as with England; the "
                            "publisher's own comparison with the region is in words where the file gave one.")
                if r_table.empty:
                    st.info(f"None of these councils has a value in {period}: pick *All councils* under *Compare "
                            "with*.", icon=":material/info:")
                else:
                    show(r_table, ind.decimals)
                    if across_areas.no_published_region_comparison(r_table):
                        st.caption("The published file gave no comparison with the region for this period.")
                    downloads(f"{ind.id}-{period}-compared-with-region",
                              {"Compared with region": r_table, "All councils": across_areas.region_table(s, rg, ind)},
                              explore.view_metadata(ind, view=f"Compared with region, {period}", data=rg),
                              key="ex_region", decimals=ind.decimals)

with time_tab:
    c1, c2 = st.columns([1, 2])
    years = c1.select_slider("Years", options=[3, 5, 10, 15], value=5, key="ex_years")
    names = dict(series_areas)
    names.setdefault(home, home_name)
    roles = across_areas.area_roles(home)
    defaults = timeseries.default_areas(roles, names)
    picked = c2.multiselect("Areas", timeseries.area_options(names, defaults), default=defaults,
                            format_func=names.get, key="ex_areas")
    c3, c4, c5, c6 = st.columns(4)
    band_on = c3.checkbox("Neighbours' range", value=bool(roles.neighbours), key="ex_band",
                          help="The statistical neighbours' lowest to highest value, shaded, and their median.")
    each = c4.checkbox("Each neighbour", value=False, key="ex_each",
                       help="Add every statistical neighbour as its own line.")
    local = c5.checkbox("Local returns", value=True, key="ex_local",
                        disabled=ind.kpi is None or ind.area_series_id == ind.id,
                        help="The home area's own quarterly returns for this KPI.")
    show_ci = c6.checkbox("95% intervals", value=True, key="ex_ci", help="Show 95% confidence intervals.")
    plotted = timeseries.plotted_areas(picked, roles, each_neighbour=each)
    tr = timeseries.trends(s, ind, plotted, home=home, last_years=years, local_returns=local, values=values)
    nc = (timeseries.neighbour_comparison(s, ind, home=home, last_years=years, values=values) if roles.neighbours
          else None)
    band = timeseries.neighbour_band(nc) if band_on and nc is not None else None
    st.plotly_chart(explore_charts.trend_figure(tr, ind, band=band, show_ci=show_ci,
                                                title=f"{title_name}: last {years} years"), key="ex_trend_chart",
                    theme=None)  # the figure keeps its own #0B0C0C text: Streamlit's theme greys it (3.7:1)
    st.caption("Each point sits at the middle of its period, as on the board's pages; the bars are 95% confidence "
               "intervals where there are any.")
    sheets = {"Over time": timeseries.trend_table(tr)}
    if nc is not None and not nc.empty:
        st.subheader(f"{home_name} against its statistical neighbours")
        st.markdown(md_escape(timeseries.neighbour_summary(nc, ind, home_name)))
        nt = timeseries.neighbour_table(nc, ind, home_name)
        show(nt, ind.decimals)
        matrix = timeseries.neighbour_matrix(s, ind, home=home, last_years=years, values=values)
        show(matrix, ind.decimals)
        sheets.update({"Against neighbours": nt, "Neighbours by period": matrix})
    st.subheader("Every value shown")
    show(sheets["Over time"], ind.decimals)
    downloads(f"{ind.id}-over-time-{years}-years", sheets,
              explore.view_metadata(ind, view=f"Over time, last {years} years", data=tr), key="ex_time",
              decimals=ind.decimals)

with groups_tab:
    have = inequalities.breakdown_areas(s, ind)
    if have.empty:
        st.info("No breakdowns are held for this indicator.", icon=":material/info:")
    else:
        codes = have["area_code"].tolist()
        area_names = dict(zip(have["area_code"], have["area_name"], strict=False))
        c1, c2, c3 = st.columns(3)
        area = c1.selectbox("Area", codes, index=codes.index(home) if home in codes else 0,
                            format_func=area_names.get, key="ex_bd_area")
        opts = inequalities.breakdown_options(s, ind, area, fw.breakdowns)
        keys = [f"{r.indicator_id}|{r.breakdown_type}" for r in opts.itertuples()]
        opt_labels = {k: f"{r.label} ({r.series.lower()})" for k, r in zip(keys, opts.itertuples(), strict=False)}
        chosen = c2.selectbox("Breakdown", keys, format_func=opt_labels.get, key="ex_bd_type")
        series_id, btype = chosen.split("|", 1)
        bd_periods = inequalities.breakdown_periods(s, series_id, area, btype)
        bd_period = c3.selectbox("Period", bd_periods[::-1], key="ex_bd_period")
        bd = inequalities.breakdowns(s, ind, series_id=series_id, area_code=area, breakdown_type=btype,
                                     period_label=bd_period, names=fw.breakdowns,
                                     districts=fw.districts)
        st.plotly_chart(explore_charts.breakdown_figure(bd, ind), key="ex_breakdown_chart", theme=None)
        bt = inequalities.breakdown_table(bd)
        show(bt, ind.decimals)
        st.caption("Each group is compared with all children in the same area and period: significantly different "
                   "when the all-children value lies outside the group's 95% confidence interval.")
        downloads(f"{ind.id}-{area_names.get(area, area)}-{btype}-{bd_period}", {"Breakdown": bt},
                  explore.view_metadata(ind, view=f"Breakdown by {opt_labels[chosen]}, {area_names.get(area)}, "
                                        f"{bd_period}", data=bd), key="ex_groups", decimals=ind.decimals)
