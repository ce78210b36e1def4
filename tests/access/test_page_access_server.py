"""Page access on the real server, from the first second after it starts (issue 26).

AppTest cannot see this: it resets Streamlit's pages-folder mode before every run. On a real server, a
`pages/` folder beside `dashboard.py` made Streamlit serve every page file, unguarded, to sessions that arrived
while the first page run was still importing (a signed-out visitor got the Explorer and the upload page).

Here the app is started with accounts, and at once, while its first run is still importing, a signed-out session
asks for every restricted page by its address, and a session of each role signs in and asks for every page; then
all of it again once the server has warmed up. Each session speaks Streamlit's own websocket protocol
(`tools.bench.stclient`), so what a visitor was sent is read exactly, with no browser in between.
"""
from __future__ import annotations

import asyncio

from app_pages._area import url_path
from kpis.core.framework import load_framework
from tests.support.auth import ACCOUNTS, PASSWORD, accounts_db, accounts_db_master
from tools.bench.serve import log_errors, serve_app
from tools.bench.stclient import Run, Session, sign_in

PUBLIC = {"Public view", "Sign in", "Accessibility statement"}
PUBLIC_TITLE = f"{load_framework().short_name}: published figures"     # the public view's title
BOARD = {"viewer", "lead", "analyst", "admin"}


def restricted() -> dict[str, set[str]]:
    """Each restricted page's address and the roles that may open it."""
    fw = load_framework()
    pages = {"scorecard": BOARD, "changes": BOARD, "kpi": BOARD, "board-pack": BOARD, "meetings": BOARD,
             **{url_path(area.id): BOARD for area in fw.areas},
             "upload": {"lead", "admin"}, "explorer": {"analyst", "admin"}, "definitions": {"analyst", "admin"},
             "data-quality": {"analyst", "admin"}, "sql": {"analyst", "admin"}, "admin": {"admin"},
             "imports": {"admin"}}
    return pages


async def signed_out(url: str, page: str) -> Run:
    async with Session(url, timeout=120) as session:
        return await session.open(page)


async def as_role(url: str, role: str, pages: list[str]) -> dict[str, Run]:
    session, after = await sign_in(url, ACCOUNTS[role][0], PASSWORD, timeout=120)
    try:
        assert "Sign out" in after.text, f"{role} could not sign in: {after.text[-400:]!r}"
        return {page: await session.open(page) for page in pages}
    finally:
        await session.ws.close()


async def everyone(url: str, pages: list[str]) -> tuple[dict[str, Run], dict[str, dict[str, Run]]]:
    """Every restricted page for a signed-out visitor and for each role, all sessions at once."""
    roles = sorted(ACCOUNTS)
    results = await asyncio.gather(*(signed_out(url, page) for page in pages),
                                   *(as_role(url, role, pages) for role in roles))
    return dict(zip(pages, results[:len(pages)], strict=False)), dict(zip(roles, results[len(pages):], strict=False))


def check(out: dict[str, Run], by_role: dict[str, dict[str, Run]], pages: dict[str, set[str]], when: str) -> None:
    # What each page looks like when it opens: the administrator may open all of them.
    title = {page: run.headings[:1] for page, run in by_role["admin"].items()}
    for page, run in by_role["admin"].items():
        assert run.status == "FINISHED_SUCCESSFULLY" and title[page], (when, page, run.main_text[:300])
        assert title[page][0] != PUBLIC_TITLE and "Please sign in" not in run.main_text, (when, page)
    for page, run in out.items():
        shown = set(run.page_names)
        assert shown == PUBLIC, f"{when}: a signed-out visitor asking for /{page} was offered {sorted(shown)}"
        assert run.headings[:1] != title[page] and run.headings[:1] == [PUBLIC_TITLE], (
            f"{when}: a signed-out visitor asking for /{page} was shown {run.headings[:1]}")
        assert "download_button" not in run.kinds(), (when, page)
    for role, runs in by_role.items():
        for page, run in runs.items():
            allowed = role in pages[page]
            assert (run.headings[:1] == title[page]) is allowed, (
                f"{when}: a {role} asking for /{page} was shown {run.headings[:1]} (may open it: {allowed})")
            listed = {p["url_pathname"] for p in run.pages}
            assert (page in listed) is allowed, (when, role, page, sorted(listed))
            if not allowed:
                assert "download_button" not in run.kinds() and not run.texts("arrow_data_frame"), (when, role, page)


def test_no_page_is_served_to_anyone_who_may_not_open_it_from_the_first_second(accounts_db):
    pages = restricted()
    with serve_app(accounts_db, timeout=90) as app:
        # At once: the server is up but no script has run yet, so the first run's imports are still ahead.
        first = asyncio.run(everyone(app.url, list(pages)))
        later = asyncio.run(everyone(app.url, list(pages)))
        errors = log_errors(app.log)
    check(*first, pages, "in the first seconds")
    check(*later, pages, "after start-up")
    assert not errors, errors
    # Nothing in the navigation is a module's name (the old pages-folder mode listed "_common", "upload", ...).
    for runs in (first[0], later[0]):
        for run in runs.values():
            assert not any(p["url_pathname"].startswith("_") for p in run.pages)
