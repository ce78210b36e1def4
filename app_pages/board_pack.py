"""Board pack: the board pack or the HWBB report as PDF, PowerPoint or Excel, in one click."""
from contextlib import ExitStack

import streamlit as st

from app_pages._auth import require_page
from app_pages._common import framework, site_notice, store
from kpis.core.dates import long_date
from kpis.packs.build import FORMATS, build_pack
from kpis.packs.content import REPORTS, pack_meetings, resolve_meeting
from kpis.packs.images import ChartRendererUnavailable
from kpis.packs.pdf import PdfFontsMissing
from kpis.packs.words import PackError

require_page("view_board")  # first, before anything is read: this page checks its own permission

FORMAT_HELP = {"pdf": "PDF: for printing, reading on screen and screen readers",
               "pptx": "PowerPoint: one slide per KPI or area",
               "xlsx": "Excel: the scorecard and every number, with a metadata sheet"}

st.title("Board pack")
st.caption("Board papers go out a week before each meeting; twice a year the partnership reports to the "
           f"{framework().reports_to or 'Health and Wellbeing Board'}. Choose the meeting, the report and the format, "
           "then build the file.")
site_notice()

meetings = pack_meetings(store())
if not meetings:
    st.warning("The database holds no board meetings yet. Load the KPI framework first.", icon=":material/event:")
    st.stop()
default = resolve_meeting(store(), None)

left, middle, right = st.columns(3)
with left:
    meeting = st.selectbox("Meeting", meetings, index=meetings.index(default), key="pack_meeting",
                           format_func=lambda d: long_date(d) + (" (next meeting)" if d == default else ""),
                           help="The pack shows what was known by the end of that day and compares with the "
                                "meeting before it (the HWBB report: with the meeting about six months before).")
with middle:
    report = st.radio("Report", list(REPORTS), format_func=REPORTS.get, key="pack_report")
with right:
    fmt = st.radio("Format", list(FORMATS), format_func=FORMAT_HELP.get, key="pack_format")

if st.button("Build the file", key="pack_build", type="primary", icon=":material/build:"):
    bar = st.progress(0.0, text="Starting")
    # Once the content is read, the database is let go while the charts and the file are drawn (tens of
    # seconds for a PDF), so a backup or an import need not wait for this page run to end.
    released = ExitStack()
    try:
        with released:
            pack = build_pack(store(), framework(), meeting=meeting, report=report, fmt=fmt,
                              progress=lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0),
                                                                              text=message),
                              read_done=lambda: released.enter_context(store().released()))
    except (PackError, ChartRendererUnavailable, PdfFontsMissing) as exc:
        bar.empty()
        st.error(str(exc), icon=":material/error:")
    else:
        st.session_state["pack_file"] = pack

pack = st.session_state.get("pack_file")
if pack is not None:
    what = "board pack" if pack.report == "board" else "HWBB report"
    st.success(f"The {what} for the meeting of {long_date(pack.meeting)} ({FORMATS[pack.fmt]}, "
               f"{len(pack.data) / 1024:,.0f} KB) took {pack.seconds:.1f} seconds.", icon=":material/check_circle:")
    st.download_button(f"Download {pack.file_name}", data=pack.data, file_name=pack.file_name, mime=pack.mime,
                       key="pack_download", icon=":material/download:", on_click="ignore")
