"""Accessibility statement: the standard we aim for, what falls short, how to tell us, when it was prepared.

Follows the GOV.UK sample accessibility statement, which public-sector websites use to meet the
Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018.
"""
import os
from datetime import date

import streamlit as st

from app_pages._common import framework

PREPARED = date(2026, 11, 22)
LAST_TESTED = date(2026, 11, 22)
CONTACT = os.environ.get("KPIS_ACCESSIBILITY_CONTACT", "").strip()

KNOWN_ISSUES = [
    ("Charts", "Charts are drawn as pictures that a screen reader cannot read point by point. Every chart has "
               "its numbers in a table next to it or in its 'Data' tab, and every table can be downloaded as a "
               "spreadsheet (WCAG 1.1.1 Non-text content)."),
    ("Interactive tables", "The scrollable data grids (for example on the Explorer and Data quality pages) are "
                           "drawn on a canvas. Screen readers announce them only partly and they cannot be "
                           "zoomed as text. Each one has a Download CSV or Excel button with the same rows "
                           "(WCAG 1.3.1 Info and relationships, 1.4.4 Resize text)."),
    ("The list of pages", "When the pages are grouped into sections, the list of pages in the sidebar is not "
                          "marked up as one list, so a screen reader may not announce how many links it holds "
                          "(WCAG 1.3.1 Info and relationships). This markup comes from Streamlit, the framework "
                          "the dashboard is built with; we have reported it."),
    ("Heading levels", "On some pages a heading level is skipped, for example from the page title straight to "
                       "a third-level heading, which makes the page outline harder to follow with a screen "
                       "reader (WCAG 1.3.1). We are fixing these page by page."),
    ("Contrast of code in captions", "On the Explorer page a short example written as code inside a caption "
                                     "has too little contrast with its background (WCAG 1.4.3 Contrast "
                                     "(minimum)). We are fixing it."),
    ("Emoji and icons", "Icons are decorative and always sit beside words. No meaning is carried by an icon or "
                        "a colour alone (WCAG 1.4.1 Use of colour)."),
]


def contact_words() -> str:
    if CONTACT:
        return f"email **{CONTACT}**"
    return ("contact the partnership's business support team through the council's website (the partnership "
            "has not yet set a contact address for this dashboard: an administrator sets it with the "
            "`KPIS_ACCESSIBILITY_CONTACT` environment variable)")


fw = framework()
st.title("Accessibility statement")
st.markdown(
    f"This statement applies to the **{fw.name}** KPI dashboard. It is run by the partnership, and we want as "
    "many people as possible to be able to use it. That means you should be able to:\n\n"
    "- change colours, contrast levels and fonts using your browser or device settings;\n"
    "- zoom in up to 400% without the text spilling off the screen;\n"
    "- navigate most of the dashboard using just a keyboard;\n"
    "- navigate most of the dashboard using speech recognition software;\n"
    "- listen to most of the dashboard using a screen reader;\n"
    "- get every number shown in a chart as a table, and download it.\n\n"
    "The charts use the Government Analysis Function's colour-blind-safe palette, and colour is never the only "
    "way a difference is shown: shapes, words and numbers say it too.")

st.header("Compliance status")
st.markdown(
    "We aim to meet the **Web Content Accessibility Guidelines (WCAG) version 2.2 to level AA**. This dashboard "
    "is **partially compliant** with that standard, because of the issues listed below.")

st.header("What is not fully accessible")
for title, text in KNOWN_ISSUES:
    st.markdown(f"**{title}.** {text}")

st.header("Feedback and how to report a problem")
st.markdown(
    f"If you find a problem that is not listed here, or you need any part of the dashboard in a different format "
    f"(an accessible PDF, large print, easy read, audio or braille), {contact_words()}. Tell us the page's "
    "address, what you were trying to do, and the device and assistive technology you use. We will reply within "
    "10 working days.")

st.header("Enforcement procedure")
st.markdown(
    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies "
    "(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the 'accessibility regulations'). "
    "If you are not happy with how we respond to your complaint, contact the "
    "[Equality Advisory and Support Service (EASS)](https://www.equalityadvisoryservice.com/).")

st.header("How we tested this dashboard")
st.markdown(
    f"Every page is checked automatically with **axe-core** in a headless Chromium browser each time the "
    f"dashboard's tests run; no serious or critical problem is allowed on our own pages. The last full check was "
    f"on {LAST_TESTED:%-d %B %Y}. We also check by hand that every page can be used with a keyboard alone and "
    "that every chart has its numbers in a table.")

st.header("Preparation of this statement")
st.markdown(f"This statement was prepared on **{PREPARED:%-d %B %Y}**. It will be reviewed at least once a year "
            "and whenever the dashboard changes substantially.")
