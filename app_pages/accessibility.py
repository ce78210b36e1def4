"""Accessibility statement: the standard we aim for, what falls short, how to tell us, when it was prepared.

Follows the GOV.UK model accessibility statement, which public-sector websites use to meet the Public Sector Bodies
(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018. Keep `NON_COMPLIANT` true: list what
the last tests found (tests/browser/test_accessibility.py and test_accessibility_axe.py), and nothing that has
been fixed.
"""
import os
from datetime import date

import streamlit as st

from app_pages._common import framework
from kpis.board.tables import md_email, md_escape
from kpis.core.dates import long_date

PREPARED = date(2026, 11, 22)
REVIEWED = date(2026, 12, 7)
LAST_TESTED = date(2026, 12, 7)

# (what, WCAG 2.2 success criteria, by when it will be fixed or reviewed): only failures true today.
NON_COMPLIANT = [
    ("The interactive data grids (on the Explorer, Definitions, Data quality, Submit a return, Import and Users "
     "pages) are drawn on a canvas. A screen reader is told only about the cells on screen, the grid has no name, "
     "and its text does not reflow when zoomed. When a grid has keyboard focus it is ringed, but the cell that has "
     "focus is drawn by the grid itself and we have not been able to check its contrast. Every grid has a "
     "Download CSV or Excel button with the same rows, and the numbers a board member reads (under each chart, a "
     "KPI's revisions, the scorecard) are ordinary tables.",
     "1.3.1 Info and relationships, 4.1.2 Name, role, value, 1.4.10 Reflow, 2.4.7 Focus visible",
     date(2027, 3, 31)),
    ("In the scorecard, the name of each group of KPIs (an outcome area) is a row of its own, with the name as a "
     "row heading and the other cells empty, rather than one heading across the table.",
     "1.3.1 Info and relationships", date(2027, 3, 31)),
    ("When the pages are grouped into sections, the list of pages in the sidebar is not marked up as one list, so "
     "a screen reader may not announce how many links it holds. This markup comes from Streamlit, the framework "
     "the dashboard is built with; we will take Streamlit's fix when it is released.",
     "1.3.1 Info and relationships", date(2027, 3, 31)),
    ("On the Submit a return and SQL console pages, headings skip a level (from the page title to a third-level "
     "heading).", "1.3.1 Info and relationships", date(2027, 2, 28)),
    ("A grid's toolbar buttons (download, search, full screen) show a tooltip over the button while it has "
     "keyboard focus, which hides most of its focus ring. This comes from Streamlit.",
     "2.4.11 Focus not obscured (minimum)", date(2027, 3, 31)),
    ("The board scorecard sizes its text to fit the screen, so that a whole meeting's KPIs show at once on a "
     "projector. Zoomed to 200%, its text grows only about 1.4 times (on the other pages text grows in full). We "
     "will let the scorecard's text grow with the browser's zoom and scroll instead of fitting.",
     "1.4.4 Resize text", date(2027, 3, 31)),
    ("After a return is uploaded, keyboard focus goes back to the top of the page rather than to the result of the "
     "checks, so a keyboard or screen reader user has to move down to it. We will move focus to the result.",
     "2.4.3 Focus order", date(2027, 2, 28)),
    ("The help text behind the question-mark icons beside some controls is a tooltip of its own, not linked to the "
     "control it explains, so a screen reader does not read it with the control. This markup comes from "
     "Streamlit; we will put the help that matters into the control's label or a caption beneath it.",
     "1.3.1 Info and relationships, 4.1.2 Name, role, value", date(2027, 3, 31)),
    ("A sign-in ends 12 hours after it started, even while in use. You are warned 10 minutes before, but for "
     "security it cannot be extended: you sign in again. (The 30-minute limit without use can be extended: a "
     "warning with a Stay signed in button comes 5 minutes before it.) We will decide whether to lengthen the "
     "12-hour limit to more than 20 hours, which WCAG allows.", "2.2.1 Timing adjustable", date(2027, 3, 31)),
]


def contact_words() -> str:
    """How to reach the partnership: KPIS_ACCESSIBILITY_CONTACT, else the framework's accessibility_contact."""
    contact = os.environ.get("KPIS_ACCESSIBILITY_CONTACT", "").strip() or framework().accessibility_contact
    if not contact:
        return ("contact the partnership's business support team through the council's website (the partnership "
                "has not yet set a contact for this dashboard: an administrator sets `accessibility_contact` in "
                "the `[partnership]` table of the framework file)")
    if "@" in contact and " " not in contact:
        return f"email **{md_email(contact)}**"
    return f"contact us: **{md_escape(contact)}**"


def day(d: date) -> str:
    return long_date(d)


fw = framework()
name = md_escape(fw.name)
st.title("Accessibility statement")
st.markdown(
    f"This accessibility statement applies to the **{name}** KPI dashboard. It is run by the partnership, and we "
    "want as many people as possible to be able to use it. That means you should be able to:\n\n"
    "- change colours, contrast levels and fonts using your browser or device settings;\n"
    "- zoom in up to 400% without the text spilling off the screen;\n"
    "- navigate the dashboard using just a keyboard, and see where you are on every page;\n"
    "- navigate most of the dashboard using speech recognition software;\n"
    "- listen to most of the dashboard using a screen reader;\n"
    "- get every number shown in a chart as a table, and download it.\n\n"
    "We have also made the text as simple as we can to understand. "
    "[AbilityNet](https://mcmw.abilitynet.org.uk/) has advice on making your device easier to use if you have a "
    "disability.")

st.header("How accessible this dashboard is")
st.markdown(
    "We know some parts of the dashboard are not fully accessible:\n\n"
    "- screen readers are told only part of what is in the interactive data grids (each has a download);\n"
    "- in the scorecard, the name of each group of KPIs is a row with empty cells, not one heading;\n"
    "- the sidebar's list of pages is not marked up as one list;\n"
    "- two pages skip a heading level;\n"
    "- a sign-in ends after 12 hours and cannot be extended.\n\n"
    "The charts use the Government Analysis Function's colour-blind-safe palette, and colour is never the only "
    "way a difference is shown: shapes, words and numbers say it too.")

st.header("Feedback and how to report a problem")
st.markdown(
    f"If you need any part of the dashboard in a different format (an accessible PDF, large print, easy read, "
    f"audio recording or braille), or you find a problem that is not listed on this page, {contact_words()}. Tell "
    "us the page's address, what you were trying to do, and the device and assistive technology you use. We will "
    "consider your request and get back to you within 10 working days.")

st.header("Enforcement procedure")
st.markdown(
    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies "
    "(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the 'accessibility regulations'). "
    "If you are not happy with how we respond to your complaint, contact the "
    "[Equality Advisory and Support Service (EASS)](https://www.equalityadvisoryservice.com/). If you are in "
    "Northern Ireland and are not happy with how we respond to your complaint, you can contact the "
    "[Equality Commission for Northern Ireland](https://www.equalityni.org/Home) (ECNI), who are responsible for "
    "enforcing the accessibility regulations in Northern Ireland.")

st.header("Technical information about this dashboard's accessibility")
st.markdown(
    f"The {name} is committed to making its website accessible, in accordance with the Public Sector Bodies "
    "(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018.")

st.header("Compliance status")
st.markdown(
    "This dashboard is **partially compliant** with the **Web Content Accessibility Guidelines (WCAG) version 2.2 "
    "to level AA** standard, due to the non-compliances listed below.")

st.header("What is not fully accessible")
st.markdown("The content listed below is non-accessible for the following reasons.")
st.subheader("Non-compliance with the accessibility regulations")
st.markdown("\n".join(f"- {text} This fails WCAG 2.2 success criterion {criteria}. We plan to fix it by "
                      f"{day(by)}." for text, criteria, by in NON_COMPLIANT))
st.subheader("Disproportionate burden")
st.markdown("We are not claiming that fixing any of the problems above would be a disproportionate burden.")
st.subheader("Content that's not within the scope of the accessibility regulations")
st.markdown("We know of no content on this dashboard that is outside the scope of the accessibility regulations.")

st.header("What we're doing to improve accessibility")
st.markdown(
    "We test every page automatically each time the dashboard changes, and we fix the problems above by the dates "
    "given. Where a problem comes from Streamlit, we report it and take the fix when it is released.")

st.header("How we tested this dashboard")
st.markdown(
    f"This dashboard was last tested on **{day(LAST_TESTED)}** by the dashboard's developers. Each time the "
    "dashboard's tests run, every page is checked in a headless Chromium browser at 1366 by 768 pixels: with "
    "**axe-core** against WCAG 2.2 AA and its best practices (no serious or critical problem is allowed in our own "
    "content); by moving through every page with the Tab key and measuring the contrast of each focus indicator "
    "(at least 3:1); by measuring the contrast of every piece of text in every chart (at least 4.5:1); and by "
    "checking that every page has its own title. We also checked the pages with wider letter, word and line "
    "spacing, at 320 pixels wide, and at 400% zoom.")
st.markdown(
    "The board pack and the Health and Wellbeing Board report are tagged PDFs. Each time the tests run, both are "
    "built from the demo data and read back with **pypdf**, as a screen reader meets them: the tag tree has the "
    "title as the only first-level heading, a second-level heading for each part and no skipped level; paragraphs "
    "and lists; tables with a caption, column headers and row headers; and every chart as a figure whose text "
    "alternative says what it shows, with its numbers in the table after it. The document's language (English, "
    "United Kingdom), title, author and subject are set; there is a bookmark for each part; the text comes out in "
    "reading order, with every KPI in it; the running header and page numbers are marked as page furniture, and no "
    "text is left untagged. We also read through the whole tag tree of a pack, element by element, and looked at "
    "every page as printed.")

st.header("Preparation of this statement")
st.markdown(f"This statement was prepared on **{day(PREPARED)}**. It was last reviewed on **{day(REVIEWED)}**. It "
            "will be reviewed at least once a year and whenever the dashboard changes substantially.")
