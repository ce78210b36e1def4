"""Which pages each role sees. `dashboard.py` builds its navigation from `page_groups`.

Only the pages listed here exist for a session: Streamlit serves no page that is not in
`st.navigation`, so a signed-out visitor cannot open a board page by its address. The rules
themselves live in `kpis.access.permissions`; the domain checks them again on every write.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from kpis.access.permissions import Actor
from pages._area import area_pages

ROOT = Path(__file__).resolve().parent.parent
SIDEBAR_WIDTH_PX = 336  # fits "Emotional wellbeing and mental health" and its icon without cutting it


def _page(path: str, title: str, icon: str, url: str | None, *, default: bool = False) -> st.Page:
    return st.Page(path, title=title, icon=f":material/{icon}:", default=default, **({"url_path": url} if url else {}))


def _exists(path: str) -> bool:
    return (ROOT / path).is_file()


def page_groups(actor: Actor | None, *, open_mode: bool) -> dict[str, list[st.Page]]:
    """The navigation for someone: nobody signed in, a role, or everyone in open demo mode."""
    everything = open_mode
    signed_in = actor is not None or open_mode
    can = (lambda action: True) if everything else (lambda action: actor is not None and actor.can(action))
    groups: dict[str, list[st.Page]] = {}
    if can("view_board"):
        groups["Board"] = [
            _page("pages/home.py", "Overview", "home", None, default=True),
            _page("pages/scorecard.py", "Board scorecard", "table_chart", "scorecard"),
            _page("pages/changes.py", "What changed", "update", "changes"),
            *area_pages(),
            _page("pages/kpi.py", "KPI detail", "query_stats", "kpi"),
            _page("pages/board_pack.py", "Board pack", "picture_as_pdf", "board-pack"),
        ]
    may_submit = everything or (actor is not None and (actor.role == "admin" or (actor.role == "lead" and actor.areas)))
    if may_submit and _exists("pages/upload.py"):
        groups["Returns"] = [_page("pages/upload.py", "Submit a return", "upload_file", "upload")]
    if can("explore"):
        groups["Analysis"] = [
            _page("pages/explorer.py", "Explorer", "travel_explore", "explorer"),
            _page("pages/definitions.py", "Definitions", "menu_book", "definitions"),
            _page("pages/data_quality.py", "Data quality", "fact_check", "data-quality"),
        ]
        if can("sql"):
            groups["Analysis"].append(_page("pages/sql.py", "SQL console", "terminal", "sql"))
    if can("admin"):
        groups["Admin"] = [_page("pages/admin.py", "Users and audit", "admin_panel_settings", "admin")]
        if _exists("pages/imports.py"):
            groups["Admin"].append(_page("pages/imports.py", "Import published figures", "cloud_upload", "imports"))
    public = [_page("pages/public.py", "Public view", "public", "public", default=not signed_in)]
    if not signed_in:
        public.append(_page("pages/signin.py", "Sign in", "login", "sign-in"))
    public.append(_page("pages/accessibility.py", "Accessibility statement", "accessibility", "accessibility"))
    groups["Public"] = public  # one section for everyone's pages: a section heading costs a line of the sidebar
    return groups
