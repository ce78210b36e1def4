"""Accessibility audit: axe-core in a real Chromium on every page `dashboard.py` registers. What axe cannot see (a
focus indicator on every Tab stop, chart-text contrast, page titles) is checked by test_accessibility.py; the two
files are apart so that xdist can run them at once.

axe-core comes from npm, pinned, installed by this test's set-up into `.cache/axe` (git-ignored)
when it is not there yet. Every page is audited twice over: as everyone sees it when no account
exists (every page open: the session's demo_app), and as a signed-out visitor sees it once accounts exist (the
public pages and sign-in: the session's accounts_app). The counts by impact are printed and written to
test-artifacts/axe-summary.json.

axe runs with the WCAG 2.0/2.1/2.2 A and AA tags and best practices (tests.support.a11y.AXE_TAGS). Each
offending element is counted as the app's own content or Streamlit's (its navigation, header, toolbar, grid:
tests.support.a11y.STREAMLIT_OWN). The app's own serious and critical count must be zero. Beyond that, no serious
or critical violation is allowed, except (1) the ones listed in KNOWN below, each with its page, rule, reason and
owner, and (2) the list rules broken by Streamlit's own sidebar navigation, allowed only when every offending
element is inside that navigation. A known one that disappears is reported so the list can shrink; a new one fails.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support import a11y
from tests.support.auth import accounts_db_master
from tests.support.browser import ARTIFACTS, accounts_app, browser_page, demo_app

AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / ".cache" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")
# (page, rule) -> why it is allowed for now. Pages: the url path ("home" for the default page).
KNOWN: dict[tuple[str, str], str] = {}
# Rules broken by Streamlit's own sidebar navigation, allowed only when every element is inside it: with
# sections, st.navigation puts <div><header/><li/>...</div> straight inside <ul data-testid="stSidebarNavItems">.
STREAMLIT_NAV = '[data-testid="stSidebarNav"]'
STREAMLIT_NAV_RULES = {"list": "Streamlit's sectioned sidebar nav: <ul> holds <div>s (WCAG 1.3.1)",
                       "listitem": "Streamlit's sectioned sidebar nav: <li> inside a <div>, not a list (WCAG 1.3.1)"}


def missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js, installed from npm (pinned) into .cache/axe the first time."""
    installed = AXE_DIR / "node_modules" / "axe-core" / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == AXE_VERSION and AXE_JS.exists():
        return AXE_JS
    npm = shutil.which("npm")
    if not npm:
        missing("npm is not installed, so axe-core cannot be installed (apt-get install npm)")
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
                             f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not AXE_JS.exists():
        missing(f"npm could not install axe-core@{AXE_VERSION}: {result.stderr.strip()[-500:]}")
    return AXE_JS


def audit(page, url: str, path: str, axe: Path, *, charts: int) -> dict:
    a11y.open_page(page, url, path, charts=charts)
    page.add_script_tag(path=str(axe))
    result = page.evaluate("""async ([nav, tags, own]) => {
        const res = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return res.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => {
            const el = document.querySelector(n.target[0]);
            return {target: n.target, in_streamlit_nav: !!(el && el.closest(nav)),
                    streamlit: !!(el && el.closest(own))};
        })}));
    }""", [STREAMLIT_NAV, a11y.AXE_TAGS, a11y.STREAMLIT_OWN])
    violations = [{"rule": v["id"], "impact": v.get("impact") or "minor", "nodes": len(v["nodes"]), "help": v["help"],
                   "example": v["nodes"][0]["target"] if v["nodes"] else None,
                   "streamlit_nav": bool(v["nodes"]) and all(n["in_streamlit_nav"] for n in v["nodes"]),
                   "app_nodes": sum(not n["streamlit"] for n in v["nodes"]),
                   "streamlit_nodes": sum(n["streamlit"] for n in v["nodes"])}
                  for v in result]
    counts = {i: sum(v["nodes"] for v in violations if v["impact"] == i) for i in IMPACTS}
    ours = {i: sum(v["nodes"] for v in violations if v["impact"] == i
                   and not (v["streamlit_nav"] and v["rule"] in STREAMLIT_NAV_RULES)) for i in IMPACTS}
    blocking = {"app": sum(v["app_nodes"] for v in violations if v["impact"] in BLOCKING),
                "streamlit": sum(v["streamlit_nodes"] for v in violations if v["impact"] in BLOCKING)}
    return {"counts": counts, "counts_without_streamlit_nav": ours, "blocking_by_owner": blocking,
            "violations": violations}


def audit_mode(url: str, db: Path, axe: Path, *, charts: set[str]) -> dict[str, dict]:
    """Every page the app serving `db` at `url` registers, audited; a page titled in `charts` draws a chart first."""
    pages = a11y.registered_pages(db)
    assert pages, "no pages registered"
    out = {}
    with browser_page() as page:
        for path, title in pages:
            out[path or "home"] = {"title": title, **audit(page, url, path, axe, charts=int(title in charts))}
    return out


def test_axe_finds_no_serious_or_critical_problem_on_any_page(demo_app, accounts_app, demo_db_master,
                                                              accounts_db_master, tmp_path, axe_script):
    # The session's two served apps only read: open demo mode, and one account per role (so signed out).
    open_db, closed_db = tmp_path / "open.duckdb", tmp_path / "closed.duckdb"
    shutil.copy(demo_db_master, open_db)       # what each app serves, read by AppTest for the registered pages
    shutil.copy(accounts_db_master, closed_db)
    modes = {"open (no accounts: every page)": audit_mode(demo_app, open_db, axe_script, charts=a11y.chart_pages()),
             "signed out (accounts exist)": audit_mode(accounts_app, closed_db, axe_script, charts=set())}

    summary = {"axe_core": AXE_VERSION, "tags": a11y.AXE_TAGS, "modes": modes,
               "totals": {i: sum(p["counts"][i] for m in modes.values() for p in m.values()) for i in IMPACTS},
               "totals_without_streamlit_nav": {i: sum(p["counts_without_streamlit_nav"][i] for m in modes.values()
                                                       for p in m.values()) for i in IMPACTS}}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-summary.json").write_text(json.dumps(summary, indent=2))
    print("\naxe-core", AXE_VERSION, "violations (elements) by impact:")
    for mode, pages in modes.items():
        print(f"  {mode}")
        for name, p in pages.items():
            c = p["counts"]
            rules = ", ".join(f"{v['rule']} ({v['impact']}, {v['nodes']})" for v in p["violations"]) or "none"
            print(f"    {name:<14} ({p['title']}) critical {c['critical']}, serious {c['serious']}, "
                  f"moderate {c['moderate']}, minor {c['minor']}: {rules}")
    print("  totals:", summary["totals"])
    print("  totals without Streamlit's navigation:", summary["totals_without_streamlit_nav"])
    by_owner = {o: sum(p["blocking_by_owner"][o] for m in modes.values() for p in m.values())
                for o in ("app", "streamlit")}
    print("  serious + critical elements, the app's own content:", by_owner["app"], "Streamlit's own:",
          by_owner["streamlit"])
    ours = {(name, v["rule"], str(v["example"])) for pages in modes.values() for name, p in pages.items()
            for v in p["violations"] if v["impact"] in BLOCKING and v["app_nodes"]}
    assert by_owner["app"] == 0, f"serious or critical problems in the app's own content: {sorted(ours)}"

    found = {(name, v["rule"]) for pages in modes.values() for name, p in pages.items()
             for v in p["violations"] if v["impact"] in BLOCKING
             and not (v["streamlit_nav"] and v["rule"] in STREAMLIT_NAV_RULES)}
    print("  allowed, Streamlit's own navigation markup:", STREAMLIT_NAV_RULES)
    for key in sorted(set(KNOWN) & found):
        print(f"  known, to be fixed by its owner: {key}: {KNOWN[key]}")
    gone = sorted(set(KNOWN) - found)
    if gone:
        print("  known problems no longer found (remove them from KNOWN):", gone)
    new = sorted(found - set(KNOWN))
    assert not new, f"serious or critical accessibility problems: {new} (see test-artifacts/axe-summary.json)"
