"""Which pages each role sees. `dashboard.py` builds its navigation from `page_groups`.

Only the pages listed here exist for a session: Streamlit serves no page that is not in
`st.navigation`, so a signed-out visitor cannot open a board page by its address. The pages live in
`app_pages/`, never `pages/`: Streamlit treats a `pages/` folder beside `dashboard.py` as its old
multipage layout, and serves it, unguarded, to sessions that arrive before the first `st.navigation`
call (the first seconds after start-up). Each restricted page also checks its own permission first
(`app_pages._auth.require_page`). The rules live in `kpis.access.permissions` and `may_open`; the
domain checks them again on every write.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages._area import area_pages
from app_pages._auth import may_open
from app_pages._common import framework
from kpis.access.permissions import Actor

ROOT = Path(__file__).resolve().parent.parent
SIDEBAR_WIDTH_PX = 336  # fits "Emotional wellbeing and mental health" and its icon without cutting it


def _page(path: str, title: str, icon: str, url: str | None, *, default: bool = False) -> st.Page:
    return st.Page(path, title=title, icon=f":material/{icon}:", default=default, **({"url_path": url} if url else {}))


def _exists(path: str) -> bool:
    return (ROOT / path).is_file()


def page_groups(actor: Actor | None, *, open_mode: bool) -> dict[str, list[st.Page]]:
    """The navigation for someone: nobody signed in, a role, or everyone in open demo mode."""
    signed_in = actor is not None or open_mode

    def can(action: str) -> bool:
        return may_open(action, actor, open_mode=open_mode)

    groups: dict[str, list[st.Page]] = {}
    if can("view_board"):
        groups["Board"] = [
            _page("app_pages/home.py", "Overview", "home", None, default=True),
            _page("app_pages/scorecard.py", "Board scorecard", "table_chart", "scorecard"),
            _page("app_pages/changes.py", "What changed", "update", "changes"),
            *area_pages(),
            _page("app_pages/kpi.py", "KPI detail", "query_stats", "kpi"),
            _page("app_pages/board_pack.py", "Board pack", "picture_as_pdf", "board-pack"),
            _page("app_pages/meetings.py", "Board meetings", "groups", "meetings"),
        ]
        if framework().self_assessment.statements and _exists("app_pages/self_assessment.py"):
            groups["Board"].append(_page("app_pages/self_assessment.py", "Self-assessment", "checklist",
                                         "self-assessment"))
    if can("submit") and _exists("app_pages/upload.py"):
        groups["Returns"] = [_page("app_pages/upload.py", "Submit a return", "upload_file", "upload")]
    if can("explore"):
        groups["Analysis"] = [
            _page("app_pages/explorer.py", "Explorer", "travel_explore", "explorer"),
            _page("app_pages/definitions.py", "Definitions", "menu_book", "definitions"),
            _page("app_pages/data_quality.py", "Data quality", "fact_check", "data-quality"),
        ]
        if can("sql"):
            groups["Analysis"].append(_page("app_pages/sql.py", "SQL console", "terminal", "sql"))
    if can("admin"):
        groups["Admin"] = [_page("app_pages/admin.py", "Users and audit", "admin_panel_settings", "admin")]
        if _exists("app_pages/imports.py"):
            groups["Admin"].append(_page("app_pages/imports.py", "Import published figures", "cloud_upload", "imports"))
    public = [_page("app_pages/public.py", "Public view", "public", "public", default=not signed_in)]
    if not signed_in:
        public.append(_page("app_pages/signin.py", "Sign in", "login", "sign-in"))
    public.append(_page("app_pages/accessibility.py", "Accessibility statement", "accessibility", "accessibility"))
    groups["Public"] = public  # one section for everyone's pages: a section heading costs a line of the sidebar
    return groups
