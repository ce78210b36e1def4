"""Lead text (narratives) shows as typed in a real browser: no link, heading, list or rule made from it."""
from kpis.store.database import Store
from tests.support.browser import browser_page, running_app, screenshot, wait_for_app

HOSTILE = ("Progress is good. See https://evil.example/path and www.evil.example or write to lead@evil.example\n"
           "Heading attempt\n===\nSecond heading\n---\n- fewer referrals\n1. first point\n    indented code")
TAGS = "a, h1, h2, h3, h4, h5, h6, li, hr, pre, code, img, blockquote"


def test_a_narrative_shows_literally_on_the_public_view_and_the_area_page(demo_db):
    store = Store(demo_db)
    try:
        with store.transaction() as cur:
            cur.execute("UPDATE narratives SET progress = ?, publishable = true WHERE outcome_area = 'safeguarding' "
                        "AND valid_to IS NULL", [HOSTILE])
        assert store.scalar("SELECT count(*) FROM current_narratives WHERE progress = ?", [HOSTILE]) >= 1
    finally:
        store.close()
    with running_app(demo_db) as url, browser_page(height=2400) as page:
        for path, opener in (("public", "What the sub-group says"), ("safeguarding", None)):
            page.goto(f"{url}/{path}")
            wait_for_app(page, text="Safeguarding", timeout=90_000)
            if opener:
                for summary in page.locator("summary", has_text=opener).all():
                    summary.click()
            page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
                .some(el => el.innerText.includes('Heading attempt'))""", timeout=90_000)
            shown = page.evaluate(f"""() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
                .filter(el => el.innerText.includes('Heading attempt'))
                .map(el => ({{tags: [...el.querySelectorAll('{TAGS}')].map(e => e.outerHTML), text: el.innerText}}))""")
            assert shown, path
            for block in shown:
                assert block["tags"] == [], (path, block["tags"])
                text = block["text"].replace("\u2060", "")
                for line in ("www.evil.example", "lead@evil.example", "https://evil.example/path", "\n===\n",
                             "\n---\n", "- fewer referrals", "1. first point"):
                    assert line in text, (path, line, text)
            assert page.locator('[data-testid="stMain"] a[href*="evil.example"]').count() == 0
            screenshot(page, f"lead-text-{path}")
